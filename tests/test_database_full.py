"""A database that cannot be written: one clear error, with what to do about it."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from benchmarks.feedworld import BRAND, make_feed
from tests.support.feedserver import FeedServer
from tests.support.project import run
from tests.support.smtpserver import free_port
from tests.support.stores import POSTGRES_ADMIN_URL, postgres_unavailable_reason
from veille.errors import StoreError, StoreUnavailableError
from veille.store import Store
from veille.store.db import connection_error


def _driver_error(url: str, statements: list[str]) -> DBAPIError:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("the statements ran")


def test_a_full_disk_and_a_read_only_file_say_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "veille.db"
    url = f"sqlite:///{path}"
    # A database that may not grow past 2 pages is full as a full disk is (SQLITE_FULL).
    full = _driver_error(
        url,
        ["PRAGMA max_page_count = 2", "CREATE TABLE t (x TEXT)", "CREATE TABLE u (x TEXT)"],
    )
    error = connection_error(create_engine(url).url, full, doing="write to")
    assert isinstance(error, StoreUnavailableError)
    assert "database or disk is full" in str(error)
    assert error.hint is not None and "free some space" in error.hint
    read_only = _driver_error(
        f"sqlite:///file:{path}?mode=ro&uri=true", ["CREATE TABLE v (x TEXT)"]
    )
    error = connection_error(create_engine(url).url, read_only, doing="write to")
    assert error.hint is not None and "may write the database file" in error.hint


def test_a_disk_io_error_points_at_the_disk() -> None:
    # What opening a WAL database on a full disk gives: its shared-memory file cannot grow.
    shm = sqlite3.OperationalError("disk I/O error")
    shm.sqlite_errorname = "SQLITE_IOERR_SHMSIZE"
    url = create_engine("sqlite:///veille.db").url
    error = connection_error(url, OperationalError("SELECT …", {}, shm))
    assert error.hint is not None and "check the disk" in error.hint


def test_a_postgresql_disk_full_says_so_too() -> None:
    psycopg = pytest.importorskip("psycopg")
    url = create_engine("postgresql+psycopg://veille:pw@127.0.0.1/veille").url
    full = OperationalError("INSERT …", {}, psycopg.errors.DiskFull("could not extend file"))
    error = connection_error(url, full, doing="write to")
    assert isinstance(error, StoreUnavailableError)
    assert "free some space" in (error.hint or "")
    # A deadlock costs one transaction: the database still takes writes.
    deadlock = OperationalError("UPDATE …", {}, psycopg.errors.DeadlockDetected("deadlock"))
    error = connection_error(url, deadlock, doing="write to")
    assert type(error) is StoreError


def test_a_busy_lock_leaves_the_database_available(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'veille.db'}"
    holder = sqlite3.connect(tmp_path / "veille.db")
    holder.execute("CREATE TABLE t (x TEXT)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        busy = _driver_error(url, ["PRAGMA busy_timeout = 10", "INSERT INTO t VALUES ('a')"])
    finally:
        holder.rollback()
        holder.close()
    error = connection_error(create_engine(url).url, busy, doing="write to")
    assert "database is locked" in str(error)
    assert type(error) is StoreError


def test_creating_the_schema_on_a_full_disk_is_a_clear_error(tmp_path: Path) -> None:
    def no_room(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA max_page_count = 2")

    event.listen(Engine, "connect", no_room)
    try:
        with pytest.raises(StoreError, match="cannot upgrade the database") as caught:
            Store.open(f"sqlite:///{tmp_path / 'veille.db'}")
    finally:
        event.remove(Engine, "connect", no_room)
    assert "database or disk is full" in str(caught.value)
    assert caught.value.hint is not None and "free some space" in caught.value.hint
    # Nothing half-made: the next open, with room, creates the whole schema.
    Store.open(f"sqlite:///{tmp_path / 'veille.db'}").close()


def _feeds_config(feed_server: FeedServer, folder: Path, feeds: int) -> Path:
    blocks = ""
    for index in range(feeds):
        feed_server.add(f"/feed-{index}.xml", make_feed(index, 20, 0.6))
        url = feed_server.url(f"/feed-{index}.xml")
        blocks += f'\n[[sources]]\nname = "feed-{index}"\nkind = "rss"\nurl = "{url}"\n'
    config = folder / "veille.toml"
    config.write_text(
        f'[collect]\nprocesses = 0\n\n[[brands]]\nname = "{BRAND}"\nquery = \'"{BRAND}"\'\n{blocks}'
    )
    return config


def test_a_save_that_loses_a_deadlock_fails_its_source_only(
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    config = _feeds_config(feed_server, tmp_path, 4)
    real_save = Store.save_collections

    def losing_feed_1(store: Store, saves: Any) -> Any:
        # feed-1's save is the one PostgreSQL chose to roll back; the others go through.
        results = real_save(store, [save for save in saves if save.source != "feed-1"])
        lost = OperationalError("INSERT …", {}, _deadlock())
        answers = iter(results)
        return [
            connection_error(store.engine.url, lost, doing="write to")
            if save.source == "feed-1"
            else next(answers)
            for save in saves
        ]

    monkeypatch.setattr(Store, "save_collections", losing_feed_1)
    with caplog.at_level(logging.WARNING):
        result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    assert "from 4 source(s); 1 failed" in result.output
    listed = run(config, "sources", "list", "--format", "json")
    errors = {row["name"]: row["last_error"] for row in json.loads(listed.output)}
    assert errors["feed-1"] is not None and errors["feed-1"].endswith(": deadlock detected")
    assert [errors[f"feed-{index}"] for index in (0, 2, 3)] == [None, None, None]
    assert not [record for record in caplog.records if record.exc_info]


def _deadlock() -> Exception:
    psycopg = pytest.importorskip("psycopg")
    error: Exception = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


def test_a_pass_that_fills_the_disk_stops_with_one_clear_error(
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    config = _feeds_config(feed_server, tmp_path, 8)
    assert run(config, "db", "upgrade").exit_code == 0
    with sqlite3.connect(tmp_path / "veille.db") as connection:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]

    def little_room(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Room for a feed or two: the disk fills up in the middle of the pass.
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 12}")

    event.listen(Engine, "connect", little_room)
    try:
        with caplog.at_level(logging.WARNING):
            result = run(config, "collect", "--quiet")
    finally:
        event.remove(Engine, "connect", little_room)
    assert result.exit_code == 1
    assert "cannot write to the database" in result.output
    assert "database or disk is full" in result.output
    assert "free some space" in result.output
    # One error, not one per source, and no traceback.
    assert "Traceback" not in result.output
    assert not [record for record in caplog.records if record.name == "veille.pipeline"]


def test_a_refused_statement_does_not_send_the_user_to_the_database_url(tmp_path: Path) -> None:
    reason = postgres_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    admin = create_engine(POSTGRES_ADMIN_URL).url
    too_many = text("SELECT 1 WHERE 1 IN :ids").bindparams(bindparam("ids", expanding=True))
    engine = create_engine(admin)
    try:
        # Past the 65,535 parameters a statement may carry: psycopg refuses to send it.
        with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
            connection.execute(too_many, {"ids": list(range(70_000))})
    finally:
        engine.dispose()
    refused = connection_error(admin, caught.value, doing="read from")
    assert "number of parameters" in str(refused)
    assert refused.hint is not None and "VEILLE_DATABASE_URL" not in refused.hint
    assert "refused" in refused.hint
    cancelled = _driver_error(
        admin.render_as_string(hide_password=False),
        ["SET LOCAL statement_timeout = 1", "SELECT pg_sleep(1)"],
    )
    error = connection_error(admin, cancelled, doing="read from")
    assert "statement_timeout" in (error.hint or "")
    missing_table = _driver_error(f"sqlite:///{tmp_path / 'veille.db'}", ["SELECT * FROM absent"])
    error = connection_error(create_engine("sqlite:///veille.db").url, missing_table)
    assert "no such table" in str(error) and "server runs" not in (error.hint or "")


def test_an_unreachable_server_still_points_at_the_url() -> None:
    pytest.importorskip("psycopg")
    url = create_engine(f"postgresql+psycopg://veille:pw@127.0.0.1:{free_port()}/veille").url
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with pytest.raises(DBAPIError) as caught:
            engine.connect()
    finally:
        engine.dispose()
    error = connection_error(url, caught.value, doing="read from")
    assert "Connection refused" in str(error)
    assert error.hint is not None and "VEILLE_DATABASE_URL" in error.hint
    assert "and that the server runs" in error.hint
