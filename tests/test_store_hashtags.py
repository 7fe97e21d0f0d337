"""Stored hashtags: written with each new document, filled in for older ones, gone with them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from tests.support.stores import T0, later, make_item, store_fixture  # noqa: F401
from veille.store import MentionFilter, Store, StoredItem
from veille.store.hashtags import document_hashtags, fill_hashtags
from veille.store.schema import document_table, hashtag_table
from veille.types import SourceState


def save(store: Store, items: list[StoredItem], source: str = "lemonde", *, days: int = 0) -> None:
    """Save items as one collection by ``source``, ``days`` after T0."""
    now = later(days=days)
    run = store.begin_run(now)
    store.save_collection(
        run, source, None, items, SourceState(), now=now,
        next_check_at=now + timedelta(hours=1), not_modified=False, duration=0.1,
    )  # fmt: skip


def stored(store: Store) -> set[tuple[str, str, str]]:
    """(document identity, folded hashtag, spelling) of every stored row."""
    query = select(
        document_table.c.identity, hashtag_table.c.hashtag, hashtag_table.c.spelling
    ).join(document_table, document_table.c.id == hashtag_table.c.document_id)
    with store.engine.connect() as connection:
        return {(identity, tag, spelling) for identity, tag, spelling in connection.execute(query)}


ITEMS = [
    make_item("a", title="#BoycottDanone !", text="Encore #boycottdanone et #Grève"),
    make_item("b", title="Rappel", text="#Rappel, page.html#ancre, #1 et &#39;"),
    make_item("c", title="Sans tag", text="rien"),
]
ROWS = {
    ("a", "#boycottdanone", "#BoycottDanone"),  # the spelling written first
    ("a", "#grève", "#Grève"),
    ("b", "#rappel", "#Rappel"),
}


def test_the_hashtags_of_a_document_each_once_whatever_their_case() -> None:
    assert document_hashtags("#Rentrée", "#rentrée #Rentrée #2026 x#y") == {"#rentrée": "#Rentrée"}
    assert document_hashtags("", "") == {}


def test_a_new_document_stores_its_hashtags_once(store: Store) -> None:
    save(store, ITEMS)
    assert stored(store) == ROWS
    # The same documents seen by another source, and for another brand: no new rows.
    copies = [make_item("a", brands=("globex",), title="#Autre", text="")]
    save(store, copies, source="hn", days=1)
    assert stored(store) == ROWS


def test_filling_in_gives_the_rows_of_the_write_path_and_is_idempotent(store: Store) -> None:
    save(store, ITEMS)
    with store.engine.begin() as connection:
        connection.execute(delete(hashtag_table))
    seen: list[tuple[int, int]] = []
    with store.engine.begin() as connection:
        read = fill_hashtags(connection, batch_size=2, progress=lambda *p: seen.append(p))
    assert read == 3 and seen == [(2, 3), (3, 3)]
    assert stored(store) == ROWS
    with store.engine.begin() as connection:
        assert fill_hashtags(connection) == 3
    assert stored(store) == ROWS
    assert [row["key"] for row in store.stats(MentionFilter(), "hashtag")] == [
        "#BoycottDanone", "#Grève", "#Rappel",
    ]  # fmt: skip


def test_pruned_documents_take_their_hashtags_with_them(store: Store) -> None:
    old = make_item("old", text="#Ancien #Commun", published_at=T0 - timedelta(days=800))
    save(store, [old, make_item("new", text="#Commun")])
    store.prune(T0 - timedelta(days=365), dry_run=False)
    assert stored(store) == {("new", "#commun", "#Commun")}
