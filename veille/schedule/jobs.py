"""The jobs ``veille schedule`` runs: collect, digest, the spike alerts and, when configured, prune.

Each job is the same library call the command line makes, plus a way to read from the
database when it last ran (for catch-up; a job without one is never caught up).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from veille.delivery_settings import DigestConfig
from veille.errors import ConfigError
from veille.schedule.cron import NeverFiresError
from veille.schedule.logfmt import listed
from veille.schedule.planner import JobSpec, previous_fire
from veille.settings import Settings
from veille.store import Store
from veille.timeutil import utcnow

Fields = dict[str, object]


@dataclass(frozen=True)
class Job:
    """A named unit of work: what it does, and when it last ran (None: not tracked).

    ``claims_work``: on PostgreSQL the job claims its own pieces of work row by row, so several
    processes run it together instead of taking turns under the job lock. ``writes_config``: it
    writes the configuration's brands and sources into the database (not run on an outdated
    configuration). ``retried_after``: the statuses of a run that leave the job due, so that
    the daemon tries it again soon rather than at its next cron time (``error``, the job
    stopped, is always one).
    """

    name: str
    run: Callable[[Settings, Store], Fields]
    last_run: Callable[[Store], datetime | None] | None = None
    claims_work: bool = False
    writes_config: bool = False
    retried_after: frozenset[str] = frozenset({"error"})


def _collect(settings: Settings, store: Store) -> Fields:
    from veille.pipeline import run_once

    report = run_once(settings, store)
    fields: Fields = {
        "status": report.status,
        "run_id": report.run_id,
        "sources": len(report.outcomes),
        "new_mentions": report.new_mentions,
        "failed_sources": report.failed,
    }
    if report.queries_changed:
        # Their mentions found before stay until `veille query rematch` (see the README).
        fields["queries_changed"] = ",".join(sorted(report.queries_changed))
    failing = [outcome for outcome in report.outcomes if outcome.error]
    if failing:
        # Which sources, and why the first one failed: `veille sources` has the rest.
        fields["failing"] = listed(list(dict.fromkeys(outcome.source for outcome in failing)))
        first, error = failing[0].source, str(failing[0].error)
        fields["error"] = error if error.startswith(f"{first}: ") else f"{first}: {error}"
    return fields


def _last_collect(store: Store) -> datetime | None:
    # A pass limited to some sources or brands (veille collect --source) leaves the others due:
    # only a whole pass stands for the scheduled one.
    return store.last_whole_pass()


def _digest(settings: Settings, store: Store) -> Fields:
    from veille.digest import send_digests

    # The digests not sent (nor found empty) since the latest due time: not one already sent
    # for this period when the job runs again (caught up, or tried again after a hold).
    due = previous_fire(job_spec(settings, "digest"), utcnow())
    names = [
        digest.name
        for digest in settings.digests
        if due is None or not _completed_since(store, digest, due)
    ]
    report = send_digests(settings, store, only=names) if names else None
    outcomes = report.outcomes if report is not None else []
    statuses = [outcome.status for outcome in outcomes]
    failed = statuses.count("failed")
    held = [o.name for o in outcomes if o.held]
    all_failed = report is not None and report.all_failed
    fields: Fields = {
        "status": "failed" if all_failed else "partial" if failed else "ok",
        "digests": len(statuses),
        "sent": statuses.count("sent"),
        "mentions": sum(o.mentions for o in outcomes if o.status == "sent"),
        "failed": failed,
    }
    if failed:
        fields["error"] = "; ".join(
            f"{o.name}: {o.error}" for o in outcomes if o.status == "failed"
        )
    if held:
        # Another process is sending them (or died doing so, until its claim's lease ends):
        # the daemon tries them again later.
        fields["held"] = ",".join(held)
        if len(held) == len(outcomes):
            fields["status"], fields["reason"] = "skipped", "held"
    return fields


def _completed_since(store: Store, digest: DigestConfig, moment: datetime) -> bool:
    """Whether this configured digest was sent, or found nothing new, since ``moment``."""
    from veille.store.digests import DigestKey

    completed = store.last_digest_completed([DigestKey.of(digest.name, digest.to)])
    return completed is not None and completed >= moment


def _alerts(settings: Settings, store: Store) -> Fields:
    alerts: Any = importlib.import_module("veille.alerts")
    return report_fields(alerts.check_alerts(settings, store))


def report_fields(report: object) -> Fields:
    """The scalar fields of a job's report (a dataclass), for its ``job_end`` log line."""
    fields: Fields = {}
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        for item in dataclasses.fields(report):
            value = getattr(report, item.name)
            if isinstance(value, bool | int | float | str):
                fields[item.name] = value
            elif isinstance(value, list | tuple):
                fields[item.name] = len(value)
    fields.setdefault("status", "ok")
    return fields


def _prune(settings: Settings, store: Store) -> Fields:
    from veille.timeutil import format_duration

    age = settings.retention.older_than
    assert age is not None  # prune_job schedules no prune without it
    cut = utcnow() - age
    report = store.prune(cut, dry_run=False)
    return {
        "status": "ok",
        "older_than": format_duration(age),
        "cut": cut,
        "mentions": report.mentions,
        "documents": report.documents,
        "runs": report.runs,
    }


DIGEST_RETRIED_AFTER = frozenset({"error", "failed", "partial"})
# A collect whose sources all failed (status failed) is not tried again as a whole: each source
# waits for its own next check (its backoff), and the pass counts as done. Store.claim_due;
# run_once mirrors the brands and sources into the database.
COLLECT = Job("collect", _collect, _last_collect, claims_work=True, writes_config=True)


def _entry_points(module_name: str, entry: str) -> Any | None:
    """The module when it is installed and provides ``entry`` (a job runs nothing otherwise)."""
    try:
        if importlib.util.find_spec(module_name) is None:
            return None
    except ModuleNotFoundError:
        return None
    module = importlib.import_module(module_name)
    return module if callable(getattr(module, entry, None)) else None


def digest_job(settings: Settings) -> tuple[Job | None, str]:
    """The digest job when ``veille.digest`` is installed, and a note on how it is tracked."""
    digest = _entry_points("veille.digest", "send_digests")
    if digest is None:
        return None, "not scheduled: this veille has no digest module"
    last_sent = getattr(digest, "last_sent_at", None)
    if last_sent is None:
        return Job("digest", _digest), "scheduled; no catch-up (last send time unknown)"
    last_run = functools.partial(last_sent, settings)
    # A digest not sent (the mail server down or refusing) is still due: tried again.
    return Job("digest", _digest, last_run, retried_after=DIGEST_RETRIED_AFTER), "scheduled"


def alerts_job() -> tuple[Job | None, str]:
    """The spike-alert job when ``veille.alerts`` provides ``check_alerts``, and a note on it."""
    alerts = _entry_points("veille.alerts", "check_alerts")
    if alerts is None:
        return None, "not scheduled: spike alerts are not available in this veille"
    return Job("alerts", _alerts, getattr(alerts, "last_checked_at", None)), "scheduled"


def prune_job(settings: Settings) -> tuple[Job | None, str]:
    """The prune job when ``[schedule] prune`` is set, and a note on it; a ConfigError when
    ``[retention] older_than`` does not say what it removes."""
    if settings.schedule.prune is None:
        return None, "not scheduled: no [schedule] prune (see [retention])"
    if settings.retention.older_than is None:
        raise ConfigError(
            "a scheduled prune needs [retention] older_than, the age of what it removes",
            file=str(settings.config_path) if settings.config_path else None,
            key="schedule.prune",
            hint='add [retention] with older_than = "365d" (a year), or remove [schedule] prune',
        )
    return Job("prune", _prune, Store.last_prune), "scheduled"


def job_spec(settings: Settings, name: str) -> JobSpec:
    """The cron spec of a job from ``[schedule]``; a bad expression is a ConfigError."""
    expression = getattr(settings.schedule, name)
    try:
        return JobSpec(name, expression, settings.schedule.timezone)
    except NeverFiresError as exc:
        raise ConfigError(
            f"{expression!r} {exc}",
            file=str(settings.config_path) if settings.config_path else None,
            key=f"schedule.{name}",
            hint="check its day of month and month fields",
        ) from None
    except ValueError as exc:
        raise ConfigError(
            f"invalid cron expression {expression!r}: {exc}",
            file=str(settings.config_path) if settings.config_path else None,
            key=f"schedule.{name}",
            hint="five fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *'",
        ) from None


def scheduled_jobs(settings: Settings) -> tuple[list[tuple[Job, JobSpec]], dict[str, str]]:
    """The jobs to schedule with their specs, and a note per job (scheduled or why not)."""
    notes = {"collect": "scheduled"}
    jobs: list[tuple[Job, JobSpec]] = [(COLLECT, job_spec(settings, "collect"))]
    digest, notes["digest"] = digest_job(settings)
    if digest is not None and not settings.digests:
        digest, notes["digest"] = None, "not scheduled: no [[digests]] in the configuration"
    if digest is not None:
        jobs.append((digest, job_spec(settings, "digest")))
    alerts, notes["alerts"] = alerts_job()
    if alerts is not None:
        jobs.append((alerts, job_spec(settings, "alerts")))
    prune, notes["prune"] = prune_job(settings)
    if prune is not None:
        jobs.append((prune, job_spec(settings, "prune")))
    return jobs, notes
