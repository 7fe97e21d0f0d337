"""The windows a spike window is compared with across the day and the week.

Mentions follow the readers' days: a brand's volume at 9:00 is not its volume at 3:00, and a
leisure brand's Saturday is not its Tuesday. Besides the windows right before it, a window is
therefore compared with the same time of day on the previous days (``daily``) and with the same
time of the same weekday on the previous weeks (``weekly``). "The same time" is read on the
wall clock of the ``[schedule]`` time zone, so that a change to or from summer time does not
shift these windows by an hour against the readers' day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

Reference = Literal["recent", "daily", "weekly"]
CycleReference = Literal["daily", "weekly"]


def same_time_before(now: datetime, days: int, zone: tzinfo) -> datetime:
    """The moment ``days`` days before ``now`` that shows the same time on a clock in ``zone``
    (in UTC). A time that a summer-time change skipped or repeated is read as the clock read it
    before the change."""
    local = now.astimezone(zone).replace(tzinfo=None) - timedelta(days=days)
    return local.replace(tzinfo=zone).astimezone(UTC)


def cycle_days(reference: CycleReference, days: int, weeks: int) -> tuple[int, ...]:
    """How many days back each window of a cycle reference ends, the most recent first: every
    day for ``daily``, every seventh for ``weekly``."""
    if reference == "daily":
        return tuple(range(1, days + 1))
    return tuple(7 * week for week in range(1, weeks + 1))


def cycle_windows(
    reference: CycleReference,
    *,
    window: timedelta,
    days: int,
    weeks: int,
    now: datetime,
    zone: tzinfo,
    since: datetime | None = None,
) -> list[tuple[datetime, datetime]]:
    """The (start, end] windows of a cycle reference at ``now``, oldest first, keeping those
    veille watched whole from ``since`` (when the brand was configured; None: all of them)."""
    windows = []
    for back in reversed(cycle_days(reference, days, weeks)):
        end = same_time_before(now, back, zone)
        if since is None or end - window >= since:
            windows.append((end - window, end))
    return windows
