"""How long a source waits before its next check: adapted to how often it changes.

A source starts at its interval (its own ``interval``, else ``[collect] interval``). After each
successful check the interval grows by ``GROWTH`` when the source had not changed (a 304, or
the same body) and is cut by ``SHRINK`` when it had, within ``[collect] min_interval`` and
``max_interval``: a feed that changes once a day ends up checked about twice a day, one that
changes every few minutes as often as ``min_interval`` allows. What the server asks for (RSS
``<ttl>``, ``Cache-Control: max-age``, ``Expires``) lengthens the wait, up to ``max_backoff``.
Failures back off separately (``veille/pipeline.py``).

A wait is counted from the start of the pass that checked the source, and ends a little early
(:func:`wait_until_due`), so that passes as far apart as the wait check the source every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

GROWTH = 1.5
SHRINK = 0.5
# Passes start a little earlier or later than their schedule says (start-up, a lock, a catch-up
# run), and a source is fetched some time into its pass. Due exactly one wait after its fetch,
# a source would not be due yet for the next pass when passes are as far apart as the wait
# (collect = "0 * * * *" with the default hour, a daily collect with a day's ttl) and would be
# checked every other pass. Counted from its pass's start and a tenth early, it is due for the
# next pass, and never checked again before nine tenths of its wait, however often passes run.
DUE_EARLY = 0.1


@dataclass(frozen=True, slots=True)
class PollBounds:
    """A source's starting interval, and the shortest and longest it may adapt to."""

    start: timedelta
    shortest: timedelta
    longest: timedelta
    adaptive: bool = True


def next_interval(previous: timedelta | None, *, changed: bool, bounds: PollBounds) -> timedelta:
    """The interval after a successful check, from the one before it (None: the first check)."""
    if not bounds.adaptive or previous is None:
        return bounds.start
    factor = SHRINK if changed else GROWTH
    return min(max(previous * factor, bounds.shortest), bounds.longest)


def wait_before_next_check(
    interval: timedelta, server_hint: timedelta | None, max_backoff: timedelta
) -> timedelta:
    """The interval, lengthened to what the server asks for (at most ``max_backoff``)."""
    if server_hint is None:
        return interval
    return max(interval, min(server_hint, max_backoff))


def wait_until_due(wait: timedelta) -> timedelta:
    """How long after the start of the pass that checked a source it is due again."""
    return wait * (1 - DUE_EARLY)
