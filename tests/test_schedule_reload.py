"""A running daemon follows the edits of its configuration file, and never undoes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.daemon import EventLog, events_fixture, run_count, write_project  # noqa: F401
from tests.support.feedserver import FeedServer
from tests.support.project import recent_feed_bytes
from tests.support.stores import database_url_fixture  # noqa: F401
from veille.pipeline import run_once
from veille.schedule import Daemon, JobSpec, next_fire
from veille.settings import load_settings
from veille.store import Store
from veille.timeutil import utcnow

EVIAN = '\n[[brands]]\nname = "Évian"\nlanguages = ["fr"]\n'
DAILY_UTC = '\n[schedule]\ntimezone = "UTC"\ncollect = "0 6 * * *"\nalerts = "0 * * * *"\n'


class Project:
    """A configuration file on a real feed server, its database, and a daemon with a clock."""

    def __init__(self, directory: Path, database_url: str, feed_url: str) -> None:
        self.directory, self.database_url, self.feed_url = directory, database_url, feed_url
        self.config = self.write()
        self.store = Store.open(load_settings(self.config).database_url)
        self.offset = timedelta(0)
        self.daemon = Daemon(
            load_settings(self.config), self.store, clock=lambda: utcnow() + self.offset
        )

    def write(self, extra: str = DAILY_UTC) -> Path:
        return write_project(self.directory, self.database_url, {"fr": self.feed_url}, extra=extra)

    def active_brands(self) -> list[str]:
        return self.store.brand_names(active_only=True)


@pytest.fixture
def project(feed_server: FeedServer, tmp_path: Path, database_url: str) -> Iterator[Project]:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    project = Project(tmp_path, database_url, feed_server.url("/fr.xml"))
    try:
        yield project
    finally:
        project.daemon.stop()
        project.store.close()


def test_a_brand_added_while_the_daemon_runs_is_kept_by_its_next_pass(
    project: Project, events: EventLog
) -> None:
    daemon = project.daemon
    assert daemon.execute("collect").status == "ok"
    assert project.active_brands() == ["Danone", "Michelin"]
    # The user adds a brand and collects by hand, as the README suggests.
    project.write(DAILY_UTC + EVIAN)
    run_once(load_settings(project.config), project.store, include_not_due=True)
    assert "Évian" in project.active_brands()

    project.offset = timedelta(days=1)  # the next day's scheduled pass
    result = daemon.execute("collect")
    assert result.status == "ok"
    assert project.active_brands() == ["Danone", "Michelin", "Évian"]
    [reloaded] = events.matching("event=config_reloaded")
    assert "changed=brands" in reloaded and "brands=3" in reloaded
    assert "brands_added=Évian" in reloaded and "sources=1" in reloaded
    assert [brand.name for brand in daemon.settings.brands] == ["Danone", "Michelin", "Évian"]
    # Read once: the file unchanged since, the next job reads nothing again.
    daemon.execute("alerts")
    assert len(events.matching("event=config_reloaded")) == 1


def test_an_invalid_edit_pauses_collect_without_undoing_the_last_valid_one(
    project: Project, events: EventLog
) -> None:
    daemon = project.daemon
    assert daemon.execute("collect").status == "ok"
    project.write(DAILY_UTC + EVIAN)
    run_once(load_settings(project.config), project.store, include_not_due=True)
    runs = run_count(project.store)
    # A typo while editing: the file no longer reads.
    project.write(DAILY_UTC + EVIAN + '\n[[brands]]\nname = "Volvic"\nlanguages = "fr"\n')
    project.offset = timedelta(days=1)
    result = daemon.execute("collect")
    assert (result.status, result.reason) == ("skipped", "config_invalid")
    [invalid] = events.matching("event=config_invalid")
    assert str(project.config) in invalid and "brands[3].languages" in invalid
    assert events.matching("event=job_skipped", "job=collect", "reason=config_invalid")
    assert run_count(project.store) == runs
    assert project.active_brands() == ["Danone", "Michelin", "Évian"]
    # The other jobs write no configuration: they go on.
    assert daemon.execute("alerts").status != "skipped"
    assert len(events.matching("event=config_invalid")) == 1  # said once per edit

    project.write(DAILY_UTC + EVIAN + '\n[[brands]]\nname = "Volvic"\nlanguages = ["fr"]\n')
    assert daemon.execute("collect").status == "ok"
    assert project.active_brands() == ["Danone", "Michelin", "Volvic", "Évian"]
    [reloaded] = events.matching("event=config_reloaded")
    assert "brands_added=Évian,Volvic" in reloaded


def test_a_schedule_edited_while_the_daemon_runs_takes_effect(
    project: Project, events: EventLog
) -> None:
    daemon = project.daemon
    daemon.start()
    assert daemon.scheduler is not None
    assert daemon.scheduler.get_job("digest") is None  # no [[digests]] yet
    digest = '\n[[digests]]\nname = "matin"\nto = ["com@example.org"]\n'
    project.write(DAILY_UTC.replace("0 6 * * *", "30 */2 * * *") + digest)
    daemon.execute("alerts")  # any job reads the edit first
    job = daemon.scheduler.get_job("collect")
    spec = JobSpec("collect", "30 */2 * * *", "UTC")
    assert job.next_run_time == next_fire(spec, utcnow())
    assert daemon.jobs["collect"][1] == spec
    [moved] = events.matching("event=job_rescheduled", "job=collect")
    assert 'cron="30 */2 * * *"' in moved
    assert daemon.scheduler.get_job("digest") is not None
    assert events.matching("event=job_rescheduled", "job=digest")
