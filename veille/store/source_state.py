"""Reads about sources: which are due, what each remembers, and how healthy each is."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Connection, Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from veille.store.lookups import brand_id_for, check_source_names, source_id_for
from veille.store.queries import iso_utc
from veille.store.schema import BrandRow, MentionRow, SourceRow, SourceStateRow
from veille.types import SourceState


def due_sources(
    connection: Connection,
    now: datetime,
    *,
    names: Sequence[str] = (),
    include_not_due: bool = False,
) -> list[str]:
    """Return the names of the active sources to collect now, in name order.

    A source is due when one of its states (one per brand for search feeds) is not disabled and
    its next check time has come, when it was never collected, or when it collects per brand and
    an active brand has no state yet. It is disabled when all its states are.
    """
    check_source_names(connection, names)
    sources = connection.execute(
        select(SourceRow.id, SourceRow.name).where(SourceRow.active.is_(True))
    ).all()
    states: dict[int, list[tuple[str, bool, datetime | None]]] = defaultdict(list)
    for row in connection.execute(
        select(
            SourceStateRow.source_id,
            SourceStateRow.brand_key,
            SourceStateRow.disabled,
            SourceStateRow.next_check_at,
        )
    ):
        states[row.source_id].append((row.brand_key, row.disabled, row.next_check_at))
    active_brands = set(
        connection.execute(select(BrandRow.name).where(BrandRow.active.is_(True))).scalars()
    )
    due: list[str] = []
    for source_id, name in sources:
        if names and name not in names:
            continue
        rows = states.get(source_id, [])
        enabled = [(key, next_check) for key, disabled, next_check in rows if not disabled]
        if rows and not enabled:
            # Disabled sources wait for a person; naming one with --all retries it.
            if include_not_due and name in names:
                due.append(name)
            continue
        brand_keys = {key for key, _, _ in rows if key}
        if (
            include_not_due
            or not rows
            or any(next_check is None or next_check <= now for _, next_check in enabled)
            or (brand_keys and active_brands - brand_keys)
        ):
            due.append(name)
    return sorted(due)


# What load_state and consecutive_failures read: url, etag, last_modified, content_hash, cursor,
# consecutive_failures, check_interval.
_StateColumns = tuple[str | None, str | None, str | None, str | None, str | None, int, float | None]


@cache
def _state_query() -> Select[*_StateColumns]:
    state = SourceStateRow
    return select(
        state.url,
        state.etag,
        state.last_modified,
        state.content_hash,
        state.cursor,
        state.consecutive_failures,
        state.check_interval,
    ).where(state.source_id == bindparam("source_id"), state.brand_key == bindparam("brand_key"))


def _state_row(
    connection: Connection, source: str, brand: str | None
) -> Row[*_StateColumns] | None:
    source_id = source_id_for(connection, source)
    if brand is not None:
        brand_id_for(connection, brand)
    values = {"source_id": source_id, "brand_key": brand or ""}
    return connection.execute(_state_query(), values).first()


def load_state(connection: Connection, source: str, brand: str | None) -> SourceState:
    """Return what a source (for a brand, if given) remembers; empty when never collected."""
    row = _state_row(connection, source, brand)
    if row is None:
        return SourceState()
    return SourceState(
        url=row.url,
        etag=row.etag,
        last_modified=row.last_modified,
        content_hash=row.content_hash,
        cursor=row.cursor,
        check_interval=timedelta(seconds=row.check_interval) if row.check_interval else None,
    )


def consecutive_failures(connection: Connection, source: str, brand: str | None) -> int:
    """Return how many passes in a row failed for a source (for a brand, if given)."""
    row = _state_row(connection, source, brand)
    return 0 if row is None else row.consecutive_failures


def source_health(connection: Connection) -> list[dict[str, object]]:
    """Return one health record per source, and per brand for sources collected per brand."""
    documents: dict[tuple[int | None, int | None], int] = defaultdict(int)
    for source_id, brand_id, count in connection.execute(
        select(
            MentionRow.source_id,
            MentionRow.brand_id,
            func.count(func.distinct(MentionRow.document_id)),
        ).group_by(MentionRow.source_id, MentionRow.brand_id)
    ):
        documents[(source_id, brand_id)] = count
    # A brand-less state covers every brand: count its distinct documents across brands.
    for source_id, count in connection.execute(
        select(MentionRow.source_id, func.count(func.distinct(MentionRow.document_id))).group_by(
            MentionRow.source_id
        )
    ):
        documents[(source_id, None)] = count
    query = (
        select(SourceRow, SourceStateRow, BrandRow.name)
        .outerjoin(SourceStateRow, SourceStateRow.source_id == SourceRow.id)
        .outerjoin(BrandRow, BrandRow.id == SourceStateRow.brand_id)
        .order_by(SourceRow.name, SourceStateRow.brand_key)
    )
    with Session(connection) as session:
        rows = session.execute(query).all()
    return [
        {
            "name": source.name,
            "kind": source.kind,
            "brand": brand,
            "active": source.active,
            "disabled": bool(state and state.disabled),
            "disabled_reason": state.disabled_reason if state else None,
            "last_ok_at": iso_utc(state.last_ok_at) if state else None,
            "last_new_at": iso_utc(state.last_new_at) if state else None,
            "last_error": state.last_error if state else None,
            "last_error_at": iso_utc(state.last_error_at) if state else None,
            "consecutive_failures": state.consecutive_failures if state else 0,
            "next_check_at": iso_utc(state.next_check_at) if state else None,
            "documents": documents.get((source.id, state.brand_id if state else None), 0),
        }
        for source, state, brand in rows
    ]
