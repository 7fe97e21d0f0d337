"""The statements a save reuses give what the plain per-call ones gave.

Band-key holders: on SQLite one statement serves several counts of keys (the unused places
NULL) and gives each key's holders on one row; the holders are still each key's most recent
ones in the window, for every count. Source state: one upsert statement per set of columns,
the conflicting row taking the new values, or one more failure. New rows: on SQLite several
to a statement, stored exactly as SQLAlchemy's own insert stores them, stored rows skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, insert, select, text

from tests.support.stores import T0, later, make_item, store_fixture  # noqa: F401
from veille.store import MentionFilter, Store, inserts
from veille.store import stories as store_stories
from veille.store.schema import (
    brand_table,
    document_table,
    mention_table,
    source_table,
    story_band_table,
)
from veille.types import SourceState

DOCUMENTS = 48
KEYS = 40  # held ones; as many again are held by nobody


def _holds(document: int, key: int) -> bool:
    # Key 0 is held by every document (more than a key keeps), key k by every (k+1)-th.
    return document % (key + 1) == 0


def _collected_at(document: int) -> datetime:
    # Documents 0-7 are 20 days old: outside the 14-day window.
    return T0 - timedelta(days=20 if document < 8 else 0, hours=DOCUMENTS - document)


def _fill(store: Store) -> None:
    """Documents collected an hour apart, the oldest ones outside the window, and their keys."""
    with store.engine.begin() as connection:
        source_id = connection.execute(
            select(source_table.c.id).where(source_table.c.name == "lemonde")
        ).scalar_one()
        connection.execute(
            insert(document_table),
            [
                {
                    "identity": f"doc-{n}",
                    "title": f"Title {n}",
                    "text": f"Text {n}",
                    "platform": "news",
                    "source_id": source_id,
                    "collected_at": _collected_at(n),
                    "sentiment": 0.0,
                    "tone": "neutral",
                    "classifier_version": "test",
                    "fingerprint": f"f{n}",
                    "story_id": f"f{n}",
                }
                for n in range(DOCUMENTS)
            ],
        )
        rows = connection.execute(select(document_table.c.identity, document_table.c.id))
        ids = {identity: document_id for identity, document_id in rows}
        connection.execute(
            insert(story_band_table),
            [
                {
                    "document_id": ids[f"doc-{n}"],
                    "band_key": 1000 + key,
                    "collected_us": store_stories.microseconds(_collected_at(n)),
                }
                for n in range(DOCUMENTS)
                for key in range(KEYS)
                if _holds(n, key)
            ],
        )


def _expected(store: Store, keys: list[int]) -> dict[int, list[int]]:
    """Each key's most recent holders in the window, read the plain way."""
    since = T0 - store_stories.WINDOW
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(story_band_table.c.band_key, story_band_table.c.document_id)
            .join(document_table, document_table.c.id == story_band_table.c.document_id)
            .where(document_table.c.collected_at >= since)
        ).all()
    recent: dict[int, list[int]] = {}
    for key, document_id in rows:
        if key in keys:
            recent.setdefault(key, []).append(document_id)
    return {
        key: sorted(ids, reverse=True)[: store_stories.HOLDERS_PER_KEY]
        for key, ids in recent.items()
    }


def _key_lists() -> Iterator[list[int]]:
    # Held and unheld keys interleaved, for counts on both sides of each statement size.
    keys = [1000 + key // 2 if key % 2 == 0 else -1 - key for key in range(2 * KEYS)]
    for count in (1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 63, 80):
        yield keys[:count]


def test_holders_are_each_key_s_most_recent_in_the_window_for_any_count_of_keys(
    store: Store,
) -> None:
    _fill(store)
    since = T0 - store_stories.WINDOW
    for keys in _key_lists():
        with store.engine.connect() as connection:
            holders = store_stories._holders(connection, [*keys, *keys[:3]], since)
        found = {key: sorted(ids, reverse=True) for key, ids in holders.items()}
        assert found == _expected(store, keys), len(keys)
    assert len(_expected(store, [1000])[1000]) == store_stories.HOLDERS_PER_KEY


def test_holders_of_similar_counts_of_keys_share_one_statement(store: Store) -> None:
    _fill(store)
    sent: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "story_bands" in statement:
            sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        with store.engine.connect() as connection:
            for count in range(9, 17):
                keys = [1000 + key for key in range(count)]
                store_stories._holders(connection, keys, T0 - store_stories.WINDOW)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    assert len(sent) == 8
    assert len(set(sent)) == 1


def _state(store: Store, source: str) -> dict[str, object]:
    return next(row for row in store.source_health() if row["name"] == source)


def test_source_state_takes_new_values_and_counts_failures(store: Store) -> None:
    def collect(when: int, *identities: str, warning: str | None = None) -> None:
        run = store.begin_run(later(when))
        store.save_collection(
            run, "lemonde", None, [make_item(identity) for identity in identities],
            SourceState(etag=f"etag-{when}"), now=later(when), next_check_at=later(when + 30),
            not_modified=False, duration=0.0, warning=warning,
        )  # fmt: skip

    def fail(when: int) -> int:
        run = store.begin_run(later(when))
        return store.record_failure(
            run, "lemonde", None, f"HTTP 500 at {when}", now=later(when),
            next_check_at=later(when + 30),
        )  # fmt: skip

    collect(0, "a")
    assert _state(store, "lemonde")["last_new_at"] == _state(store, "lemonde")["last_ok_at"]
    first_new = _state(store, "lemonde")["last_new_at"]
    collect(10, "a", warning="slow")  # nothing new: last_new_at stays
    state = _state(store, "lemonde")
    assert (state["last_new_at"], state["last_error"]) == (first_new, "slow")
    assert state["last_ok_at"] != first_new
    assert store.load_state("lemonde").etag == "etag-10"
    assert [fail(20), fail(30), fail(40)] == [1, 2, 3]
    state = _state(store, "lemonde")
    assert (state["consecutive_failures"], state["last_error"]) == (3, "HTTP 500 at 40")
    assert store.load_state("lemonde").etag == "etag-10"  # a failure keeps the validators
    collect(50, "b")
    state = _state(store, "lemonde")
    assert (state["consecutive_failures"], state["last_error"]) == (0, None)
    assert state["last_new_at"] == state["last_ok_at"] != first_new


def _document_row(identity: str, source_id: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "identity": identity,
        "canonical_url": f"https://example.org/{identity}",
        "url": f"https://example.org/{identity}?utm_source=rss",
        "title": f"Titre {identity} : l’été",
        "text": "Texte « cité » 😀",
        "author_name": None,
        "author_handle": "@auteur",
        "author_url": None,
        "platform": "news",
        "site": "example.org",
        "source_id": source_id,
        "published_at": datetime(2026, 3, 1, 23, 59, 58, 123456, tzinfo=T0.tzinfo),
        "collected_at": T0,
        "lang": "fr",
        "sentiment": -0.4215,
        "tone": "negative",
        "classifier_version": "test-1",
        "reach": 12_345_678_901,
        "engagement": None,
        "metrics": {"likes": 3, "partages": [1, 2]},
        "fingerprint": f"f-{identity}",
        "story_id": f"f-{identity}",
    }
    row.update(values)
    return row


def _stored(store: Store, table: str, order: str) -> list[tuple[Any, ...]]:
    """The table's rows as the database holds them (text of dates and JSON), without ids."""
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}").all()
    return [tuple(row[1:]) for row in rows]


def test_new_rows_are_stored_as_sqlalchemy_s_insert_stores_them(store: Store) -> None:
    with store.engine.begin() as connection:
        source_id = connection.execute(
            select(source_table.c.id).where(source_table.c.name == "lemonde")
        ).scalar_one()
        plain = [
            _document_row("plain-0", source_id),
            _document_row("plain-1", source_id, published_at=None, metrics=None, lang=None),
        ]
        connection.execute(insert(document_table), plain)
        several = [{**row, "identity": row["identity"].replace("plain", "rows")} for row in plain]
        stored = inserts.insert_new_rows(connection, document_table, ("identity",), several)
        assert stored == (2 if connection.dialect.name == "sqlite" else -1)
        rows = connection.execute(select(document_table.c.identity, document_table.c.id))
        ids = {identity: document_id for identity, document_id in rows}
        brand_id = connection.execute(text("SELECT id FROM brands WHERE name = 'acme'")).scalar()
        mentions = [
            {
                "document_id": ids[identity],
                "brand_id": brand_id,
                "source_id": source_id,
                "matched_terms": ["acme", "Acmé"],
                "first_seen_at": T0,
                "sentiment": None,
                "tone": None,
            }
            for identity in ids
        ]
        connection.execute(insert(mention_table), mentions[:2])
        inserts.insert_new_rows(
            connection, mention_table, ("document_id", "brand_id"), mentions[2:]
        )
    documents = _stored(store, "documents", "id")
    assert documents[2:] == [(f"rows-{n}", *documents[n][1:]) for n in range(2)]
    stored_mentions = _stored(store, "mentions", "id")
    assert [row[1:] for row in stored_mentions[2:]] == [row[1:] for row in stored_mentions[:2]]
    read = store.list_mentions(MentionFilter(limit=None))
    assert sorted(str(row["title"]) for row in read) == sorted(2 * [row["title"] for row in plain])


def test_new_rows_leave_the_columns_they_do_not_give_to_their_defaults(store: Store) -> None:
    with store.engine.begin() as connection:
        source_id = connection.execute(
            select(source_table.c.id).where(source_table.c.name == "lemonde")
        ).scalar_one()
        given_only = ("reach", "engagement", "metrics", "author_name", "site")
        plain = {
            key: value
            for key, value in _document_row("plain", source_id).items()
            if key not in given_only
        }
        connection.execute(insert(document_table), [plain])
        several = [{**plain, "identity": "rows"}]
        inserts.insert_new_rows(connection, document_table, ("identity",), several)
        assert inserts.insert_new_rows(connection, document_table, ("identity",), []) == 0
    documents = _stored(store, "documents", "id")
    assert documents == [("plain", *documents[0][1:]), ("rows", *documents[0][1:])]
    with store.engine.begin() as connection:
        # Brands' creation times are computed in Python, as SQLAlchemy's insert computes them.
        brand = {"name": "initech", "query": "initech"}
        inserts.insert_new_rows(connection, brand_table, ("name",), [brand])
        created = connection.execute(
            select(brand_table.c.created_at).where(brand_table.c.name == "initech")
        ).scalar_one()
    assert created is not None


def test_new_rows_skip_stored_ones_and_count_only_those_stored(store: Store) -> None:
    _fill(store)
    with store.engine.begin() as connection:
        document_id = connection.execute(select(document_table.c.id).limit(1)).scalar_one()
        held = select(story_band_table.c.band_key, story_band_table.c.collected_us).where(
            story_band_table.c.document_id == document_id
        )
        before = len(connection.execute(held).all())
        rows = [
            {"document_id": document_id, "band_key": 5000 + key, "collected_us": key}
            for key in range(700)  # more rows than one statement takes, and 2,100 values
        ]
        counted = connection.dialect.name == "sqlite"  # psycopg does not count them
        keys = ("document_id", "band_key")
        assert inserts.insert_new_rows(connection, story_band_table, keys, rows) == (
            700 if counted else -1
        )
        again = [*rows[::7], {**rows[3], "collected_us": -1}, *rows[:2], *rows[:2]]
        new = [{"document_id": document_id, "band_key": -key, "collected_us": 0} for key in (1, 2)]
        assert inserts.insert_new_rows(
            connection, story_band_table, keys, [*again, *new, *new]
        ) == (2 if counted else -1)
        stored = connection.execute(held).all()
    assert len(stored) - before == 702
    assert dict(stored)[5003] == 3  # the stored row kept, not the conflicting one


def test_documents_stored_several_to_a_statement_are_each_found_by_full_text_search(
    store: Store,
) -> None:
    run = store.begin_run(T0)
    items = [make_item(f"doc-{n}", title=f"Titre {n} zorglub{n % 3}") for n in range(37)]
    store.save_collection(
        run, "lemonde", None, items, SourceState(), now=T0, next_check_at=later(60),
        not_modified=False, duration=0.0,
    )  # fmt: skip
    for remainder in range(3):
        found = store.list_mentions(MentionFilter(search=f"zorglub{remainder}", limit=None))
        expected = {f"Titre {n} zorglub{remainder}" for n in range(remainder, 37, 3)}
        assert {row["title"] for row in found} == expected
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as connection:
            indexed = connection.execute(text("SELECT count(*) FROM documents_fts")).scalar_one()
        assert indexed == 37


@given(st.integers(0, 2_000), st.sampled_from([1, 2, 32, 256]))
def test_rows_go_in_slices_of_a_power_of_two_covering_them_in_order(
    count: int, largest: int
) -> None:
    slices = list(inserts._power_of_two_slices(count, largest))
    assert [index for part in slices for index in range(count)[part]] == list(range(count))
    sizes = [part.stop - part.start for part in slices]
    assert all(size & (size - 1) == 0 and 0 < size <= largest for size in sizes)
    assert sizes == sorted(sizes, reverse=True)  # the fewest statements: largest first
