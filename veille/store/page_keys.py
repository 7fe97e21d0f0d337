"""Page keys of the stored documents, filled in by the migrations that change them (0015, 0017)."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select, update

from veille.store.document_writes import page_key
from veille.store.schema import document_table

FILL_BATCH = 5000


def fill_page_keys(connection: Connection, *, batch_size: int = FILL_BATCH) -> int:
    """Give every stored document with a canonical URL its page key; return how many."""
    columns = (document_table.c.id, document_table.c.canonical_url)
    statement = (
        update(document_table)
        .where(document_table.c.id == bindparam("document_id"))
        .values(page_key=bindparam("key"))
    )
    filled, last_id = 0, 0
    while True:
        query = select(*columns).where(
            document_table.c.id > last_id, document_table.c.canonical_url.is_not(None)
        )
        rows = connection.execute(query.order_by(document_table.c.id).limit(batch_size)).all()
        if not rows:
            return filled
        keys = [{"document_id": row.id, "key": page_key(row.canonical_url)} for row in rows]
        connection.execute(statement, keys)
        filled += len(keys)
        last_id = rows[-1].id
