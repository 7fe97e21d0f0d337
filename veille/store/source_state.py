"""Reads about sources: which are due, what each remembers, and how healthy each is."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, func, select

from veille.store.lookups import brand_id_for, check_source_names, source_id_for
from veille.store.queries import iso_utc
from veille.store.schema import brand_table, mention_table, source_state_table, source_table
from veille.store.writes import as_json
from veille.types import SourceState


def due_sources(
    connection: Connection,
    now: datetime,
    *,
    names: Sequence[str] = (),
    include_not_due: bool = False,
) -> list[str]:
    """Return the names of the active sources to collect now, in name order.

    A source is due when one of its states (one per brand for search feeds) is not disabled,
    not within a wait its server asked for, and its next check time has come; when it was
    never collected; or when it collects per brand and an active brand has no state yet. It is
    disabled when all its states are. ``include_not_due`` takes every source, but those whose
    states are all disabled or within a server's wait, unless ``names`` names them.
    """
    check_source_names(connection, names)
    sources = connection.execute(
        select(source_table.c.id, source_table.c.name).where(source_table.c.active.is_(True))
    ).all()
    states: dict[int, list[tuple[str, bool, datetime | None, datetime | None]]] = defaultdict(list)
    state = source_state_table.c
    for row in connection.execute(
        select(
            state.source_id,
            state.brand_key,
            state.disabled,
            state.next_check_at,
            state.server_wait_until,
        )
    ):
        states[row.source_id].append(
            (row.brand_key, row.disabled, row.next_check_at, row.server_wait_until)
        )
    active_brands = set(
        connection.execute(
            select(brand_table.c.name).where(brand_table.c.active.is_(True))
        ).scalars()
    )
    due: list[str] = []
    for source_id, name in sources:
        if names and name not in names:
            continue
        rows = states.get(source_id, [])
        # Disabled sources wait for a person, and those a server asked to wait for the end of
        # that wait; naming one with --all asks it all the same.
        override = include_not_due and name in names
        enabled = [(next_check, wait) for _, disabled, next_check, wait in rows if not disabled]
        if rows and not enabled and not override:
            continue
        free = [next_check for next_check, wait in enabled if wait is None or wait <= now]
        brand_keys = {key for key, _, _, _ in rows if key}
        if (
            override
            or not rows
            or (include_not_due and free)
            or any(next_check is None or next_check <= now for next_check in free)
            or (brand_keys and active_brands - brand_keys)
        ):
            due.append(name)
    return sorted(due)


def server_waits(connection: Connection, now: datetime) -> dict[tuple[str, str | None], datetime]:
    """The enabled states of active sources within a wait their server asked for, and its end.

    Keyed by (source name, brand name or None): a 429 or 503 with Retry-After, or a rate
    limit's reset, recorded with the failure (``record_failure``).
    """
    state = source_state_table.c
    query = (
        select(source_table.c.name, state.brand_key, state.server_wait_until)
        .select_from(source_table)
        .join(source_state_table, state.source_id == source_table.c.id)
        .where(
            source_table.c.active.is_(True),
            state.disabled.is_(False),
            state.server_wait_until > now,
        )
    )
    return {
        (row.name, row.brand_key or None): row.server_wait_until
        for row in connection.execute(query)
    }


# What load_state and consecutive_failures read: whether a state is stored, then its url,
# etag, last_modified, content_hash, cursor, consecutive_failures, check_interval,
# seen_entries, seen_for.
_StateColumns = tuple[
    int | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    int,
    float | None,
    str | None,
    str | None,
]


@cache
def _state_query() -> Select[*_StateColumns]:
    """The source's state for a brand key, read with the source's name in one statement.

    No row: no such source. A row with no ``state_id``: the source has no state yet.
    """
    state = source_state_table.c
    return (
        select(
            state.id.label("state_id"),
            state.url,
            state.etag,
            state.last_modified,
            state.content_hash,
            state.cursor,
            state.consecutive_failures,
            state.check_interval,
            state.seen_entries,
            state.seen_for,
        )
        .select_from(source_table)
        .outerjoin(
            source_state_table,
            and_(state.source_id == source_table.c.id, state.brand_key == bindparam("brand_key")),
        )
        .where(source_table.c.name == bindparam("source"))
    )


def _state_row(
    connection: Connection, source: str, brand: str | None
) -> Row[*_StateColumns] | None:
    row = connection.execute(_state_query(), {"source": source, "brand_key": brand or ""}).first()
    if row is None:
        source_id_for(connection, source)  # raises, naming the known sources
    if brand is not None:
        brand_id_for(connection, brand)
    return row if row is not None and row.state_id is not None else None


def load_state(connection: Connection, source: str, brand: str | None) -> SourceState:
    """Return what a source (for a brand, if given) remembers; empty when never collected."""
    row = _state_row(connection, source, brand)
    return SourceState() if row is None else _state_of(row)


# Source names read by one statement of load_states: below SQLite's 999 variables.
_NAMES_PER_READ = 500


def load_states(
    connection: Connection, units: Sequence[tuple[str, str | None]]
) -> dict[tuple[str, str | None], SourceState]:
    """What each (source, brand or None) of ``units`` remembers, read a few hundred at once.

    A pass reads them all before its first request rather than one statement per source. A
    unit without a stored state (never collected, or no such source or brand) is left out;
    ``load_state`` tells those apart.
    """
    wanted = set(units)
    names = sorted({source for source, _ in wanted})
    found: dict[tuple[str, str | None], SourceState] = {}
    for start in range(0, len(names), _NAMES_PER_READ):
        rows = connection.execute(
            _states_query(), {"names": names[start : start + _NAMES_PER_READ]}
        )
        for row in rows:
            unit = (row.source_name, row.brand_key or None)
            if unit in wanted:
                found[unit] = _state_of(row)
    return found


def collected_sources(connection: Connection, names: Sequence[str]) -> set[str]:
    """Those of ``names`` with a stored state, for any brand: collected at least once."""
    query = (
        select(source_table.c.name)
        .distinct()
        .select_from(source_table)
        .join(source_state_table, source_state_table.c.source_id == source_table.c.id)
        .where(source_table.c.name.in_(bindparam("names", expanding=True)))
    )
    wanted = sorted(set(names))
    found: set[str] = set()
    for start in range(0, len(wanted), _NAMES_PER_READ):
        found.update(connection.scalars(query, {"names": wanted[start : start + _NAMES_PER_READ]}))
    return found


@cache
def _states_query() -> Select[Any]:
    state = source_state_table.c
    return (
        select(
            source_table.c.name.label("source_name"),
            state.brand_key,
            state.url,
            state.etag,
            state.last_modified,
            state.content_hash,
            state.cursor,
            state.check_interval,
            state.seen_entries,
            state.seen_for,
        )
        .select_from(source_table)
        .join(source_state_table, state.source_id == source_table.c.id)
        .where(source_table.c.name.in_(bindparam("names", expanding=True)))
    )


def _state_of(row: Any) -> SourceState:
    return SourceState(
        url=row.url,
        etag=row.etag,
        last_modified=row.last_modified,
        content_hash=row.content_hash,
        cursor=row.cursor,
        check_interval=timedelta(seconds=row.check_interval) if row.check_interval else None,
        seen_entries=tuple(row.seen_entries.split()) if row.seen_entries else (),
        seen_for=row.seen_for,
    )


def moved_feed_addresses(
    connection: Connection, configured: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    """Where a permanent redirect (301/308) moved the feed of each source of ``configured``
    (name → options, as the configuration gives them), by name: the address it is read at.

    Only for a source whose stored options are those given: new options start it afresh
    (``sync_config``), and what the last pass followed says nothing of the new address.
    """
    state = source_state_table.c
    rows = connection.execute(
        select(source_table.c.name, source_table.c.options, state.url)
        .join(source_state_table, state.source_id == source_table.c.id)
        .where(source_table.c.active.is_(True), state.brand_key == "", state.url.is_not(None))
    )
    return {
        row.name: row.url
        for row in rows
        if row.name in configured and row.options == as_json(dict(configured[row.name]))
    }


def consecutive_failures(connection: Connection, source: str, brand: str | None) -> int:
    """Return how many passes in a row failed for a source (for a brand, if given)."""
    row = _state_row(connection, source, brand)
    return 0 if row is None else row.consecutive_failures


def source_health(connection: Connection) -> list[dict[str, object]]:
    """Return one health record per source, and per brand for sources collected per brand."""
    documents: dict[tuple[int | None, int | None], int] = defaultdict(int)
    for source_id, brand_id, count in connection.execute(
        select(
            mention_table.c.source_id,
            mention_table.c.brand_id,
            func.count(func.distinct(mention_table.c.document_id)),
        ).group_by(mention_table.c.source_id, mention_table.c.brand_id)
    ):
        documents[(source_id, brand_id)] = count
    # A brand-less state covers every brand: count its distinct documents across brands.
    for source_id, count in connection.execute(
        select(
            mention_table.c.source_id, func.count(func.distinct(mention_table.c.document_id))
        ).group_by(mention_table.c.source_id)
    ):
        documents[(source_id, None)] = count
    state = source_state_table.c
    query = (
        select(
            source_table.c.id,
            source_table.c.name,
            source_table.c.kind,
            source_table.c.active,
            brand_table.c.name.label("brand"),
            # NULL when the source has no state yet (never collected).
            state.id.label("state_id"),
            state.brand_id,
            state.disabled,
            state.disabled_reason,
            state.last_ok_at,
            state.last_new_at,
            state.last_error,
            state.last_error_at,
            state.consecutive_failures,
            state.next_check_at,
            state.server_wait_until,
            state.check_interval,
        )
        .outerjoin(source_state_table, state.source_id == source_table.c.id)
        .outerjoin(brand_table, brand_table.c.id == state.brand_id)
        .order_by(source_table.c.name, state.brand_key)
    )
    return [
        {
            "name": row.name,
            "kind": row.kind,
            "brand": row.brand,
            "active": row.active,
            "disabled": bool(row.disabled),
            "disabled_reason": row.disabled_reason,
            "last_ok_at": iso_utc(row.last_ok_at),
            "last_new_at": iso_utc(row.last_new_at),
            "last_error": row.last_error,
            "last_error_at": iso_utc(row.last_error_at),
            "consecutive_failures": row.consecutive_failures or 0,
            "next_check_at": iso_utc(row.next_check_at),
            # The end of a wait the server asked for, which `collect --all` respects.
            "server_wait_until": iso_utc(row.server_wait_until),
            "check_interval": row.check_interval,  # seconds, None before a first success
            "documents": documents.get((row.id, row.brand_id), 0),
        }
        for row in connection.execute(query)
    ]
