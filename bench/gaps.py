"""How well the content-gap report groups questions: its clusters against the documents.

The sv-public suite's questions each name the document that answers them; two questions
about one document are one topic for its owner. For several linkage thresholds this
prints BCubed precision, recall and F1 of the clusters against that labelling, on the dev
part (where the threshold is chosen) and the test part (reported once), with the 2.5-97.5 %
range of F1 over random 80 % subsamples of the questions (resampling with replacement
would put copies of a question in one cluster and flatter every clustering); the
baselines are one cluster per question and one cluster for everything. Usage::

    python -m bench.gaps [--suite evals/suites/sv-public.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from assistant.models.factory import build_embedding
from assistant.settings import load_settings
from assistant.trail.gaps import DEFAULT_THRESHOLD, cluster

THRESHOLDS = (0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92)


def bcubed(clusters: list[list[int]], labels: list[str]) -> tuple[float, float, float]:
    of = {i: tuple(c) for c in clusters for i in c}
    precision = recall = 0.0
    for i, label in enumerate(labels):
        mine = of[i]
        same = sum(labels[j] == label for j in mine)
        precision += same / len(mine)
        recall += same / sum(x == label for x in labels)
    n = len(labels)
    p, r = precision / n, recall / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def interval(
    vectors: np.ndarray, labels: list[str], threshold: float | None, rounds: int = 200
) -> tuple[float, float]:
    rng = random.Random(7)
    scores = []
    for _ in range(rounds):
        pick = sorted(rng.sample(range(len(labels)), k=int(0.8 * len(labels))))
        scores.append(_f1(vectors[pick], [labels[i] for i in pick], threshold))
    scores.sort()
    return scores[int(0.025 * rounds)], scores[int(0.975 * rounds) - 1]


def _f1(vectors: np.ndarray, labels: list[str], threshold: float | None) -> float:
    if threshold is None:  # one cluster per question
        return bcubed([[i] for i in range(len(labels))], labels)[2]
    if threshold < 0:  # everything in one
        return bcubed([list(range(len(labels)))], labels)[2]
    return bcubed(cluster(vectors, threshold), labels)[2]


def main(suite: Path) -> None:
    cases = [json.loads(line) for line in suite.read_text(encoding="utf-8").splitlines() if line]
    cases = [c for c in cases if c.get("source_file")]
    embedder = build_embedding(load_settings().embedding)
    for part in ("dev", "test"):
        chosen = [c for c in cases if c.get("split") == part]
        labels = [c["source_file"] for c in chosen]
        vectors = np.asarray([embedder.get_query_embedding(c["question"]) for c in chosen])
        print(f"\n{part}: {len(chosen)} questions about {len(set(labels))} documents")
        print(f"{'clustering':<28} {'P':>6} {'R':>6} {'F1':>6}  F1 over 80 % subsamples")
        rows: list[tuple[str, float | None]] = [("one per question", None), ("all in one", -1.0)]
        rows += [(f"average linkage >= {t:.2f}", t) for t in THRESHOLDS]
        for name, t in rows:
            if t is None:
                groups = [[i] for i in range(len(labels))]
            elif t < 0:
                groups = [list(range(len(labels)))]
            else:
                groups = cluster(vectors, t)
            p, r, f = bcubed(groups, labels)
            low, high = interval(vectors, labels, t, rounds=100)
            mark = "  <- default" if t == DEFAULT_THRESHOLD else ""
            print(f"{name:<28} {p:6.3f} {r:6.3f} {f:6.3f}  [{low:.3f}, {high:.3f}]{mark}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", type=Path, default=Path("evals/suites/sv-public.jsonl"))
    main(parser.parse_args().suite)
