"""Page keys of the stored documents, filled in by the migrations that change them (0015, 0017)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, bindparam, select, update

from veille.store.document_writes import page_key
from veille.store.schema import document_table

FILL_BATCH = 5000


def fill_page_keys(
    connection: Connection, *, batch_size: int = FILL_BATCH, with_query_only: bool = False
) -> int:
    """Give every stored document with a canonical URL its page key; return how many changed.

    Only keys that change are written (a write rewrites the row and its indexes on PostgreSQL);
    ``with_query_only`` reads only addresses with a query string, for a change of key that
    only a query can make (tracking parameters).
    """
    columns = (document_table.c.id, document_table.c.canonical_url, document_table.c.page_key)
    statement = (
        update(document_table)
        .where(document_table.c.id == bindparam("document_id"))
        .values(page_key=bindparam("key"))
    )
    wanted: ColumnElement[bool] = document_table.c.canonical_url.is_not(None)
    if with_query_only:
        wanted = document_table.c.canonical_url.contains("?", autoescape=True)
    changed, last_id = 0, 0
    while True:
        query = select(*columns).where(document_table.c.id > last_id, wanted)
        rows = connection.execute(query.order_by(document_table.c.id).limit(batch_size)).all()
        if not rows:
            return changed
        keys = [
            {"document_id": row.id, "key": key}
            for row in rows
            if (key := page_key(row.canonical_url)) != row.page_key
        ]
        if keys:
            connection.execute(statement, keys)
        changed += len(keys)
        last_id = rows[-1].id
