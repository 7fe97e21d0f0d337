"""``veille schedule``: the daemon that runs collect, digest, alerts and prune on cron schedules."""

from veille.schedule.daemon import Daemon, JobResult, StopRequest, stop_on_signals
from veille.schedule.jobs import Job, scheduled_jobs
from veille.schedule.logfmt import configure_logging, logfmt
from veille.schedule.planner import JobSpec, Plan, catch_up, is_due, next_fire, previous_fire

__all__ = [
    "Daemon",
    "Job",
    "JobResult",
    "JobSpec",
    "Plan",
    "StopRequest",
    "catch_up",
    "configure_logging",
    "is_due",
    "logfmt",
    "next_fire",
    "previous_fire",
    "scheduled_jobs",
    "stop_on_signals",
]
