"""The system refusing new processes, as a container's process limit does, for worker tests."""

from __future__ import annotations

import errno
import multiprocessing.context

import pytest


def _refused(process: object) -> None:
    raise OSError(errno.EAGAIN, "Resource temporarily unavailable")


def refuse_new_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every spawned process fail to start, as ``fork``/``exec`` do at a process limit."""
    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", _refused)
