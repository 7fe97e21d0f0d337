"""Commands stopped half-way by Ctrl-C or SIGTERM: a line saying what was done, exit 130 or 143.

``collect``, ``reclassify`` and ``prune`` save their work as they go; stopped, each says what it
saved and that running it again finishes, and exits as a shell reports a process stopped by
that signal (128 + its number), so that a service manager or cron sees why it ended.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

import click


@contextmanager
def sigterm_as_interrupt() -> Iterator[list[int]]:
    """Stop on SIGTERM (a service manager, a container runtime, ``kill``) as on Ctrl-C.

    The command unwinds as on a KeyboardInterrupt, closing what it holds (a collecting pass
    closed as failed, its unclaimed sources due again; worker processes stopped). Yields the
    list the SIGTERMs received are added to.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received  # signal handlers can only be set from the main thread
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        # What Ctrl-C does now: the running pass's handler (asyncio cancels the pass, which
        # closes it), else a KeyboardInterrupt.
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler) and handler is not signal.default_int_handler:
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_stopped(terminated: list[int], what_was_done: str) -> NoReturn:
    """Say on stderr how the command stopped and what it did; exit 143 (SIGTERM) or 130."""
    click.echo(f"{'Stopped (SIGTERM)' if terminated else 'Interrupted'}: {what_was_done}", err=True)
    raise SystemExit(128 + signal.SIGTERM if terminated else 128 + signal.SIGINT)
