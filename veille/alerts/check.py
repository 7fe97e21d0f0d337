"""One alert check: detect the spikes, record the new ones, send one e-mail listing them.

The order makes every spike alert exactly once:

1. Count each brand's mentions per window (by publication time, else first-seen time; not the
   undated backlog of a source's first collection), in the current windows and their
   baselines (:mod:`veille.alerts.cycles`: the same time of day and of the week, read in the
   ``[schedule]`` time zone), and :func:`~veille.alerts.detect.detect` the spikes at ``now``.
2. Drop the spikes whose (brand, signal, horizon) already fired within the cooldown, whatever
   became of that alert: the same surge is never detected twice. Past the cooldown, a window
   that still surges because of mentions the last alert of its kind reported has no news: it
   alerts again only when the mentions first seen since that alert are a spike by themselves.
3. Record the others as ``pending`` *before* sending, then send one e-mail with every alert not
   yet accepted by the mail server (these new ones, and those of earlier checks whose send
   failed), and mark them ``sent`` or ``failed``. A failed one is sent again by the next check;
   one not delivered before its cooldown ends is marked ``expired`` (old news; a surge still
   going on by then fires anew).

With no recipient configured, the spikes are recorded (status ``recorded``) and reported only.
Two checks must not run at once on one database: the scheduler and ``veille alerts`` hold the
``alerts`` job lock around this call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from veille.alerts.detect import (
    HORIZON_BY_NAME,
    Spike,
    bucket_counts,
    detect,
    is_spike,
    reach,
    reference_windows,
)
from veille.alerts.render import AlertItem, alert_message, render
from veille.mail import DeliveryError, send_message, write_preview
from veille.settings import Settings
from veille.store import Store
from veille.store.alerts import AlertRecord
from veille.timeutil import time_zone, utcnow

log = logging.getLogger(__name__)

# How many mentions each alert lists.
TOP_MENTIONS = 5


@dataclass
class AlertReport:
    """What one check found and did; ``status``: quiet, sent, failed, recorded or dry-run."""

    checked_at: datetime
    status: str = "quiet"
    spikes: list[Spike] = field(default_factory=list)  # new this check
    alerts: list[AlertRecord] = field(default_factory=list)  # listed in the e-mail
    retried: int = 0  # alerts of earlier checks sent again
    error: str | None = None
    hint: str | None = None
    files: tuple[Path, ...] = ()


def find_spikes(settings: Settings, store: Store, now: datetime) -> list[Spike]:
    """Every spike at ``now`` among the configured brands, cooldown not considered."""
    brands = [brand.name for brand in settings.brands]
    if not brands:
        return []
    zone = time_zone(settings.schedule.timezone)
    events = store.alert_events(brands, reach(now, zone), now)
    watched_since = store.brands_created_at(brands)
    return detect(bucket_counts(events, brands, now, watched_since, zone), settings.alerts, now)


def _with_news(settings: Settings, store: Store, spikes: list[Spike], now: datetime) -> list[Spike]:
    """The spikes that the last alert of their kind (sent or recorded) did not already report:
    those with none, and those whose mentions first seen since it are a spike on their own."""
    reported = store.last_reported_alerts({(s.brand, s.signal, s.horizon) for s in spikes})
    news = []
    for spike in spikes:
        last = reported.get((spike.brand, spike.signal, spike.horizon))
        if last is not None:
            events = store.alert_events(
                [spike.brand], spike.window_start, now, seen_after=last.fired_at
            )
            fresh = sum(1 for _, _, negative in events if negative or spike.signal == "volume")
            if not is_spike(fresh, spike.baseline, settings.alerts)[0]:
                continue
        news.append(spike)
    return news


def _with_baseline_spans(
    settings: Settings, store: Store, records: list[AlertRecord]
) -> list[AlertRecord]:
    """The alerts with how many windows their baselines held, for their wording to say."""
    created = store.brands_created_at(sorted({record.brand for record in records}))
    zone = time_zone(settings.schedule.timezone)
    return [
        replace(
            record,
            baseline_windows=reference_windows(
                HORIZON_BY_NAME[record.horizon],
                record.reference,
                record.fired_at,
                created.get(record.brand),
                zone,
            ),
        )
        for record in records
    ]


def _order(record: AlertRecord) -> tuple[object, ...]:
    return (record.fired_at, record.brand, record.signal != "negative", record.horizon != "hour")


def _items(store: Store, records: list[AlertRecord], now: datetime) -> list[AlertItem]:
    return [
        AlertItem(
            record,
            store.alert_window_mentions(
                record.brand,
                after=record.window_start,
                seen_until=record.fired_at,
                negative_only=record.signal == "negative",
                limit=TOP_MENTIONS,
            ),
            delayed=record.fired_at < now,
        )
        for record in sorted(records, key=_order)
    ]


def check_alerts(
    settings: Settings,
    store: Store,
    *,
    now: datetime | None = None,
    dry_run_dir: Path | None = None,
) -> AlertReport:
    """Detect spikes, record the new ones and e-mail every alert not yet sent (one e-mail)."""
    moment = now or utcnow()
    config = settings.alerts
    cutoff = moment - config.cooldown
    quiet = store.fired_alert_keys(cutoff)
    spikes = _with_news(
        settings,
        store,
        [
            spike
            for spike in find_spikes(settings, store, moment)
            if (spike.brand, spike.signal, spike.horizon) not in quiet
        ],
        moment,
    )
    report = AlertReport(checked_at=moment, spikes=spikes)
    status = "pending" if config.to else "recorded"
    new = [_record(spike, status) for spike in spikes]
    if dry_run_dir is not None:
        backlog = store.unsent_alerts(cutoff) if config.to else []
        report.alerts = _with_baseline_spans(settings, store, backlog + new)
        report.retried = len(backlog)
        if report.alerts:
            report.files = _write_preview(settings, store, report.alerts, moment, dry_run_dir)
        report.status = "dry-run"
        return report
    if not config.to:
        report.alerts = _with_baseline_spans(settings, store, store.record_alerts(new))
        report.status = "recorded" if new else "quiet"
    else:
        store.expire_alerts(cutoff)
        store.record_alerts(new)
        report.alerts = _with_baseline_spans(settings, store, store.unsent_alerts(cutoff))
        report.retried = len(report.alerts) - len(new)
        if report.alerts:
            _send(settings, store, report, moment)
    # The scheduler reads it to catch up a missed check: a quiet one leaves no other trace.
    store.note_alert_check(moment)
    return report


def last_checked_at(store: Store) -> datetime | None:
    """When the alerts were last checked for real (for the scheduler's catch-up), or None."""
    return store.last_alert_check()


def _record(spike: Spike, status: str) -> AlertRecord:
    return AlertRecord(
        brand=spike.brand,
        signal=spike.signal,
        horizon=spike.horizon,
        fired_at=spike.window_end,
        window_start=spike.window_start,
        count=spike.count,
        baseline=spike.baseline,
        probability=spike.probability,
        status=status,
        reference=spike.reference,
    )


def _render(
    settings: Settings, store: Store, records: list[AlertRecord], now: datetime
) -> tuple[str, str, str]:
    return render(
        _items(store, records, now),
        language=settings.alerts.language,
        timezone=settings.schedule.timezone,
        cooldown=settings.alerts.cooldown,
        now=now,
    )


def _send(settings: Settings, store: Store, report: AlertReport, now: datetime) -> None:
    subject, text, html = _render(settings, store, report.alerts, now)
    message = alert_message(settings.smtp, settings.alerts.to, subject, text, html)
    ids = [record.id for record in report.alerts if record.id is not None]
    try:
        send_message(settings.smtp, message)
    except DeliveryError as exc:
        report.error, report.hint = exc.message, exc.hint
        if not exc.accepted:
            store.mark_alerts(ids, status="failed", now=now, error=exc.message)
            report.status = "failed"
            # The callers report it (veille alerts, the scheduler's job_end): a detail here.
            log.info("alert e-mail not sent (%d alert(s)): %s", len(ids), exc.message)
            return
        # Accepted for the other recipients: they must not get these alerts twice.
    store.mark_alerts(ids, status="sent", now=now, error=report.error)
    report.status = "sent"
    log.info("alert e-mail sent: %d alert(s)", len(ids))


def _write_preview(
    settings: Settings, store: Store, records: list[AlertRecord], now: datetime, folder: Path
) -> tuple[Path, Path]:
    subject, text, html = _render(settings, store, records, now)
    message = alert_message(settings.smtp, settings.alerts.to, subject, text, html)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return write_preview(
        message, html, folder / f"alerts-{stamp}.eml", folder / f"alerts-{stamp}.html"
    )
