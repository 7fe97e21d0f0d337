"""Mirror the configuration's brands and sources into the database (the file stays the truth)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, exists, func, insert, select, update

from veille.errors import StoreError
from veille.store.schema import brand_table, mention_table, source_state_table, source_table
from veille.store.specs import BrandSpec, SourceSpec
from veille.store.writes import as_json, reset_states

# The PostgreSQL advisory lock key that serializes configuration syncs (any fixed 64-bit number).
SYNC_LOCK_KEY = 0x7665696C6C650001


def _check_unique(kind: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise StoreError(f"{kind} {name!r} is declared twice", hint="give each a unique name")
        seen.add(name)


def _sync_rows(
    connection: Connection,
    table: Table,
    wanted: dict[str, dict[str, Any]],
    now: datetime,
) -> list[int]:
    """Upsert rows by name, deactivate the others; return ids whose settings changed."""
    model = table.c
    columns = [model.id, model.name, model.active, *(getattr(model, key) for key in _keys(wanted))]
    current = {row.name: row._mapping for row in connection.execute(select(*columns))}
    changed: list[int] = []
    new_rows: list[dict[str, Any]] = []
    for name, values in wanted.items():
        row = current.get(name)
        if row is None:
            new_rows.append(
                {"name": name, "active": True, "created_at": now, "updated_at": now, **values}
            )
            continue
        differs = any(row[key] != value for key, value in values.items())
        if differs or not row["active"]:
            connection.execute(
                update(table)
                .where(model.id == row["id"])
                .values(active=True, updated_at=now, **values)
            )
        if differs:
            changed.append(row["id"])
    if new_rows:
        # One statement for all of them: a first pass over a thousand sources inserts them all.
        connection.execute(insert(table), new_rows)
    gone = [row["id"] for name, row in current.items() if name not in wanted and row["active"]]
    if gone:
        connection.execute(
            update(table).where(model.id.in_(gone)).values(active=False, updated_at=now)
        )
    return changed


def _keys(wanted: dict[str, dict[str, Any]]) -> list[str]:
    return sorted({key for values in wanted.values() for key in values})


def sync_config(
    connection: Connection,
    brands: Sequence[BrandSpec],
    sources: Sequence[SourceSpec],
    now: datetime,
) -> None:
    """Upsert brands and sources; those absent from the configuration become inactive."""
    _check_unique("brand", [brand.name for brand in brands])
    _check_unique("source", [source.name for source in sources])
    if connection.dialect.name == "postgresql":
        # Workers sharing the database sync at the start of every pass: one at a time, each
        # reading what the previous one committed, so none inserts a row another just did.
        connection.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK_KEY)))
    wanted_brands = {
        brand.name: {
            "query": brand.query,
            "languages": as_json(list(brand.languages)),
            "options": as_json(brand.options),
        }
        for brand in brands
    }
    wanted_sources = {
        source.name: {"kind": source.kind, "options": as_json(source.options)} for source in sources
    }
    matching = {row.name: _matching(row.query, row.options) for row in _brand_rows(connection)}
    changed_brands = _sync_rows(connection, brand_table, wanted_brands, now)
    requeried = [
        name
        for name, values in wanted_brands.items()
        if name in matching and matching[name] != _matching(values["query"], values["options"])
    ]
    if requeried:
        _note_query_changes(connection, requeried, now)
    changed_sources = _sync_rows(connection, source_table, wanted_sources, now)
    # A new query or new source options make the remembered URL, validators and cursor
    # meaningless (and a source disabled for a wrong URL may now be right): start afresh. A
    # wait its server asked for holds while the server is the same: across a new query.
    if changed_brands:
        reset_states(
            connection,
            source_state_table.c.brand_id.in_(changed_brands),
            keep_server_wait=True,
        )
    if changed_sources:
        reset_states(connection, source_state_table.c.source_id.in_(changed_sources))


def _brand_rows(connection: Connection) -> list[Any]:
    return list(
        connection.execute(select(brand_table.c.name, brand_table.c.query, brand_table.c.options))
    )


def _matching(query: str, options: Any) -> tuple[str, bool]:
    """What decides which documents a brand's query keeps: its text and case sensitivity."""
    return query, bool((options or {}).get("case_sensitive"))


def _note_query_changes(connection: Connection, names: list[str], now: datetime) -> None:
    """Date the query change of those brands that have stored mentions (found with an earlier
    query), unless an earlier change not yet applied to them is dated already."""
    has_mentions = exists().where(mention_table.c.brand_id == brand_table.c.id)
    connection.execute(
        update(brand_table)
        .where(
            brand_table.c.name.in_(names),
            brand_table.c.query_changed_at.is_(None),
            has_mentions,
        )
        .values(query_changed_at=now)
    )
