"""Mastodon statuses as mentions, and the small readings of Mastodon answers the collector needs.

Pure functions of decoded JSON and response headers, so they are tested on recorded answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from veille.collectors.api import from_timestamp
from veille.collectors.figures import figures
from veille.types import RawMention, plain_as_html

PLATFORM = "mastodon"
_LINK_PART = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


def hashtag_for(text: str) -> str:
    """A hashtag (without '#') from a brand name: letters, digits and '_' kept, case folded.

    Mastodon tags accept Unicode letters and match case-insensitively (and, on recent
    versions, accent-insensitively), so "Société Générale" becomes "sociétégénérale".
    """
    return "".join(char for char in text if char.isalnum() or char == "_").casefold()


def next_max_id(link_header: str | None) -> str | None:
    """The ``max_id`` of the ``rel="next"`` page in a Mastodon ``Link`` header, if any."""
    for target, relations in _LINK_PART.findall(link_header or ""):
        if "next" in relations.split():
            values = parse_qs(urlsplit(target).query).get("max_id")
            return values[0] if values else None
    return None


def rate_limit_wait(headers: Mapping[str, str], *, now: datetime | None = None) -> int | None:
    """Seconds until the budget resets when ``X-RateLimit-Remaining`` says it is spent."""
    remaining = headers.get("x-ratelimit-remaining", "").strip()
    if not remaining.isdigit() or int(remaining) > 0:
        return None
    seconds = reset_wait(headers, now=now)
    return 300 if seconds is None else int(seconds)  # Mastodon's budgets are per five minutes


def reset_wait(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` (an ISO time), at least 1; None when not given."""
    reset = from_timestamp(headers.get("x-ratelimit-reset", "").strip() or None)
    if reset is None:
        return None
    return float(max(1, int((reset - (now or datetime.now(UTC))).total_seconds())))


def host_of(url: object) -> str | None:
    """The host name of an http(s) URL, or None."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    return urlsplit(url).hostname or None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _web_link(*candidates: object) -> str | None:
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.startswith(("http://", "https://")):
            return candidate
    return None


def _handle(account: Mapping[str, Any], instance_host: str | None) -> str | None:
    """``user@domain``: local accounts' ``acct`` has no domain, so their server's is added."""
    acct = _text(account.get("acct")) or _text(account.get("username"))
    if not acct:
        return None
    acct = acct.lstrip("@")
    if "@" in acct:
        return acct
    home = host_of(account.get("url")) or instance_host
    return f"{acct}@{home}" if home else acct


def status_mention(
    payload: Mapping[str, Any], *, source: str, instance_host: str | None
) -> RawMention | None:
    """One status (or the status a reblog shares) as a RawMention; None when unusable.

    ``instance_host`` is the host of the instance asked: the home of local accounts.
    """
    status: Any = payload.get("reblog") or payload
    if not isinstance(status, Mapping):
        return None
    url = _web_link(status.get("url"), status.get("uri"))
    # The ActivityPub id is the same on every instance; the numeric id is only local.
    platform_id = _text(status.get("uri")) or url
    if not platform_id:
        return None
    account = _mapping(status.get("account"))
    home = host_of(url) or host_of(account.get("url")) or instance_host
    content = _text(status.get("content"))
    warning = _text(status.get("spoiler_text"))
    if warning:
        # The content warning is the author's own summary: searchable and shown first.
        content = f"<p>{plain_as_html(warning)}</p>{content}"
    metrics, engagement, reach = figures(
        {
            "favourites": status.get("favourites_count"),
            "reblogs": status.get("reblogs_count"),
            "replies": status.get("replies_count"),
            "quotes": status.get("quotes_count"),
            "followers": account.get("followers_count"),
        }
    )
    extra: dict[str, object] = {"platform_id": platform_id}
    local_id = _text(status.get("id"))
    if local_id:
        extra["status_id"] = local_id
    if status is not payload:
        extra["reblogged_by"] = _handle(_mapping(payload.get("account")), instance_host)
    return RawMention(
        source=source,
        url=url,
        title="",
        content_html=content,
        author_name=_text(account.get("display_name")) or _text(account.get("username")) or None,
        author_handle=_handle(account, instance_host),
        author_url=_web_link(account.get("url")),
        published_at=from_timestamp(status.get("created_at")),
        site_name=home,
        site_url=f"https://{home}" if home else None,
        platform=PLATFORM,
        lang_hint=_text(status.get("language")) or None,
        reach=reach,
        engagement=engagement,
        metrics=metrics,
        extra=extra,
    )


def statuses_mentions(
    statuses: list[Any], *, source: str, instance_host: str | None
) -> list[RawMention]:
    """Every usable status of a list as a RawMention (odd entries are skipped)."""
    found = []
    for item in statuses:
        if isinstance(item, Mapping):
            mention = status_mention(item, source=source, instance_host=instance_host)
            if mention is not None:
                found.append(mention)
    return found
