"""Exporting a whole listing: one query read in batches, against pages read by offset.

Loads the synthetic corpus of ``querydata`` (``--rows`` mentions, as ``bench_query.py`` does)
into SQLite and/or a fresh PostgreSQL database, then exports every mention newest first, as
``GET /api/mentions?format=csv`` does, two ways in the same run: ``Store.iter_mentions`` (one
query, its rows handed out ``--batch`` at a time) and the baseline, a page of ``--batch`` rows at
a time by ``LIMIT … OFFSET …``, which reads the listing again up to each page.

    python benchmarks/bench_export.py [--rows 100000] [--engine sqlite|postgresql|both]
        [--batch 1000] [--sqlite-file PATH] [--postgres-db NAME]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_query import loaded_database

from veille.store import MentionFilter, Store

EVERYTHING = MentionFilter(limit=None)


def streamed(store: Store, batch: int) -> tuple[int, float]:
    """Rows exported and seconds taken by ``iter_mentions``."""
    started = time.perf_counter()
    rows = sum(len(rows) for rows in store.iter_mentions(EVERYTHING, batch))
    return rows, time.perf_counter() - started


def by_offset(store: Store, batch: int) -> tuple[int, float]:
    """Rows exported and seconds taken paging by offset (the baseline)."""
    started = time.perf_counter()
    rows = offset = 0
    while True:
        page = store.list_mentions(replace(EVERYTHING, limit=batch, offset=offset))
        rows += len(page)
        if len(page) < batch:
            return rows, time.perf_counter() - started
        offset += batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--sqlite-file", help="keep the SQLite database here (reused if loaded)")
    parser.add_argument("--postgres-db", help="keep the PostgreSQL database (reused if loaded)")
    args = parser.parse_args()
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    results = []
    for engine in engines:
        keep = args.sqlite_file if engine == "sqlite" else args.postgres_db
        with loaded_database(engine, args.rows, keep) as url:
            store = Store.open(url)
            try:
                streamed(store, args.batch)  # warm the cache for both ways alike
                rows, one_query = streamed(store, args.batch)
                paged_rows, paged = by_offset(store, args.batch)
            finally:
                store.close()
        assert rows == paged_rows == args.rows, (rows, paged_rows)
        results.append((engine, rows, one_query, paged))
    print("\n| engine | mentions | one query, s | by offset, s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for engine, rows, one_query, paged in results:
        print(f"| {engine} | {rows:,} | {one_query:.2f} | {paged:.2f} | {paged / one_query:.1f}× |")


if __name__ == "__main__":
    main()
