"""Cron expressions as veille reads them: classic crontab fields, local time, DST handled once.

Two differences from APScheduler 3's own ``CronTrigger.from_crontab`` are deliberate:

- the day-of-week field means what it means in a crontab (0 and 7 are Sunday, 1 is Monday),
  where APScheduler 3 counts from Monday = 0;
- a job at a fixed hour runs once on the night clocks go back (at the first 02:30, not twice);
  a job whose hour field is ``*`` follows real time and runs in both repeated hours.

On the night clocks go forward, a time that does not exist fires once, as much later as the
clocks jumped: 02:30 in Europe/Paris fires at 03:30, a run also due at 03:30 included (``30 1-3``
fires twice that night, at 01:30 and 03:30). When both day of month and day of week are
restricted, both must match. Days of the week may be named in English or French (``mon``,
``lun``, ``lundi``).
"""

from __future__ import annotations

from calendar import month_name
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

# Crontab day numbers (0 and 7: Sunday) as APScheduler's unambiguous names.
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# The days' names in English and French, by their first three letters (which differ).
_FRENCH_DAY_NAMES = ("dim", "lun", "mar", "mer", "jeu", "ven", "sam")
_DAY_NUMBERS = {
    name: number for names in (_DAY_NAMES, _FRENCH_DAY_NAMES) for number, name in enumerate(names)
}


def _day(token: str) -> int:
    token = token.strip().lower()
    if token[:3] in _DAY_NUMBERS and token.isalpha():
        return _DAY_NUMBERS[token[:3]]
    if not token.isdigit():
        raise ValueError(f"{token!r} is not a day: a number 0-7, or mon…sun, or lun…dim")
    number = int(token)
    if not 0 <= number <= 7:
        raise ValueError(f"day of week {number} is out of range 0-7")
    return number


def crontab_days(field: str) -> str:
    """Translate a crontab day-of-week field into APScheduler day names (``1-5`` → mon…fri)."""
    if field.strip() in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        spec, _, step_text = part.partition("/")
        if step_text and not step_text.isdigit():
            raise ValueError(f"step {step_text!r} is not a number")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step {step} must be positive")
        if spec == "*":
            first, last = 0, 6
        elif "-" in spec:
            start, _, end = spec.partition("-")
            first, last = _day(start), _day(end)
        else:
            first = _day(spec)
            last = 6 if step_text else first
        if last < first:
            raise ValueError(f"range {spec!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


class NeverFiresError(ValueError):
    """A valid cron expression that names no date that exists (31 February)."""


def _check_fires(trigger: CronTrigger) -> None:
    """Raise NeverFiresError unless some month the trigger allows has a day it allows.

    The day of week cannot make it never fire: each date falls on every day of the week over
    the years.
    """
    fields = {field.name: field for field in trigger.fields}
    months: list[int] = []
    for month in range(1, 13):
        first = datetime(2024, month, 1)  # a leap year: 29 February exists
        if fields["month"].get_next_value(first) != month:
            continue
        if fields["day"].get_next_value(first) is not None:
            return
        months.append(month)
    day = fields["day"].get_next_value(datetime(2024, 1, 1))
    names = [month_name[month] for month in months]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    raise NeverFiresError(f"never fires: there is no {day} {listed}")


class LocalCronTrigger(CronTrigger):
    """A CronTrigger that fires a fixed-hour job once on the night clocks go back."""

    def __init__(self, *, follows_real_time: bool, **fields: Any) -> None:
        super().__init__(**fields)
        self.follows_real_time = follows_real_time

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The next fire time, skipping the repeated occurrence of a fixed local time."""
        candidate = super().get_next_fire_time(previous_fire_time, now)
        while (
            candidate is not None
            and not self.follows_real_time
            and _second_occurrence(candidate, self.timezone)
        ):
            candidate = super().get_next_fire_time(candidate, candidate)
        return candidate

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state["follows_real_time"] = self.follows_real_time
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        follows = state.pop("follows_real_time", True)
        super().__setstate__(state)
        self.follows_real_time = follows


def _second_occurrence(moment: datetime, zone: tzinfo) -> bool:
    """Tell whether a local time is the later of two identical wall-clock times (DST end)."""
    local = moment.astimezone(UTC).astimezone(zone)
    earlier = local.replace(fold=0)
    return local.fold == 1 and earlier.utcoffset() != local.utcoffset()


def cron_trigger(expression: str, timezone: str) -> LocalCronTrigger:
    """Build the trigger for a 5-field crontab expression in an IANA time zone.

    Raises ValueError, with the reason, when the expression is not valid, and NeverFiresError
    when it names no date that exists (``0 6 31 2 *``).
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    try:
        days = crontab_days(weekday)
    except ValueError as exc:
        raise ValueError(f"day of week {weekday!r}: {exc}") from None
    trigger = LocalCronTrigger(
        follows_real_time=hour == "*",
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=days,
        timezone=ZoneInfo(timezone),
    )
    _check_fires(trigger)
    return trigger
