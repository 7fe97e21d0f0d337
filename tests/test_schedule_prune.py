"""``[schedule] prune``: the daemon keeps the database to ``[retention] older_than``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.project import run
from tests.support.stores import configure, database_url_fixture, make_item  # noqa: F401
from tests.test_schedule_daemon import EventLog, write_project
from veille.errors import ConfigError
from veille.schedule import Daemon, scheduled_jobs
from veille.schedule.logfmt import LOGGER_NAME
from veille.settings import Settings, load_settings
from veille.store import MentionFilter, Store
from veille.timeutil import utcnow
from veille.types import SourceState

WEEKLY = '\n[schedule]\nprune = "30 3 * * 0"\n\n[retention]\nolder_than = "365d"\n'


@pytest.fixture
def events() -> Iterator[EventLog]:
    """The scheduler's log lines."""
    logger = logging.getLogger(LOGGER_NAME)
    handler, previous = EventLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@pytest.fixture
def pruning(tmp_path: Path, database_url: str) -> Iterator[tuple[Settings, Store]]:
    """A weekly prune keeping a year, and a store with three old mentions and a recent one."""
    settings = load_settings(write_project(tmp_path, database_url, {}, extra=WEEKLY))
    store = Store.open(settings.database_url)
    try:
        configure(store)
        now = utcnow()
        run_id = store.begin_run(now)
        items = [make_item(f"old-{n}", published_at=now - timedelta(days=500)) for n in range(3)]
        items.append(make_item("recent", published_at=now - timedelta(days=2)))
        store.save_collection(
            run_id, "lemonde", None, items, SourceState(),
            now=now, next_check_at=now, not_modified=False, duration=0.0,
        )  # fmt: skip
        yield settings, store
    finally:
        store.close()


def test_the_daemon_prunes_what_is_older_than_the_retention(
    pruning: tuple[Settings, Store], events: EventLog
) -> None:
    settings, store = pruning
    daemon = Daemon(settings, store)
    assert daemon.notes["prune"] == "scheduled"
    # Never pruned: missed, so caught up at start as the other jobs are.
    plans = {item.spec.name: item for item in daemon.plans()}
    assert plans["prune"].spec.cron == "30 3 * * 0" and plans["prune"].catch_up

    result = daemon.execute("prune")
    assert result.status == "ok", result
    assert events.matching("event=job_end", "job=prune", "status=ok", "older_than=365d")
    assert events.matching("job=prune", "mentions=3", "documents=3")
    listed = store.list_mentions(MentionFilter(limit=None))
    assert [mention["url"] for mention in listed] == ["https://www.lemonde.fr/recent"]
    # Done since its due time: not again until the next one, nor caught up.
    assert daemon.execute("prune").reason == "up_to_date"
    assert not {item.spec.name: item for item in daemon.plans()}["prune"].catch_up


def test_a_prune_by_hand_counts_as_the_scheduled_one(pruning: tuple[Settings, Store]) -> None:
    settings, store = pruning
    assert store.last_prune() is None
    store.prune(utcnow() - timedelta(days=400), dry_run=True)
    assert store.last_prune() is None  # counting removes nothing
    started = utcnow()
    store.prune(utcnow() - timedelta(days=400), dry_run=False)
    last = store.last_prune()
    assert last is not None and last >= started - timedelta(seconds=1)
    assert Daemon(settings, store).execute("prune").reason == "up_to_date"


def test_no_prune_is_scheduled_unless_asked_and_told_its_age(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'veille.db'}"
    jobs, notes = scheduled_jobs(load_settings(write_project(tmp_path, database, {})))
    assert "prune" not in [job.name for job, _ in jobs]
    assert notes["prune"] == "not scheduled: no [schedule] prune (see [retention])"

    no_age = write_project(tmp_path, database, {}, extra='\n[schedule]\nprune = "30 3 * * 0"\n')
    with pytest.raises(ConfigError, match=r"needs \[retention\] older_than") as caught:
        scheduled_jobs(load_settings(no_age))
    assert caught.value.key == "schedule.prune"
    result = run(no_age, "schedule", "--once")
    assert result.exit_code == 2 and "older_than" in result.output

    # As `veille prune --older-than` does, less than a day is refused ("365" is seconds).
    seconds = write_project(tmp_path, database, {}, extra='\n[retention]\nolder_than = "365"\n')
    with pytest.raises(ConfigError, match="keeps at least a day") as refused:
        load_settings(seconds)
    assert refused.value.key == "retention.older_than"
