"""Parallel slots on this machine: is the first word sooner with one model working on two
questions at once, or with one question at a time and the cores shared by it?

Two people ask at the same moment, each with a prompt of the size an answer prompt has
(``--tokens``, uncached). Compared, with the packaged local model:

* ``1 slot x N threads``: one model, the questions in turn (the app's line); the baseline.
* ``2 slots x N/2 threads``: two models working at the same time on half the cores each,
  as two parallel slots of one server share them.

Printed per layout: each person's time to the first token (prompt read), the mean, and
the prompt tokens read per second in all. Usage::

    python -m bench.slots [--model qwen2.5-1.5b] [--tokens 400] [--threads 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

from assistant.models.packaged import PACKAGED_MODELS, ensure_model
from assistant.settings import load_settings
from examples.build import build_examples


def _read(model: str, threads: int, prompts: list[list[int]], start: float, out: mp.Queue) -> None:
    """One model in its own process: read the prompts in turn; the time each one is done."""
    import llama_cpp

    llm = llama_cpp.Llama(model, n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                          logits_all=False, verbose=False)  # fmt: skip
    llm.eval(prompts[0][:8])  # warm: the weights are paged in before the clock starts
    llm.reset()
    while time.time() < start:
        time.sleep(0.001)
    for tokens in prompts:
        llm.reset()
        llm.eval(tokens)
        out.put(time.time() - start)


def _layout(model: str, slots: int, threads: int, prompts: list[list[int]]) -> list[float]:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    start = time.time() + 15  # every process has loaded its model by then
    per_slot = [prompts[i::slots] for i in range(slots)]
    workers = [
        ctx.Process(target=_read, args=(model, threads // slots, share, start, out))
        for share in per_slot
    ]
    for w in workers:
        w.start()
    done = sorted(out.get(timeout=600) for _ in prompts)
    for w in workers:
        w.join()
    return done


def main(model_name: str, tokens: int, threads: int) -> None:
    import llama_cpp

    settings = load_settings()
    model = str(ensure_model(PACKAGED_MODELS[model_name], settings.models_dir))
    vocab = llama_cpp.Llama(model, vocab_only=True, verbose=False)
    with tempfile.TemporaryDirectory() as tmp:
        docs = build_examples(Path(tmp))
        texts = [d.read_text(encoding="utf-8") for d in sorted(docs) if d.suffix == ".md"]
    text = " ".join(texts)
    ids = vocab.tokenize(text.encode(), add_bos=False)
    assert len(ids) >= 2 * tokens, "the example documents are shorter than two prompts"
    prompts = [ids[:tokens], ids[tokens : 2 * tokens]]  # two different questions' prompts
    print(f"model {model_name}, {threads} threads, two people, {tokens} prompt tokens each")
    print("| layout | first word, person 1 / 2 | mean | prompt tokens/s in all |")
    print("|---|---|---|---|")
    for slots in (1, 2):
        done = _layout(model, slots, threads, prompts)
        rate = 2 * tokens / done[-1]
        print(
            f"| {slots} slot{'s' if slots > 1 else ''} x {threads // slots} threads "
            f"| {done[0]:.1f} / {done[1]:.1f} s | {sum(done) / 2:.1f} s | {rate:.0f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-1.5b", choices=sorted(PACKAGED_MODELS))
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    main(args.model, args.tokens, args.threads)
