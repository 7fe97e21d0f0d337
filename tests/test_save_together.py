"""Saves of one transaction are written together: a few statements for them all, storing what
saving them one after the other stores, and a bad one still fails alone."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.stores import (  # noqa: F401
    T0,
    configure,
    empty_database,
    later,
    make_item,
    sent_statements,
    store_fixture,
)
from veille.store import CollectionSave, SaveCounts, Store
from veille.store.schema import (
    brand_table,
    document_table,
    hashtag_table,
    mention_table,
    run_source_table,
    source_state_table,
    source_table,
    story_band_table,
)
from veille.types import SourceState, StoredItem

WIRE = (
    "Le groupe Acme a annoncé mardi la fermeture de son usine de Villefranche, où travaillent "
    "240 salariés, invoquant la baisse des ventes de yaourts en Europe et le coût de l'énergie. "
    "Les syndicats dénoncent une décision brutale et demandent un plan de reprise du site."
)


def _wire(identity: str, site: str, title: str, text: str = WIRE, **fields: Any) -> StoredItem:
    return make_item(
        identity, title=title, text=text, site=site,
        url=f"https://www.{site}/{identity}", canonical_url=f"https://www.{site}/{identity}",
        fingerprint=hashlib.sha1((title + text).encode()).hexdigest(), **fields,
    )  # fmt: skip


def _save(
    run_id: int, source: str, now: datetime, items: Sequence[StoredItem], brand: str | None = None
) -> CollectionSave:
    return CollectionSave(
        run_id=run_id, source=source, brand=brand, items=list(items),
        state=SourceState(etag=f'"{source}-{now:%H%M}"'), now=now,
        next_check_at=later(hours=1), not_modified=False, duration=0.25,
    )  # fmt: skip


def _batch(run_id: int) -> list[CollectionSave]:
    """Saves crossing one another: the same document, one canonical URL under two identities, a
    near-copy and an exact copy of a story, two brands, a document stored before the batch."""
    url = "https://www.lemonde.fr/usine"
    return [
        _save(run_id, "lemonde", later(1), [
            _wire("afp-1", "lemonde.fr", "Acme ferme son usine de Villefranche #Acme"),
            make_item("guid:both", brands=("acme", "globex")),
            make_item("guid:url-1", canonical_url=url),
            make_item("guid:before"),
        ]),
        _save(run_id, "gnews", later(2), [
            make_item("guid:both", brands=("acme",)),
            make_item("guid:url-2", canonical_url=url, brands=("globex",)),
            _wire("lp-1", "lepoint.fr", "DIRECT - Acme ferme l'usine de Villefranche",
                  text=WIRE[:160] + "…"),
        ], brand="acme"),
        _save(run_id, "hn", later(3), [
            # The same title and text: the same fingerprint.
            _wire("copy-1", "example.org", "Acme ferme son usine de Villefranche #Acme"),
            make_item("guid:hn", brands=("globex",), tone="negative", sentiment=-0.5),
            make_item("guid:before"),
        ]),
    ]  # fmt: skip


def _contents(store: Store) -> dict[str, set[tuple[Any, ...]]]:
    """Every row a save writes, by identity and name rather than by id."""
    d, m, b, s = document_table.c, mention_table.c, brand_table.c, source_table.c
    queries = {
        "documents": select(
            d.identity, d.canonical_url, d.story_id, d.collected_at, s.name, d.tone
        ).join(source_table, s.id == d.source_id),
        "mentions": select(d.identity, b.name, s.name, m.first_seen_at, m.matched_terms)
        .join(document_table, d.id == m.document_id)
        .join(brand_table, b.id == m.brand_id)
        .join(source_table, s.id == m.source_id),
        "band keys": select(
            d.identity, story_band_table.c.band_key, story_band_table.c.collected_us
        ).join(document_table, d.id == story_band_table.c.document_id),
        "hashtags": select(d.identity, hashtag_table.c.hashtag).join(
            document_table, d.id == hashtag_table.c.document_id
        ),
        "runs": select(
            s.name,
            run_source_table.c.items_fetched,
            run_source_table.c.new_documents,
            run_source_table.c.new_mentions,
            run_source_table.c.new_mentions_other_brands,
            run_source_table.c.duration_seconds,
        ).join(source_table, s.id == run_source_table.c.source_id),
        "states": select(
            s.name,
            source_state_table.c.brand_key,
            source_state_table.c.etag,
            source_state_table.c.last_new_at,
            source_state_table.c.last_ok_at,
        ).join(source_table, s.id == source_state_table.c.source_id),
    }
    with store.engine.connect() as connection:
        return {
            name: {
                tuple(tuple(v) if isinstance(v, list) else v for v in row)
                for row in connection.execute(query)
            }
            for name, query in queries.items()
        }


@pytest.fixture(name="second_store")
def second_store_fixture(store: Store, tmp_path: Path) -> Iterator[Store]:
    """Another store of the same engine and configuration as ``store``."""
    (tmp_path / "second").mkdir()
    with empty_database(store.engine.dialect.name, tmp_path / "second") as url:
        other = Store.open(url)
        configure(other)
        try:
            yield other
        finally:
            other.close()


def _store_before(store: Store) -> int:
    run_id = store.begin_run(T0)
    [counts] = store.save_collections([_save(run_id, "hn", T0, [make_item("guid:before")])])
    assert counts == SaveCounts(items=1, new_documents=1, new_mentions=1)
    return run_id


def test_saves_written_together_store_what_saving_them_in_turn_stores(
    store: Store, second_store: Store
) -> None:
    run_id = _store_before(store)
    together = store.save_collections(_batch(run_id))
    other_run = _store_before(second_store)
    in_turn = [second_store.save_collections([save])[0] for save in _batch(other_run)]
    assert together == in_turn
    assert together == [
        SaveCounts(items=4, new_documents=3, new_mentions=4),  # "before" was stored already
        # Its "both" adds no mention; acme's search stores globex's "url-2", counted apart.
        SaveCounts(items=3, new_documents=1, new_mentions=1, new_mentions_other_brands=1),
        SaveCounts(items=3, new_documents=2, new_mentions=2),
    ]
    stored = _contents(store)
    assert stored == _contents(second_store)
    stories = {row[0]: row[2] for row in stored["documents"]}
    assert stories["lp-1"] == stories["afp-1"], "the near-copy joined the story"
    assert stories["copy-1"] == stories["afp-1"], "so did the exact copy"
    urls = {row[0] for row in stored["documents"] if row[1] == "https://www.lemonde.fr/usine"}
    assert urls == {"guid:url-1"}, "one document for the canonical URL"
    assert ("guid:url-1", "globex", "gnews") in {row[:3] for row in stored["mentions"]}


def test_saves_of_one_transaction_share_their_statements(store: Store) -> None:
    run_id = store.begin_run(T0)
    batch = _batch(run_id)
    sent = [
        " ".join(statement.split())
        for statement, _ in sent_statements(store, lambda: store.save_collections(batch))
    ]
    # Identities are looked up before and after the insert, once for the three saves.
    assert sum(s.startswith("SELECT documents.identity") for s in sent) == 2
    assert sum(s.startswith("SELECT documents.page_key") for s in sent) == 1
    assert sum(s.startswith("SAVEPOINT") for s in sent) == 1
    # Each save still writes its own source state and run record.
    assert sum(s.startswith("INSERT INTO source_state") for s in sent) == 3
    assert sum(s.startswith("INSERT INTO run_sources") for s in sent) == 3


def test_a_save_the_database_refuses_fails_alone_when_written_together(store: Store) -> None:
    run_id = _store_before(store)
    batch = _batch(run_id)
    # A tone the documents' check constraint refuses: only the insert finds it out.
    refused = make_item("guid:refused", tone="bogus")  # type: ignore[arg-type]
    batch[1] = replace(batch[1], items=[*batch[1].items, refused])
    sent: list[str] = []
    results: list[Any] = []
    sent = [
        statement
        for statement, _ in sent_statements(
            store, lambda: results.extend(store.save_collections(batch))
        )
    ]
    assert results[0] == SaveCounts(items=4, new_documents=3, new_mentions=4)
    assert isinstance(results[1], Exception)
    assert results[2] == SaveCounts(items=3, new_documents=2, new_mentions=2)
    assert any(statement.startswith("ROLLBACK TO SAVEPOINT") for statement in sent)
    with store.engine.connect() as connection:
        identities = set(connection.scalars(select(document_table.c.identity)))
        etags = set(connection.scalars(select(source_state_table.c.etag)))
    assert "guid:refused" not in identities and "lp-1" not in identities
    assert {"afp-1", "guid:url-1", "copy-1", "guid:hn"} <= identities
    assert not any(etag.startswith('"gnews') for etag in etags if etag)


def _variants(count: int) -> list[StoredItem]:
    """Near-copies of two stories, each with a few words of its own, the stories interleaved."""
    rng = random.Random(7)
    other = " ".join(reversed(WIRE.split()))
    items = []
    for index in range(count):
        words = (WIRE if index % 3 else other).split()
        # Enough words of its own that some pairs are too far apart to be one story: the story
        # a document joins then depends on which documents it is compared with.
        for _ in range(rng.randrange(10, 18)):
            words[rng.randrange(len(words))] = f"mot{rng.randrange(50)}"
        items.append(_wire(f"v{index}", f"site{index}.fr", "Acme", text=" ".join(words)))
    return items


def _stories(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(document_table.c.identity, document_table.c.story_id))
        return {identity: story for identity, story in rows}


def test_stories_do_not_depend_on_how_documents_are_split_into_saves(
    store: Store, second_store: Store
) -> None:
    # More near-copies than a document is compared with (MAX_COMPARED).
    items = _variants(30)
    sources = ["lemonde", "gnews", "hn"]
    run_id = store.begin_run(T0)
    # Three at a time, the saves of a transaction written together.
    saves = [
        _save(run_id, sources[start // 3 % 3], later(start), items[start : start + 3])
        for start in range(0, len(items), 3)
    ]
    for start in range(0, len(saves), 4):
        assert all(
            isinstance(r, SaveCounts) for r in store.save_collections(saves[start : start + 4])
        )
    # One at a time, each in a transaction of its own.
    other_run = second_store.begin_run(T0)
    for index, item in enumerate(items):
        source = sources[index // 3 % 3]
        second_store.save_collections([_save(other_run, source, later(index), [item])])
    stories = _stories(store)
    assert stories == _stories(second_store)
    assert len(set(stories.values())) < len(items) / 2, "the near-copies joined stories"
