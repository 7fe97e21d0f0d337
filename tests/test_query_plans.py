"""Plans on large tables, and the bounded ranking that keeps searches on them fast.

PostgreSQL: the main mention listing must be served by indexes, not by a full scan. SQLite: a
period's statistics are driven by the mention-time index, and the ranking candidates of a search
are read from the full-text index newest first, without sorting every match. On both engines: a
search matching more mentions than are ranked lists the newest ones most relevant first, then
the older ones newest first, the same in pages as in one listing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from tests.support.stores import (  # noqa: F401
    T0,
    empty_database,
    later,
    make_item,
    sent_statements,
    store_fixture,
)
from veille.store import BrandSpec, MentionFilter, SourceSpec, Store, StoredItem, search
from veille.store.schema import brand_table, document_table, mention_table
from veille.types import SourceState

BRANDS = ("acme", "globex", "initech", "umbrella", "hooli", "stark")
DOCUMENTS = 4000
INDEXED_SCANS = ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")


@pytest.fixture(scope="module", name="filled")
def filled_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A PostgreSQL store of 4,000 documents over a year, each naming one or two of six brands."""
    yield from _filled_store("postgresql", Path(tmp_path_factory.mktemp("plans")))


@pytest.fixture(scope="module")
def filled_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The same documents in a SQLite store."""
    yield from _filled_store("sqlite", Path(tmp_path_factory.mktemp("plans")))


def _filled_store(engine: str, folder: Path) -> Iterator[Store]:
    with empty_database(engine, folder) as url:
        store = Store.open(url)
        try:
            store.sync_config(
                [BrandSpec(name, name) for name in BRANDS], [SourceSpec("hn", "hackernews")]
            )
            _fill(store)
            yield store
        finally:
            store.close()


def _fill(store: Store) -> None:
    with store.engine.begin() as connection:
        brand_ids = {
            name: id_
            for name, id_ in connection.execute(select(brand_table.c.name, brand_table.c.id))
        }
        documents = [
            {
                "identity": f"doc-{n}",
                "canonical_url": f"https://example.org/{n}",
                "title": f"Title {n}",
                "text": f"Text {n}",
                "platform": ("news", "blog", "reddit")[n % 3],
                "site": f"site{n % 40}.example",
                "published_at": None if n % 10 == 0 else T0 - timedelta(hours=2 * n),
                "collected_at": T0 - timedelta(hours=2 * n - 1),
                "lang": "fr",
                "sentiment": 0.0,
                "tone": ("positive", "neutral", "negative")[(n // 7) % 3],
                "classifier_version": "test",
                "fingerprint": f"f{n}",
                "story_id": f"s{n}",
            }
            for n in range(DOCUMENTS)
        ]
        ids = connection.execute(
            insert(document_table).returning(document_table.c.id, sort_by_parameter_order=True),
            documents,
        ).scalars()
        mentions = []
        for n, document_id in enumerate(ids):
            for brand in {BRANDS[n % len(BRANDS)], BRANDS[(n * 7) % len(BRANDS)]}:
                mentions.append(
                    {
                        "document_id": document_id,
                        "brand_id": brand_ids[brand],
                        "matched_terms": [brand],
                        "first_seen_at": T0 - timedelta(hours=2 * n - 1),
                    }
                )
        connection.execute(insert(mention_table), mentions)
        connection.exec_driver_sql("ANALYZE")


def _sqlite_plan(store: Store, statement: str, parameters: Any) -> list[str]:
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return [str(row[-1]) for row in rows]


def _plan_of_listing(store: Store, f: MentionFilter) -> dict[str, Any]:
    """EXPLAIN the listing query exactly as ``Store.list_mentions`` sends it."""
    sent = sent_statements(store, lambda: store.list_mentions(f))
    statement, parameters = next((s, p) for s, p in reversed(sent) if "ORDER BY" in s)
    with store.engine.connect() as connection:
        raw = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan = raw.scalar_one()
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]  # type: ignore[no-any-return]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


@pytest.mark.parametrize(
    "f",
    [
        MentionFilter(brands=("acme",), since=T0 - timedelta(days=30), limit=50),
        MentionFilter(brands=("acme",), since=T0 - timedelta(days=90), tone="negative", limit=50),
    ],
    ids=["brand-30-days", "brand-90-days-tone"],
)
def test_the_mention_listing_uses_indexes_on_postgresql(filled: Store, f: MentionFilter) -> None:
    assert len(filled.list_mentions(f)) == 50
    nodes = list(_nodes(_plan_of_listing(filled, f)))
    scans = {(node["Node Type"], node.get("Relation Name")) for node in nodes}
    assert ("Seq Scan", "mentions") not in scans, scans
    assert ("Seq Scan", "documents") not in scans, scans
    # Index scans, or a bitmap heap scan driven by an index: mentions and documents both.
    for table in ("mentions", "documents"):
        assert scans & {(kind, table) for kind in INDEXED_SCANS}, scans


@pytest.mark.parametrize("by", ["author", "brand", "platform", "site", "lang", "tone", "day"])
def test_period_statistics_are_driven_by_the_mention_time_index_on_sqlite(
    filled_sqlite: Store, by: str
) -> None:
    f = MentionFilter(brands=("acme",), since=T0 - timedelta(days=30), limit=None)
    sent = sent_statements(filled_sqlite, lambda: filled_sqlite.stats(f, by))
    statement, parameters = next((s, p) for s, p in sent if "GROUP BY" in s)
    plan = _sqlite_plan(filled_sqlite, statement, parameters)
    # The period's documents first, then their mentions: not every mention of the brand, nor
    # every document in the order of the grouped column's index (to skip sorting the groups).
    assert "ix_documents_mention_time" in plan[0], plan
    assert not any("ix_mentions_brand_id" in step for step in plan), plan
    assert not any(re.search(r"SCAN \w+ USING (COVERING )?INDEX", step) for step in plan), plan


def test_a_period_s_stories_are_driven_by_the_mention_time_index_on_sqlite(
    filled_sqlite: Store,
) -> None:
    # Every story of the period: grouped from the period's documents.
    f = MentionFilter(brands=("acme",), since=T0 - timedelta(days=30), limit=None)
    assert filled_sqlite.list_stories(f)
    sent = sent_statements(filled_sqlite, lambda: filled_sqlite.list_stories(f))
    statement, parameters = next((s, p) for s, p in sent if "GROUP BY" in s)
    plan = _sqlite_plan(filled_sqlite, statement, parameters)
    assert "ix_documents_mention_time" in plan[0], plan
    assert not any(re.search(r"SCAN \w+ USING (COVERING )?INDEX", step) for step in plan), plan
    # A page: its stories found from the newest mentions, then those stories alone grouped.
    sent = sent_statements(filled_sqlite, lambda: filled_sqlite.list_stories(replace(f, limit=20)))
    newest = next((s, p) for s, p in sent if "ORDER BY" in s and "GROUP BY" not in s)
    grouped = next((s, p) for s, p in sent if "GROUP BY" in s)
    assert "ix_documents_mention_time" in _sqlite_plan(filled_sqlite, *newest)[0]
    plan = _sqlite_plan(filled_sqlite, *grouped)
    assert "SEARCH documents USING INDEX ix_documents_story_id" in plan[0], plan
    assert not any(re.search(r"SCAN \w+ USING (COVERING )?INDEX", step) for step in plan), plan


def test_search_candidates_are_read_newest_first_from_the_index_on_sqlite(
    filled_sqlite: Store,
) -> None:
    f = MentionFilter(search="text", limit=50)
    assert len(filled_sqlite.list_mentions(f)) == 50
    sent = sent_statements(filled_sqlite, lambda: filled_sqlite.list_mentions(f))
    statement, parameters = next((s, p) for s, p in sent if "search_hits" in s and "LIMIT" in s)
    plan = _sqlite_plan(filled_sqlite, statement, parameters)
    assert plan[0].startswith("SCAN documents_fts VIRTUAL TABLE"), plan
    # Walking the index in document order needs no sort of every match.
    assert not any("TEMP B-TREE" in step for step in plan), plan


ZORG_DOCUMENTS = (
    # identity, title, text, brands; stored in this order, published an hour apart
    ("d1", "Zorg strike", "Nothing else.", ("acme",)),
    ("d2", "A strike", "Zorg in the text.", ("acme",)),
    ("d3", "Zorg again", "Nothing else.", ("acme",)),
    ("d4", "Two brands", "Zorg in the text.", ("acme", "globex")),
    ("d5", "Weak news", "Zorg in the text.", ("acme",)),
    ("d6", "Zorg above", "Nothing else.", ("acme",)),
    ("d7", "Unrelated", "Nothing to find.", ("acme",)),
)


def _save_zorg(store: Store) -> None:
    items: list[StoredItem] = [
        make_item(identity, brands=brands, title=title, text=text, published_at=later(hours=n))
        for n, (identity, title, text, brands) in enumerate(ZORG_DOCUMENTS, start=1)
    ]
    run = store.begin_run(T0)
    for item in items:  # one at a time, so that document ids follow the order above
        store.save_collection(
            run, "lemonde", None, [item], SourceState(), now=T0, next_check_at=later(hours=1),
            not_modified=False, duration=0.1,
        )  # fmt: skip


def _listed(store: Store, f: MentionFilter) -> list[tuple[str, str]]:
    return [
        (str(row["url"]).rsplit("/", 1)[-1], str(row["brand"])) for row in store.list_mentions(f)
    ]


@pytest.mark.parametrize("recent_documents", [2, 5, 1000], ids=["window-short", "window", "none"])
def test_a_search_ranks_the_newest_matches_then_lists_the_older_ones(
    store: Store, monkeypatch: pytest.MonkeyPatch, recent_documents: int
) -> None:
    _save_zorg(store)
    monkeypatch.setattr(search, "RANKED_MENTIONS", 4)
    # However many documents the first look covers, the candidates are the same.
    monkeypatch.setattr(search, "RECENT_DOCUMENTS", recent_documents)
    everything = _listed(store, MentionFilter(search="zorg", limit=None))
    # The four newest matching mentions are d6, d5 and d4's two, but the limit may have cut d4's
    # mentions apart, so d4 goes with the older matches: d6 (in the title) before d5.
    assert everything == [
        ("d6", "acme"), ("d5", "acme"), ("d4", "globex"), ("d4", "acme"), ("d3", "acme"),
        ("d2", "acme"), ("d1", "acme"),
    ]  # fmt: skip
    pages = [
        _listed(store, MentionFilter(search="zorg", limit=2, offset=offset))
        for offset in range(0, 8, 2)
    ]
    assert [row for page in pages for row in page] == everything
    assert _listed(store, MentionFilter(search="zorg", limit=3, offset=1)) == everything[1:4]


def test_a_search_ranks_every_match_when_few_match(store: Store) -> None:
    _save_zorg(store)
    listed = _listed(store, MentionFilter(search="zorg", limit=None))
    # Titles first (newest first among equals), then texts.
    assert [identity for identity, _ in listed[:3]] == ["d6", "d3", "d1"]
    assert {identity for identity, _ in listed[3:]} == {"d5", "d4", "d2"}


def test_a_search_in_a_period_ranks_that_period_s_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save_zorg(store)
    monkeypatch.setattr(search, "RANKED_MENTIONS", 3)
    f = MentionFilter(search="zorg", since=later(hours=3), until=later(hours=5), limit=None)
    # d3, d4 (two mentions) and d5 are in the period: d5 and d4 are the three newest matches,
    # d4 possibly cut apart goes with the older ones, so only d5 is ranked.
    assert _listed(store, f) == [("d5", "acme"), ("d4", "globex"), ("d4", "acme"), ("d3", "acme")]
    empty = MentionFilter(search="zorg", since=later(days=30), limit=None)
    assert _listed(store, empty) == []


def _save_many_zorgs(store: Store, count: int) -> None:
    run = store.begin_run(T0)
    for n in range(1, count + 1):  # one at a time, so that document ids follow n
        title = "Zorg news" if n % 3 == 0 else f"News {n}"
        published_at = later(hours=n)
        item = make_item(f"z{n}", title=title, text="Zorg in the text.", published_at=published_at)
        store.save_collection(
            run, "lemonde", None, [item], SourceState(), now=T0, next_check_at=later(hours=1),
            not_modified=False, duration=0.1,
        )  # fmt: skip


def _candidate_reads(store: Store, f: MentionFilter) -> list[int | None]:
    """Each read of ranking candidates: the document id it starts after (None: every match)."""
    reads: list[int | None] = []
    for statement, parameters in sent_statements(store, lambda: store.list_mentions(f)):
        if "AS score" not in statement:
            continue
        if not re.search(r"(document_id|documents\.id) > ", statement):
            reads.append(None)
        elif isinstance(parameters, dict):  # PostgreSQL names its parameters
            reads.append(parameters["id_1"])
        else:  # SQLite's are in order: the search, then the bound
            reads.append(parameters[1])
    return reads


def test_too_few_recent_matches_widen_the_look_once_and_rank_the_same(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save_many_zorgs(store, 40)
    monkeypatch.setattr(search, "RANKED_MENTIONS", 6)
    monkeypatch.setattr(search, "RECENT_DOCUMENTS", 1000)
    whole = _listed(store, MentionFilter(search="zorg", limit=None))
    monkeypatch.setattr(search, "RECENT_DOCUMENTS", 4)
    # The last 4 documents hold 4 matches, too few for 6: one wider look (of 9 documents)
    # finds enough, and the whole index is never walked for the candidates.
    assert _listed(store, MentionFilter(search="zorg", limit=None)) == whole
    assert _candidate_reads(store, MentionFilter(search="zorg", limit=10)) == [36, 31]
    # Past half the documents, the whole index is read at once instead.
    monkeypatch.setattr(search, "RECENT_DOCUMENTS", 2)
    monkeypatch.setattr(search, "WIDENING_MARGIN", 4.0)
    assert _listed(store, MentionFilter(search="zorg", limit=None)) == whole
    assert _candidate_reads(store, MentionFilter(search="zorg", limit=10)) == [38, None]


def test_a_search_from_a_date_reads_its_candidates_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save_many_zorgs(store, 40)
    monkeypatch.setattr(search, "RANKED_MENTIONS", 6)
    monkeypatch.setattr(search, "RECENT_DOCUMENTS", 4)
    f = MentionFilter(search="zorg", since=later(hours=21), limit=None)
    listed = _listed(store, f)
    assert {identity for identity, _ in listed} == {f"z{n}" for n in range(21, 41)}
    # The start of the period bounds the documents: no recent look, no widening.
    assert _candidate_reads(store, f) == [None]


def test_band_key_holders_are_read_from_the_end_of_each_key_s_range_on_sqlite(
    filled_sqlite: Store,
) -> None:
    from veille.store.stories import _holders

    def read_holders() -> None:
        with filled_sqlite.engine.connect() as connection:
            _holders(connection, [1, 2], T0)

    sent = sent_statements(filled_sqlite, read_holders)
    statement, parameters = next((s, p) for s, p in sent if "story_bands" in s)
    plan = _sqlite_plan(filled_sqlite, statement, parameters)
    # Each key's holders come from the (band key, document id, time) index in order, and the
    # reading stops at the limit: no sort of every holder of a frequent key, and no document
    # row read for its collection time.
    searches = [step for step in plan if "story_bands" in step]
    assert len(searches) == 2, plan
    assert all(
        "COVERING INDEX ix_story_bands_band_key_document_id_collected_us" in step
        for step in searches
    ), plan
    assert not any("documents" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_a_brand_s_page_without_a_period_is_read_from_the_newest_mentions_on_sqlite(
    filled_sqlite: Store,
) -> None:
    f = MentionFilter(brands=("acme",), limit=20)
    assert len(filled_sqlite.list_mentions(f)) == 20
    sent = sent_statements(filled_sqlite, lambda: filled_sqlite.list_mentions(f))
    # One listing: the page found among the newest mentions, not the brand's all sorted.
    listings = [(s, p) for s, p in sent if "mention_id" in s]
    assert len(listings) == 1 and "IN (SELECT" in listings[0][0]
    plan = _sqlite_plan(filled_sqlite, *listings[0])
    assert any("ix_documents_mention_time" in step for step in plan), plan
    assert not any("ix_mentions_brand_id" in step for step in plan), plan
