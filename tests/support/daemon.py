"""The scheduler's tests: a project file, its log lines as events to wait for, run records.

Test modules import what they use::

    from tests.support.daemon import EventLog, events_fixture  # noqa: F401

(imported under this name, ``events_fixture`` provides the fixture ``events``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support.project import BRANDS
from veille.schedule.logfmt import LOGGER_NAME
from veille.store import Store

WAIT = 60.0  # generous: these waits end as soon as the condition holds

# Long timeouts: a request the feed server holds must not time out while a test looks at it.
PATIENT_HTTP = """
[http]
connect_timeout = 5
read_timeout = 120
total_timeout = 240
retries = 0
"""


def write_project(
    directory: Path, database_url: str, feeds: dict[str, str], *, extra: str = ""
) -> Path:
    """A configuration with the test brands, one rss source per feed, the database and extra."""
    sources = "".join(
        f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{url}"\n'
        for name, url in feeds.items()
    )
    path = directory / "veille.toml"
    path.write_text(
        f'[database]\nurl = "{database_url}"\n' + BRANDS + PATIENT_HTTP + extra + sources,
        encoding="utf-8",
    )
    return path


class EventLog(logging.Handler):
    """Collects the scheduler's log lines and lets a test wait for one."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.changed:
            self.lines.append(record.getMessage())
            self.changed.notify_all()

    def matching(self, *parts: str) -> list[str]:
        """The lines that contain every part."""
        with self.changed:
            return [line for line in self.lines if all(part in line for part in parts)]

    def wait_for(self, *parts: str, count: int = 1) -> list[str]:
        """Wait until ``count`` lines contain every part; fail after a generous timeout."""
        with self.changed:
            found = self.changed.wait_for(lambda: len(self.matching(*parts)) >= count, WAIT)
        assert found, f"no log line with {parts} in:\n" + "\n".join(self.lines)
        return self.matching(*parts)


@pytest.fixture(name="events")
def events_fixture() -> Iterator[EventLog]:
    logger = logging.getLogger(LOGGER_NAME)
    handler = EventLog()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def run_count(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM runs")).scalar_one())


def record_run(store: Store, started: datetime) -> None:
    """A finished collecting pass over every source that started at ``started``."""
    run_id = store.begin_run(started)
    store.finish_run(run_id, started + timedelta(minutes=1), status="ok")
    store.note_whole_pass(started)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
