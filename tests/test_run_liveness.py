"""On PostgreSQL, a pass whose process died is closed by the next pass; a live one is left.

Each pass holds a session advisory lock on its run (``Store.begin_run``); a killed process's
session ends and PostgreSQL lets the lock go. These run real processes against the real server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from tests.support.feedserver import FeedServer
from tests.support.project import feed_bytes, run, write_config
from tests.support.stores import POSTGRES_ADMIN_URL, T0, fresh_postgres_database
from veille import pipeline
from veille.errors import StoreError
from veille.settings import load_settings
from veille.store import Store
from veille.store.runs import RUN_LOCKS
from veille.store.schema import run_table

# A pass that begins and then waits, in a process of its own, until it is killed.
_LIVE_PASS = """
import sys, time
from datetime import UTC, datetime
from veille.store import Store
store = Store.open(sys.argv[1])
print(store.begin_run(datetime.now(UTC)), flush=True)
time.sleep(600)
"""


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_postgres_database() as database:
        Store.open(database).close()  # the schema
        yield database


def _status(url: str, run_id: int) -> tuple[str, object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                select(run_table.c.status, run_table.c.finished_at).where(run_table.c.id == run_id)
            ).one()
    finally:
        engine.dispose()
    return row[0], row[1]


def _lock_is_free(url: str, run_id: int) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            free = connection.execute(
                text("SELECT pg_try_advisory_lock(:space, :key)"),
                {"space": RUN_LOCKS, "key": run_id},
            ).scalar()
            connection.execute(text("SELECT pg_advisory_unlock_all()"))
    finally:
        engine.dispose()
    return bool(free)


def _closed_within(store: Store, seconds: float) -> int:
    """Closed runs, retried while PostgreSQL notices a gone client and ends its session."""
    deadline = time.monotonic() + seconds
    while True:
        closed = store.close_interrupted_runs()
        if closed or time.monotonic() > deadline:
            return closed
        time.sleep(0.05)


def test_a_killed_pass_is_closed_and_live_ones_are_left(url: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _LIVE_PASS, url], stdout=subprocess.PIPE, text=True
    )
    store = Store.open(url)
    try:
        assert child.stdout is not None
        killed = int(child.stdout.readline())
        own = store.begin_run(T0)
        # Another process's pass and this one's own are both alive.
        assert store.close_interrupted_runs() == 0
        assert _status(url, killed) == ("running", None)
        child.kill()
        child.wait(timeout=30)
        assert _closed_within(store, 30) == 1
        assert _status(url, killed) == ("failed", None)
        assert _status(url, own) == ("running", None)
        store.finish_run(own, T0, status="ok")
        assert _status(url, own)[0] == "ok"
        # The lock left with the pass: its connection did not go back to the pool holding it.
        assert _lock_is_free(url, own)
    finally:
        child.kill()
        child.wait(timeout=30)
        store.close()


@pytest.fixture
def stores(url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on the database, as two workers of one installation have (closed after)."""
    pair = (Store.open(url), Store.open(url))
    try:
        yield pair
    finally:
        for store in pair:
            store.close()


def test_a_pass_left_unfinished_lets_go_of_its_lock_when_its_store_closes(
    url: str, stores: tuple[Store, Store]
) -> None:
    first, second = stores
    run_id = first.begin_run(T0)  # then an exception ended the pass before finish_run
    assert second.close_interrupted_runs() == 0
    first.close()
    # The server ends the closed connection's session (and frees its lock) a moment after the
    # client has gone: on a busy machine, after close() has returned.
    assert _closed_within(second, 30) == 1
    assert _status(url, run_id) == ("failed", None)


def test_a_store_holds_its_passes_locks_on_one_connection(
    url: str, stores: tuple[Store, Store]
) -> None:
    store, other = stores
    # More unfinished passes than the connection pool holds connections.
    run_ids = [store.begin_run(T0) for _ in range(30)]
    assert other.close_interrupted_runs() == 0
    store.finish_run(run_ids[0], T0, status="ok")
    assert _lock_is_free(url, run_ids[0])
    assert not _lock_is_free(url, run_ids[1])
    assert other.close_interrupted_runs() == 0
    store.close()
    assert other.close_interrupted_runs() == 29


def _end_the_session_holding(url: str, run_id: int) -> None:
    """End the server session holding a run's lock, as a server restart or an idle timeout would."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objid = :key AND pid <> pg_backend_pid()"
                    # Only this test's database: run ids repeat in other tests' databases.
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                ),
                {"key": run_id},
            )
    finally:
        engine.dispose()


def test_passes_finish_cleanly_after_their_lock_connection_is_lost(
    url: str, stores: tuple[Store, Store]
) -> None:
    store, other = stores
    first, second = store.begin_run(T0), store.begin_run(T0)
    _end_the_session_holding(url, first)
    # Their locks went with the session: the passes look dead to another worker...
    assert _closed_within(other, 30) == 2
    # ...and they still finish, with their own status.
    store.finish_run(first, T0, status="ok")
    store.finish_run(second, T0, status="partial")
    assert [_status(url, run_id)[0] for run_id in (first, second)] == ["ok", "partial"]
    # The next pass takes its lock on a new connection.
    third = store.begin_run(T0)
    assert not _lock_is_free(url, third)


def test_a_pass_begins_after_the_lock_connection_of_a_running_one_is_lost(
    url: str, stores: tuple[Store, Store]
) -> None:
    store, other = stores
    first = store.begin_run(T0)
    _end_the_session_holding(url, first)
    deadline = time.monotonic() + 30
    while not _lock_is_free(url, first):
        assert time.monotonic() < deadline, "the session holding the lock never ended"
        time.sleep(0.05)
    # The next pass begins on a new connection, which holds the running pass's lock again.
    second = store.begin_run(T0)
    assert not _lock_is_free(url, first) and not _lock_is_free(url, second)
    assert other.close_interrupted_runs() == 0
    assert [_status(url, run_id) for run_id in (first, second)] == [("running", None)] * 2


def test_a_live_pass_takes_its_locks_again_after_losing_their_connection(
    url: str, stores: tuple[Store, Store]
) -> None:
    store, other = stores
    first, second = store.begin_run(T0), store.begin_run(T0)
    store.keep_run_locks()  # the connection is alive: nothing to do
    assert other.close_interrupted_runs() == 0
    _end_the_session_holding(url, first)
    # Another worker took the passes for dead meanwhile...
    assert _closed_within(other, 30) == 2
    assert _status(url, first) == ("failed", None)
    # ...the live pass notices, holds its locks again and is running again.
    store.keep_run_locks()
    assert [_status(url, run_id) for run_id in (first, second)] == [("running", None)] * 2
    assert not _lock_is_free(url, first) and not _lock_is_free(url, second)
    assert other.close_interrupted_runs() == 0
    store.finish_run(first, T0, status="ok")
    store.finish_run(second, T0, status="ok")
    assert _lock_is_free(url, first) and _lock_is_free(url, second)
    assert [_status(url, run_id)[0] for run_id in (first, second)] == ["ok", "ok"]


def test_a_collecting_pass_is_running_again_after_losing_its_lock(
    url: str,
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Slow feeds fetched one at a time: the pass lasts seconds after it notices.
    feeds = 8
    for index in range(feeds):
        feed_server.add(f"/feed{index}.xml", feed_bytes("economie_fr.xml"), delay=0.5)
    sources = {f"feed{index}": feed_server.url(f"/feed{index}.xml") for index in range(feeds)}
    config = write_config(tmp_path, sources, extra="concurrency = 1\n")
    monkeypatch.setenv("VEILLE_DATABASE_URL", url)
    monkeypatch.setattr(pipeline, "RUN_LOCK_CHECK_SECONDS", 0.0)  # after every source
    settings = load_settings(config)
    store, other = Store.open(url), Store.open(url)
    watcher = create_engine(url)
    reports: list[pipeline.RunReport] = []
    collecting = threading.Thread(
        target=lambda: reports.append(pipeline.run_once(settings, store, include_not_due=True))
    )

    def statuses() -> dict[int, str]:
        with watcher.connect() as connection:
            rows = connection.execute(select(run_table.c.id, run_table.c.status)).all()
        return {run_id: status for run_id, status in rows}

    try:
        collecting.start()
        deadline = time.monotonic() + 60
        while not statuses() and time.monotonic() < deadline:
            time.sleep(0.01)
        [run_id] = statuses()
        # While the first feed is still being fetched, its lock's session ends and another
        # worker takes the pass for dead...
        _end_the_session_holding(url, run_id)
        assert _closed_within(other, 30) == 1
        # ...the pass notices once that source is done, and is running again.
        status = statuses()[run_id]
        while collecting.is_alive() and status != "running":
            time.sleep(0.01)
            status = statuses()[run_id]
        assert status == "running"
        collecting.join(timeout=60)
        [report] = reports
        assert report.run_id == run_id and report.failed == 0 and len(report.outcomes) == feeds
        assert statuses() == {run_id: "ok"}
    finally:
        collecting.join(timeout=60)
        watcher.dispose()
        store.close()
        other.close()


def _runs(url: str) -> list[tuple[int, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(run_table.c.id, run_table.c.status).order_by(run_table.c.id)
            ).all()
    finally:
        engine.dispose()
    return [(run_id, status) for run_id, status in rows]


def _start_collect(config: Path, url: str) -> subprocess.Popen[bytes]:
    """``veille collect`` in a process of its own, on the PostgreSQL database ``url``."""
    env = {**os.environ, "VEILLE_DATABASE_URL": url}
    command = [sys.executable, "-m", "veille", "--config", str(config), "collect", "--quiet"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_and_wait_for_its_session(process: subprocess.Popen[bytes], url: str) -> int:
    """Kill a collecting process; return its pass once PostgreSQL has let go of its lock."""
    process.kill()
    process.wait(timeout=30)
    run_id, status = _runs(url)[0]  # the process began its pass before any other
    assert status == "running"
    deadline = time.monotonic() + 30
    while not _lock_is_free(url, run_id):
        assert time.monotonic() < deadline, "the killed pass's session never ended"
        time.sleep(0.05)
    return run_id


def test_the_sources_a_killed_pass_had_claimed_are_collected_by_the_next(
    url: str, feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = 6
    for index in range(feeds):
        # Held until the test lets the server answer (or for two minutes).
        feed_server.add(f"/feed{index}.xml", feed_bytes("economie_fr.xml"), delay=120)
    sources = {f"feed{index}": feed_server.url(f"/feed{index}.xml") for index in range(feeds)}
    # Two fetches at a time: the pass claims two feeds, and more as they finish.
    config = write_config(tmp_path, sources, extra="concurrency = 2\n")
    paths = [f"/feed{index}.xml" for index in range(feeds)]
    killed = _start_collect(config, url)
    try:
        deadline = time.monotonic() + 60
        while sum(feed_server.arrivals(path) for path in paths) < 2:
            assert time.monotonic() < deadline, "the pass never fetched"
            assert killed.poll() is None
            time.sleep(0.01)
    finally:
        dead = _kill_and_wait_for_its_session(killed, url)
    feed_server.stopping.set()  # every feed answers at once from now on
    asked = [path for path in paths if feed_server.arrivals(path)]
    assert len(asked) == 2

    monkeypatch.setenv("VEILLE_DATABASE_URL", url)
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    # The killed pass's claims were given back: its two feeds are fetched again now, not
    # once their lease is over (with a daily collect, the next day).
    assert {path: feed_server.arrivals(path) for path in paths} == {
        path: 2 if path in asked else 1 for path in paths
    }
    assert "0 failed" in result.output and f"from {feeds} source(s)" in result.output
    assert [status for run_id, status in _runs(url)] == ["failed", "ok"]
    assert _runs(url)[0][0] == dead


class _Holding(httpx.AsyncBaseTransport):
    """Real HTTP, except that a request for ``path`` waits until ``answer`` is set."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.asked = threading.Event()
        self.answer = threading.Event()
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path:
            self.asked.set()
            await asyncio.to_thread(self.answer.wait, 120)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_pass_collects_what_a_pass_that_died_meanwhile_had_claimed(
    url: str, feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One fetch at a time: each pass claims one feed, and the next once it is done.
    feed_server.add("/first.xml", feed_bytes("economie_fr.xml"), delay=120)  # held (see below)
    feed_server.add("/second.xml", feed_bytes("tech_en.atom"))
    sources = {"first": feed_server.url("/first.xml"), "second": feed_server.url("/second.xml")}
    config = write_config(tmp_path, sources, extra="concurrency = 1\n")
    monkeypatch.setenv("VEILLE_DATABASE_URL", url)
    settings = load_settings(config)
    store = Store.open(url)
    holding = _Holding("/second.xml")
    reports: list[pipeline.RunReport] = []
    collecting = threading.Thread(
        target=lambda: reports.append(pipeline.run_once(settings, store, transport=holding))
    )
    killed = _start_collect(config, url)
    try:
        # A worker claims the first feed and waits for its answer...
        deadline = time.monotonic() + 60
        while not feed_server.arrivals("/first.xml"):
            assert time.monotonic() < deadline, "the pass never fetched"
            assert killed.poll() is None
            time.sleep(0.01)
        # ...another claims the second one, the first being taken...
        collecting.start()
        assert holding.asked.wait(60)
        # ...and the first worker dies meanwhile.
        dead = _kill_and_wait_for_its_session(killed, url)
        feed_server.stopping.set()  # the first feed answers at once from now on
        holding.answer.set()
        collecting.join(timeout=60)
    finally:
        killed.kill()
        killed.wait(timeout=30)
        holding.answer.set()
        collecting.join(timeout=60)
        store.close()
    [report] = reports
    # Before finishing, the live pass found the dead one and collected what it had claimed:
    # as a whole pass, it leaves nothing due behind it.
    assert sorted(outcome.source for outcome in report.outcomes) == ["first", "second"]
    assert report.failed == 0
    assert feed_server.arrivals("/first.xml") == 2
    assert _runs(url) == [(dead, "failed"), (report.run_id, "ok")]


def _set_connections_allowed(url: str, allowed: bool) -> None:
    """Open or shut the database to clients; shut, end its sessions too: the server went away."""
    name = make_url(url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(
                text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            )
            if not allowed:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
    finally:
        admin.dispose()


def test_the_pass_after_one_the_database_stopped_collects(
    url: str, feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held until the test lets the server answer: the pass is in flight meanwhile.
    feed_server.add("/feed.xml", feed_bytes("economie_fr.xml"), delay=120)
    config = write_config(tmp_path, {"feed": feed_server.url("/feed.xml")})
    monkeypatch.setenv("VEILLE_DATABASE_URL", url)
    settings = load_settings(config)
    store = Store.open(url)  # one store for every pass, as the scheduler's
    errors: list[BaseException] = []

    def first_pass() -> None:
        try:
            pipeline.run_once(settings, store)
        except BaseException as exc:
            errors.append(exc)

    collecting = threading.Thread(target=first_pass)
    try:
        collecting.start()
        deadline = time.monotonic() + 60
        while not feed_server.arrivals("/feed.xml"):
            assert time.monotonic() < deadline, "the pass never fetched"
            time.sleep(0.01)
        # The database goes away while the pass is fetching: the pass stops on it.
        _set_connections_allowed(url, False)
        feed_server.stopping.set()
        collecting.join(timeout=60)
        assert len(errors) == 1 and isinstance(errors[0], StoreError), errors
        # Back: the next pass of the same process collects, and closes the stopped one.
        _set_connections_allowed(url, True)
        report = pipeline.run_once(settings, store, include_not_due=True)
        assert report.failed == 0 and len(report.outcomes) == 1
        assert _runs(url) == [(report.run_id - 1, "failed"), (report.run_id, "ok")]
        assert _lock_is_free(url, report.run_id)
    finally:
        _set_connections_allowed(url, True)
        feed_server.stopping.set()
        collecting.join(timeout=60)
        store.close()
