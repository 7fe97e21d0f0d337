"""Every story of a long period, as the story export lists them: more than a statement may bind."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select

from tests.support.browser import TestClient, read_only_twin
from tests.support.stores import T0, store_fixture  # noqa: F401
from veille.store import MentionFilter, Store
from veille.store.schema import brand_table, document_table, mention_table, source_table
from veille.web import create_app

# More stories than one statement may bind parameters for: PostgreSQL's 65,535 (its protocol's
# own limit), and on SQLite, which lets each build choose (32,766 by default, 250,000 on Debian),
# the low limit the test sets, so that a few thousand stories are enough.
STORIES = {"postgresql": 65_600, "sqlite": 2_500}
SQLITE_MAX_VARIABLES = 1_200
INSERT_BATCH = 5_000


@pytest.fixture(autouse=True)
def sqlite_default_limits() -> Iterator[None]:
    """Every SQLite connection of the test binds at most ``SQLITE_MAX_VARIABLES`` parameters."""

    def limit(dbapi_connection: Any, _record: object) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_MAX_VARIABLES)

    event.listen(Engine, "connect", limit)
    try:
        yield
    finally:
        event.remove(Engine, "connect", limit)


def _one_mention_stories(store: Store, count: int) -> None:
    """Store ``count`` documents of their own story each, one a minute, straight into the tables
    (as ``benchmarks/queryload.py`` loads its corpus): the write path would take minutes."""
    store.engine.dispose()  # new connections, under the test's limits
    with store.engine.begin() as connection:
        acme = connection.execute(select(brand_table.c.id).where(brand_table.c.name == "acme"))
        brand_id = acme.scalar_one()
        lemonde = select(source_table.c.id).where(source_table.c.name == "lemonde")
        source_id = connection.execute(lemonde).scalar_one()
    documents = [_document(number, source_id) for number in range(1, count + 1)]
    mentions = [
        {
            "id": document["id"],
            "document_id": document["id"],
            "brand_id": brand_id,
            "source_id": source_id,
            "matched_terms": '["acme"]',
            "first_seen_at": document["collected_at"],
        }
        for document in documents
    ]
    if store.engine.dialect.name == "postgresql":
        _copy(store, {"documents": documents, "mentions": mentions})
        return
    with store.engine.begin() as connection:
        for table, rows in ((document_table, documents), (mention_table, mentions)):
            for start in range(0, len(rows), INSERT_BATCH):
                connection.execute(insert(table), rows[start : start + INSERT_BATCH])


def _copy(store: Store, rows_by_table: dict[str, list[dict[str, object]]]) -> None:
    raw = store.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        with driver.cursor() as cursor:
            for table, rows in rows_by_table.items():
                columns = list(rows[0])
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[column] for column in columns])
            # The planner's statistics, as autovacuum soon gathers them.
            cursor.execute(f"ANALYZE {', '.join(rows_by_table)}")
        driver.commit()
    finally:
        raw.close()


def _document(number: int, source_id: int) -> dict[str, object]:
    when = T0 + timedelta(minutes=number)
    return {
        "id": number,
        "identity": f"doc-{number}",
        "canonical_url": f"https://www.lemonde.fr/{number}",
        "url": f"https://www.lemonde.fr/{number}",
        "title": f"Acme, épisode {number}",
        "text": "",
        "platform": "news",
        "site": "lemonde.fr",
        "source_id": source_id,
        "published_at": when,
        "collected_at": when,
        "lang": "fr",
        "sentiment": 0.0,
        "tone": "neutral",
        "classifier_version": "test-1",
        "fingerprint": f"story-{number}",
        "story_id": f"story-{number:06d}",
    }


def test_every_story_of_a_long_period_is_listed_and_exported(store: Store) -> None:
    count = STORIES[store.engine.dialect.name]
    _one_mention_stories(store, count)
    newest, title = f"story-{count:06d}", f"Acme, épisode {count}"

    # The /stories page's "Exporter en CSV" link: every story of the period.
    reader = read_only_twin(store)
    try:
        with TestClient(create_app(reader)) as client:
            response = client.get("/api/stories?format=csv")
    finally:
        reader.close()
    assert response.status_code == 200, response.text[:300]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == count
    assert rows[0]["story_id"] == newest and rows[0]["title"] == title
    assert rows[-1]["story_id"] == "story-000001" and rows[-1]["brands"] == "acme"
    if store.engine.dialect.name == "sqlite":
        # `veille mentions --group-by story --limit N`: past a page, every story is grouped.
        limited = store.list_stories(MentionFilter(limit=count - 1, offset=1))
        assert len(limited) == count - 1 and limited[0]["story_id"] == f"story-{count - 1:06d}"
        assert all(story["brands"] == ["acme"] and story["sightings"] == 1 for story in limited)
