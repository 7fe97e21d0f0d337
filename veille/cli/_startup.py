"""Fewer garbage-collector passes while a command starts and when it exits.

Loading veille's modules (SQLAlchemy, pydantic, click, rich) allocates tens of thousands of
objects that live as long as the process. The cyclic collector walks them over and over while
they load, and once more at exit: about a fifth of a short command such as
``veille mentions`` (see benchmarks/README.md). They are never garbage, so the ``veille``
script raises the collector's threshold while it starts; once the store is open (the last of
the heavy imports) it sets what is loaded aside with ``gc.freeze`` and restores the usual
threshold, and at exit it sets everything aside again rather than walk it one last time.

A command that never opens the store keeps the raised threshold: cycles are still collected,
only less often. Only the script does this, not code that imports veille.
"""

from __future__ import annotations

import gc

# Collect the youngest generation every STARTUP_THRESHOLD allocations instead of 700.
STARTUP_THRESHOLD = 50_000

_usual_thresholds: tuple[int, int, int] | None = None


def begin() -> None:
    """Collect rarely until ``loaded`` is called."""
    global _usual_thresholds
    if _usual_thresholds is None:
        _usual_thresholds = gc.get_threshold()
        gc.set_threshold(STARTUP_THRESHOLD, *_usual_thresholds[1:])


def loaded() -> None:
    """The heavy modules are in: set them aside and collect as usual from now on."""
    global _usual_thresholds
    if _usual_thresholds is not None:
        gc.freeze()
        gc.set_threshold(*_usual_thresholds)
        _usual_thresholds = None


def exiting() -> None:
    """Skip the final walk over every live object: the process is about to end."""
    gc.freeze()
