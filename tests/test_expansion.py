"""Query expansion over the real example index, with a scripted model: the model's
hypothetical passage reaches the search, support is still decided on the question as
asked, and a failing model leaves the question searched as asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes import ScriptedChatModel

from assistant.errors import ModelError
from assistant.query.answer import Assistant
from assistant.query.prompts import load_prompt
from assistant.runtime import Runtime, open_runtime
from assistant.settings import RetrievalSettings, Settings

# "vabba" (care for a sick child) is the staff's word; the guideline never uses it.
SLANG = "Hur gör jag när jag ska vabba?"
SLANG_EXPANSION = (
    "Vid vård av sjukt barn meddelar medarbetaren närmaste chef per telefon samma dag "
    "och registrerar frånvaron i Personalportalen."
)
# No document says what a bus card costs; this expansion is the words of another one.
UNANSWERABLE = "Vad kostar ett busskort för pensionärer?"
MISLEADING_EXPANSION = "Sommarsemester söks senast den 31 mars hos närmaste chef."


@pytest.fixture(scope="module")
def runtime(indexed_examples: Settings) -> Iterator[Runtime]:
    with open_runtime(indexed_examples, with_model=False) as opened:
        yield opened


def _assistant(
    runtime: Runtime, *replies: str | Exception, expand: bool = True
) -> tuple[Assistant, ScriptedChatModel]:
    chat = ScriptedChatModel(replies)
    retrieval = runtime.settings.retrieval.model_copy(update={"expand_questions": expand})
    settings = runtime.settings.model_copy(update={"retrieval": retrieval})
    return Assistant(settings, runtime.retriever, chat), chat


def test_the_expansion_reaches_the_search(runtime: Runtime) -> None:
    plain = runtime.assistant.ask(SLANG, [], mode="extractive")
    assert not plain.ranked[0].file.startswith("foraldraledighet")
    assistant, chat = _assistant(runtime, SLANG_EXPANSION)
    expanded = assistant.ask(SLANG, [], mode="extractive")
    # Extractive answers use the model too when expansion is on: one call, the expansion.
    assert len(chat.calls) == 1
    assert chat.calls[0] == load_prompt("expand", "sv").messages(question=SLANG)
    assert expanded.ranked[0].file.startswith("foraldraledighet")
    assert "expand" in expanded.timings_ms
    assert "expand" not in plain.timings_ms


def test_support_is_decided_on_the_question_as_asked(runtime: Runtime) -> None:
    retriever = runtime.retriever
    # Searched as if the expansion were the question, the near miss would be "supported".
    assert retriever.retrieve(f"{UNANSWERABLE}\n{MISLEADING_EXPANSION}", []).supported
    assistant, chat = _assistant(runtime, MISLEADING_EXPANSION, "Det kostar 400 kronor [1].")
    answer = assistant.ask(UNANSWERABLE, [], mode="generative")
    assert answer.refused
    assert len(chat.calls) == 1, "only the expansion: no answer is written without support"
    # The expansion still ranked: the passages shown are the ones it found.
    assert answer.ranked[0].file == "semester.md"
    # Similarity is the question's own, not that of the question with the expansion.
    asked = retriever.retrieve(UNANSWERABLE, [], MISLEADING_EXPANSION)
    assert asked.question == UNANSWERABLE
    assert max(p.similarity for p in asked.passages) < runtime.settings.retrieval.min_similarity


def test_an_answerable_question_is_still_answered(runtime: Runtime) -> None:
    assistant, chat = _assistant(
        runtime,
        "Ansökan om sommarsemester ska lämnas till närmaste chef senast den 31 mars.",
        "Sommarsemester söks senast den 31 mars [1].",
    )
    answer = assistant.ask("När ska sommarsemester sökas?", [], mode="generative")
    assert not answer.refused
    assert answer.citations[0].file == "semester.md"
    assert len(chat.calls) == 2  # the expansion, then the answer
    assert chat.calls[1][-1]["content"].rstrip().endswith("Fråga: När ska sommarsemester sökas?")


def test_a_failing_model_searches_the_question_as_asked(runtime: Runtime) -> None:
    plain = runtime.assistant.ask(SLANG, [], mode="extractive")
    assistant, chat = _assistant(runtime, ModelError("Model endpoint http://x failed: timeout"))
    answer = assistant.ask(SLANG, [], mode="extractive")
    assert len(chat.calls) == 1
    assert [s.chunk_id for s in answer.ranked] == [s.chunk_id for s in plain.ranked]
    assert answer.refused == plain.refused
    assert "expand" in answer.timings_ms  # the time lost waiting is said


def test_expansion_is_off_by_default(runtime: Runtime) -> None:
    assert not RetrievalSettings().expand_questions
    assistant, chat = _assistant(
        runtime, "Sommarsemester söks senast den 31 mars [1].", expand=False
    )
    answer = assistant.ask("När ska sommarsemester sökas?", [], mode="generative")
    assert len(chat.calls) == 1  # the answer only
    assert "expand" not in answer.timings_ms


def test_extractive_answers_open_the_chat_model_only_when_retrieval_uses_it(
    runtime: Runtime,
) -> None:
    extractive = runtime.settings
    assert extractive.answer.mode == "extractive"
    assert not extractive.wants_chat_model()
    assert extractive.wants_chat_model("generative")
    retrieval = extractive.retrieval.model_copy(update={"expand_questions": True})
    expanding = extractive.model_copy(update={"retrieval": retrieval})
    assert expanding.wants_chat_model()
    assert expanding.wants_chat_model("extractive")


def test_an_english_question_is_expanded_in_swedish_with_english_instructions(
    runtime: Runtime,
) -> None:
    question = "By when must I apply for my summer holiday?"
    assistant, chat = _assistant(
        runtime, "Ansökan om sommarsemester ska lämnas senast den 31 mars."
    )
    answer = assistant.ask(question, [], mode="extractive")
    # The 1.5B model answers an English question in English unless told in English not to.
    assert chat.calls[0] == load_prompt("expand", "en").messages(question=question)
    assert "in Swedish" in chat.calls[0][0]["content"]
    assert answer.ranked[0].file == "semester.md"
