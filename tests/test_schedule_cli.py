"""``veille schedule`` as a real process: catch-up and exit, two processes at once, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.feedserver import FeedServer
from tests.support.project import recent_feed_bytes, run
from tests.support.smtpserver import free_port
from tests.support.stores import database_url_fixture  # noqa: F401
from tests.test_schedule_daemon import WAIT, wait_until, write_project
from veille.locks import job_lock
from veille.store import Store

_MAIN = "from veille.cli import main; main()"


class Veille:
    """A ``veille`` process whose standard error is read line by line as it comes."""

    def __init__(self, config: Path, *args: str) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("VEILLE_")}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _MAIN, "--config", str(config), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def matching(self, *parts: str) -> list[str]:
        """Standard error lines containing every part."""
        with self.changed:
            return [line for line in self.lines if all(part in line for part in parts)]

    def wait_for(self, *parts: str) -> str:
        """Wait for a standard error line containing every part (fails after a long timeout)."""
        with self.changed:
            found = self.changed.wait_for(lambda: bool(self.matching(*parts)), WAIT)
        assert found, f"no line with {parts}:\n" + "\n".join(self.lines)
        return self.matching(*parts)[0]

    def finish(self) -> tuple[int, str]:
        """Wait for the exit; return the status and standard output."""
        assert self.process.stdout is not None
        stdout = self.process.stdout.read()
        status = self.process.wait(timeout=WAIT)
        self._reader.join(timeout=WAIT)
        return status, stdout

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)


@pytest.fixture
def processes() -> Iterator[list[Veille]]:
    """Started processes, killed if a test leaves one running."""
    started: list[Veille] = []
    yield started
    for process in started:
        process.kill()


def start(processes: list[Veille], config: Path, *args: str) -> Veille:
    process = Veille(config, "schedule", *args)
    processes.append(process)
    return process


def runs(database_url: str) -> list[tuple[str, bool]]:
    """(status, finished) of every collecting pass in the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT status, finished_at FROM runs ORDER BY id"))
            return [(status, finished is not None) for status, finished in rows]
    finally:
        engine.dispose()


@pytest.fixture
def slow_project(feed_server: FeedServer, tmp_path: Path, database_url: str) -> Path:
    """A project whose one feed answers only when the test lets it (or after two minutes)."""
    feed_server.add("/slow.xml", recent_feed_bytes("economie_fr.xml"), delay=WAIT * 2)
    return write_project(tmp_path, database_url, {"slow": feed_server.url("/slow.xml")})


def test_once_catches_up_then_finds_nothing_to_do(
    feed_server: FeedServer, tmp_path: Path, database_url: str, processes: list[Veille]
) -> None:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    config = write_project(tmp_path, database_url, {"fr": feed_server.url("/fr.xml")})
    first = start(processes, config, "--once")
    status, stdout = first.finish()
    assert status == 0, first.lines
    assert "collect" in stdout and "0 6 * * *" in stdout and "next run" in stdout
    assert "missed: runs now" in stdout
    assert "alerts   0 * * * *" in stdout  # the hourly spike check, never made either
    [catch_up] = first.matching("event=catch_up")
    assert set(catch_up.split("jobs=")[1].split()[0].split(",")) == {"collect", "alerts"}
    end = first.wait_for("event=job_end", "job=collect")
    assert "status=ok" in end and "new_mentions=" in end and "failed_sources=0" in end
    assert runs(database_url) == [("ok", True)]

    second = start(processes, config, "--run-pending-and-exit")
    status, stdout = second.finish()
    assert status == 0, second.lines
    assert "missed" not in stdout
    assert second.matching("event=catch_up jobs=none")
    assert not second.matching("event=job_start")
    assert runs(database_url) == [("ok", True)]
    assert feed_server.arrivals("/fr.xml") == 1


def test_a_pass_limited_to_some_sources_does_not_stand_for_the_scheduled_one(
    feed_server: FeedServer, tmp_path: Path, database_url: str, processes: list[Veille]
) -> None:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    feed_server.add("/en.atom", recent_feed_bytes("tech_en.atom"))
    sources = {"fr": feed_server.url("/fr.xml"), "en": feed_server.url("/en.atom")}
    config = write_project(tmp_path, database_url, sources)
    limited = run(config, "collect", "--source", "fr", "--quiet")
    assert limited.exit_code == 0, limited.output
    assert feed_server.arrivals("/en.atom") == 0

    scheduled = start(processes, config, "--once")
    status, stdout = scheduled.finish()
    assert status == 0, scheduled.lines
    assert "missed: runs now" in stdout
    scheduled.wait_for("event=job_end", "job=collect")
    assert feed_server.arrivals("/en.atom") == 1  # the source left due is caught up
    assert feed_server.arrivals("/fr.xml") == 1  # the other was not due yet

    again = start(processes, config, "--run-pending-and-exit")
    assert again.finish()[0] == 0 and again.matching("event=catch_up jobs=none")


@pytest.mark.parametrize(
    ("signum", "exit_status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
    ids=["SIGINT", "SIGTERM"],
)
def test_ctrl_c_or_sigterm_closes_the_pass_and_leaves_what_it_did_not_collect_due(
    feed_server: FeedServer,
    tmp_path: Path,
    database_url: str,
    processes: list[Veille],
    signum: signal.Signals,
    exit_status: int,
) -> None:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    feed_server.add("/slow.xml", recent_feed_bytes("tech_en.atom"), delay=WAIT * 2)
    sources = {"fr": feed_server.url("/fr.xml"), "slow": feed_server.url("/slow.xml")}
    config = write_project(tmp_path, database_url, sources)
    collecting = Veille(config, "collect", "--quiet")
    processes.append(collecting)
    wait_until(lambda: feed_server.arrivals("/slow.xml") == 1, "the slow request")
    # Ctrl-C, or a service manager or container runtime stopping the command.
    collecting.process.send_signal(signum)
    status, _ = collecting.finish()
    assert status == exit_status, collecting.lines
    assert collecting.matching("the sources collected until now are saved")
    assert not collecting.matching("Traceback")
    assert runs(database_url) == [("failed", True)]  # closed, not left "running"
    feed_server.stopping.set()  # the slow feed answers at once from now on
    # On PostgreSQL the stopped pass's claim on the slow source is given back: due now, not
    # when its lease ends.
    again = run(config, "collect", "--quiet")
    assert again.exit_code == 0, again.output
    assert feed_server.arrivals("/slow.xml") == 2


def test_once_exits_1_when_the_digest_could_not_be_sent(
    feed_server: FeedServer, tmp_path: Path, database_url: str, processes: list[Veille]
) -> None:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    nobody = free_port()  # no mail server there
    digest = (
        f'[smtp]\nhost = "127.0.0.1"\nport = {nobody}\nsecurity = "none"\ntimeout = 5\n'
        'from = "veille@example.org"\n\n[[digests]]\nname = "equipe"\n'
        'to = ["equipe@example.org"]\n'
    )
    config = write_project(tmp_path, database_url, {"fr": feed_server.url("/fr.xml")}, extra=digest)
    once = start(processes, config, "--once")
    status, _stdout = once.finish()
    end = once.wait_for("event=job_end", "job=digest")
    assert "status=failed" in end
    assert status == 1, once.lines  # as `veille digest` alone exits


def test_two_processes_started_at_once_collect_once(
    feed_server: FeedServer, slow_project: Path, database_url: str, processes: list[Veille]
) -> None:
    Store.open(database_url).close()  # this test is about the job, not about creating the schema
    both = [start(processes, slow_project, "--once") for _ in range(2)]
    for process in both:
        process.wait_for("event=job_", "job=collect")
    started = [p for p in both if p.matching("event=job_start", "job=collect")]
    skipped = [p for p in both if p.matching("event=job_skipped", "job=collect", "reason=locked")]
    if database_url.startswith("sqlite"):
        # The feed is held, so whichever process got the lock keeps it while the other looks:
        # neither has a finished pass to go by, so both try, and exactly one gets in.
        assert (len(started), len(skipped)) == (1, 1), [p.lines for p in both]
    else:
        # On PostgreSQL both run the job and split the due sources: one claims the only feed.
        assert (len(started), len(skipped)) == (2, 0), [p.lines for p in both]
    feed_server.stopping.set()
    for process in both:
        status, _ = process.finish()
        assert status == 0, process.lines
    assert runs(database_url) == [("ok", True)] * len(started)
    assert feed_server.arrivals("/slow.xml") == 1


def test_a_process_finding_the_job_locked_skips_it(
    feed_server: FeedServer, tmp_path: Path, processes: list[Veille]
) -> None:
    # SQLite only: on PostgreSQL the collect job claims sources instead of locking the database.
    database_url = f"sqlite:///{tmp_path / 'veille.db'}"
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    config = write_project(tmp_path, database_url, {"fr": feed_server.url("/fr.xml")})
    with job_lock(database_url, "collect") as held:
        assert held
        blocked = start(processes, config, "--once")
        status, _ = blocked.finish()
    assert status == 0, blocked.lines
    assert blocked.matching("event=job_skipped", "job=collect", "reason=locked")
    assert runs(database_url) == []
    free = start(processes, config, "--once")
    assert free.finish()[0] == 0
    assert runs(database_url) == [("ok", True)]


def test_sigterm_lets_the_running_pass_finish_then_exits_0(
    feed_server: FeedServer, slow_project: Path, database_url: str, processes: list[Veille]
) -> None:
    daemon = start(processes, slow_project)
    daemon.wait_for("event=scheduler_started")
    daemon.wait_for("event=job_start", "job=collect")  # caught up: it never ran
    wait_until(lambda: feed_server.arrivals("/slow.xml") == 1, "the pass to reach its fetch")
    daemon.process.send_signal(signal.SIGTERM)
    daemon.wait_for("event=scheduler_stopping", "signal=SIGTERM")
    assert daemon.process.poll() is None  # still finishing the pass
    feed_server.stopping.set()
    status, _ = daemon.finish()
    assert status == 0, daemon.lines
    end = daemon.wait_for("event=job_end", "job=collect")
    assert "status=ok" in end
    lines = daemon.lines
    assert lines.index(end) < lines.index(daemon.wait_for("event=scheduler_stopped"))
    assert runs(database_url) == [("ok", True)]


def test_a_second_signal_stops_at_once(
    feed_server: FeedServer, slow_project: Path, database_url: str, processes: list[Veille]
) -> None:
    daemon = start(processes, slow_project)
    daemon.wait_for("event=job_start", "job=collect")
    wait_until(lambda: feed_server.arrivals("/slow.xml") == 1, "the pass to reach its fetch")
    daemon.process.send_signal(signal.SIGINT)
    daemon.wait_for("event=scheduler_stopping", "signal=SIGINT")
    daemon.process.send_signal(signal.SIGINT)
    status, _ = daemon.finish()  # the feed is still held: only the signal can have ended it
    assert status == -signal.SIGINT
    assert not daemon.matching("event=job_end")
    assert runs(database_url) == [("running", False)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_idle_daemon_stops_cleanly_on_a_signal(
    feed_server: FeedServer, tmp_path: Path, processes: list[Veille], signum: signal.Signals
) -> None:
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    database_url = f"sqlite:///{tmp_path / 'veille.db'}"
    config = write_project(tmp_path, database_url, {"fr": feed_server.url("/fr.xml")})
    assert start(processes, config, "--once").finish()[0] == 0
    daemon = start(processes, config)
    daemon.wait_for("event=scheduler_started")
    daemon.wait_for("event=catch_up jobs=none")
    daemon.process.send_signal(signum)
    status, stdout = daemon.finish()
    assert status == 0, daemon.lines
    assert "next run" in stdout
    daemon.wait_for("event=scheduler_stopping", f"signal={signum.name}")
    daemon.wait_for("event=scheduler_stopped")
    assert not daemon.matching("Traceback")


def test_once_exits_1_when_a_job_fails(
    tmp_path: Path, processes: list[Veille], feed_server: FeedServer
) -> None:
    config = tmp_path / "veille.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "veille.db"}"\n'
        f'[[sources]]\nname = "fr"\nkind = "rss"\nurl = "{feed_server.url("/fr.xml")}"\n',
        encoding="utf-8",
    )
    failing = start(processes, config, "--once")
    status, _ = failing.finish()
    assert status == 1
    end = failing.wait_for("event=job_end", "job=collect", "status=error")
    assert "no brand is declared" in end
