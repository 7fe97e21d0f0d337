"""The scheduler daemon: APScheduler wiring around the planner, the job locks and the jobs.

Every run of a job, whether its cron fired or it is being caught up, goes through
:meth:`Daemon.execute`: take the job's cross-process lock (skip if another process holds it),
check in the database that nobody ran the job since its latest due time (skip if someone did),
run it, log the outcome. Two daemons on one database therefore run each firing once. On
PostgreSQL the collect job takes no job lock: it claims each due source row by row, so daemons
on several machines run it together and split the sources between them.

A job skipped because another process held its lock (a ``veille collect`` or ``veille alerts``
run by hand at the cron minute) is tried again after :data:`RETRY_SECONDS`, and again while
the lock is held: once free, the job runs unless the other process did its work meanwhile
(then it is skipped as up to date). So is a job this daemon is still running when it fires
again (``already_running``: its catch-up at start, or its previous run), and a job that ran and
found some of its work held by another process (``held`` among its fields: a digest another
process is sending), until that work is done.

A job that failed in a way that leaves it due (the database unreachable or locked, the mail
server refusing a digest: see :attr:`Job.retried_after`) is tried again after each of
:data:`RETRY_AFTER_FAILURE` in turn, the last one repeating, until it succeeds or its cron
fires; the delays start over at each due time. A restart would run it at once (it is due):
the running daemon does not leave it for a day either.

Before each job the daemon looks whether the configuration file changed (:mod:`.reload`): a
valid new one is used from then on, its cron schedules too; while the file is invalid, collect
(which writes the configuration's brands and sources into the database) is skipped, so that an
outdated copy never undoes the edit, and the other jobs go on with the last valid one.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from veille.errors import VeilleError
from veille.locks import job_lock
from veille.schedule import planner
from veille.schedule.jobs import Fields, Job, scheduled_jobs
from veille.schedule.logfmt import emit, emit_error, emit_warning, log
from veille.schedule.reload import ConfigWatcher, changes
from veille.settings import Settings
from veille.store import Store
from veille.timeutil import utcnow

# How long a job skipped because another process was doing it waits before it is tried again.
RETRY_SECONDS = 60.0
# The delays before the tries again of a job that failed, in seconds: 2, 5, 10, 20 minutes, then
# every half hour.
RETRY_AFTER_FAILURE = (120.0, 300.0, 600.0, 1200.0, 1800.0)


@dataclass
class JobResult:
    """How one attempt to run a job ended."""

    job: str
    status: str  # the job's own status (ok, partial, failed…), "error" or "skipped"
    reason: str | None = None  # why it was skipped, or the error
    fields: Fields = field(default_factory=dict)
    duration: float = 0.0


class Daemon:
    """Runs the configured jobs on their cron schedule, catching up what was missed."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        jobs: Sequence[tuple[Job, planner.JobSpec]] | None = None,
        clock: Callable[[], datetime] = utcnow,
        stopping: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.notes: dict[str, str] = {}
        # Jobs given by the caller are kept as given; the configured ones follow its edits.
        self.plans_jobs = jobs is None
        if jobs is None:
            jobs, self.notes = scheduled_jobs(settings)
        self.jobs = {job.name: (job, spec) for job, spec in jobs}
        self.stopping = stopping if stopping is not None else threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        path = settings.config_path
        self.watcher = ConfigWatcher(path) if path is not None else None
        self.config_error: str | None = None  # the problem of the file as it is now, if any
        self._reloading = threading.Lock()
        # Per job, the due time of its failures in a row and how many there were.
        self._failures: dict[str, tuple[datetime | None, int]] = {}
        self._failures_lock = threading.Lock()
        # Jobs whose firing was missed while the daemon ran (suspended), to catch up.
        self._missed: set[str] = set()
        self._missed_lock = threading.Lock()
        self._catching_up = threading.Lock()  # one catch-up at a time
        self._running: set[str] = set()  # the jobs this daemon is running now
        self._running_lock = threading.Lock()

    def plans(self) -> list[planner.Plan]:
        """Where each job stands now: last run (from the database), next run, catch-up."""
        last_runs = {
            name: job.last_run(self.store)
            for name, (job, _) in self.jobs.items()
            if job.last_run is not None
        }
        specs = [spec for _, spec in self.jobs.values()]
        return planner.plan(specs, last_runs, self.clock())

    def execute(self, name: str) -> JobResult:
        """Run a job now if it is due and no other process is running it; log the outcome."""
        if self.stopping.is_set():
            return self._skipped(name, "shutting_down")
        with self._running_lock:
            mine = name in self._running
            self._running.add(name)
        if mine:
            # This daemon runs it still (its catch-up at start, say): tried again later, as
            # when another process holds it.
            return self._skipped(name, "already_running", **self._retry_later(name))
        try:
            return self._execute(name)
        finally:
            with self._running_lock:
                self._running.discard(name)

    def _execute(self, name: str) -> JobResult:
        self.reload_config()
        if name not in self.jobs:  # unscheduled by an edit of the configuration
            return self._skipped(name, "unscheduled")
        job, spec = self.jobs[name]
        if job.writes_config and self.config_error is not None:
            # Its pass would write the brands and sources of an outdated configuration.
            retry = self._retry_after_failure(name)
            emit_warning("job_skipped", job=name, reason="config_invalid", **retry)
            return JobResult(name, "skipped", "config_invalid")
        shared = job.claims_work and self.store.shares_work
        try:
            lock = nullcontext(True) if shared else job_lock(self.settings.database_url, name)
            with lock as acquired:
                if not acquired:
                    # Another process runs the job: tried again once it may be done.
                    return self._skipped(name, "locked", **self._retry_later(name))
                if job.last_run is not None:
                    last_run = job.last_run(self.store)
                    if not planner.is_due(spec, last_run, self.clock()):
                        self._succeeded(name)  # done since, by this process or another
                        return self._skipped(name, "up_to_date", last_run=last_run)
                return self._run(job)
        except VeilleError as exc:  # the lock's database is unreachable
            retry = self._retry_after_failure(name)
            emit_error("job_end", job=name, status="error", error=exc.message, **retry)
            return JobResult(name, "error", exc.message)

    def reload_config(self) -> None:
        """Read the configuration file again if it changed since the daemon last looked.

        A valid file is used from now on (``config_reloaded``), its schedules too; an invalid
        one is reported once (``config_invalid``) and pauses collect until the file is valid.
        """
        if self.watcher is None:
            return
        with self._reloading:
            if not self.watcher.changed():
                return
            try:
                settings = self.watcher.read()
                planned = scheduled_jobs(settings) if self.plans_jobs else None
            except VeilleError as exc:
                self.config_error = exc.message
                emit_error(
                    "config_invalid",
                    error=exc.message,
                    paused="collect",
                    hint="collect waits until the file is valid again; digest, alerts and prune "
                    "go on with the configuration read before",
                )
                return
            self._use(settings, planned)

    def _use(
        self,
        settings: Settings,
        planned: tuple[list[tuple[Job, planner.JobSpec]], dict[str, str]] | None,
    ) -> None:
        old = self.settings
        fields = changes(old, settings)
        moved = settings.database_url != old.database_url
        if moved:  # the store stays open on the database the daemon started with
            settings = settings.model_copy(update={"database_url": old.database_url})
        self.settings = settings
        self.config_error = None
        emit("config_reloaded", file=settings.config_path, **fields)
        if moved:
            emit_warning(
                "config_not_applied",
                key="database.url",
                reason="the daemon keeps the database it opened: restart veille schedule",
            )
        if planned is not None:
            jobs, self.notes = planned
            self._replan({job.name: (job, spec) for job, spec in jobs})

    def _replan(self, jobs: dict[str, tuple[Job, planner.JobSpec]]) -> None:
        """Schedule the jobs of an edited configuration: new cron expressions take effect."""
        previous, self.jobs = self.jobs, jobs
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return
        grace = self._misfire_seconds()
        try:
            for name in previous.keys() - jobs.keys():
                scheduler.remove_job(name)
                emit("job_unscheduled", job=name, reason=self.notes.get(name))
            for name, (_, spec) in jobs.items():
                if name not in previous:
                    scheduler.add_job(
                        self.execute,
                        spec.trigger,
                        args=[name],
                        id=name,
                        name=name,
                        misfire_grace_time=grace,
                    )
                elif previous[name][1] != spec:  # another cron expression or time zone
                    scheduler.reschedule_job(name, trigger=spec.trigger)
                else:
                    scheduler.modify_job(name, misfire_grace_time=grace)
                    continue
                scheduler.modify_job(name, misfire_grace_time=grace)
                emit(
                    "job_rescheduled",
                    job=name,
                    cron=spec.cron,
                    timezone=spec.timezone,
                    next_run=scheduler.get_job(name).next_run_time,
                )
        except JobLookupError:  # the scheduler shutting down meanwhile
            log.debug("event=replan_interrupted", exc_info=True)

    def _misfire_seconds(self) -> int:
        return max(1, int(self.settings.schedule.misfire_grace.total_seconds()))

    def _skipped(self, name: str, reason: str, **fields: object) -> JobResult:
        emit("job_skipped", job=name, reason=reason, **fields)
        return JobResult(name, "skipped", reason)

    def _retry_after_failure(self, name: str) -> dict[str, object]:
        """Run a job that failed again later: after the next of :data:`RETRY_AFTER_FAILURE`
        (counted since its latest due time), unless its cron fires sooner."""
        spec = self.jobs[name][1] if name in self.jobs else None
        due = planner.previous_fire(spec, self.clock()) if spec is not None else None
        with self._failures_lock:
            since, count = self._failures.get(name, (due, 0))
            count = count + 1 if since == due else 1
            self._failures[name] = (due, count)
        delay = RETRY_AFTER_FAILURE[min(count, len(RETRY_AFTER_FAILURE)) - 1]
        retry = self._retry_later(name, delay)
        return {"attempt": count, **retry} if retry else {}

    def _succeeded(self, name: str) -> None:
        with self._failures_lock:
            self._failures.pop(name, None)

    def _retry_later(self, name: str, delay: float | None = None) -> dict[str, datetime]:
        """Run the job again after ``delay`` seconds, :data:`RETRY_SECONDS` by default (unless
        its cron fires sooner).

        Returns ``retry_at`` (when it will run) for the log line, or nothing when the daemon is
        not scheduling (``--once``, stopping). The retry goes through :meth:`execute` again:
        skipped as up to date if the other process did the job's work meanwhile.
        """
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running or self.stopping.is_set():
            return {}
        retry_at = utcnow() + timedelta(seconds=RETRY_SECONDS if delay is None else delay)
        try:
            job = scheduler.get_job(name)
            if job is None:
                return {}
            if job.next_run_time is not None and job.next_run_time <= retry_at:
                return {"retry_at": job.next_run_time}  # its cron fires first: the retry
            scheduler.modify_job(name, next_run_time=retry_at)
        except Exception:  # the scheduler shutting down meanwhile
            log.debug("event=retry_not_scheduled job=%s", name, exc_info=True)
            return {}
        return {"retry_at": retry_at}

    def _run(self, job: Job) -> JobResult:
        emit("job_start", job=job.name)
        started = time.monotonic()
        try:
            fields = job.run(self.settings, self.store)
        except Exception as exc:  # a failing job must not stop the daemon
            duration = time.monotonic() - started
            if isinstance(exc, VeilleError):
                error = exc.message
            else:  # a bug: keep the traceback
                log.exception("event=job_crashed job=%s", job.name)
                error = f"{type(exc).__name__}: {exc}"
            retry = self._retry_after_failure(job.name)
            emit_error(
                "job_end", job=job.name, status="error", error=error, **retry, duration=duration
            )
            return JobResult(job.name, "error", error, duration=duration)
        duration = time.monotonic() - started
        status = str(fields.get("status", "ok"))
        rest = {key: value for key, value in fields.items() if key != "status"}
        if fields.get("held"):
            # Some of its work (all of it: status "skipped") is held by another process; the
            # try again also sends what failed.
            rest.update(self._retry_later(job.name))
        elif status in job.retried_after:
            rest.update(self._retry_after_failure(job.name))
        else:
            self._succeeded(job.name)
        # A job that ran but did not do all its work needs attention: a warning.
        report = emit_warning if status in ("failed", "partial") else emit
        report("job_end", job=job.name, status=status, **rest, duration=duration)
        reason = str(fields["reason"]) if status == "skipped" and "reason" in fields else None
        return JobResult(job.name, status, reason, fields=fields, duration=duration)

    def run_pending(self) -> list[JobResult]:
        """Catch up every job missed while nothing ran it (once each), in order, and return."""
        due = [item.spec.name for item in self.plans() if item.catch_up]
        emit("catch_up", jobs=",".join(due) or "none")
        return self._run_all(due)

    def _run_all(self, names: Sequence[str]) -> list[JobResult]:
        results = []
        for name in names:
            if self.stopping.is_set():
                break
            results.append(self.execute(name))
        return results

    def start(self) -> None:
        """Start scheduling in background threads; missed jobs are caught up first, in order."""
        misfire = self._misfire_seconds()
        scheduler = BackgroundScheduler(
            timezone=self.settings.schedule.timezone,
            executors={"default": ThreadPoolExecutor(max_workers=len(self.jobs) + 1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire},
        )
        scheduler.add_listener(self._on_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        for name, (_, spec) in self.jobs.items():
            scheduler.add_job(self.execute, spec.trigger, args=[name], id=name, name=name)
        due = [item.spec.name for item in self.plans() if item.catch_up]
        emit("catch_up", jobs=",".join(due) or "none")
        if due:
            scheduler.add_job(
                self._run_all,
                "date",
                run_date=utcnow(),
                args=[due],
                id="catch-up",
                misfire_grace_time=None,
            )
        self.scheduler = scheduler  # before it runs anything: a run may schedule its retry
        scheduler.start()

    def trigger(self, name: str) -> None:
        """Fire a job through the scheduler now, exactly as its cron would."""
        if self.scheduler is None:
            raise RuntimeError("the scheduler is not running")
        self.scheduler.modify_job(name, next_run_time=utcnow())

    def _on_event(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES and event.job_id in self.jobs:
            retry = self._retry_later(event.job_id)
            emit("job_skipped", job=event.job_id, reason="already_running", **retry)
        elif event.code == EVENT_JOB_MISSED and event.job_id in self.jobs:
            # The process was suspended (or the machine asleep) past the job's grace: caught up
            # now, as a start would.
            emit_warning("job_missed", job=event.job_id, scheduled=event.scheduled_run_time)
            with self._missed_lock:
                self._missed.add(event.job_id)
            if self.scheduler is not None and not self.stopping.is_set():
                self.scheduler.add_job(
                    self._catch_up_missed, "date", run_date=utcnow(), misfire_grace_time=None
                )

    def _catch_up_missed(self) -> None:
        """Run once, in order, every job due with no run since (as at start), and the missed
        jobs whose last run is not known."""
        with self._catching_up:  # a second one finds what the first did
            with self._missed_lock:
                missed, self._missed = self._missed, set()
            if not missed:
                return
            try:
                plans = self.plans()
            except VeilleError:  # the database unreachable: each missed job says so
                names = [name for name in self.jobs if name in missed]
            else:
                due = {item.spec.name for item in plans if item.catch_up}
                untracked = {item.spec.name for item in plans if not item.tracked}
                names = [name for name in self.jobs if name in due or name in missed & untracked]
            if names:
                emit("catch_up", jobs=",".join(names), reason="missed")
                self._run_all(names)

    def stop(self) -> None:
        """Schedule nothing new, wait for the running jobs to finish."""
        self.stopping.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def serve(self) -> None:
        """Run until :attr:`stopping` is set (see :func:`stop_on_signals`), then shut down."""
        self.start()
        emit("scheduler_started", jobs=",".join(self.jobs))
        while not self.stopping.wait(timeout=1.0):
            pass
        emit("scheduler_stopping", signal=getattr(self.stopping, "signal_name", None))
        self.stop()
        emit("scheduler_stopped")


class StopRequest(threading.Event):
    """An event set by a stop signal, remembering which one."""

    signal_name: str | None = None


def stop_on_signals() -> StopRequest:
    """An event set on the first SIGTERM or SIGINT; a second signal ends the process at once."""
    request = StopRequest()

    def handler(signum: int, _frame: FrameType | None) -> None:
        request.signal_name = signal.Signals(signum).name
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        request.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return request
