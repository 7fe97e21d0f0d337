"""Bulk loading of the query benchmark's corpus into a veille store, and index-free copies.

The schema is veille's own (``Store.open`` migrates the empty database to head); only the write
path is bypassed, for speed. What that path maintains besides the rows is maintained the same
way: on SQLite the FTS5 table is filled by migration 0005's triggers as each document is
inserted, on PostgreSQL the generated ``search_vector`` column is computed by the server on
COPY and its GIN index updated; the hashtags of each document are read by veille's own
``document_hashtags`` and loaded beside it. Ids are given explicitly; PostgreSQL's sequences
are moved past them afterwards so that later inserts keep working.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from querydata import BRANDS, PLATFORM_WEIGHTS, batches
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from veille.store import BrandSpec, SourceSpec, Store
from veille.store.hashtags import document_hashtags
from veille.store.schema import (
    brand_table,
    document_table,
    hashtag_table,
    mention_table,
    source_table,
)

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DOCUMENT_COLUMNS = (
    "id", "identity", "canonical_url", "url", "title", "text", "author_name", "author_handle",
    "author_url", "platform", "site", "source_id", "published_at", "collected_at", "lang",
    "sentiment", "tone", "classifier_version", "reach", "engagement", "metrics", "fingerprint",
    "story_id",
)  # fmt: skip
MENTION_COLUMNS = ("document_id", "brand_id", "source_id", "matched_terms", "first_seen_at")
HASHTAG_COLUMNS = ("document_id", "hashtag", "spelling")
# Neither keys nor uniqueness constraints: the indexes that exist only to make reads fast.
QUERY_INDEXES_SQL = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    " AND tbl_name IN ('documents', 'mentions') AND sql NOT LIKE 'CREATE UNIQUE%'",
    "postgresql": "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname IN ('documents', 'mentions')"
    " AND NOT i.indisunique AND NOT i.indisprimary",
}

PROGRESS_EVERY = 100_000  # mentions between two progress lines
Progress = Callable[[int], None]
_Rows = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


def configure(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    """Declare the corpus's brands and one source per platform; return their ids by name."""
    store.sync_config(
        [BrandSpec(name, f'"{name}"', ("fr", "en")) for name in BRANDS],
        [SourceSpec(platform, "rss", {"url": f"https://{platform}.example/feed"})
         for platform in PLATFORM_WEIGHTS],
    )  # fmt: skip
    with store.engine.connect() as connection:
        brands = dict(connection.execute(select(brand_table.c.name, brand_table.c.id)).all())
        sources = dict(connection.execute(select(source_table.c.name, source_table.c.id)).all())
    return brands, sources


def _rows(rows: int, brands: dict[str, int], sources: dict[str, int]) -> Iterator[_Rows]:
    """The corpus's documents, mentions and hashtags as column dictionaries, batch by batch."""
    for batch in batches(rows):
        documents = []
        for document in batch.documents:
            values = {key: document[key] for key in DOCUMENT_COLUMNS if key != "source_id"}
            values["source_id"] = sources[document["source"]]
            documents.append(values)
        mentions = [
            {
                "document_id": mention["document_id"],
                "brand_id": brands[mention["brand"]],
                "source_id": sources[mention["source"]],
                "matched_terms": mention["matched_terms"],
                "first_seen_at": mention["first_seen_at"],
            }
            for mention in batch.mentions
        ]
        hashtags = [
            {"document_id": document["id"], "hashtag": folded, "spelling": spelling}
            for document in documents
            for folded, spelling in document_hashtags(document["title"], document["text"]).items()
        ]
        yield documents, mentions, hashtags


def load_sqlite(store: Store, rows: int, progress: Progress) -> None:
    """Insert the corpus with executemany, one transaction per batch; the triggers fill FTS5."""
    brands, sources = configure(store)
    with store.engine.connect().execution_options(veille_write=True) as connection:
        driver: Any = connection.connection.driver_connection
        # A larger page cache for this connection only: the indexes outgrow the default 2 MB.
        driver.execute("PRAGMA cache_size = -262144")
        done = 0
        for documents, mentions, hashtags in _rows(rows, brands, sources):
            with connection.begin():
                connection.execute(insert(document_table), documents)
                connection.execute(insert(mention_table), mentions)
                if hashtags:
                    connection.execute(insert(hashtag_table), hashtags)
            done += len(mentions)
            progress(done)
    analyze(store)


def load_postgresql(store: Store, rows: int, progress: Progress) -> None:
    """COPY the corpus, one transaction per batch; the server computes ``search_vector``."""
    brands, sources = configure(store)
    raw = store.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        done = 0
        for documents, mentions, hashtags in _rows(rows, brands, sources):
            with driver.cursor() as cursor:
                with cursor.copy(
                    f"COPY documents ({', '.join(DOCUMENT_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for document in documents:
                        document["metrics"] = _json(document["metrics"])
                        copy.write_row([document[key] for key in DOCUMENT_COLUMNS])
                with cursor.copy(
                    f"COPY mentions ({', '.join(MENTION_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for mention in mentions:
                        mention["matched_terms"] = _json(mention["matched_terms"])
                        copy.write_row([mention[key] for key in MENTION_COLUMNS])
                with cursor.copy(
                    f"COPY document_hashtags ({', '.join(HASHTAG_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for hashtag in hashtags:
                        copy.write_row([hashtag[key] for key in HASHTAG_COLUMNS])
            driver.commit()
            done += len(mentions)
            progress(done)
        with driver.cursor() as cursor:
            for table in ("documents", "mentions"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
        driver.commit()
    finally:
        raw.close()
    analyze(store)


def analyze(store: Store) -> None:
    """Gather the planner's statistics (ANALYZE), as a maintained database has them."""
    raw = store.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if store.engine.dialect.name == "sqlite":
            driver.execute("ANALYZE")  # the driver connection is in autocommit mode
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        # What autovacuum would have done by the time anyone queries: statistics and the
        # visibility map (index-only scans need it).
        driver.autocommit = True
        with driver.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    finally:
        raw.close()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def mention_count(store: Store) -> int:
    """How many mentions the store holds."""
    with store.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM mentions")).scalar_one())


def postgres_available() -> str | None:
    """None when the local PostgreSQL server answers, else why not."""
    engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means: skip PostgreSQL
        return str(exc).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def postgres_url(database: str) -> str:
    """The URL of a database on the local server."""
    return make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(False)


def _admin(statement: str) -> None:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def create_postgres_database(name: str, *, template: str | None = None) -> str:
    """Create a database (a copy of ``template`` if given) and return its URL."""
    _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return postgres_url(name)


def postgres_database_exists(name: str) -> bool:
    """Tell whether the local server has this database."""
    engine = create_engine(POSTGRES_ADMIN_URL)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            return found.first() is not None
    finally:
        engine.dispose()


def drop_postgres_database(name: str) -> None:
    """Drop a database of the local server, connections and all."""
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_query_indexes(url: str) -> list[str]:
    """Drop the read-only indexes of documents and mentions, ANALYZE; return their names."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            names = list(
                connection.exec_driver_sql(QUERY_INDEXES_SQL[engine.dialect.name]).scalars()
            )
            for name in names:
                connection.exec_driver_sql(f'DROP INDEX "{name}"')
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return sorted(names)


@contextmanager
def index_free_copy(url: str) -> Iterator[tuple[str, list[str]]]:
    """Yield the URL of a copy of the (closed) database without its query indexes, and their
    names; the copy is removed afterwards."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = Path(str(parsed.database))
        copy = source.with_name(f"{source.stem}-no-index{source.suffix}")
        shutil.copyfile(source, copy)
        copy_url = f"sqlite:///{copy}"
        try:
            yield copy_url, drop_query_indexes(copy_url)
        finally:
            for path in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                path.unlink(missing_ok=True)
        return
    name = f"{parsed.database}_noidx_{secrets.token_hex(3)}"
    copy_url = create_postgres_database(name, template=str(parsed.database))
    try:
        yield copy_url, drop_query_indexes(copy_url)
    finally:
        drop_postgres_database(name)


def timed_load(store: Store, engine: str, rows: int) -> float:
    """Load the corpus into the store, printing progress; return the seconds it took."""
    started = time.perf_counter()
    reported = [0]

    def progress(done: int) -> None:
        elapsed = time.perf_counter() - started
        if done == rows or done // PROGRESS_EVERY > reported[0]:
            reported[0] = done // PROGRESS_EVERY
            rate = done / elapsed
            print(f"  {engine}: {done:>9,} / {rows:,} mentions  {rate:>7,.0f} rows/s", flush=True)

    (load_sqlite if engine == "sqlite" else load_postgresql)(store, rows, progress)
    return time.perf_counter() - started
