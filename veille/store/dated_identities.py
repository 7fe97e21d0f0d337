"""Stored items with neither link nor GUID, identified by source, title and date (0024).

Such an item used to be identified by the hash of its title and text (``hash:…``), so that a
change of its text (a forum thread's counts of views and replies) made it a new document and a
new mention at every pass. Its identity is now ``dated_identity``: its source, title and date.
Revision 0024 gives the stored ones theirs, so that the next pass finds them rather than storing
them again. Those without a date or a title keep their content hash, which is still theirs.

A date stored in place of one in the future (``normalize._published``: the collection time)
is no longer the item's own: such a document gets an identity its item will not have, and the
item is stored once more if it is still in the feed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from veille.store.lookups import chunked, one_of_parameter, rows_for
from veille.store.schema import document_table, source_table

UPDATE_BATCH = 5000


def _give(connection: Connection, holders: dict[str, int]) -> int:
    """Give each document its identity in ``holders`` (identity → document id), unless
    another document holds it already; return how many changed."""
    taken = _taken(connection, holders)
    statement = (
        update(document_table)
        .where(document_table.c.id == bindparam("document_id"))
        .values(identity=bindparam("new_identity"))
    )
    rows: list[dict[str, Any]] = [
        {"document_id": document_id, "new_identity": identity}
        for identity, document_id in holders.items()
        if identity not in taken
    ]
    for batch in chunked(rows, UPDATE_BATCH):
        connection.execute(statement, batch)
    return len(rows)


def give_dated_identities(connection: Connection) -> int:
    """Give the stored documents with a content hash and a title and date their dated identity.

    Documents stored apart for one item (its text changed between passes) would share it: the
    one stored last has it, its text the item's latest, and the others keep theirs. Return how
    many documents changed.
    """
    # Imported here: commands that only read the database never load the normalisation.
    from veille.normalize.identity import dated_identity
    from veille.normalize.text import fold_text

    query = (
        select(
            document_table.c.id,
            document_table.c.title,
            document_table.c.published_at,
            source_table.c.name,
        )
        .join(source_table, source_table.c.id == document_table.c.source_id)
        .where(
            document_table.c.identity.startswith("hash:", autoescape=True),
            document_table.c.published_at.is_not(None),
        )
        .order_by(document_table.c.id)
    )
    holders: dict[str, int] = {}
    for document_id, title, published, source in connection.execute(query):
        if fold_text(title or ""):
            holders[dated_identity(source, title, published)] = document_id  # the last stored
    return _give(connection, holders)


def give_back_content_identities(connection: Connection) -> int:
    """Undo ``give_dated_identities``: every dated identity becomes the content hash again.

    One a document already holds (an earlier version of the same item) stays dated. Return how
    many documents changed.
    """
    query = (
        select(document_table.c.id, document_table.c.fingerprint)
        .where(document_table.c.identity.startswith("dated:", autoescape=True))
        .order_by(document_table.c.id)
    )
    holders: dict[str, int] = {}
    for document_id, content in connection.execute(query):
        holders.setdefault(f"hash:{content}", document_id)
    return _give(connection, holders)


def _taken(connection: Connection, identities: Iterable[str]) -> set[str]:
    """The identities among these that a stored document already holds."""
    query = select(document_table.c.identity).where(
        one_of_parameter(connection.dialect.name, document_table.c.identity, "values")
    )
    return {identity for (identity,) in rows_for(connection, query, "values", identities)}
