"""Rendering a digest: Jinja2 templates (HTML autoescaped), highlighted terms, the e-mail itself.

Feed text is only ever escaped; only http(s) URLs become links; nothing remote is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from veille.delivery_settings import SmtpSettings
from veille.digest import wording
from veille.digest.selection import DigestContent
from veille.mail import message_id
from veille.match.spans import term_spans
from veille.numbers import format_number

TEMPLATES = Path(__file__).resolve().parent
EXCERPT_CHARS = 280
_MARK = Markup('<mark style="background:#ffec99;color:inherit;">%s</mark>')


def environment() -> Environment:
    """The Jinja2 environment of the digest templates."""
    return mail_environment(TEMPLATES)


@cache
def mail_environment(templates: Path) -> Environment:
    """A Jinja2 environment for e-mail templates: ``*.html.j2`` autoescaped, strict names."""
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["link"] = safe_url
    env.filters["highlight"] = highlight
    env.filters["excerpt"] = excerpt
    return env


def safe_url(url: object) -> str | None:
    """The URL when it is an absolute http(s) one, else None (rendered as plain text)."""
    if not isinstance(url, str) or any(ch.isspace() or ord(ch) < 32 for ch in url.strip()):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def excerpt(text: str, size: int = EXCERPT_CHARS) -> str:
    """The text on one line, cut at a word boundary with an ellipsis when longer than ``size``."""
    flat = " ".join(text.split())
    if len(flat) <= size:
        return flat
    return flat[:size].rsplit(" ", 1)[0] + "…"


def highlight(text: str, terms: Sequence[str]) -> Markup:
    """The escaped text with every occurrence of the matched terms in ``<mark>``."""
    pieces, position = [], 0
    for start, end in term_spans(text, terms):
        pieces.append(escape(text[position:start]))
        pieces.append(_MARK % text[start:end])
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def render(content: DigestContent, timezone: str) -> tuple[str, str, str]:
    """Return the digest's subject, plain text and HTML."""
    language = content.config.language
    zone = ZoneInfo(timezone)

    def local(moment: datetime) -> str:
        return wording.short_time(moment.astimezone(zone), language, now=content.generated_at)

    brands = [(section.name, section.total) for section in content.sections]
    subject = wording.subject(brands, content.negatives, language)
    values = {
        "content": content,
        "subject": subject,
        "t": wording.LABELS[language],
        "language": language,
        "today": wording.long_date(content.generated_at.astimezone(zone), language),
        "local": local,
        "day": lambda day: wording.short_day(day, language),
        "other_sites": lambda count: wording.other_sites(count, language),
        "more_stories": lambda count: wording.more_stories(count, language),
        "number": lambda value: format_number(value, language),
        "sightings": lambda count: wording.sightings(count, language),
        "tone_count": lambda count, tone: wording.tone_count(count, tone, language),
        "count_mentions": lambda count: wording.count_mentions(count, language),
    }
    env = environment()
    text = env.get_template("digest.txt.j2").render(values)
    html = env.get_template("digest.html.j2").render(values)
    return subject, text, html


def build_message(
    smtp: SmtpSettings, recipients: Sequence[str], subject: str, text: str, html: str
) -> EmailMessage:
    """One multipart/alternative message: the plain text, then the HTML.

    Both parts are quoted-printable: the message is then 7-bit, which every relay carries (an
    8bit body needs a server offering 8BITMIME, and a client saying BODY=8BITMIME).
    """
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = smtp.from_address
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = message_id("veille-digest", smtp.from_address)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message
