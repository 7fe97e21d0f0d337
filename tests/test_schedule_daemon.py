"""The daemon in-process, on both engines, against a real local feed server and a chosen clock."""

from __future__ import annotations

import importlib
import importlib.util
import io
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.daemon import (  # noqa: F401
    WAIT,
    EventLog,
    events_fixture,
    record_run,
    run_count,
    wait_until,
    write_project,
)
from tests.support.feedserver import FeedServer
from tests.support.project import recent_feed_bytes
from tests.support.smtpserver import SmtpServer, free_port
from tests.support.stores import database_url_fixture  # noqa: F401
from veille.digest import send_digests
from veille.errors import StoreError
from veille.locks import job_lock
from veille.schedule import (
    Daemon,
    Job,
    JobSpec,
    logfmt,
    next_fire,
    previous_fire,
    scheduled_jobs,
)
from veille.schedule.logfmt import LOGGER_NAME, configure_logging
from veille.settings import Settings, load_settings
from veille.store import Store
from veille.store.digests import DigestKey
from veille.timeutil import utcnow


@pytest.fixture
def project(
    feed_server: FeedServer, tmp_path: Path, database_url: str
) -> Iterator[tuple[Settings, Store]]:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    config = write_project(tmp_path, database_url, {"fr": feed_server.url("/fr.xml")})
    settings = load_settings(config)
    store = Store.open(settings.database_url)
    try:
        yield settings, store
    finally:
        store.close()


def test_a_collect_missed_for_days_runs_once_then_nothing(
    project: tuple[Settings, Store], feed_server: FeedServer, events: EventLog
) -> None:
    settings, store = project
    record_run(store, utcnow() - timedelta(days=3))
    store.note_alert_check(utcnow())  # the hourly alerts are up to date: collect alone is due
    daemon = Daemon(settings, store)
    (result,) = daemon.run_pending()
    assert result.job == "collect" and result.status == "ok"
    assert result.fields["new_mentions"] and result.fields["failed_sources"] == 0
    assert run_count(store) == 2
    assert feed_server.arrivals("/fr.xml") == 1
    (end,) = events.matching("event=job_end", "job=collect")
    assert "status=ok" in end and f"new_mentions={result.fields['new_mentions']}" in end
    assert "failed_sources=0" in end and "duration=" in end

    assert daemon.run_pending() == []
    assert events.matching("event=catch_up jobs=none")
    # Firing again the same day finds the job done since its latest due time.
    skipped = daemon.execute("collect")
    assert (skipped.status, skipped.reason) == ("skipped", "up_to_date")
    assert run_count(store) == 2


def test_an_alert_check_never_made_is_caught_up_once(
    project: tuple[Settings, Store], events: EventLog
) -> None:
    settings, store = project
    record_run(store, utcnow())  # collect is up to date
    assert store.last_alert_check() is None
    daemon = Daemon(settings, store)
    (result,) = daemon.run_pending()  # a check that finds nothing still counts as one
    assert (result.job, result.status) == ("alerts", "quiet")
    assert events.matching("event=catch_up jobs=alerts")
    checked = store.last_alert_check()
    assert checked is not None and checked <= utcnow()
    assert Daemon(settings, store).run_pending() == []


def test_a_job_another_process_is_running_is_skipped(
    project: tuple[Settings, Store], events: EventLog
) -> None:
    settings, store = project
    daemon = Daemon(settings, store)
    with job_lock(settings.database_url, "collect") as held:
        assert held
        result = daemon.execute("collect")
    if store.engine.dialect.name == "postgresql":
        # There passes claim due sources row by row and share the work: no job lock to wait for.
        assert result.status == "ok"
        assert run_count(store) == 1
        return
    assert (result.status, result.reason) == ("skipped", "locked")
    assert events.matching("event=job_skipped", "job=collect", "reason=locked")
    assert run_count(store) == 0
    assert daemon.execute("collect").status == "ok"
    assert run_count(store) == 1


@contextmanager
def _taken_once_free(database_url: str, job: str) -> Iterator[None]:
    """Hold a job's lock, taken as soon as the daemon's run lets go of it."""
    deadline = time.monotonic() + WAIT
    while True:
        with job_lock(database_url, job) as held:
            if held:
                yield
                return
        assert time.monotonic() < deadline, f"the {job} lock was never free"
        time.sleep(0.02)


def test_a_job_skipped_for_another_process_lock_runs_once_the_lock_is_free(
    feed_server: FeedServer, tmp_path: Path, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite: on PostgreSQL the collect job claims sources instead of locking the database.
    monkeypatch.setattr("veille.schedule.daemon.RETRY_SECONDS", 0.2)  # not a minute
    database_url = f"sqlite:///{tmp_path / 'veille.db'}"
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    config = write_project(tmp_path, database_url, {"fr": feed_server.url("/fr.xml")})
    settings = load_settings(config)
    store = Store.open(settings.database_url)
    store.note_alert_check(utcnow() + timedelta(days=3))  # only collect is due
    offset = [timedelta(0)]
    daemon = Daemon(settings, store, clock=lambda: utcnow() + offset[0])
    try:
        with job_lock(settings.database_url, "collect") as held:
            assert held  # a `veille collect` run by hand at the cron minute
            daemon.start()
            [skipped] = events.wait_for("event=job_skipped", "job=collect", "reason=locked")
            assert "retry_at=" in skipped
        # Once the other process is done, the scheduled pass still runs.
        [end] = events.wait_for("event=job_end", "job=collect")
        assert "status=ok" in end
        assert run_count(store) == 1 and feed_server.arrivals("/fr.xml") == 1

        # The next day's firing finds the lock held by a pass over every source that started
        # after its due time: tried again, it finds that pass did its work.
        offset[0] = timedelta(days=1)
        with _taken_once_free(settings.database_url, "collect"):
            daemon.trigger("collect")
            events.wait_for("event=job_skipped", "job=collect", "reason=locked", count=2)
            record_run(store, utcnow() + offset[0])
        events.wait_for("event=job_skipped", "job=collect", "reason=up_to_date")
        daemon.stop()
        assert len(events.matching("event=job_start", "job=collect")) == 1
        assert run_count(store) == 2 and feed_server.arrivals("/fr.xml") == 1
    finally:
        daemon.stop()
        store.close()


def test_a_slow_run_is_not_overlapped_by_the_next_firing(
    feed_server: FeedServer, tmp_path: Path, database_url: str, events: EventLog
) -> None:
    feed_server.add("/slow.xml", recent_feed_bytes("economie_fr.xml"), delay=WAIT * 2)
    config = write_project(tmp_path, database_url, {"slow": feed_server.url("/slow.xml")})
    settings = load_settings(config)
    store = Store.open(settings.database_url)
    offset = [timedelta(0)]
    daemon = Daemon(settings, store, clock=lambda: utcnow() + offset[0])
    record_run(store, utcnow())  # up to date: nothing to catch up
    store.note_alert_check(utcnow() + timedelta(days=3))  # nor later, whatever the clock says
    try:
        daemon.start()
        events.wait_for("event=catch_up jobs=none")
        offset[0] = timedelta(days=1)  # the next day's firing is due …
        daemon.trigger("collect")
        wait_until(lambda: feed_server.arrivals("/slow.xml") == 1, "the slow request")
        offset[0] = timedelta(days=2)  # … and the one after, while that pass still runs
        daemon.trigger("collect")
        events.wait_for("event=job_skipped", "job=collect", "reason=already_running")
        feed_server.stopping.set()  # the slow feed answers now
        events.wait_for("event=job_end", "job=collect", "status=ok")
        daemon.stop()
        assert len(events.matching("event=job_start", "job=collect")) == 1
        assert feed_server.arrivals("/slow.xml") == 1
        assert run_count(store) == 2
    finally:
        feed_server.stopping.set()
        daemon.stop()
        store.close()


def test_jobs_coalesce_never_overlap_and_keep_the_configured_grace(
    feed_server: FeedServer, tmp_path: Path, database_url: str, events: EventLog
) -> None:
    schedule = '\n[schedule]\ntimezone = "UTC"\ncollect = "15 */4 * * *"\nmisfire_grace = "15m"\n'
    config = write_project(tmp_path, database_url, {}, extra=schedule)
    settings = load_settings(config)
    store = Store.open(settings.database_url)
    record_run(store, utcnow())
    daemon = Daemon(settings, store)
    try:
        daemon.start()
        assert daemon.scheduler is not None
        job = daemon.scheduler.get_job("collect")
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 900)
        spec = JobSpec("collect", "15 */4 * * *", "UTC")
        assert job.next_run_time == next_fire(spec, utcnow())
        assert job.next_run_time.minute == 15 and job.next_run_time.hour % 4 == 0
    finally:
        daemon.stop()
        store.close()
    assert daemon.scheduler is not None and not daemon.scheduler.running


def test_a_failing_job_is_logged_and_the_next_job_still_runs(
    project: tuple[Settings, Store], events: EventLog
) -> None:
    settings, store = project

    def broken(_settings: Settings, _store: Store) -> dict[str, object]:
        raise RuntimeError("disk on fire")

    def unreachable(_settings: Settings, _store: Store) -> dict[str, object]:
        raise StoreError("cannot connect to the database")

    jobs = [
        (Job("first", broken, lambda _store: None), JobSpec("first", "0 6 * * *", "UTC")),
        (Job("second", unreachable, lambda _store: None), JobSpec("second", "0 6 * * *", "UTC")),
        (scheduled_jobs(settings)[0][0][0], JobSpec("collect", "0 6 * * *", "UTC")),
    ]
    results = Daemon(settings, store, jobs=jobs).run_pending()
    assert [(r.job, r.status) for r in results] == [
        ("first", "error"),
        ("second", "error"),
        ("collect", "ok"),
    ]
    assert results[0].reason == "RuntimeError: disk on fire"
    assert events.matching("event=job_end", "job=first", "status=error", 'error="RuntimeError')
    assert events.matching("event=job_crashed", "job=first")  # a bug keeps its traceback
    assert events.matching("event=job_end", "job=second", 'error="cannot connect to the database"')
    assert run_count(store) == 1


def test_a_stopping_daemon_starts_nothing_more(project: tuple[Settings, Store]) -> None:
    settings, store = project
    stopping = threading.Event()
    stopping.set()
    daemon = Daemon(settings, store, stopping=stopping)
    assert daemon.run_pending() == []
    assert daemon.execute("collect").reason == "shutting_down"
    assert run_count(store) == 0


def test_the_digest_is_caught_up_after_the_collect_it_reports_on(
    feed_server: FeedServer, tmp_path: Path, database_url: str, events: EventLog
) -> None:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    with SmtpServer() as smtp:
        extra = (
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
            '\n[[digests]]\nname = "morning"\nto = ["com@example.org"]\n'
        )
        config = write_project(
            tmp_path, database_url, {"fr": feed_server.url("/fr.xml")}, extra=extra
        )
        settings = load_settings(config)
        store = Store.open(settings.database_url)
        try:
            jobs, _ = scheduled_jobs(settings)
            assert [job.name for job, _ in jobs][:2] == ["collect", "digest"]
            daemon = Daemon(settings, store, jobs=jobs[:2])
            results = daemon.run_pending()
            assert [(r.job, r.status) for r in results] == [("collect", "ok"), ("digest", "ok")]
            assert results[1].fields["sent"] == 1 and results[1].fields["mentions"]
            assert len(smtp.messages) == 1
            assert events.matching("event=job_end", "job=digest", "status=ok", "sent=1")
            assert daemon.run_pending() == []
            assert daemon.execute("digest").reason == "up_to_date"
            assert len(smtp.messages) == 1
        finally:
            store.close()


def test_only_jobs_that_can_do_something_are_scheduled(tmp_path: Path) -> None:
    config = write_project(tmp_path, f"sqlite:///{tmp_path / 'veille.db'}", {})
    jobs, notes = scheduled_jobs(load_settings(config))
    alerts = importlib.util.find_spec("veille.alerts") is not None and callable(
        getattr(importlib.import_module("veille.alerts"), "check_alerts", None)
    )
    assert [job.name for job, _ in jobs] == (["collect", "alerts"] if alerts else ["collect"])
    assert notes["collect"] == "scheduled"
    assert notes["digest"] == "not scheduled: no [[digests]] in the configuration"
    expected = "scheduled" if alerts else "not scheduled: spike alerts are not available"
    assert notes["alerts"].startswith(expected)


def test_log_lines_are_logfmt() -> None:
    line = logfmt(event="job_end", job="collect", status="ok", new_mentions=12, duration=3.2)
    assert line == "event=job_end job=collect status=ok new_mentions=12 duration=3.2"
    quoted = logfmt(error='HTTP 500 "oops"\nnext', empty="", flag=True)
    assert quoted == 'error="HTTP 500 \\"oops\\"\\nnext" empty="" flag=true'


def test_the_last_whole_pass_never_goes_back_in_time(project: tuple[Settings, Store]) -> None:
    # Two processes sharing a database may finish their passes out of order.
    _, store = project
    later_start = utcnow()
    store.note_whole_pass(later_start)
    store.note_whole_pass(later_start - timedelta(minutes=5))
    assert store.last_whole_pass() == later_start
    store.note_whole_pass(later_start + timedelta(minutes=1))
    assert store.last_whole_pass() == later_start + timedelta(minutes=1)


def _digest_project(
    feed_server: FeedServer, tmp_path: Path, database_url: str, smtp: SmtpServer
) -> tuple[Settings, Store]:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    extra = (
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\ntimeout = 5\n'
        '\n[[digests]]\nname = "morning"\nto = ["com@example.org"]\n'
    )
    config = write_project(tmp_path, database_url, {"fr": feed_server.url("/fr.xml")}, extra=extra)
    settings = load_settings(config)
    return settings, Store.open(settings.database_url)


def test_a_digest_run_by_hand_for_others_does_not_stand_for_the_scheduled_one(
    feed_server: FeedServer, tmp_path: Path, database_url: str
) -> None:
    with SmtpServer() as smtp:
        settings, store = _digest_project(feed_server, tmp_path, database_url, smtp)
        try:
            jobs, _ = scheduled_jobs(settings)
            daemon = Daemon(settings, store, jobs=jobs[:2])
            assert daemon.execute("collect").status == "ok"
            # Yesterday's digest went; today's was missed, and veille digest runs by hand.
            digest_job, digest_spec = daemon.jobs["digest"]
            due = previous_fire(digest_spec, utcnow())
            assert digest_job.last_run is not None and due is not None
            yesterday = due - timedelta(days=1)
            key = DigestKey.of("morning", ["com@example.org"])
            store.claim_digest(key, yesterday, timedelta(minutes=15))
            store.record_digest_send(key, now=yesterday, status="sent", mentions=1)
            assert digest_job.last_run(store) == yesterday
            for narrowed in (
                {"to": ["moi@example.org"]},
                {"brands": ["Danone"]},
                {"since": utcnow() - timedelta(days=1)},
            ):
                send_digests(settings, store, **narrowed)  # type: ignore[arg-type]
            assert [p.catch_up for p in daemon.plans()] == [False, True]
            results = daemon.run_pending()
            assert [(r.job, r.status) for r in results] == [("digest", "ok")]
            assert [m["To"] for m in smtp.messages][-1] == "com@example.org"
            assert [p.catch_up for p in daemon.plans()] == [False, False]
        finally:
            store.close()


def test_a_scheduled_digest_that_failed_is_sent_at_the_next_start(
    feed_server: FeedServer, tmp_path: Path, database_url: str
) -> None:
    with SmtpServer() as smtp:
        settings, store = _digest_project(feed_server, tmp_path, database_url, smtp)
        try:
            down = settings.model_copy(update={"smtp": smtp.smtp_settings(port=free_port())})
            jobs, _ = scheduled_jobs(down)
            failed = Daemon(down, store, jobs=jobs[:2]).run_pending()
            assert [(r.job, r.status) for r in failed] == [("collect", "ok"), ("digest", "failed")]
            jobs, _ = scheduled_jobs(settings)
            daemon = Daemon(settings, store, jobs=jobs[:2])
            results = daemon.run_pending()
            assert [(r.job, r.status) for r in results] == [("digest", "ok")]
            assert results[0].fields["sent"] == 1 and len(smtp.messages) == 1
        finally:
            store.close()


@pytest.fixture
def logfmt_stream() -> Iterator[io.StringIO]:
    """The scheduler's logging configured onto a string, as ``veille schedule`` does onto
    standard error; the loggers are put back as they were afterwards."""
    names = ("veille", LOGGER_NAME, "apscheduler")
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    stream = io.StringIO()
    configure_logging(stream)
    try:
        yield stream
    finally:
        for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def test_every_veille_log_line_of_the_scheduler_is_logfmt_and_said_once(
    feed_server: FeedServer, tmp_path: Path, database_url: str, logfmt_stream: io.StringIO
) -> None:
    with SmtpServer() as smtp:
        settings, store = _digest_project(feed_server, tmp_path, database_url, smtp)
    try:  # the mail server is down now
        jobs, _ = scheduled_jobs(settings)
        results = Daemon(settings, store, jobs=jobs[:2]).run_pending()
        assert [(r.job, r.status) for r in results] == [("collect", "ok"), ("digest", "failed")]
        logging.getLogger("veille.pipeline").warning("a source answered %s", "oddly")
    finally:
        store.close()
    lines = logfmt_stream.getvalue().splitlines()
    assert lines and all(
        re.match(r"ts=\S+ level=(info|warning|error) event=", line) for line in lines
    )
    failures = [line for line in lines if "cannot reach the mail server" in line]
    assert len(failures) == 1 and "event=job_end job=digest status=failed" in failures[0]
    assert 'error="morning: cannot reach the mail server' in failures[0]
    assert lines[-1].endswith(
        'level=warning event=log logger=veille.pipeline message="a source answered oddly"'
    )


def test_a_digest_another_process_holds_is_skipped_then_sent_once_the_hold_ends(
    feed_server: FeedServer,
    tmp_path: Path,
    database_url: str,
    events: EventLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("veille.schedule.daemon.RETRY_SECONDS", 0.2)  # not a minute
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    with SmtpServer() as smtp:
        extra = (
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\ntimeout = 5\n'
            '\n[[digests]]\nname = "morning"\nto = ["com@example.org"]\nsend_when_empty = true\n'
            '\n[[digests]]\nname = "board"\nto = ["board@example.org"]\n'
        )
        config = write_project(
            tmp_path, database_url, {"fr": feed_server.url("/fr.xml")}, extra=extra
        )
        settings = load_settings(config)
        store = Store.open(settings.database_url)
        jobs, _ = scheduled_jobs(settings)
        daemon = Daemon(settings, store, jobs=jobs[:2])
        try:
            assert daemon.execute("collect").status == "ok"
            # A process sending the board's digest was killed while the mail server read it:
            # its claim holds until its lease ends.
            board = DigestKey.of("board", ["board@example.org"])
            assert store.claim_digest(board, utcnow(), timedelta(minutes=15)) is not None
            daemon.start()
            [first] = events.wait_for("event=job_end", "job=digest")
            assert "status=ok" in first and "sent=1" in first
            assert "held=board" in first and "retry_at=" in first
            assert [m["To"] for m in smtp.messages] == ["com@example.org"]
            store.release_digest(board)  # the hold ends
            [sent] = events.wait_for("event=job_end", "job=digest", "sent=1", count=2)[1:]
            assert "status=ok" in sent and "held=" not in sent
            daemon.stop()
            # Each digest went once: the one already sent was not sent again (even empty).
            assert sorted(m["To"] for m in smtp.messages) == [
                "board@example.org",
                "com@example.org",
            ]
            assert [p.catch_up for p in daemon.plans()] == [False, False]
        finally:
            daemon.stop()
            store.close()


def test_a_digest_held_alone_is_logged_skipped_not_ok(
    feed_server: FeedServer, tmp_path: Path, database_url: str, events: EventLog
) -> None:
    with SmtpServer() as smtp:
        settings, store = _digest_project(feed_server, tmp_path, database_url, smtp)
        try:
            jobs, _ = scheduled_jobs(settings)
            daemon = Daemon(settings, store, jobs=jobs[:2])
            assert daemon.execute("collect").status == "ok"
            key = DigestKey.of("morning", ["com@example.org"])
            assert store.claim_digest(key, utcnow(), timedelta(minutes=15)) is not None
            result = daemon.execute("digest")
            assert (result.status, result.reason) == ("skipped", "held")
            [end] = events.matching("event=job_end", "job=digest")
            assert "status=skipped" in end and "reason=held" in end and "held=morning" in end
            assert not smtp.messages
        finally:
            store.close()


def test_a_digest_the_mail_server_refused_is_tried_again_until_it_is_sent(
    feed_server: FeedServer,
    tmp_path: Path,
    database_url: str,
    events: EventLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("veille.schedule.daemon.RETRY_AFTER_FAILURE", (0.2, 0.4))  # not minutes
    with SmtpServer() as smtp:
        settings, store = _digest_project(feed_server, tmp_path, database_url, smtp)
        smtp.mode = "defer"  # "451 try again later": the mail server is having a bad minute
        jobs, _ = scheduled_jobs(settings)
        daemon = Daemon(settings, store, jobs=jobs[:2])
        try:
            daemon.start()  # catches up collect, then the digest, which fails
            [failed] = events.wait_for("event=job_end", "job=digest", "status=failed")
            assert "retry_at=" in failed and "attempt=1" in failed
            events.wait_for("event=job_end", "job=digest", "status=failed", "attempt=2")
            smtp.mode = "ok"  # back: one of the next tries sends it, long before 08:00
            [sent] = events.wait_for("event=job_end", "job=digest", "status=ok")
            assert "sent=1" in sent and "retry_at=" not in sent
            daemon.stop()
            assert [m["To"] for m in smtp.messages] == ["com@example.org"]
            assert len(events.matching("event=job_end", "job=collect")) == 1  # it went well
            assert [p.catch_up for p in daemon.plans()] == [False, False]
        finally:
            daemon.stop()
            store.close()


def test_a_job_stopped_by_a_database_error_is_tried_again_until_it_works(
    project: tuple[Settings, Store], events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("veille.schedule.daemon.RETRY_AFTER_FAILURE", (0.2, 0.4))
    settings, store = project
    outages = [StoreError("database is locked"), StoreError("database is locked")]
    done: list[datetime] = []

    def flaky(_settings: Settings, _store: Store) -> dict[str, object]:
        if outages:
            raise outages.pop()
        done.append(utcnow())
        return {"status": "ok"}

    job = Job("flaky", flaky, lambda _store: done[-1] if done else None)
    daemon = Daemon(settings, store, jobs=[(job, JobSpec("flaky", "0 6 * * *", "UTC"))])
    try:
        daemon.start()
        [first] = events.wait_for("event=job_end", "job=flaky", "status=error")
        assert "attempt=1" in first and "retry_at=" in first
        [ok] = events.wait_for("event=job_end", "job=flaky", "status=ok")
        assert "retry_at=" not in ok
        daemon.stop()
        assert len(events.matching("event=job_end", "job=flaky", "attempt=2")) == 1
        assert len(done) == 1
    finally:
        daemon.stop()


def test_a_firing_missed_while_the_daemon_was_suspended_is_caught_up_once(
    project: tuple[Settings, Store], feed_server: FeedServer, events: EventLog
) -> None:
    settings, store = project
    record_run(store, utcnow())  # up to date: nothing to catch up at start
    store.note_alert_check(utcnow() + timedelta(days=3))  # nor later, whatever the clock says
    offset = [timedelta(0)]
    daemon = Daemon(settings, store, clock=lambda: utcnow() + offset[0])
    try:
        daemon.start()
        events.wait_for("event=catch_up jobs=none")
        assert daemon.scheduler is not None
        # The process wakes up long after the day's collect was due (a suspended laptop, a
        # paused VM): the scheduler finds the firing later than its grace of an hour.
        offset[0] = timedelta(days=1)
        daemon.scheduler.modify_job("collect", next_run_time=utcnow() - timedelta(hours=2))
        events.wait_for("event=job_missed", "job=collect")
        events.wait_for("event=catch_up jobs=collect reason=missed")
        [end] = events.wait_for("event=job_end", "job=collect")
        assert "status=ok" in end
        daemon.stop()
        assert len(events.matching("event=job_start", "job=collect")) == 1
        assert feed_server.arrivals("/fr.xml") == 1 and run_count(store) == 2
    finally:
        daemon.stop()


def test_a_failed_collect_names_its_failing_sources_and_why_in_a_warning(
    feed_server: FeedServer, tmp_path: Path, database_url: str, logfmt_stream: io.StringIO
) -> None:
    feeds = {name: feed_server.url(f"/{name}.xml") for name in ("flux-a", "flux-b", "flux-c")}
    feeds["flux-d"] = feed_server.url("/flux-d.xml")
    for name in feeds:  # the proxy is down: every feed answers 503
        feed_server.add(f"/{name}.xml", b"", status=503)
    settings = load_settings(write_project(tmp_path, database_url, feeds))
    store = Store.open(settings.database_url)
    try:
        result = Daemon(settings, store).execute("collect")
    finally:
        store.close()
    assert result.status == "failed"
    [end] = [line for line in logfmt_stream.getvalue().splitlines() if "event=job_end" in line]
    assert " level=warning event=job_end job=collect status=failed " in end
    failing = re.search(r" failing=(\S+) ", end)
    assert failing is not None
    names = failing.group(1).split(",")
    assert len(names) == 4 and names[-1] == "+1" and set(names[:3]) < set(feeds)
    error = re.search(r' error="([^"]+)"', end)
    assert error is not None and error.group(1).startswith(f"{names[0]}: ")
    assert "503" in error.group(1)


def test_a_firing_during_the_daemons_own_catch_up_says_already_running(
    feed_server: FeedServer, tmp_path: Path, database_url: str, events: EventLog
) -> None:
    feed_server.add("/slow.xml", recent_feed_bytes("economie_fr.xml"), delay=WAIT * 2)
    config = write_project(tmp_path, database_url, {"slow": feed_server.url("/slow.xml")})
    settings = load_settings(config)
    store = Store.open(settings.database_url)
    store.note_alert_check(utcnow() + timedelta(days=3))  # collect alone is due
    daemon = Daemon(settings, store)
    try:
        daemon.start()  # never collected: the catch-up collects
        wait_until(lambda: feed_server.arrivals("/slow.xml") == 1, "the catch-up's request")
        daemon.trigger("collect")  # its cron fires meanwhile
        [skipped] = events.wait_for("event=job_skipped", "job=collect")
        assert "reason=already_running" in skipped and "retry_at=" in skipped
        feed_server.stopping.set()  # the slow feed answers now
        events.wait_for("event=job_end", "job=collect", "status=ok")
        daemon.stop()
        assert len(events.matching("event=job_start", "job=collect")) == 1
        assert feed_server.arrivals("/slow.xml") == 1 and run_count(store) == 1
    finally:
        feed_server.stopping.set()
        daemon.stop()
        store.close()


UTC_MILLISECONDS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00"


def test_every_time_of_the_log_lines_is_utc_like_ts(
    tmp_path: Path, database_url: str, events: EventLog
) -> None:
    paris = datetime(2026, 11, 29, 13, 28, tzinfo=ZoneInfo("Europe/Paris"))
    assert logfmt(retry_at=paris) == "retry_at=2026-11-29T12:28:00.000+00:00"
    assert logfmt(at=datetime(2026, 11, 29, 12, 28)) == "at=2026-11-29T12:28:00.000+00:00"
    # A retry that its cron, in Europe/Paris, does first: the cron's next firing, in UTC.
    schedule = '\n[schedule]\ntimezone = "Europe/Paris"\nalerts = "* * * * *"\n'
    settings = load_settings(write_project(tmp_path, database_url, {}, extra=schedule))
    store = Store.open(settings.database_url)
    record_run(store, utcnow())
    store.note_alert_check(utcnow() + timedelta(days=3))  # nothing to catch up at start
    daemon = Daemon(settings, store)
    try:
        daemon.start()
        events.wait_for("event=catch_up jobs=none")
        with job_lock(settings.database_url, "alerts") as held:
            assert held  # a `veille alerts` run by hand at the cron minute
            daemon.trigger("alerts")
            skipped = events.wait_for("event=job_skipped", "job=alerts", "reason=locked")[0]
        assert re.search(f"retry_at={UTC_MILLISECONDS}( |$)", skipped), skipped
    finally:
        daemon.stop()
        store.close()
