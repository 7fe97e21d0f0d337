"""Job locks that hold across processes: one run of a job at a time per database.

On SQLite the lock is an advisory file lock (``flock``) on ``<database file>.<job>.lock``
beside the database; on PostgreSQL it is a session advisory lock taken on a dedicated
connection, so processes on several machines sharing one database exclude each other too.
Both are released by the operating system or the server when the process dies, so a crash
never leaves a job locked. Taking a lock never waits: the caller learns at once whether it
got it, and skips the run if not.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from veille.errors import StoreError
from veille.store.db import connection_error, mask_url

# An in-memory SQLite database lives in one process: a process-local lock is enough there.
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


def advisory_key(job: str) -> int:
    """The PostgreSQL advisory lock key of a job: a signed 64-bit number derived from its name."""
    digest = hashlib.sha256(f"veille.job:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file_path(database: str, job: str) -> Path:
    """The lock file of a job for a SQLite database file: ``<database file>.<job>.lock``."""
    path = database.removeprefix("file:").split("?", 1)[0]
    return Path(path).expanduser().resolve().with_name(f"{Path(path).name}.{job}.lock")


@contextmanager
def job_lock(database_url: str, job: str) -> Iterator[bool]:
    """Try to take the lock of ``job`` on this database; yield whether it was acquired.

    The lock is held until the ``with`` block ends.
    """
    if not job or not all(ch.isalnum() or ch in "-_." for ch in job):
        raise ValueError(f"a job name is letters, digits, '-', '_' or '.', not {job!r}")
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise StoreError("the database URL cannot be parsed") from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        with _advisory_lock(url, job) as acquired:
            yield acquired
    elif backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or "mode=memory" in database:
            with _memory_lock(job) as acquired:
                yield acquired
        else:
            with _file_lock(lock_file_path(database, job)) as acquired:
                yield acquired
    else:
        raise StoreError(f"unsupported database {mask_url(url)}")


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _lock_file_error(path, exc) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        # The file stays: removing it would let two processes lock two different files.
        os.close(descriptor)


def _lock_file_error(path: Path, exc: OSError) -> StoreError:
    """Why a lock file cannot be opened: its folder, or a file another user left there."""
    try:
        owner = path.stat() if isinstance(exc, PermissionError) else None
    except OSError:
        owner = None
    if owner is None:
        return StoreError(
            f"cannot create the lock file {path}: {exc.strerror}",
            hint="veille needs write access to the folder of its database",
        )
    # Typically left by a run under another account (sudo) before the service's own.
    return StoreError(
        f"cannot open the lock file {path}: {exc.strerror} (it belongs to user id "
        f"{owner.st_uid}, mode {owner.st_mode & 0o777:o}; veille runs as user id {os.getuid()})",
        hint="give the file to the user veille runs as, or remove it while no veille runs",
    )


@contextmanager
def _advisory_lock(url: URL, job: str) -> Iterator[bool]:
    key = advisory_key(job)
    # A connection of its own, in autocommit: the lock outlives no transaction and holds none
    # open while the job runs; closing the connection releases it in any case.
    engine = create_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10}
    )
    try:
        try:
            connection = engine.connect()
        except DBAPIError as exc:
            raise connection_error(url, exc) from None
        with connection:
            acquired = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
            )
            try:
                yield acquired
            finally:
                # If the connection is gone, the lock went with it.
                if acquired and not connection.closed:
                    with suppress(DBAPIError):
                        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        engine.dispose()


@contextmanager
def _memory_lock(job: str) -> Iterator[bool]:
    with _memory_guard:
        lock = _memory_locks.setdefault(job, threading.Lock())
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()
