"""Rendering the alert e-mail: Jinja2 templates (HTML autoescaped) and the multipart message.

The digest's helpers are reused: feed text is only ever escaped, only http(s) URLs become links,
nothing remote is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment

from veille.alerts import wording
from veille.delivery_settings import SmtpSettings
from veille.digest.render import build_message, mail_environment
from veille.digest.wording import long_date, short_time
from veille.mail import message_id
from veille.numbers import format_number
from veille.store.alerts import AlertRecord

TEMPLATES = Path(__file__).resolve().parent


@dataclass(frozen=True)
class AlertItem:
    """One alert as the e-mail shows it: the record, and the mentions driving it."""

    record: AlertRecord
    mentions: Sequence[dict[str, object]] = field(default_factory=tuple)
    delayed: bool = False  # detected by an earlier check whose send failed


@dataclass(frozen=True)
class BrandAlerts:
    """A brand's alerts in one e-mail, and the mentions driving them, each listed once."""

    brand: str
    items: Sequence[AlertItem]
    mentions: Sequence[dict[str, object]]


def by_brand(items: Sequence[AlertItem]) -> list[BrandAlerts]:
    """The alerts grouped by brand, in order: one surge often fires several signals and
    horizons at once, whose windows hold the same mentions."""
    groups: dict[str, list[AlertItem]] = {}
    for item in items:
        groups.setdefault(item.record.brand, []).append(item)
    return [BrandAlerts(brand, group, _distinct_mentions(group)) for brand, group in groups.items()]


def _distinct_mentions(items: Sequence[AlertItem]) -> list[dict[str, object]]:
    """Each mention of the alerts once, most engaged first, then most recent."""
    mentions: list[dict[str, object]] = []
    seen: set[object] = set()
    for item in items:
        for mention in item.mentions:
            if mention["id"] not in seen:
                seen.add(mention["id"])
                mentions.append(mention)
    return sorted(mentions, key=_engagement_then_time)


def _engagement_then_time(mention: dict[str, object]) -> tuple[int, float]:
    engagement, moment = mention["engagement"], mention["time"]
    assert isinstance(moment, datetime)
    return (-engagement if isinstance(engagement, int) else 1, -moment.timestamp())


def environment() -> Environment:
    """The Jinja2 environment of the alert templates (the digest's settings and filters)."""
    return mail_environment(TEMPLATES)


def render(
    items: Sequence[AlertItem],
    *,
    language: str,
    timezone: str,
    cooldown: timedelta,
    now: datetime,
) -> tuple[str, str, str]:
    """Return the alert e-mail's subject, plain text and HTML."""
    zone = ZoneInfo(timezone)
    subject = wording.subject([item.record for item in items], language)
    values = {
        "groups": by_brand(items),
        "subject": subject,
        "t": wording.LABELS[language],
        "language": language,
        "today": long_date(now.astimezone(zone), language),
        "local": lambda moment: short_time(moment.astimezone(zone), language),
        "headline": lambda record: wording.headline(record, language),
        "command": lambda group: wording.mentions_command([i.record for i in group.items]),
        "cooldown": wording.duration(cooldown, language),
        "number": lambda value: format_number(value, language),
    }
    env = environment()
    text = env.get_template("alert.txt.j2").render(values)
    html = env.get_template("alert.html.j2").render(values)
    return subject, text, html


def alert_message(
    smtp: SmtpSettings, recipients: Sequence[str], subject: str, text: str, html: str
) -> EmailMessage:
    """The multipart/alternative alert e-mail (plain text, then HTML), marked important."""
    message = build_message(smtp, recipients, subject, text, html)
    del message["Message-ID"]
    message["Message-ID"] = message_id("veille-alert", smtp.from_address)
    message["X-Priority"] = "2"
    return message
