"""Ctrl-C and SIGTERM: held back while a batch is saved and counted, kept from worker processes.

A command that saves its work batch by batch and says, once stopped, what it saved must not be
stopped between a batch's commit and its count: ``held`` lets the signal act only once the
batch in hand is saved and counted. Worker processes are stopped by the command that started
them, once it has saved what it holds: ``blocked_for_workers`` and ``ignored_in_worker`` keep the
signals a terminal or a service manager sends the whole process group from them, from the
moment they start (a worker that only ignored them from its initializer on could be stopped,
with a traceback, while it imports its modules).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# SIGTERM first: it is restored first, and SIGINT (whose default handler raises) last.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def held() -> Iterator[None]:
    """Let Ctrl-C and SIGTERM received in the block act only once it ends, as they would have.

    Only the main thread receives Python's signal handlers: elsewhere, the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {}
    for signum in STOP_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is not None:  # None: set outside Python, and not to be put back from here
            previous[signum] = signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for held_back in dict.fromkeys(received):
            signal.raise_signal(held_back)  # runs the handler put back, here and now


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
