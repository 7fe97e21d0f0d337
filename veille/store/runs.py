"""The record of collection passes: one ``runs`` row per pass, totals taken from its sources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, ScalarSelect, func, insert, select, update

from veille.store.schema import RUN_STATUSES, run_source_table, run_table


def begin_run(connection: Connection, now: datetime) -> int:
    """Record the start of a pass and return its id."""
    statement = insert(run_table).values(started_at=now, status="running").returning(run_table.c.id)
    return int(connection.execute(statement).scalar_one())


def _per_source(total: ColumnElement[int]) -> ScalarSelect[int]:
    """A total over the per-source records of the pass being updated (correlated)."""
    return select(total).where(run_source_table.c.run_id == run_table.c.id).scalar_subquery()


def close_interrupted_runs(connection: Connection) -> int:
    """Mark the passes still "running" as failed, with their totals; return how many.

    Only for a database where one pass runs at a time (SQLite, under the collect lock): such a
    row is what a process that died (killed, a power cut) left. ``finished_at`` stays empty, as
    when the pass stopped is not known.
    """
    result = connection.execute(
        update(run_table)
        .where(run_table.c.status == "running")
        .values(
            status="failed",
            sources_total=_per_source(func.count(run_source_table.c.id)),
            sources_failed=_per_source(func.count(run_source_table.c.error)),
            new_mentions=_per_source(func.coalesce(func.sum(run_source_table.c.new_mentions), 0)),
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
            func.coalesce(func.sum(run_source_table.c.new_mentions), 0),
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
