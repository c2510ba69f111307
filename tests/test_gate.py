"""The line in front of the chat model: places told in order, slots handed on, a full line
answered at once from the documents, and a waiting answer that gives up leaves the line."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator

import pytest
from fakes import ScriptedChatModel

from assistant.errors import LineFull
from assistant.query.answer import Assistant
from assistant.query.contract import Answer, Queued, Sources
from assistant.query.gate import FIRST_GUESS_S, Gate
from assistant.query.prompts import load_phrases
from assistant.runtime import Runtime, open_runtime
from assistant.settings import Settings

QUESTION = "När ska sommarsemester sökas?"
REPLY = "Sommarsemester söks senast den 31 mars [1]."


def test_places_in_line_and_slots_handed_on() -> None:
    gate = Gate(slots=1, limit=2)
    first, second, third = gate.enter(), gate.enter(), gate.enter()
    assert first is not None
    assert second is not None
    assert third is not None
    assert gate.enter() is None  # two wait already: the line is full
    assert [first.position, second.position, third.position] == [0, 1, 2]
    assert not second.wait(0.01)
    second.leave()  # gave up while waiting
    assert third.position == 1
    woke = threading.Event()
    threading.Thread(target=lambda: third.wait(5) and woke.set()).start()
    first.leave()
    assert woke.wait(5)
    assert third.position == 0
    assert gate.waiting == 0
    two = Gate(slots=2, limit=0)
    assert two.enter() is not None
    assert two.enter() is not None
    assert two.enter() is None


class SlowChat(ScriptedChatModel):
    """Writes each reply after ``delay`` seconds: a model busy long enough to queue for."""

    def __init__(self, replies: list[str], delay: float) -> None:
        super().__init__(replies)
        self.delay = delay

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> Generator[str, None, None]:
        time.sleep(self.delay)
        yield from super().stream(messages, max_tokens=max_tokens, temperature=temperature)


@pytest.fixture(scope="module")
def runtime(indexed_examples: Settings) -> Iterator[Runtime]:
    with open_runtime(indexed_examples, with_model=False) as opened:
        yield opened


def _assistant(runtime: Runtime, gate: Gate, replies: int, delay: float) -> Assistant:
    chat = SlowChat([REPLY] * replies, delay)
    return Assistant(runtime.settings, runtime.retriever, chat, gate=gate)


def test_the_second_asker_waits_told_their_place(runtime: Runtime) -> None:
    gate = Gate(slots=1, limit=4)
    assistant = _assistant(runtime, gate, replies=2, delay=1.5)
    events: dict[str, list[object]] = {}

    def ask(name: str) -> None:
        events[name] = list(assistant.stream(QUESTION, [], mode="generative"))

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    time.sleep(0.8)  # the first holds the model
    ask("second")
    first.join()
    assert not any(isinstance(e, Queued) for e in events["first"])
    kinds = [type(e).__name__ for e in events["second"]]
    assert kinds[0] == "Sources"  # the sources come before the wait
    places = [e.position for e in events["second"] if isinstance(e, Queued)]
    assert places
    assert set(places) == {1}
    for name in ("first", "second"):
        answer = events[name][-1]
        assert isinstance(answer, Answer)
        assert answer.mode == "generative"
        assert "31 mars" in answer.answer
    second = events["second"][-1]
    assert isinstance(second, Answer)
    assert second.timings_ms["queue"] > 300
    assert second.timings_ms["sources"] < second.timings_ms["first_token"]


def test_a_full_line_answers_from_the_documents_at_once(runtime: Runtime) -> None:
    gate = Gate(slots=1, limit=0)
    held = gate.enter()  # someone else is being answered
    assistant = _assistant(runtime, gate, replies=1, delay=0.0)
    *_, answer = assistant.stream(QUESTION, [], mode="generative")
    assert isinstance(answer, Answer)
    assert answer.mode == "extractive"
    assert answer.notice == load_phrases("sv").queue_full
    assert "31 mars" in answer.answer
    assert held is not None
    held.leave()


def test_a_caller_that_can_come_back_is_told_when(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(slots=1, limit=0)
    held = gate.enter()
    assert gate.retry_after_s() == FIRST_GUESS_S  # nothing timed yet
    assistant = _assistant(runtime, gate, replies=1, delay=0.0)
    stream = assistant.stream(QUESTION, [], mode="generative", when_full="refuse")
    assert isinstance(next(stream), Sources)
    with pytest.raises(LineFull) as full:
        next(stream)
    assert full.value.retry_after_s == FIRST_GUESS_S
    assert held is not None
    held.leave()
    # Once answers have been timed, the wait follows them.
    now = [100.0]
    monkeypatch.setattr("assistant.query.gate.time.monotonic", lambda: now[0])
    timed = Gate(slots=1, limit=4)
    first = timed.enter()
    now[0] += 12.5  # it held the slot 12.5 s
    assert first is not None
    first.leave()
    assert timed.retry_after_s() == 13  # a free slot: one answer's time, rounded up
    holder, waiting = timed.enter(), timed.enter()
    assert holder is not None
    assert waiting is not None
    assert timed.retry_after_s() == 25  # one ahead in line: two rounds of 12.5 s


def test_an_answer_given_up_while_waiting_leaves_the_line(runtime: Runtime) -> None:
    gate = Gate(slots=1, limit=4)
    held = gate.enter()
    assistant = _assistant(runtime, gate, replies=1, delay=0.0)
    stream = assistant.stream(QUESTION, [], mode="generative")
    assert isinstance(next(stream), Sources)
    assert isinstance(next(stream), Queued)
    assert gate.waiting == 1
    stream.close()  # the app reran: the user chose the documents' sentences instead
    assert gate.waiting == 0
    assert held is not None
    held.leave()
    *_, answer = assistant.stream(QUESTION, [], mode="generative")
    assert isinstance(answer, Answer)
    assert answer.mode == "generative"
    assert gate.waiting == 0
