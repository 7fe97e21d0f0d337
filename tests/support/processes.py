"""The system refusing new processes, as a container's process limit does, for worker tests."""

from __future__ import annotations

import errno
import multiprocessing.context
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest


def _refused(process: object) -> None:
    raise OSError(errno.EAGAIN, "Resource temporarily unavailable")


def refuse_new_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every spawned process fail to start, as ``fork``/``exec`` do at a process limit."""
    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", _refused)


@contextmanager
def signalling_workers(signum: int) -> Iterator[None]:
    """Send ``signum`` over and over to every child process of this one, from when it appears
    (still starting up) until the block ends, as a terminal's Ctrl-C reaches a process group."""
    stop = threading.Event()

    def send() -> None:
        while not stop.is_set():
            for child in multiprocessing.active_children():
                if child.pid is not None:
                    with suppress(ProcessLookupError):
                        os.kill(child.pid, signum)
            time.sleep(0.001)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        yield
    finally:
        stop.set()
        sender.join()
