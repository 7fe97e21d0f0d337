"""PostgreSQL's search vectors built with the words of addresses apart (migration 0018): its cost.

Loads the synthetic corpus of ``querydata`` (``--documents`` documents, as ``bench_query.py``
loads it: COPY, the server computing ``search_vector``) into a fresh PostgreSQL database
(``veille_bench_<random>`` on 127.0.0.1:5432, user postgres, dropped afterwards), then times:

- migration 0018 both ways on those documents: the downgrade to 0017 (the former vectors) and
  the upgrade to 0018, each a rewrite of the documents table and a new GIN index, ``--rounds``
  times in turn;
- inserting ``--inserts`` more documents of the corpus (each text followed by its web
  address, so that every one holds an address to read), 1,000 to an executemany and a
  transaction as a collecting pass saves them, at 0017 and at 0018 in turn, ``--rounds`` times
  each; they are deleted again (and the table vacuumed) after each timing.

    python benchmarks/bench_search_vector.py [--documents 200000] [--inserts 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import queryload
from querydata import TWO_BRAND_PERIOD, batches
from sqlalchemy import create_engine, insert, text

from veille.store import Store
from veille.store.db import downgrade_database, upgrade_database
from veille.store.schema import document_table

BEFORE, AFTER = "0017", "0018"
INSERT_BATCH = 1000


def mentions_for(documents: int) -> int:
    """The number of corpus mentions whose documents number ``documents`` (about)."""
    return documents + documents // TWO_BRAND_PERIOD


def extra_documents(first_id: int, count: int) -> list[dict[str, Any]]:
    """``count`` documents of the corpus beyond the loaded ones, each text ending in its address."""
    rows: list[dict[str, Any]] = []
    for batch in batches(mentions_for(first_id + count)):
        for document in batch.documents:
            if document["id"] > first_id and len(rows) < count:
                values = {key: document.get(key) for key in queryload.DOCUMENT_COLUMNS}
                values.update(
                    identity=f"{document['identity']}:again",
                    text=f"{document['text']} {document['url']}",
                )
                rows.append(values)
    return rows


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def vacuum(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) documents")
    finally:
        engine.dispose()


def insert_seconds(url: str, rows: list[dict[str, Any]]) -> float:
    """Insert the rows a batch to a transaction; return the seconds; delete them again."""
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        iterator = iter(rows)
        while batch := list(islice(iterator, INSERT_BATCH)):
            with engine.begin() as connection:
                connection.execute(insert(document_table), batch)
        seconds = time.perf_counter() - started
        with engine.begin() as connection:
            added = {"id": rows[0]["id"] - 1}
            connection.execute(text("DELETE FROM documents WHERE id > :id"), added)
    finally:
        engine.dispose()
    vacuum(url)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--inserts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    reason = queryload.postgres_available()
    if reason is not None:
        print(f"no PostgreSQL server: {reason}")
        return 1
    name = f"veille_bench_{secrets.token_hex(4)}"
    url = queryload.create_postgres_database(name)
    try:
        store = Store.open(url)
        try:
            seconds = queryload.timed_load(store, "postgresql", mentions_for(args.documents))
            with store.engine.connect() as connection:
                documents = connection.execute(text("SELECT count(*) FROM documents")).scalar_one()
                last_id = connection.execute(text("SELECT max(id) FROM documents")).scalar_one()
                size = connection.execute(
                    text("SELECT pg_size_pretty(pg_total_relation_size('documents'))")
                ).scalar_one()
            print(f"loaded {documents:,} documents in {seconds:.0f} s (documents: {size})")
            engine = store.engine
            migration: dict[str, list[float]] = {BEFORE: [], AFTER: []}
            for _ in range(args.rounds):
                migration[BEFORE].append(timed(lambda: downgrade_database(engine, BEFORE)))
                vacuum(url)
                migration[AFTER].append(timed(lambda: upgrade_database(engine, AFTER)))
                vacuum(url)
            for revision, label in ((BEFORE, "downgrade to"), (AFTER, "upgrade to")):
                runs = ", ".join(f"{s:.1f}" for s in migration[revision])
                print(f"{label} {revision}: median {statistics.median(migration[revision]):.1f} s"
                      f" ({runs})")  # fmt: skip
            rows = extra_documents(last_id, args.inserts)
            inserts: dict[str, list[float]] = {BEFORE: [], AFTER: []}
            for _ in range(args.rounds):
                for revision in (BEFORE, AFTER):
                    if revision == BEFORE:
                        downgrade_database(engine, BEFORE)
                    else:
                        upgrade_database(engine, AFTER)
                    vacuum(url)
                    inserts[revision].append(insert_seconds(url, rows))
            for revision in (BEFORE, AFTER):
                median = statistics.median(inserts[revision])
                runs = ", ".join(f"{s:.2f}" for s in inserts[revision])
                print(f"insert {len(rows):,} documents at {revision}: median {median:.2f} s,"
                      f" {len(rows) / median:,.0f}/s ({runs})")  # fmt: skip
        finally:
            store.close()
    finally:
        queryload.drop_postgres_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
