"""Running the digests: which to send, to whom, and moving each watermark only once accepted."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from veille.delivery_settings import DigestConfig
from veille.digest.render import build_message, render
from veille.digest.selection import DigestContent, build_section, collector_health
from veille.errors import ConfigError, unknown_name_text
from veille.mail import DeliveryError, send_message, write_preview
from veille.normalize.text import name_key
from veille.settings import Settings
from veille.store import Store
from veille.store.digests import DigestKey
from veille.timeutil import utcnow

log = logging.getLogger(__name__)

# How long a claim protects a digest being sent; a process that died sending is taken over after.
CLAIM_LEASE = timedelta(minutes=15)
# The digest sent with --to when no digest is configured.
DEFAULT_DIGEST_NAME = "veille"


@dataclass
class DigestOutcome:
    """How one digest went: sent, skipped (nothing new, busy, …), dry-run or failed."""

    name: str
    recipients: tuple[str, ...]
    mentions: int = 0
    status: str = "skipped"  # sent | skipped | dry-run | failed
    error: str | None = None  # why it failed, or why it was skipped
    hint: str | None = None
    files: tuple[Path, ...] = ()
    refused: tuple[str, ...] = ()  # recipients the server refused while accepting the others
    held: bool = False  # skipped because another process holds it (is sending it)


@dataclass
class DigestReport:
    """The outcome of every digest of one run."""

    outcomes: list[DigestOutcome] = field(default_factory=list)

    @property
    def all_failed(self) -> bool:
        """True when there were digests and every one failed."""
        return bool(self.outcomes) and all(o.status == "failed" for o in self.outcomes)


def plan_digests(
    settings: Settings, *, only: Sequence[str] = (), to: Sequence[str] = ()
) -> list[DigestConfig]:
    """The digests to run: the configured ones (or those named), sent to ``to`` when given."""
    configured = list(settings.digests)
    names = {digest.name for digest in configured}
    for name in only:
        if name not in names:
            message = unknown_name_text("digest", name, names, none="none configured")
            raise ConfigError(message, key="digests")
    if only:
        configured = [digest for digest in configured if digest.name in only]
    if not configured:
        if not to:
            raise ConfigError(
                "no digest is configured",
                key="digests",
                hint="add a [[digests]] table to the configuration, or pass --to ADDRESS",
            )
        return [DigestConfig(name=DEFAULT_DIGEST_NAME, to=tuple(to))]
    if to:
        return [digest.model_copy(update={"to": tuple(to)}) for digest in configured]
    return configured


def last_sent_at(settings: Settings, store: Store) -> datetime | None:
    """When the configured digests last ran for real (for the scheduler's catch-up), or None.

    Only their own sends count, accepted by the mail server or with nothing new: a run by hand
    for other recipients, brands or dates, or a failed send, leaves them to catch up.
    """
    keys = [DigestKey.of(digest.name, digest.to) for digest in settings.digests]
    return store.last_digest_completed(keys)


def _brands(settings: Settings, digest: DigestConfig, requested: Sequence[str]) -> list[str]:
    own = list(digest.brands) or [brand.name for brand in settings.brands]
    if not requested:
        return own
    wanted = {name_key(name) for name in requested}
    return [name for name in own if name_key(name) in wanted]


def send_digests(
    settings: Settings,
    store: Store,
    *,
    now: datetime | None = None,
    only: Sequence[str] = (),
    to: Sequence[str] = (),
    dry_run_dir: Path | None = None,
    brands: Sequence[str] = (),
    since: datetime | None = None,
) -> DigestReport:
    """Build and send every digest due (or write previews with ``dry_run_dir``); never twice."""
    moment = now or utcnow()
    report = DigestReport()
    for digest in plan_digests(settings, only=only, to=to):
        outcome = DigestOutcome(digest.name, tuple(digest.to))
        report.outcomes.append(outcome)
        scope = _brands(settings, digest, brands)
        if not scope:
            outcome.error = "none of its brands was asked for"
            continue
        # A run narrowed by --brand or --since is logged apart: the full digest still sends
        # every mention it has not sent (moving its watermark past a mention that the narrowed
        # run left out would lose it).
        key = DigestKey.of(
            digest.name, digest.to, scope if brands else (), recent_only=since is not None
        )
        _run_one(settings, store, digest, key, scope, outcome, moment, dry_run_dir, since)
    return report


def _run_one(
    settings: Settings,
    store: Store,
    digest: DigestConfig,
    key: DigestKey,
    scope: list[str],
    outcome: DigestOutcome,
    now: datetime,
    dry_run_dir: Path | None,
    since: datetime | None,
) -> None:
    if dry_run_dir is not None:
        state = store.load_digest(key)
    else:
        state = store.claim_digest(key, now, CLAIM_LEASE)
        if state is None:
            outcome.error = "another veille process is sending it"
            outcome.held = True
            return
    try:
        # A --since run sends every mention published since then, each time it runs: it keeps
        # no watermark, as one moved past the mentions it left out would hide them from a wider
        # --since.
        published_since, after_id, up_to = since, None, None
        if since is None:
            after_id = state.watermark if state else None
            if after_id is None:
                # A first digest covers the mentions published (collected, when undated) in
                # the last period before its first attempt, not a new feed's years of backlog;
                # its watermark passes over those it leaves out.
                published_since = (state.created_at if state else now) - digest.period
                up_to = store.last_mention_id(scope)
        mentions = store.digest_mentions(
            scope, after_id=after_id, up_to=up_to, since=published_since
        )
        last_id = max((int(m["id"]) for m in mentions), default=None)  # type: ignore[call-overload]
        by_brand = {brand: [m for m in mentions if m["brand"] == brand] for brand in scope}
        stored = set(store.brand_names())
        content = DigestContent(
            config=digest,
            generated_at=now,
            sections=[
                build_section(
                    store,
                    brand,
                    by_brand[brand],
                    config=digest,
                    now=now,
                    stored=brand in stored,
                    timezone=settings.schedule.timezone,
                )
                for brand in scope
            ],
            health=collector_health(settings, store, now, scope),
            watermark=None if since else (up_to if up_to is not None else last_id),
        )
        outcome.mentions = content.total
        if dry_run_dir is not None:
            outcome.files = _write_preview(settings, content, dry_run_dir)
            outcome.status = "dry-run"
            return
        if not mentions and not digest.send_when_empty:
            store.record_digest_send(key, now=now, status="empty", mentions=0)
            outcome.error = "nothing new"
            return
        subject, text, html = render(content, settings.schedule.timezone)
        message = build_message(settings.smtp, digest.to, subject, text, html)
        _deliver(settings, store, key, content, message, outcome, now)
    finally:
        if dry_run_dir is None and outcome.status == "skipped" and outcome.error is None:
            store.release_digest(key)  # an unexpected error: the next run tries again


def _deliver(
    settings: Settings,
    store: Store,
    key: DigestKey,
    content: DigestContent,
    message: EmailMessage,
    outcome: DigestOutcome,
    now: datetime,
) -> None:
    try:
        send_message(settings.smtp, message)
    except DeliveryError as exc:
        if not exc.accepted:
            store.record_digest_send(
                key, now=now, status="failed", mentions=content.total, error=exc.message
            )
            outcome.status, outcome.error, outcome.hint = "failed", exc.message, exc.hint
            # The callers report it (veille digest, the scheduler's job_end): a detail here.
            log.info("digest %s not sent: %s", outcome.name, exc.message)
            return
        # Accepted for the other recipients: they must not get these mentions twice.
        outcome.error, outcome.hint, outcome.refused = exc.message, exc.hint, exc.refused
    store.record_digest_send(
        key,
        now=now,
        status="sent",
        mentions=content.total,
        watermark=content.watermark,
        error=outcome.error,
    )
    outcome.status = "sent"
    log.info(
        "digest %s sent to %d recipient(s)",
        outcome.name,
        len(outcome.recipients) - len(outcome.refused),
    )


def _write_preview(settings: Settings, content: DigestContent, folder: Path) -> tuple[Path, Path]:
    subject, text, html = render(content, settings.schedule.timezone)
    message = build_message(settings.smtp, content.config.to, subject, text, html)
    name = content.config.name
    return write_preview(message, html, folder / f"{name}.eml", folder / f"{name}.html")
