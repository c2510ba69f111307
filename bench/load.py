"""Load benchmark: 1, 2, 4 and 8 people asking at the same moment, through the real answer
path (one runtime shared like the app's: the same store, the local model, its line).

Each simultaneous user is a thread that asks one question of the example documents,
generatively, at the same instant. Printed per level: p50 and p95 of the time until the
sources are shown, until the first token and until the whole answer, the place in line
the last one was told, how many fell back to extractive answers, and errors (must be 0).
The one-user level is the baseline. Usage::

    python -m bench.load [--model qwen2.5-1.5b] [--levels 1,2,4,8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from assistant.query.contract import Answer, Queued
from assistant.runtime import Runtime, open_runtime
from assistant.settings import load_settings
from bench.answer import QUESTIONS
from examples.build import build_examples
from ingest.sync import IngestJob


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def level(runtime: Runtime, users: int, offset: int) -> None:
    start = threading.Barrier(users)
    answers: list[Answer] = []
    places: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def ask(i: int) -> None:
        question = QUESTIONS[(offset + i) % len(QUESTIONS)]
        start.wait()
        try:
            last = 0
            for item in runtime.assistant.stream(question, [], mode="generative"):
                if isinstance(item, Queued):
                    last = max(last, item.position)
                elif isinstance(item, Answer):
                    with lock:
                        answers.append(item)
                        places.append(last)
        except Exception as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(users)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    sources = [a.timings_ms["sources"] / 1000 for a in answers]
    first = [a.timings_ms["first_token"] for a in answers]
    total = [a.timings_ms["total"] for a in answers]
    fell_back = sum(a.mode == "extractive" and not a.refused for a in answers)
    print(
        f"{users} users: sources p50 {statistics.median(sources):.2f} s "
        f"p95 {_p(sources, 0.95):.2f} s; first token p50 {_p(first, 0.5) / 1000:.1f} s "
        f"p95 {_p(first, 0.95) / 1000:.1f} s; total p50 {_p(total, 0.5) / 1000:.1f} s "
        f"p95 {_p(total, 0.95) / 1000:.1f} s; longest line {max(places, default=0)}; "
        f"extractive {fell_back}; errors {len(errors)}; all done in {wall:.1f} s"
    )
    for error in errors:
        print(f"  error: {error}")


def main(model: str, levels: list[int], data_root: Path) -> None:
    settings = load_settings(
        data_dir=data_root, answer={"mode": "generative"}, model={"local_model": model}
    )
    build_examples(data_root / "examples")
    with open_runtime(settings) as runtime:
        IngestJob(settings, runtime.store, runtime.embedder).run([data_root / "examples"])
        if runtime.chat is None:
            raise SystemExit(f"no model: {runtime.model_problem}")
        print(f"model {runtime.chat.name}; {settings.model.slots} slot(s), "
              f"line of at most {settings.model.queue_limit}")  # fmt: skip
        # Warm the model with a question of its own: the server reuses the longest prompt
        # prefix it has just seen, so asking a measured question first would flatter it.
        runtime.assistant.ask("Vad gäller för tjänsteresor utomlands?", [], mode="generative")
        asked = 0
        for users in levels:
            level(runtime, users, asked)
            asked += users


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qwen2.5-1.5b", choices=["qwen2.5-1.5b", "qwen2.5-0.5b"])
    parser.add_argument("--levels", default="1,2,4,8")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        main(args.model, [int(x) for x in args.levels.split(",")], Path(tmp))
