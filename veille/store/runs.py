"""The record of collection passes: one ``runs`` row per pass, totals taken from its sources."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, ScalarSelect, func, insert, select, text, update

from veille.store.inserts import upsert_insert
from veille.store.schema import RUN_STATUSES, job_run_table, run_source_table, run_table

# On PostgreSQL a pass holds a session advisory lock on its run for as long as its process
# lives; PostgreSQL lets it go when the session ends, a killed process's included. The first
# number of the two-number key is this space of its own, the second the run id (32 bits).
RUN_LOCKS = int.from_bytes(hashlib.sha256(b"veille.store:run").digest()[:4], "big", signed=True)
_TAKE_RUN_LOCK = text("SELECT pg_advisory_lock(:space, :key)")
_TRY_RUN_LOCK = text("SELECT pg_try_advisory_xact_lock(:space, :key)")
_RELEASE_RUN_LOCK = text("SELECT pg_advisory_unlock(:space, :key)")


def _run_lock(run_id: int) -> dict[str, int]:
    return {"space": RUN_LOCKS, "key": (run_id + 2**31) % 2**32 - 2**31}


def begin_run(connection: Connection, now: datetime) -> int:
    """Record the start of a pass and return its id."""
    statement = insert(run_table).values(started_at=now, status="running").returning(run_table.c.id)
    return int(connection.execute(statement).scalar_one())


def _per_source(total: ColumnElement[int]) -> ScalarSelect[int]:
    """A total over the per-source records of the pass being updated (correlated)."""
    return select(total).where(run_source_table.c.run_id == run_table.c.id).scalar_subquery()


def _new_mentions() -> ColumnElement[int]:
    """Every new mention of the per-source records: a search's own brand's and the others'."""
    row = run_source_table.c
    return func.coalesce(func.sum(row.new_mentions + row.new_mentions_other_brands), 0)


def hold_run_lock(connection: Connection, run_id: int) -> None:
    """Take the run's lock for the life of this connection's session (PostgreSQL)."""
    connection.execute(_TAKE_RUN_LOCK, _run_lock(run_id))


def reopen_run(connection: Connection, run_id: int) -> None:
    """Mark a live pass "running" again, if another worker took it for dead meanwhile."""
    connection.execute(
        update(run_table)
        .where(run_table.c.id == run_id, run_table.c.status != "running")
        .values(status="running", sources_total=0, sources_failed=0, new_mentions=0)
    )


def release_run_lock(connection: Connection, run_id: int) -> None:
    """Let go of the run's lock, held by this connection's session (PostgreSQL)."""
    connection.execute(_RELEASE_RUN_LOCK, _run_lock(run_id))


def dead_runs(connection: Connection) -> list[int]:
    """The passes "running" whose lock no session holds: their process died (PostgreSQL).

    Each lock tried is taken until the transaction ends, so a pass cannot start holding it
    while its row is being closed.
    """
    running = connection.execute(
        select(run_table.c.id).where(run_table.c.status == "running").order_by(run_table.c.id)
    ).scalars()
    return [
        run_id
        for run_id in running
        if connection.execute(_TRY_RUN_LOCK, _run_lock(run_id)).scalar()
    ]


def close_interrupted_runs(connection: Connection, run_ids: Sequence[int] | None = None) -> int:
    """Mark the passes still "running" as failed, with their totals; return how many.

    Every such pass where one pass runs at a time (SQLite, under the collect lock), or those of
    ``run_ids`` (PostgreSQL: ``dead_runs``): such a row is what a process that died (killed, a
    power cut) left. ``finished_at`` stays empty, as when the pass stopped is not known.
    """
    statement = update(run_table).where(run_table.c.status == "running")
    if run_ids is not None:
        if not run_ids:
            return 0
        statement = statement.where(run_table.c.id.in_(run_ids))
    result = connection.execute(
        statement.values(
            status="failed",
            sources_total=_per_source(func.count(run_source_table.c.id)),
            sources_failed=_per_source(func.count(run_source_table.c.error)),
            new_mentions=_per_source(_new_mentions()),
        )
    )
    return int(result.rowcount)


def finish_run(connection: Connection, run_id: int, now: datetime, *, status: str) -> None:
    """Close a pass with its status and the totals of its per-source records."""
    if status not in RUN_STATUSES:
        raise ValueError(f"run status must be one of {', '.join(RUN_STATUSES)}, not {status!r}")
    totals = connection.execute(
        select(
            func.count(run_source_table.c.id),
            func.count(run_source_table.c.error),
            _new_mentions(),
        ).where(run_source_table.c.run_id == run_id)
    ).one()
    result = connection.execute(
        update(run_table)
        .where(run_table.c.id == run_id)
        .values(
            finished_at=now,
            status=status,
            sources_total=totals[0],
            sources_failed=totals[1],
            new_mentions=totals[2],
        )
    )
    if result.rowcount != 1:
        raise ValueError(f"no run with id {run_id}")


def note_job_run(connection: Connection, job: str, ran_at: datetime) -> None:
    """Record that a scheduled job last ran at ``ran_at`` (read back for the scheduler's catch-up).

    For what leaves no other trace of having run whole: an alert check that finds no spike, a
    pass over every source (one limited to some sources or brands is a run all the same).
    """
    statement = upsert_insert(connection, job_run_table).values(job=job, ran_at=ran_at)
    # Never back in time: two processes sharing a database may record out of order.
    latest = func.greatest if connection.dialect.name == "postgresql" else func.max
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["job"],
            set_={"ran_at": latest(job_run_table.c.ran_at, statement.excluded.ran_at)},
        )
    )


def last_job_run(connection: Connection, job: str) -> datetime | None:
    """When ``note_job_run`` last recorded the job, or None if never."""
    query = select(job_run_table.c.ran_at).where(job_run_table.c.job == job)
    value = connection.execute(query).scalar_one_or_none()
    return value if isinstance(value, datetime) else None
