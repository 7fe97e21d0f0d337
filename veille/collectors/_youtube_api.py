"""YouTube Data API v3: keyword search (``search.list``) and video figures (``videos.list``).

``search.list`` costs 100 quota units a call out of a default 10,000 a day, so a search asks
one page by default; ``videos.list`` costs 1 unit for up to 50 ids and brings the figures
(views, likes, comments), the full description (``search.list`` cuts it short) and the
language of the video. The API key travels in the query string (``key=``): every message
built here shows the URL with the key masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from veille.collectors.api import api_url, from_timestamp, get_json, service_text
from veille.collectors.figures import figures
from veille.errors import FatalSourceError, SourceError, TransientSourceError
from veille.fetch import parse_retry_after
from veille.types import RawMention, plain_as_html

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

SEARCH_PATH = "/youtube/v3/search"
VIDEOS_PATH = "/youtube/v3/videos"
PAGE_SIZE = 50  # the most search.list returns per page, and the most ids videos.list takes
WATCH_URL = "https://www.youtube.com/watch?v="
CHANNEL_URL = "https://www.youtube.com/channel/"
SITE_NAME = "YouTube"
SITE_URL = "https://www.youtube.com/"
_KEY_PARAM = re.compile(r"([?&]key=)[^&#\s]*")


@dataclass(slots=True)
class SearchOutcome:
    """What one keyword search gave: mentions, request and byte counts, a warning if any."""

    mentions: list[RawMention] = field(default_factory=list)
    requests: int = 0
    bytes_received: int = 0
    warning: str | None = None

    def warn(self, text: str) -> None:
        """Add ``text`` to the search's warning."""
        self.warning = text if self.warning is None else f"{self.warning}; {text}"


def mask_key(text: str, key: str) -> str:
    """``text`` with the API key hidden, as a ``key=`` parameter and anywhere else."""
    masked = _KEY_PARAM.sub(r"\1***", text)
    return masked.replace(key, "***") if key else masked


def search_url(
    base_url: str,
    *,
    query: str,
    key: str,
    published_after: datetime | None = None,
    language: str | None = None,
    page_token: str | None = None,
) -> str:
    """The ``search.list`` URL of one page of the newest videos matching ``query``."""
    params = {
        "part": "snippet",
        "type": "video",
        "order": "date",
        "q": query,
        "maxResults": PAGE_SIZE,
        "publishedAfter": rfc3339(published_after) if published_after else None,
        "relevanceLanguage": language,
        "pageToken": page_token,
        "key": key,
    }
    return api_url(base_url, SEARCH_PATH, params)


def videos_url(base_url: str, *, ids: Sequence[str], key: str) -> str:
    """The ``videos.list`` URL giving snippet and statistics of up to 50 videos."""
    params = {"part": "snippet,statistics", "id": ",".join(ids), "key": key}
    return api_url(base_url, VIDEOS_PATH, params)


def rfc3339(moment: datetime) -> str:
    """``2026-01-05T09:00:00Z``: the form ``publishedAfter`` accepts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """Seconds until the next midnight Pacific time, when Google resets the daily quota."""
    now = now or datetime.now(UTC)
    try:
        pacific = now.astimezone(ZoneInfo("America/Los_Angeles"))
    except ZoneInfoNotFoundError:
        # Without a time zone database, Pacific standard time: at most one hour early in summer.
        pacific = now.astimezone(UTC) - timedelta(hours=8)
    midnight = (pacific + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, (midnight - pacific).total_seconds())


def mention_from_search_item(item: Mapping[str, Any], *, source: str) -> RawMention | None:
    """One ``search.list`` result as a RawMention (None for a result that is not a video)."""
    ids = item.get("id")
    video_id = ids.get("videoId") if isinstance(ids, Mapping) else None
    snippet = item.get("snippet")
    if not isinstance(video_id, str) or not video_id or not isinstance(snippet, Mapping):
        return None
    channel_id = _text(snippet.get("channelId"))
    return RawMention(
        source=source,
        url=WATCH_URL + video_id,
        # search.list sends titles and descriptions HTML-escaped: content_html reads them so.
        title=_text(snippet.get("title")) or "",
        content_html=_text(snippet.get("description")) or "",
        author_name=_text(snippet.get("channelTitle")),
        author_handle=channel_id,
        author_url=CHANNEL_URL + channel_id if channel_id else None,
        published_at=from_timestamp(snippet.get("publishedAt")),
        site_name=SITE_NAME,
        site_url=SITE_URL,
        platform="youtube",
        extra={"platform_id": video_id},
    )


def add_video_details(mention: RawMention, video: Mapping[str, Any]) -> None:
    """Fill a mention's figures, full description and language from a ``videos.list`` item."""
    statistics = video.get("statistics")
    if isinstance(statistics, Mapping):
        # likeCount is absent when the channel hides likes, commentCount when comments are off.
        mention.metrics, mention.engagement, mention.reach = figures(
            {
                "views": statistics.get("viewCount"),
                "likes": statistics.get("likeCount"),
                "comments": statistics.get("commentCount"),
            }
        )
    snippet = video.get("snippet")
    if isinstance(snippet, Mapping):
        # videos.list sends the description as plain text (search.list, HTML-escaped).
        description = plain_as_html(_text(snippet.get("description")) or "")
        if len(description) > len(mention.content_html):
            mention.content_html = description  # search.list only gives the first lines
        language = _text(snippet.get("defaultAudioLanguage")) or _text(
            snippet.get("defaultLanguage")
        )
        mention.lang_hint = language or mention.lang_hint


async def search_videos(
    fetcher: Fetcher,
    *,
    source: str,
    base_url: str,
    key: str,
    query: str,
    published_after: datetime | None,
    language: str | None,
    max_pages: int,
) -> SearchOutcome:
    """Page through ``search.list`` (at most ``max_pages`` calls), then fetch the figures."""
    outcome = SearchOutcome()
    found: dict[str, RawMention] = {}  # by video id: a page may repeat what the last one had
    page_token: str | None = None
    for _ in range(max_pages):
        url = search_url(
            base_url,
            query=query,
            key=key,
            published_after=published_after,
            language=language,
            page_token=page_token,
        )
        page = await _get_json(fetcher, url, source=source, key=key, outcome=outcome)
        items = page.get("items") if isinstance(page, Mapping) else None
        for item in items if isinstance(items, list) else []:
            mention = (
                mention_from_search_item(item, source=source) if isinstance(item, Mapping) else None
            )
            if mention is not None:
                found.setdefault(str(mention.extra["platform_id"]), mention)
        page_token = _text(page.get("nextPageToken")) if isinstance(page, Mapping) else None
        if not page_token:
            break
    else:
        outcome.warn(f"more YouTube videos than {max_pages} page(s): older skipped")
    outcome.mentions = list(found.values())
    return outcome


async def add_figures(
    fetcher: Fetcher, outcome: SearchOutcome, *, source: str, base_url: str, key: str
) -> None:
    """Fill the found videos' figures with ``videos.list`` (one call per 50 videos).

    The search already cost 100 units: when this cheap call fails, the videos are kept
    without figures and the failure becomes the pass's warning.
    """
    by_id = {str(m.extra["platform_id"]): m for m in outcome.mentions}
    for batch in _batches(list(by_id), PAGE_SIZE):
        url = videos_url(base_url, ids=batch, key=key)
        try:
            answer = await _get_json(fetcher, url, source=source, key=key, outcome=outcome)
        except SourceError as exc:
            outcome.warn(f"video figures unavailable: {exc.message}")
            return
        items = answer.get("items") if isinstance(answer, Mapping) else None
        for video in items if isinstance(items, list) else []:
            if isinstance(video, Mapping) and str(video.get("id")) in by_id:
                add_video_details(by_id[str(video.get("id"))], video)


async def _get_json(
    fetcher: Fetcher, url: str, *, source: str, key: str, outcome: SearchOutcome
) -> Any:
    """One API call; its errors come out with the key masked and YouTube's own meaning."""
    try:
        document, result = await get_json(fetcher, url, source=source)
    except SourceError as exc:
        # Raised from None: the fetcher's own error names the URL with the key in it.
        raise api_error(exc, source=source, key=key) from None
    outcome.requests += result.requests
    outcome.bytes_received += result.bytes_received
    return document


def api_error(exc: SourceError, *, source: str, key: str) -> SourceError:
    """The error to report for a failed API call: key masked, YouTube's statuses explained in
    its own words (the error's reasons and message)."""
    url = mask_key(exc.url, key) if exc.url else None
    said = _google_error(exc.body, key)
    if exc.status == 403 and said.reasons & _DAILY_QUOTA_REASONS:
        return TransientSourceError(
            f"{source}: YouTube Data API daily quota used up (HTTP 403) from {url}",
            source=source,
            url=url,
            status=403,
            retry_after=seconds_until_quota_reset(),
            hint="the daily quota (10,000 units, 100 a search) resets at midnight Pacific time; "
            "veille waits for it",
        )
    if exc.status in (403, 429) and said.reasons & _RATE_LIMIT_REASONS:
        return TransientSourceError(
            f"{source}: YouTube Data API rate limit reached (HTTP {exc.status}: {said}) from {url}",
            source=source,
            url=url,
            status=exc.status,
            retry_after=exc.retry_after
            or parse_retry_after(exc.headers.get("retry-after"))
            or RATE_LIMIT_WAIT,
            hint="too many requests in a short time (not the daily quota): veille asks again "
            "in about a minute",
        )
    if exc.status == 403:
        return FatalSourceError(
            f"{source}: YouTube Data API refused the key (HTTP 403: {said}) from {url}",
            source=source,
            url=url,
            status=403,
            hint="enable the YouTube Data API v3 for the key's project and check the key's "
            "API and referrer restrictions in the Google Cloud console",
        )
    if exc.status == 400:
        return FatalSourceError(
            f"{source}: YouTube Data API rejected the request (HTTP 400: {said}) from {url}",
            source=source,
            url=url,
            status=400,
            hint=(
                "check VEILLE_YOUTUBE_API_KEY: create a key in the Google Cloud console "
                "(APIs & Services > Credentials) with the YouTube Data API v3 enabled"
                if said.reasons & _KEY_REASONS
                else "check the brand's query and languages and the source's options"
            ),
        )
    same_kind = FatalSourceError if isinstance(exc, FatalSourceError) else TransientSourceError
    return same_kind(
        mask_key(exc.message, key),
        source=source,
        url=url,
        status=exc.status,
        retry_after=exc.retry_after,
        hint=exc.hint,
    )


_DAILY_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
# Google's short-term limits (requests per 100 seconds), not the daily quota.
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})
RATE_LIMIT_WAIT = 60.0  # seconds, when a short-term limit comes without Retry-After


@dataclass(frozen=True, slots=True)
class _GoogleError:
    """What a Google API error body says: its reason codes and its message."""

    reasons: frozenset[str]
    message: str

    def __str__(self) -> str:
        parts = [", ".join(sorted(self.reasons)), self.message]
        return ": ".join(part for part in parts if part) or "no reason given"


def _google_error(body: bytes, key: str) -> _GoogleError:
    """The reasons (of ``errors`` and ``details``) and message of ``{"error": {…}}``."""
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return _GoogleError(frozenset(), "")
    if not isinstance(error, dict):
        return _GoogleError(frozenset(), "")
    entries = [
        item
        for field_name in ("errors", "details")
        if isinstance(error.get(field_name), list)
        for item in error[field_name]
        if isinstance(item, dict)
    ]
    reasons = frozenset(
        service_text(item["reason"]) for item in entries if service_text(item.get("reason"))
    )
    return _GoogleError(reasons, mask_key(service_text(error.get("message")), key))


def _batches(values: list[str], size: int) -> Iterable[list[str]]:
    """``values`` in consecutive lists of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _text(value: object) -> str | None:
    """A stripped string, or None when empty or not a string."""
    return value.strip() or None if isinstance(value, str) else None
