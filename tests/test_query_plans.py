"""PostgreSQL plans: the main mention listing must be served by indexes, not by a full scan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from tests.support.stores import T0, empty_database
from veille.store import BrandSpec, MentionFilter, SourceSpec, Store
from veille.store.schema import BrandRow, DocumentRow, MentionRow

BRANDS = ("acme", "globex", "initech", "umbrella", "hooli", "stark")
DOCUMENTS = 4000
INDEXED_SCANS = ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A PostgreSQL store of 4,000 documents over a year, each naming one or two of six brands."""
    with empty_database("postgresql", Path(tmp_path_factory.mktemp("plans"))) as url:
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
            name: id_ for name, id_ in connection.execute(select(BrandRow.name, BrandRow.id))
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
            insert(DocumentRow).returning(DocumentRow.id, sort_by_parameter_order=True),
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
        connection.execute(insert(MentionRow), mentions)
        connection.exec_driver_sql("ANALYZE")


def _plan_of_listing(store: Store, f: MentionFilter) -> dict[str, Any]:
    """EXPLAIN the listing query exactly as ``Store.list_mentions`` sends it."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        store.list_mentions(f)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
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
