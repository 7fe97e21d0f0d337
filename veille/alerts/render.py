"""Rendering the alert e-mail: Jinja2 templates (HTML autoescaped) and the multipart message.

The digest's helpers are reused: feed text is only ever escaped, only http(s) URLs become links,
nothing remote is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment

from veille.alerts import wording
from veille.delivery_settings import SmtpSettings
from veille.digest.render import build_message, mail_environment
from veille.digest.wording import long_date, short_time
from veille.store.alerts import AlertRecord
from veille.timeutil import format_duration

TEMPLATES = Path(__file__).resolve().parent


@dataclass(frozen=True)
class AlertItem:
    """One alert as the e-mail shows it: the record, and the mentions driving it."""

    record: AlertRecord
    mentions: Sequence[dict[str, object]] = field(default_factory=tuple)
    delayed: bool = False  # detected by an earlier check whose send failed


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
        "items": items,
        "subject": subject,
        "t": wording.LABELS[language],
        "language": language,
        "today": long_date(now.astimezone(zone), language),
        "local": lambda moment: short_time(moment.astimezone(zone), language),
        "headline": lambda record: wording.headline(record, language),
        "command": wording.mentions_command,
        "cooldown": format_duration(cooldown),
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
    domain = smtp.from_address.rpartition("@")[2] or "localhost"
    del message["Message-ID"]
    message["Message-ID"] = make_msgid("veille-alert", domain=domain)
    message["X-Priority"] = "2"
    return message
