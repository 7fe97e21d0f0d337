"""What the scheduler reads from the database about past runs of its jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from veille.store.schema import run_table
from veille.store.store import Store


def last_collect_started_at(store: Store) -> datetime | None:
    """When the latest finished collecting pass started (UTC), or None if none finished.

    A pass that never finished (the process was killed) does not count: the next start
    catches it up, and only the sources still due are fetched again.
    """
    query = select(func.max(run_table.c.started_at)).where(run_table.c.finished_at.is_not(None))
    with store.engine.connect() as connection:
        value = connection.execute(query).scalar_one_or_none()
    return value if isinstance(value, datetime) else None
