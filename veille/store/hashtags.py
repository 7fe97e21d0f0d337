"""The hashtags of stored documents, written with each new document and read by statistics.

A document's hashtags are those of its title and text (``veille.normalize.text.hashtags``),
each once whatever its case, under the spelling the document writes first. A stored document's
title and text never change, so neither do its rows. Migration 0011 fills them in for the
documents stored before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Connection, func, select

from veille.store.inserts import insert_new_rows
from veille.store.schema import document_table, hashtag_table

# Documents read per statement when filling in the hashtags of stored documents.
FILL_BATCH = 2000


def document_hashtags(title: str, text: str) -> dict[str, str]:
    """The case-folded hashtags of a document's title and text, each with its spelling there."""
    # Imported here: commands that only read the database never load the text normalisation.
    from veille.normalize.text import hashtags

    found: dict[str, str] = {}
    for tag in hashtags(f"{title}\n{text}"):
        found.setdefault(tag.casefold(), tag)
    return found


def save_hashtags(connection: Connection, documents: Mapping[int, tuple[str, str]]) -> None:
    """Store the hashtags of new documents, given as ``{document id: (title, text)}``."""
    values = [
        {"document_id": document_id, "hashtag": folded, "spelling": spelling}
        for document_id, (title, text) in documents.items()
        for folded, spelling in document_hashtags(title, text).items()
    ]
    if values:
        insert_new_rows(connection, hashtag_table, ("document_id", "hashtag"), values)


def fill_hashtags(
    connection: Connection,
    *,
    batch_size: int = FILL_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Store the hashtags of every stored document, in id order; return how many were read.

    Documents that already have rows keep them (a second run adds nothing). ``progress`` is
    called after each batch with the documents read so far and the total.
    """
    total = connection.execute(select(func.count()).select_from(document_table)).scalar_one()
    columns = (document_table.c.id, document_table.c.title, document_table.c.text)
    read, last_id = 0, 0
    while True:
        query = select(*columns).where(document_table.c.id > last_id)
        rows = connection.execute(query.order_by(document_table.c.id).limit(batch_size)).all()
        if not rows:
            return read
        save_hashtags(connection, {row.id: (row.title or "", row.text or "") for row in rows})
        read += len(rows)
        last_id = rows[-1].id
        if progress is not None:
            progress(read, total)
