"""Answering over the real example index: extractive answers, refusals, access groups,
citation checking of generated answers (scripted model) and the real local model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakes import ScriptedChatModel
from fixtures_llm import LocalLLM

from assistant.errors import ModelError
from assistant.models.factory import build_chat_model
from assistant.query.answer import Assistant
from assistant.query.contract import Answer, Sources
from assistant.query.prompts import load_phrases
from assistant.runtime import Runtime, open_runtime
from assistant.settings import ModelSettings, Settings

CONTRACT = {"answer", "refused", "mode", "citations", "retrieved", "model", "timings_ms"}
SOURCE_FIELDS = {"n", "file", "page", "heading", "quote", "doc_id", "chunk_id", "score"}


@pytest.fixture(scope="module")
def runtime(indexed_examples: Settings) -> Iterator[Runtime]:
    with open_runtime(indexed_examples, with_model=False) as opened:
        yield opened


def _scripted(
    runtime: Runtime, *replies: str | Exception, translate: bool = False
) -> tuple[Assistant, ScriptedChatModel]:
    chat = ScriptedChatModel(replies)
    settings = runtime.settings
    if translate:
        retrieval = settings.retrieval.model_copy(update={"translate_questions": True})
        settings = settings.model_copy(update={"retrieval": retrieval})
    return Assistant(settings, runtime.retriever, chat), chat


def _all_text(answer: Answer) -> str:
    return " ".join(
        [answer.answer, *(s.quote for s in answer.citations), *(s.quote for s in answer.retrieved)]
    )


def test_extractive_answer_cites_the_right_document(runtime: Runtime) -> None:
    answer = runtime.assistant.ask("När ska sommarsemester sökas?", [])
    assert not answer.refused
    assert answer.mode == "extractive"
    assert "31 mars" in answer.answer
    assert "[1]" in answer.answer
    assert answer.citations[0].file == "semester.md"
    data: dict[str, Any] = answer.to_json()
    assert data.keys() >= CONTRACT
    assert all(c.keys() >= SOURCE_FIELDS for c in data["citations"] + data["retrieved"])
    assert [r["n"] for r in data["retrieved"]] == list(range(1, len(data["retrieved"]) + 1))
    assert {"retrieve", "first_token", "total"} <= data["timings_ms"].keys()


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Vad kostar ett busskort för pensionärer?", "sv"),
        ("How do I apply for a fishing license?", "en"),
    ],
)
def test_unsupported_questions_are_refused_in_their_language(
    runtime: Runtime, question: str, lang: str
) -> None:
    sources, answer = list(runtime.assistant.stream(question, []))
    assert isinstance(sources, Sources)
    assert not sources.supported  # the app shows no sources for an answer that has none
    assert isinstance(answer, Answer)
    assert answer.refused
    assert answer.answer == load_phrases(lang).no_support
    assert answer.citations == []
    assert answer.retrieved  # the closest documents are shown instead


def test_restricted_documents_never_reach_other_readers(runtime: Runtime) -> None:
    question = "Hur stort är löneutrymmet 2025?"
    outsider = runtime.assistant.ask(question, ["ekonomi"])
    assert "3,4 procent" not in _all_text(outsider)
    assert all(s.file != "lonerevision-2025-instruktion.md" for s in outsider.retrieved)
    manager = runtime.assistant.ask(question, ["chefer"])
    assert "3,4 procent" in manager.answer
    assert manager.citations[0].file == "lonerevision-2025-instruktion.md"


def test_a_generated_answer_is_checked_and_keeps_its_citations(runtime: Runtime) -> None:
    assistant, chat = _scripted(runtime, "Sommarsemester söks senast den 31 mars [1].")
    streamed = list(assistant.stream("När ska sommarsemester sökas?", [], mode="generative"))
    answer = streamed[-1]
    assert isinstance(answer, Answer)
    # The sources come first, before the model's first word, numbered as it cites them.
    sources = streamed[0]
    assert isinstance(sources, Sources)
    assert sources.supported
    assert [s.n for s in sources.passages] == list(range(1, len(sources.passages) + 1))
    assert any(s.file == "semester.md" for s in sources.passages)
    assert isinstance(streamed[1], str)
    assert answer.timings_ms["sources"] <= answer.timings_ms["first_token"]
    assert "".join(x for x in streamed if isinstance(x, str)).strip().endswith("[1].")
    assert answer.mode == "generative"
    assert answer.answer == "Sommarsemester söks senast den 31 mars. [1]"
    assert answer.citations[0].file == "semester.md"
    assert "31 mars" in answer.citations[0].quote
    prompt = chat.calls[0][1]["content"]
    assert "[1] " in prompt
    assert prompt.rstrip().endswith("Fråga: När ska sommarsemester sökas?")


def test_an_answer_citing_a_passage_that_does_not_support_it_is_caught(
    runtime: Runtime,
) -> None:
    assistant, _ = _scripted(runtime, "Sommarsemester söks senast den 15 januari [1].")
    answer = assistant.ask("När ska sommarsemester sökas?", [], mode="generative")
    assert answer.unsupported == ["Sommarsemester söks senast den 15 januari."]
    # The quote is the answer, presented as one: no notice that the model failed.
    assert answer.notice is None
    assert answer.mode == "extractive"
    assert answer.form == "quoted"
    assert "15 januari" not in answer.answer
    assert answer.answer.startswith("Enligt ")
    assert "31 mars" in answer.answer
    assert answer.alternative == "Sommarsemester söks senast den 15 januari [1]."


def test_a_failing_model_gives_the_extractive_answer_with_a_notice(runtime: Runtime) -> None:
    assistant, _ = _scripted(runtime, ModelError("Model endpoint http://x failed: timeout"))
    answer = assistant.ask("När ska sommarsemester sökas?", [], mode="generative")
    assert answer.mode == "extractive"
    assert answer.notice is not None
    assert answer.notice.startswith(load_phrases("sv").model_down.split("(")[0])
    assert "31 mars" in answer.answer


def test_no_support_is_decided_before_the_model_is_called(runtime: Runtime) -> None:
    assistant, chat = _scripted(runtime, "Det kostar 400 kronor [1].")
    answer = assistant.ask("Vad kostar ett busskort för pensionärer?", [], mode="generative")
    assert answer.refused
    assert chat.calls == []


def test_a_model_refusing_despite_support_gives_the_documents_sentences(
    runtime: Runtime,
) -> None:
    assistant, _ = _scripted(runtime, "Jag hittar inget stöd för det i dokumenten.")
    answer = assistant.ask("När ska sommarsemester sökas?", [], mode="generative")
    assert not answer.refused
    assert answer.mode == "extractive"
    assert answer.form == "quoted"
    assert answer.notice is None
    assert "31 mars" in answer.answer


def test_a_quote_stating_the_asked_period_wins_over_a_written_answer_without_one(
    runtime: Runtime,
) -> None:
    """Both forms are checked; the question asks "hur många dagar", the written answer
    (supported, but vague) states no number of days, the quote does."""
    assistant, _ = _scripted(runtime, "Semester ska sökas i god tid hos chefen [1].")
    answer = assistant.ask("Hur många dagar semester får man spara per år?", [], mode="generative")
    assert answer.form == "quoted", answer.answer
    assert "dagar" in answer.answer
    assert answer.alternative is not None
    assert "god tid" in answer.alternative


def test_follow_up_questions_are_rewritten_before_retrieval(runtime: Runtime) -> None:
    assistant, chat = _scripted(
        runtime,
        "Hur stort är friskvårdsbidraget för den som arbetar deltid?",
        "Vid lägre sysselsättning är bidraget 1 500 kronor [1].",
    )
    history = [
        {"role": "user", "content": "Hur stort är friskvårdsbidraget?"},
        {"role": "assistant", "content": "Det är 3 000 kronor per år. [1]"},
    ]
    answer = assistant.ask("Och om man jobbar deltid?", [], history, mode="generative")
    assert answer.standalone_question.startswith("Hur stort är friskvårdsbidraget")
    assert "Och om man jobbar deltid?" in chat.calls[0][1]["content"]
    assert answer.citations[0].file == "friskvardsbidrag-2025.md"


# -- the real local model (Qwen2.5 0.5B on llama.cpp) --------------------------------------


@pytest.fixture(scope="module")
def real(runtime: Runtime, local_llm: LocalLLM) -> Iterator[Assistant]:
    chat = local_llm.chat_model()
    try:
        yield Assistant(runtime.settings, runtime.retriever, chat)
    finally:
        chat.close()


def test_local_model_answers_with_a_checked_citation(real: Assistant) -> None:
    answer = real.ask("Hur många tecken måste ett lösenord ha?", [], mode="generative")
    assert not answer.refused
    assert "14" in answer.answer
    assert any(c.file == "it-sakerhet-nyanstallda.pptx" for c in answer.citations)
    assert answer.timings_ms["first_token"] <= answer.timings_ms["total"]


def test_local_model_is_not_asked_when_nothing_supports_an_answer(real: Assistant) -> None:
    answer = real.ask("När öppnar simhallen på lördagar?", [], mode="generative")
    assert answer.refused
    assert answer.answer == load_phrases("sv").no_support
    assert "generate" not in answer.timings_ms


def test_local_model_never_sees_restricted_text(real: Assistant) -> None:
    answer = real.ask("Hur stort är löneutrymmet 2025?", ["ekonomi"], mode="generative")
    assert "3,4" not in _all_text(answer)


def test_a_dead_endpoint_falls_back_quickly(runtime: Runtime) -> None:
    from fixtures_llm import free_port

    settings = ModelSettings(
        provider="openai", base_url=f"http://127.0.0.1:{free_port()}/v1", model="x"
    )
    chat = build_chat_model(settings)
    try:
        assistant = Assistant(runtime.settings, runtime.retriever, chat)
        answer = assistant.ask("När ska sommarsemester sökas?", [], mode="generative")
    finally:
        chat.close()
    assert answer.notice is not None
    assert "127.0.0.1" in answer.notice
    assert "31 mars" in answer.answer
    assert answer.mode == "extractive"


def test_citing_a_replaced_guideline_says_so(runtime: Runtime) -> None:
    answer = runtime.assistant.ask("Hur stort var friskvårdsbidraget 2023?", [])
    cited = {c.file: c for c in answer.citations}
    assert "friskvardsbidrag-2023.txt" in cited, [c.file for c in answer.citations]
    assert cited["friskvardsbidrag-2023.txt"].superseded
    assert answer.validity_notice is not None
    assert "upphävd eller ersatt" in answer.validity_notice
    current = runtime.assistant.ask("Hur stort är friskvårdsbidraget?", [])
    assert current.citations[0].file == "friskvardsbidrag-2025.md"
    assert not current.citations[0].superseded
    assert current.to_json()["citations"][0]["expired"] is False


def test_an_english_question_is_searched_in_swedish_and_answered_in_english(
    runtime: Runtime,
) -> None:
    assistant, chat = _scripted(
        runtime,
        "När ska sommarsemester sökas?",  # the translation
        "Summer holiday must be applied for by 31 March [1].",
        translate=True,
    )
    answer = assistant.ask("By when must I apply for my summer holiday?", [], mode="generative")
    assert answer.searched_question == "När ska sommarsemester sökas?"
    assert answer.lang == "en"
    # Found through the Swedish words: the cited passage says it.
    assert answer.citations[0].file == "semester.md"
    assert "31 mars" in answer.citations[0].quote
    assert "translate" in answer.timings_ms
    # The translation prompt carries the question; the answer prompt is the English one.
    assert chat.calls[0][-1]["content"] == "By when must I apply for my summer holiday?"
    assert "Answer in English" in chat.calls[1][0]["content"]


def test_a_failed_translation_searches_the_question_as_asked(runtime: Runtime) -> None:
    assistant, _ = _scripted(runtime, ModelError("down"), ModelError("down"), translate=True)
    answer = assistant.ask("By when must I apply for my summer holiday?", [], mode="generative")
    assert answer.searched_question == "By when must I apply for my summer holiday?"
    # A Swedish question is never sent for translation.
    swedish, chat = _scripted(
        runtime, "Sommarsemester söks senast den 31 mars [1].", translate=True
    )
    assert swedish.ask("När ska sommarsemester sökas?", [], mode="generative").searched_question
    assert len(chat.calls) == 1


def test_translation_is_off_by_default(runtime: Runtime) -> None:
    assistant, chat = _scripted(runtime, "Summer holiday must be applied for by 31 March [1].")
    answer = assistant.ask("By when must I apply for my summer holiday?", [], mode="generative")
    assert answer.searched_question == answer.question
    assert "translate" not in answer.timings_ms
    assert not [c for c in chat.calls if "Translate the user's question" in c[0]["content"]]


def _focused(
    runtime: Runtime, budgets: list[int], reply: str
) -> tuple[Assistant, ScriptedChatModel]:
    answer_settings = runtime.settings.answer.model_copy(update={"focus_tokens": budgets})
    settings = runtime.settings.model_copy(update={"answer": answer_settings})
    chat = ScriptedChatModel([reply])
    return Assistant(settings, runtime.retriever, chat), chat


def _numbers(prompt: str) -> list[str]:
    return [line[:4] for line in prompt.splitlines() if line[:1] == "["]


def test_a_focused_prompt_keeps_the_answering_sentences_and_their_numbers(
    runtime: Runtime,
) -> None:
    question = "När ska sommarsemester sökas?"
    reply = "Sommarsemester söks senast den 31 mars [1]."
    whole, whole_chat = _focused(runtime, [], reply)
    whole.ask(question, [], mode="generative")
    focused, chat = _focused(runtime, [40] * 4, reply)
    answer = focused.ask(question, [], mode="generative")
    long_prompt, short_prompt = whole_chat.calls[0][1]["content"], chat.calls[0][1]["content"]
    assert len(short_prompt) < 0.7 * len(long_prompt)
    assert "31 mars" in short_prompt
    assert "…" in short_prompt
    assert len(_numbers(long_prompt)) > 2
    assert _numbers(short_prompt) == _numbers(long_prompt)  # the same passages, numbered alike
    assert answer.mode == "generative"  # checked against the whole passages, and it holds
    assert "31 mars" in answer.citations[0].quote


def test_the_budgets_go_by_rank_and_later_passages_stay_sources(runtime: Runtime) -> None:
    question = "När ska sommarsemester sökas?"
    reply = "Sommarsemester söks senast den 31 mars [1]."
    whole, whole_chat = _focused(runtime, [], reply)
    whole_answer = whole.ask(question, [], mode="generative")
    ranked, chat = _focused(runtime, [0, 30], reply)
    answer = ranked.ask(question, [], mode="generative")
    long_prompt, prompt = whole_chat.calls[0][1]["content"], chat.calls[0][1]["content"]
    assert _numbers(prompt) == _numbers(long_prompt)[:2]  # only the first two are read
    first, second = prompt.split("</utdrag>")[:2]
    assert first.split("<utdrag>")[1] in long_prompt  # the best passage whole
    assert "…" in second  # the next one cut
    assert second.split("<utdrag>")[1] not in long_prompt
    assert [s.file for s in answer.retrieved] == [s.file for s in whole_answer.retrieved]
    assert len(answer.retrieved) > 2  # the others are still shown as sources
