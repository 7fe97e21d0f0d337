"""Time helpers: UTC now, durations ("30m", "1h", "7d"), points in time ("7d", "2026-01-01") and
time zones ("Europe/Paris")."""

from __future__ import annotations

import re
from datetime import MINYEAR, UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
# Longer durations are mistakes, and adding them to a date could leave the calendar.
MAX_DURATION = timedelta(days=36525)
# What a prune keeps at least: the last day of mentions ("365" or "12m" meant days or months).
MINIMUM_RETENTION = timedelta(days=1)


class TooLong(ValueError):
    """A duration (or a look-back) longer than MAX_DURATION."""


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Read a duration such as ``90``, ``"30m"``, ``"1h"``, ``"7d"`` or ``"2w"`` (bare: seconds;
    units in any case but ``M``, a month as often as a minute)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("expected a duration such as 30m, 1h, 7d")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"expected a duration such as 30m, 1h, 7d, got {value!r}")
        if match.group(2) == "M":
            # Units ignore case, but a capital M is how a month is written as often as a minute.
            raise ValueError(
                f"{value!r} is ambiguous: m counts minutes; write 30d for a month, 365d or 52w "
                "for a year, 1m for a minute"
            )
        unit = (match.group(2) or "s").lower()
        seconds = float(match.group(1)) * _UNIT_SECONDS[unit]
    if seconds != seconds:  # NaN
        raise ValueError("expected a duration such as 30m, 1h, 7d, got NaN")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION.total_seconds():
        raise TooLong(f"a duration of {value!r} is too long (at most 100 years)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Render a duration the way a person writes it (``"1h"``, ``"90m"``, ``"2d"``)."""
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_moment(
    value: str, *, now: datetime | None = None, end_of_day: bool = False, zone: tzinfo = UTC
) -> datetime:
    """Read ``--since``/``--until`` values: a look-back (``7d``, ``12h``) or an ISO date/datetime.

    A bare date means the midnight that starts it in ``zone`` (or, with ``end_of_day``, the one
    that starts the next day), so that it bounds the same calendar days as statistics in that
    zone; a datetime without an offset is a time of ``zone`` too. The result is in UTC.

    A time beyond the calendar's ends in UTC (the end of 9999-12-31, the start of year 1 east of
    UTC) is its last or first moment.
    """
    text = value.strip()
    if _DURATION.match(text) and not text.isdigit():
        return (now or utcnow()) - parse_duration(text)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end_of_day and day == date.max:
                return datetime.max.replace(tzinfo=UTC)
            if end_of_day:
                day += timedelta(days=1)
            moment = datetime(day.year, day.month, day.day, tzinfo=zone)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    except ValueError:
        raise ValueError(
            f"expected a look-back such as 7d or 12h, or a date such as 2026-01-01, got {value!r}"
        ) from None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == MINYEAR else datetime.max).replace(tzinfo=UTC)


def isoformat_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix, or None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name ("Europe/Paris"), or ValueError."""
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, ZoneInfoNotFoundError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name: Europe/Paris, UTC…)") from None
