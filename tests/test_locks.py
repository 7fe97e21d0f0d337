"""Job locks across processes: a lock file beside SQLite, an advisory lock on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.stores import database_url_fixture  # noqa: F401
from veille.errors import StoreError
from veille.locks import advisory_key, job_lock, lock_file_path

_HOLDER = """
import sys
from veille.locks import job_lock
with job_lock(sys.argv[1], sys.argv[2]) as acquired:
    print("acquired" if acquired else "busy", flush=True)
    sys.stdin.readline()
"""


@contextmanager
def lock_held_elsewhere(url: str, job: str) -> Iterator[subprocess.Popen[str]]:
    """Another process that holds the job's lock until its standard input is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, url, job],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "acquired"
        yield holder
    finally:
        if holder.poll() is None:
            assert holder.stdin is not None
            holder.stdin.close()
        holder.wait(timeout=60)


def acquired_within(url: str, job: str, timeout: float = 30.0) -> bool:
    """Whether the lock can be taken within ``timeout`` (released locks may take a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        with job_lock(url, job) as acquired:
            if acquired:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_one_holder_at_a_time_then_free_again(database_url: str) -> None:
    with job_lock(database_url, "collect") as first:
        assert first is True
        with job_lock(database_url, "collect") as second:
            assert second is False
        with job_lock(database_url, "digest") as other_job:
            assert other_job is True
    with job_lock(database_url, "collect") as again:
        assert again is True


def test_the_lock_holds_across_processes(database_url: str) -> None:
    with lock_held_elsewhere(database_url, "collect"):
        with job_lock(database_url, "collect") as acquired:
            assert acquired is False
        with job_lock(database_url, "digest") as other_job:
            assert other_job is True
    assert acquired_within(database_url, "collect")


def test_a_killed_holder_releases_the_lock(database_url: str) -> None:
    with lock_held_elsewhere(database_url, "collect") as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
        assert acquired_within(database_url, "collect")


def test_a_process_that_finds_the_lock_taken_says_so(database_url: str) -> None:
    with job_lock(database_url, "collect") as acquired:
        assert acquired
        busy = subprocess.run(
            [sys.executable, "-c", _HOLDER, database_url, "collect"],
            input="\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert busy.stdout.strip() == "busy"


def test_the_sqlite_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'veille.db'}"
    with job_lock(url, "collect") as acquired:
        assert acquired
    assert (tmp_path / "veille.db.collect.lock").is_file()
    assert (
        lock_file_path(str(tmp_path / "veille.db"), "digest") == tmp_path / "veille.db.digest.lock"
    )


def test_a_lock_file_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'veille.db'}"
    with pytest.raises(StoreError, match="lock file"), job_lock(url, "collect"):
        pass


def test_a_lock_file_left_by_another_user_is_named_with_its_owner() -> None:
    # As after a first `sudo veille collect`: the folder is writable, the file is not.
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        folder.chmod(0o777)
        database = folder / "veille.db"
        lock = lock_file_path(str(database), "collect")
        lock.touch(mode=0o644)
        lock.chmod(0o644)
        url = f"sqlite:///{database}"
        if os.getuid() != 0:
            lock.chmod(0o444)
            with pytest.raises(StoreError) as caught, job_lock(url, "collect"):
                pass
            message = caught.value.message
        else:
            # Root reads and writes any file: try as another user, in a child process.
            reading, writing = os.pipe()
            child = os.fork()
            if child == 0:  # pragma: no cover - the child reports through the pipe
                os.close(reading)
                os.setgid(65534)
                os.setuid(65534)
                try:
                    with job_lock(url, "collect"):
                        report = "locked"
                except StoreError as error:
                    report = error.message
                os.write(writing, report.encode())
                os._exit(0)
            os.close(writing)
            with os.fdopen(reading) as pipe:
                message = pipe.read()
            os.waitpid(child, 0)
        assert f"cannot open the lock file {lock}: Permission denied" in message
        assert f"it belongs to user id {lock.stat().st_uid}, mode 644" in message
    finally:
        shutil.rmtree(folder)


def test_an_in_memory_database_is_locked_within_the_process() -> None:
    with (
        job_lock("sqlite://", "collect") as first,
        job_lock("sqlite:///:memory:", "collect") as second,
    ):
        assert (first, second) == (True, False)
    with job_lock("sqlite://", "collect") as again:
        assert again


def test_job_names_are_checked() -> None:
    with pytest.raises(ValueError), job_lock("sqlite://", "../etc"):
        pass


def test_advisory_keys_are_stable_signed_64_bit_numbers() -> None:
    keys = {advisory_key(job) for job in ("collect", "digest", "alerts")}
    assert len(keys) == 3
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert advisory_key("collect") == advisory_key("collect")


def test_an_unreachable_postgresql_is_a_store_error() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/veille"
    with pytest.raises(StoreError, match="cannot connect"), job_lock(url, "collect"):
        pass
