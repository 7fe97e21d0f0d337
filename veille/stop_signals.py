"""Ctrl-C and SIGTERM kept from worker processes.

Worker processes are stopped by the command that started them, once it has saved what it holds:
``blocked_for_workers`` and ``ignored_in_worker`` keep the signals a terminal or a service
manager sends the whole process group from them, from the moment they start (a worker that only
ignored them from its initializer on could be stopped, with a traceback, while it imports its
modules).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def blocked_for_workers() -> Iterator[None]:
    """Block Ctrl-C and SIGTERM in this thread while it starts worker processes.

    A process started meanwhile inherits the blocked signals: they wait, undelivered, until its
    initializer calls ``ignored_in_worker``. This thread gets them when the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def ignored_in_worker() -> None:
    """In a worker process's initializer: ignore Ctrl-C and SIGTERM, then unblock them.

    Ignored first: those that came while it started are dropped, not delivered.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
