"""Claiming due sources, so that several workers sharing one PostgreSQL database split them.

A claim is taken per source state: one per source, or one per (source, brand) for sources that
search per brand. On PostgreSQL a worker locks the due states with ``FOR UPDATE SKIP LOCKED``
and pushes their next check time to the end of a lease, in one short transaction: a concurrent
worker skips the locked rows, and once the claim is committed finds them not due. The pass then
sets the real next check time when it saves or records a failure; a worker that dies mid-pass
leaves its sources due again when the lease ends, or as soon as another pass finds it dead: each
claim records its pass, whose claims are then given back (``release_dead``). On SQLite, where
one process writes at a time, claiming is simply reading which sources are due.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, or_, select, tuple_, update

from veille.store.lookups import brand_ids_by_name, check_source_names, chunked, one_of
from veille.store.schema import source_state_table, source_table

# What a pass collects: a source name and, for sources searching per brand, a brand name.
Unit = tuple[str, str | None]
Transaction = Callable[[], AbstractContextManager[Connection]]


@dataclass(frozen=True, slots=True)
class _Wanted:
    """A state a pass would collect: its source, and its brand for per-brand sources."""

    source_id: int
    source: str
    brand_id: int | None
    brand: str | None

    @property
    def key(self) -> tuple[int, str]:
        """The state's unique key: (source id, brand name or "")."""
        return (self.source_id, self.brand or "")


def units_of(names: Sequence[str], per_brand: Mapping[str, Sequence[str]]) -> list[Unit]:
    """Expand source names into units: one per brand for per-brand sources, else one."""
    units: list[Unit] = []
    for name in names:
        if name in per_brand:
            units.extend((name, brand) for brand in per_brand[name])
        else:
            units.append((name, None))
    return units


def claim_due(
    writing: Transaction,
    now: datetime,
    *,
    names: Sequence[str],
    include_not_due: bool,
    lease: timedelta,
    per_brand: Mapping[str, Sequence[str]],
    limit: int | None = None,
    run_id: int | None = None,
) -> list[Unit]:
    """Claim the due units on PostgreSQL until ``now + lease``; return them, sorted.

    ``per_brand`` maps each source collected per brand to the brands this pass collects;
    ``limit`` caps how many are claimed at once (a pass claims more as it frees up);
    ``run_id`` is the claiming pass, recorded with each claim.
    """
    with writing() as connection:
        wanted = _wanted(connection, names, per_brand)
        _create_missing(connection, wanted)
    if not wanted:
        return []
    # A transaction of its own, after the rows exist: it only locks, updates and commits.
    with writing() as connection:
        return _lock_and_push(connection, wanted, now, names, include_not_due, lease, limit, run_id)


def _wanted(
    connection: Connection, names: Sequence[str], per_brand: Mapping[str, Sequence[str]]
) -> list[_Wanted]:
    check_source_names(connection, names)
    query = select(source_table.c.id, source_table.c.name).where(source_table.c.active.is_(True))
    if names:
        query = query.where(one_of(connection, source_table.c.name, list(names)))
    brand_ids = brand_ids_by_name(connection)
    wanted: list[_Wanted] = []
    for source_id, name in connection.execute(query.order_by(source_table.c.id)):
        if name in per_brand:
            wanted.extend(
                _Wanted(source_id, name, brand_ids[brand], brand)
                for brand in per_brand[name]
                if brand in brand_ids
            )
        else:
            wanted.append(_Wanted(source_id, name, None, None))
    return sorted(wanted, key=lambda w: w.key)


def _create_missing(connection: Connection, wanted: Sequence[_Wanted]) -> None:
    """Give never-collected units a state row, so that they can be locked like the others."""
    from sqlalchemy.dialects.postgresql import insert  # only PostgreSQL passes claim

    for batch in chunked(wanted):
        statement = insert(source_state_table).on_conflict_do_nothing(
            index_elements=["source_id", "brand_key"]
        )
        connection.execute(
            statement,
            [
                {
                    "source_id": w.source_id,
                    "brand_id": w.brand_id,
                    "brand_key": w.brand or "",
                    "consecutive_failures": 0,
                    "disabled": False,
                }
                for w in batch
            ],
        )


def _lock_and_push(
    connection: Connection,
    wanted: Sequence[_Wanted],
    now: datetime,
    names: Sequence[str],
    include_not_due: bool,
    lease: timedelta,
    limit: int | None,
    run_id: int | None,
) -> list[Unit]:
    by_key = {w.key: w for w in wanted}
    claimed: list[Unit] = []
    claimed_ids: list[int] = []
    for batch in chunked(list(by_key)):
        if limit is not None and len(claimed) >= limit:
            break
        query = select(
            source_state_table.c.id,
            source_state_table.c.source_id,
            source_state_table.c.brand_key,
            source_state_table.c.disabled,
            source_state_table.c.server_wait_until,
        ).where(tuple_(source_state_table.c.source_id, source_state_table.c.brand_key).in_(batch))
        if not include_not_due:
            # Evaluated again on the newest row version once locked: a claim committed by
            # another worker meanwhile makes the row not due any more.
            query = query.where(
                source_state_table.c.disabled.is_(False),
                or_(
                    source_state_table.c.next_check_at.is_(None),
                    source_state_table.c.next_check_at <= now,
                ),
                or_(
                    source_state_table.c.server_wait_until.is_(None),
                    source_state_table.c.server_wait_until <= now,
                ),
            )
        query = query.order_by(source_state_table.c.id).with_for_update(skip_locked=True)
        if limit is not None:
            query = query.limit(limit - len(claimed))
        for row in connection.execute(query):
            unit = by_key[(row.source_id, row.brand_key)]
            # Disabled states wait for a person, and those a server asked to wait for its end;
            # naming the source with --all asks them all the same.
            waiting = row.server_wait_until is not None and row.server_wait_until > now
            if (row.disabled or waiting) and unit.source not in names:
                continue
            claimed.append((unit.source, unit.brand))
            claimed_ids.append(row.id)
    for ids in chunked(claimed_ids):
        connection.execute(
            update(source_state_table)
            .where(one_of(connection, source_state_table.c.id, list(ids)))
            .values(next_check_at=now + lease, claimed_by_run=run_id)
        )
    return sorted(claimed, key=lambda unit: (unit[0], unit[1] or ""))


def release(connection: Connection, units: Sequence[Unit], now: datetime) -> None:
    """Make claimed units due again: their pass stopped before collecting them (Ctrl-C).

    Only states still on their lease (next check after ``now``) are touched; the others'
    real next check was recorded meanwhile.
    """
    if not units:
        return
    ids = dict(
        connection.execute(
            select(source_table.c.name, source_table.c.id).where(
                one_of(connection, source_table.c.name, sorted({source for source, _ in units}))
            )
        ).all()
    )
    keys = [(ids[source], brand or "") for source, brand in units if source in ids]
    for batch in chunked(keys):
        connection.execute(
            update(source_state_table)
            .where(
                tuple_(source_state_table.c.source_id, source_state_table.c.brand_key).in_(batch),
                source_state_table.c.next_check_at > now,
            )
            .values(next_check_at=now, claimed_by_run=None)
        )


def release_dead(connection: Connection, run_ids: Sequence[int], now: datetime) -> int:
    """Give back the claims of passes whose process died: due at ``now``, not at the lease's end.

    A state such a pass saved or recorded a failure for holds no claim any more; one whose
    lease is already over stays as due as it is. Returns how many states were given back.
    """
    state = source_state_table.c
    released = 0
    for ids in chunked(list(run_ids)):
        result = connection.execute(
            update(source_state_table)
            .where(one_of(connection, state.claimed_by_run, list(ids)))
            .values(
                next_check_at=case((state.next_check_at > now, now), else_=state.next_check_at),
                claimed_by_run=None,
            )
        )
        released += int(result.rowcount)
    return released
