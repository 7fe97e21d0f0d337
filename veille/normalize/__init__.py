"""Turn a collector's RawMention into a Document: plain text, canonical URL, site, identity."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from veille.normalize.domains import host_of, registrable_domain
from veille.normalize.identity import document_identity, fingerprint, parse_author
from veille.normalize.text import (
    body_text,
    collapse_whitespace,
    has_control_characters,
    html_to_text,
    rough_text,
    strip_control_characters,
)
from veille.normalize.urls import canonical_url, unwrap_redirect
from veille.types import Document, RawMention

__all__ = [
    "canonical_url",
    "document_identity",
    "fingerprint",
    "html_to_text",
    "normalize",
    "parse_author",
    "readable_text",
    "registrable_domain",
    "rough_readable_text",
    "unwrap_redirect",
]

# Hosts that serve links to other publishers' articles: the item's own site is the
# publisher the feed names (raw.site_url), not the aggregator.
_AGGREGATOR_HOSTS = frozenset({"news.google.com", "feedproxy.google.com", "feeds.feedburner.com"})
_AGGREGATOR_DOMAINS = frozenset({"bing.com", "feedburner.com", "flipboard.com"})


def _is_aggregator(url: str) -> bool:
    host = host_of(url)
    if host is None:
        return False
    domain = registrable_domain(host) or host
    return (
        host in _AGGREGATOR_HOSTS or domain in _AGGREGATOR_DOMAINS or domain.startswith("google.")
    )


def _site(canonical: str | None, site_url: str | None, guid: str | None = None) -> str | None:
    """Registrable domain of the item, taken from the publisher when the link is an aggregator's:
    the feed's own site, else the article address its GUID gives (a FeedBurner item)."""
    publisher = registrable_domain(site_url) if site_url and site_url.strip() else None
    if publisher is None and canonical is not None and _is_aggregator(canonical):
        address = (guid or "").strip()
        if address.lower().startswith(("http://", "https://")) and not _is_aggregator(address):
            publisher = registrable_domain(address)
    if canonical is None or (publisher is not None and _is_aggregator(canonical)):
        return publisher
    return registrable_domain(canonical)


def _as_utc(moment: datetime | None) -> datetime | None:
    """Aware datetimes are converted to UTC; naive ones are taken to already be UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _published(moment: datetime | None) -> datetime | None:
    """The publication time in UTC, never later than now: a date in the future (a wrong time
    zone, a typo, "2099") would keep the item at the top of every listing and every window.

    Such a date becomes the time of collection to the second, as dates are written: with the
    clock's microseconds it would look like a time the publisher gave.
    """
    published = _as_utc(moment)
    if published is None:
        return None
    now = datetime.now(UTC)
    return published if published <= now else now.replace(microsecond=0)


def _web_url(value: str | None) -> str | None:
    """The link as collected, when it is a web link (never a javascript: or data: link)."""
    link = value.strip() if value else ""
    return link if link.lower().startswith(("http://", "https://")) else None


# The fields of an item that may hold text (read once: dataclasses.fields is slow per call).
_TEXT_FIELDS = tuple(
    item_field.name for item_field in fields(RawMention) if item_field.name != "extra"
)


def _optional(value: str | None) -> str | None:
    cleaned = collapse_whitespace(value) if value else ""
    return cleaned or None


def _without_control_characters(raw: RawMention) -> RawMention:
    """The item with control characters (NUL, terminal escapes) removed from all of its text."""
    cleaned: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(raw, name)
        if isinstance(value, str) and has_control_characters(value):
            cleaned[name] = strip_control_characters(value)
    if any(isinstance(v, str) and has_control_characters(v) for v in raw.extra.values()):
        cleaned["extra"] = {
            key: strip_control_characters(value) if isinstance(value, str) else value
            for key, value in raw.extra.items()
        }
    # Most items have none: they are kept as they are rather than copied.
    return replace(raw, **cleaned) if cleaned else raw


def rough_readable_text(raw: RawMention) -> tuple[str, str] | None:
    """The words ``readable_text`` would give, and perhaps more, without parsing HTML; None
    when only parsing can tell (see ``rough_text``)."""
    title = rough_text(strip_control_characters(raw.title))
    content = rough_text(strip_control_characters(raw.content_html))
    return None if title is None or content is None else (title, content)


def readable_text(raw: RawMention) -> tuple[str, str]:
    """The title and text of an item as its Document holds them: plain, controls removed."""
    title = html_to_text(strip_control_characters(raw.title))
    return title, body_text(title, html_to_text(strip_control_characters(raw.content_html)))


def normalize(raw: RawMention, readable: tuple[str, str] | None = None) -> Document:
    """Normalise one collected item into a Document (text, canonical URL, site, identity).

    ``readable`` is the item's ``readable_text`` when the caller has already computed it.
    """
    title, text = readable or readable_text(raw)
    raw = _without_control_characters(raw)
    canonical = canonical_url(raw.url)
    author_name, author_contact = parse_author(raw.author_name)
    content_fingerprint = fingerprint(title, text)
    site = _site(canonical, raw.site_url, raw.guid)
    return Document(
        identity=document_identity(
            raw, canonical, site=site, content_fingerprint=content_fingerprint, title=title
        ),
        source=raw.source,
        url=_web_url(raw.url),
        canonical_url=canonical,
        title=title,
        text=text,
        author_name=author_name,
        author_handle=_optional(raw.author_handle) or author_contact,
        author_url=canonical_url(raw.author_url),
        site=site,
        platform=(_optional(raw.platform) or "news").lower(),  # "Blog" in a configuration too
        published_at=_published(raw.published_at),
        fingerprint=content_fingerprint,
        lang_hint=_optional(raw.lang_hint),
        reach=raw.reach,
        engagement=raw.engagement,
        metrics=dict(raw.metrics),
    )
