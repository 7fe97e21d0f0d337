"""What the dashboard needs from the store: read-only opening, paging and story listings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from tests.support.browser import save_items, web_corpus
from tests.support.stores import T0, database_url_fixture, store_fixture  # noqa: F401
from veille.errors import StoreError
from veille.store import BrandSpec, MentionFilter, SourceSpec, Store
from veille.store.db import create_store_engine, downgrade_database

BRANDS = [BrandSpec("acme", "acme"), BrandSpec("globex", "globex")]
SOURCES = [SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"})]


def filled(url: str) -> None:
    """Create the schema at ``url`` and save the web corpus in it."""
    writer = Store.open(url)
    try:
        writer.sync_config(BRANDS, SOURCES)
        save_items(writer, web_corpus())
    finally:
        writer.close()


def test_a_read_only_store_reads_and_cannot_write(database_url: str) -> None:
    filled(database_url)
    reader = Store.open(database_url, read_only=True)
    try:
        assert len(reader.list_mentions(MentionFilter(limit=None))) == 7
        assert reader.brand_names() == ["acme", "globex"]
        with pytest.raises((StoreError, DBAPIError)) as refused:
            reader.sync_config([*BRANDS, BrandSpec("initech", "initech")], SOURCES)
        assert "read" in str(refused.value).lower() and "only" in str(refused.value).lower()
        with pytest.raises((StoreError, DBAPIError)):
            reader.begin_run(T0)
    finally:
        reader.close()
    writer = Store.open(database_url)
    try:
        assert writer.brand_names() == ["acme", "globex"]
    finally:
        writer.close()


def test_a_read_only_store_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(StoreError, match="does not exist") as refused:
        Store.open(f"sqlite:///{path}", read_only=True)
    assert refused.value.hint is not None and "veille db upgrade" in refused.value.hint
    assert not path.exists()


def test_a_read_only_store_refuses_an_empty_database(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        sqlite3.connect(database_url.removeprefix("sqlite:///")).close()
    with pytest.raises(StoreError, match="no veille schema") as refused:
        Store.open(database_url, read_only=True)
    assert refused.value.hint is not None and "veille db upgrade" in refused.value.hint
    empty = Store.open(database_url, upgrade_empty=False)
    try:
        assert empty.current_revision() is None
    finally:
        empty.close()


def test_a_read_only_store_refuses_an_older_schema_and_leaves_it(database_url: str) -> None:
    filled(database_url)
    engine = create_store_engine(database_url)
    try:
        older = downgrade_database(engine, "-1")
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="veille expects") as refused:
        Store.open(database_url, read_only=True)
    assert refused.value.hint is not None and "veille db upgrade" in refused.value.hint
    unchanged = Store.open(database_url, upgrade_empty=False)
    try:
        assert unchanged.current_revision() == older
    finally:
        unchanged.close()


def test_offset_pages_a_listing_without_changing_its_order(store: Store) -> None:
    save_items(store, web_corpus())
    whole = store.list_mentions(MentionFilter(limit=None))
    paged = [
        mention
        for offset in range(0, 8, 3)
        for mention in store.list_mentions(MentionFilter(limit=3, offset=offset))
    ]
    assert [m["id"] for m in paged] == [m["id"] for m in whole]
    assert store.list_mentions(MentionFilter(limit=None, offset=5)) == whole[5:]
    searched = store.list_mentions(MentionFilter(search="acme", limit=None))
    assert store.list_mentions(MentionFilter(search="acme", limit=2, offset=1)) == searched[1:3]


def test_a_story_id_filters_the_sightings_of_one_story(store: Store) -> None:
    save_items(store, web_corpus())
    sightings = store.list_mentions(MentionFilter(story_id="story-1", limit=None))
    assert sorted(m["site"] for m in sightings) == ["lemonde.fr", "lesechos.fr"]  # type: ignore[type-var]
    assert {m["story_id"] for m in sightings} == {"story-1"}
    assert store.list_mentions(MentionFilter(story_id="none-such")) == []
    groups = store.stats(MentionFilter(story_id="story-1"), "site")
    assert sum(int(str(group["mentions"])) for group in groups) == 2
