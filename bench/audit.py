"""Audit trail costs: the write per answer, the size per 10,000 records, the purge.

Each answer record carries a realistic load: a question, a four-sentence answer and five
cited passages of about 1,200 characters. Printed for SQLite (a file in a temporary
folder) and, with ``--postgres URL``, for a PostgreSQL database (emptied first). The
write is measured on its own (p50 and p95 over ``--writes`` answers) and against a
baseline in the same process: the same rows written as one JSON line each to a file.
Usage::

    python -m bench.audit [--postgres postgresql+psycopg://user@127.0.0.1:5432/db]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from assistant.identity import Identity
from assistant.query.contract import Answer, Source
from assistant.settings import AuditSettings
from assistant.trail import AuditTrail, open_database

WHO = Identity("0b9c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3", "Anna Andersson", "employee",
               ("hr", "socialtjanst"), signed_in=True)  # fmt: skip
PASSAGE = (
    "Arbetstagare som använder egen bil i tjänsten har rätt till bilersättning enligt "
    "kommunens riktlinjer. Ersättningen betalas ut per mil och redovisas månadsvis i "
    "lönesystemet. "
) * 6


def answer(i: int) -> Answer:
    cited = [
        Source(
            n=n,
            file=f"riktlinje-{i % 40}-{n}.pdf",
            page=n + 1,
            heading="Ersättningar",
            quote=PASSAGE[:1200],
            doc_id=f"{i % 40:04d}{n:028d}",
            chunk_id=f"{i:08d}-{n}",
            score=0.81,
            title="Riktlinje för resor i tjänsten",
        )
        for n in range(1, 6)
    ]
    return Answer(
        answer="Du får bilersättning per mil [1]. Den redovisas månadsvis [2]. Resan ska vara "
        "godkänd i förväg [3]. Parkeringsavgifter ersätts mot kvitto [4].",
        refused=False,
        mode="generative",
        citations=cited,
        retrieved=cited,
        model="qwen2.5-1.5b-instruct",
        timings_ms={"retrieval": 41.0, "first_token": 4200.0, "total": 9100.0},
        question=f"Hur mycket får jag i ersättning när jag kör egen bil i tjänsten? ({i})",
    )


def measure(name: str, url: str, writes: int, bulk: int, folder: Path) -> None:
    db = open_database(url)
    trail = AuditTrail(db, AuditSettings(retention_days=30))
    try:
        times = []
        for i in range(writes):
            one = answer(i)
            t0 = time.perf_counter()
            trail.answer(WHO, one, endpoint="http://127.0.0.1:8080/v1")
            times.append((time.perf_counter() - t0) * 1000)
        lines = folder / f"{name}.jsonl"
        base = []
        with lines.open("a", encoding="utf-8") as out:
            for i in range(writes):
                row = answer(i).to_json()
                t0 = time.perf_counter()
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
                base.append((time.perf_counter() - t0) * 1000)
        p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
        b50 = statistics.median(base)
        print(f"{name}: write per answer p50 {p50:.2f} ms, p95 {p95:.2f} ms "
              f"(JSON line to a file: {b50:.3f} ms; ratio {p50 / b50:.0f}x)")  # fmt: skip

        for i in range(writes, bulk):
            trail.answer(WHO, answer(i), endpoint="http://127.0.0.1:8080/v1")
        size = _size(db.engine, url)
        count = trail.count()
        print(f"{name}: {count} records take {size / 1e6:.1f} MB: "
              f"{size / count * 10_000 / 1e6:.1f} MB per 10,000")  # fmt: skip
        t0 = time.perf_counter()
        removed = trail.purge(now=datetime.now(UTC) + timedelta(days=31))
        print(f"{name}: purge of {removed} records {time.perf_counter() - t0:.2f} s")
    finally:
        db.close()


def _size(engine: sa.Engine, url: str) -> int:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(sa.make_url(url).database or "").stat().st_size
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT sum(pg_total_relation_size(t)) FROM unnest("
                    "ARRAY['records', 'citations', 'feedback']) AS t"
                )
            ).scalar_one()
        )


def _empty(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in ("feedback", "citations", "records", "alembic_version"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


def main(postgres: str | None, writes: int, bulk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure("sqlite", f"sqlite:///{folder / 'bench.db'}", writes, bulk, folder)
        if postgres:
            _empty(postgres)
            measure("postgresql", postgres, writes, bulk, folder)
            _empty(postgres)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="A PostgreSQL URL whose tables may be emptied.")
    parser.add_argument("--writes", type=int, default=500, help="Timed single writes.")
    parser.add_argument("--bulk", type=int, default=10_000, help="Records in all, for size.")
    args = parser.parse_args()
    main(args.postgres, args.writes, args.bulk)
