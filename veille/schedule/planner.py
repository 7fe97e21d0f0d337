"""What should run now: pure functions of cron specs, last run times and the clock.

The daemon asks the planner twice: at start (which jobs were missed while it was down: each
runs once, however many times its cron fired meanwhile) and when a job fires (has anybody run
it since its latest due time? — another process may have). Nothing here reads a clock or a
database, so every rule is tested with chosen times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from veille.schedule.cron import LocalCronTrigger, cron_trigger

_ONE_MICROSECOND = timedelta(microseconds=1)
# Windows looked back through, smallest first, for the latest fire time: an hour covers
# minute-level crons cheaply; eight years cover even "29 February" crons across 2100.
_LOOKBACKS = tuple(timedelta(days=days) for days in (1 / 24, 1, 32, 367, 4 * 366, 8 * 366 + 1))


@dataclass(frozen=True)
class JobSpec:
    """A job's name and when it runs: a crontab expression in an IANA time zone."""

    name: str
    cron: str
    timezone: str
    trigger: LocalCronTrigger = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trigger", cron_trigger(self.cron, self.timezone))

    def local(self, moment: datetime) -> datetime:
        """A moment shown in the job's time zone."""
        return moment.astimezone(UTC).astimezone(ZoneInfo(self.timezone))


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")


def next_fire(spec: JobSpec, after: datetime) -> datetime | None:
    """The first time the job fires strictly after ``after`` (UTC), or None if never."""
    _check_aware(after)
    fire = spec.trigger.get_next_fire_time(None, after + _ONE_MICROSECOND)
    return None if fire is None else fire.astimezone(UTC)


def fire_times(spec: JobSpec, start: datetime, end: datetime) -> list[datetime]:
    """Every time the job fires in ``(start, end]``, in UTC, in order."""
    fires: list[datetime] = []
    moment = next_fire(spec, start)
    while moment is not None and moment <= end:
        fires.append(moment)
        moment = next_fire(spec, moment)
    return fires


def previous_fire(spec: JobSpec, now: datetime) -> datetime | None:
    """The latest time at or before ``now`` the job was due to fire (UTC), or None."""
    _check_aware(now)
    for lookback in _LOOKBACKS:
        fires = fire_times(spec, now - lookback, now)
        if fires:
            return fires[-1]
    return None


def is_due(spec: JobSpec, last_run: datetime | None, now: datetime) -> bool:
    """Tell whether the job's latest due time at ``now`` has passed without a run since."""
    due = previous_fire(spec, now)
    if due is None:
        return False
    return last_run is None or last_run < due


@dataclass(frozen=True)
class Plan:
    """A job's place in the schedule at a given moment."""

    spec: JobSpec
    last_run: datetime | None
    tracked: bool  # False: the job's last run is not known, so it is never caught up
    due_since: datetime | None  # the latest fire time before now
    next_run: datetime | None  # the next fire time after now
    catch_up: bool  # missed while nothing ran it: run once now


def plan(
    specs: Sequence[JobSpec], last_runs: Mapping[str, datetime | None], now: datetime
) -> list[Plan]:
    """Where each job stands at ``now``; jobs absent from ``last_runs`` are not tracked.

    A tracked job is caught up when it has never run or ran before its latest fire time;
    it is caught up once, however many fire times were missed.
    """
    plans = []
    for spec in specs:
        tracked = spec.name in last_runs
        last_run = last_runs.get(spec.name)
        plans.append(
            Plan(
                spec=spec,
                last_run=last_run,
                tracked=tracked,
                due_since=previous_fire(spec, now),
                next_run=next_fire(spec, now),
                catch_up=tracked and is_due(spec, last_run, now),
            )
        )
    return plans


def catch_up(
    specs: Sequence[JobSpec], last_runs: Mapping[str, datetime | None], now: datetime
) -> list[str]:
    """The names of the jobs to run once now, in the order of ``specs``."""
    return [item.spec.name for item in plan(specs, last_runs, now) if item.catch_up]
