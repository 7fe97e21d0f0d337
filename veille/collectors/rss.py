"""RSS and Atom feeds: a pure parser of bytes and the collector around it.

Plain RSS 2.0 and Atom feeds are read by ``_fast_feed`` with the C XML parser; every other body
(broken XML, other encodings, elements it does not know) by feedparser. Both give the same
mentions: the fast reader reproduces feedparser's values or declines.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import xml.sax
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from veille.collectors._discovery import advertised_feeds
from veille.collectors._entries import (
    MAX_AUTHOR_CHARS,
    FeedContext,
    absolute_link,
    clean_text,
    first_author,
    guess_platform,
    mention_from_entry,
    parse_count,
)
from veille.collectors.api import newer_than
from veille.collectors.base import validate_options
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import FetchResult
from veille.redaction import redact_url
from veille.types import Collected, RawMention, ReadItems, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_TEXT_XML = frozenset({"text/xml", "text/rss+xml", "text/atom+xml"})
_ENTRY_OPEN = re.compile(rb"<(?:item|entry)[\s>]")
_ENTRY_CLOSE = re.compile(rb"</(?:item|entry)\s*>")
_MAX_AGE = re.compile(r"max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
# A feed's wish to be left alone (ttl, max-age, Expires) is read as a year at most: the wait is
# capped by max_backoff anyway, and an absurd number would not fit a time span.
LONGEST_SERVER_WAIT = 366 * 24 * 3600


def _cap_author_before_sync(sync: Any) -> Any:
    """Wrap feedparser's author sync so that it never searches a long author text.

    It looks for an e-mail address in an RSS author with a regular expression that takes
    quadratic time on a long run of letters: one 50 kB author would stall a pass for a minute.
    """

    def sync_author_detail(parser: Any, key: str = "author") -> None:
        context = parser._get_context()
        author = context.get(key)
        if isinstance(author, str) and len(author) > MAX_AUTHOR_CHARS:
            context[key] = author[:MAX_AUTHOR_CHARS]
        sync(parser, key)

    return sync_author_detail


@functools.cache
def _feedparser() -> Any:
    """feedparser, imported on the first parse with its author sync wrapped.

    Not at import: checking an ``rss`` source's options (every command reading the
    configuration) needs none of it, and importing it and the fast reader takes 50 ms.
    """
    import feedparser

    from veille.collectors._feed_dates import parse_local_date

    # Dates in the site's own language ("lun., 24 sept. 2018"), for both readers.
    feedparser.registerDateHandler(parse_local_date)
    mixin = feedparser.mixin._FeedParserMixin
    if hasattr(mixin, "_sync_author_detail"):  # a private method: newer feedparsers may differ
        mixin._sync_author_detail = _cap_author_before_sync(mixin._sync_author_detail)
    return feedparser


class RssOptions(BaseModel):
    """Options of an ``rss`` source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="address of the RSS or Atom feed (http or https)")
    platform: str | None = Field(
        default=None, description="platform of every item; guessed when unset"
    )
    language: str | None = Field(
        default=None, description="language of the items, overriding the feed"
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value


@dataclass(slots=True)
class ParsedFeed:
    """What one feed body holds: its items as mentions, and what the feed says about itself."""

    mentions: list[RawMention] = field(default_factory=list)
    title: str | None = None
    site_url: str | None = None
    language: str | None = None
    ttl_minutes: int | None = None  # RSS <ttl>: how long the publisher wants to be left alone
    warning: str | None = None  # why feedparser found the feed malformed, when it still read it


def parse_feed(
    body: bytes,
    *,
    url: str,
    source: str,
    headers: Mapping[str, str] | None = None,
    platform: str | None = None,
    language: str | None = None,
) -> ParsedFeed:
    """Parse an RSS/Atom body into mentions; raise if the body is not a usable feed."""
    _feedparser()  # wrapped before either reader uses it
    from veille.collectors._fast_feed import read_plain_feed
    from veille.collectors._stray_bytes import repair_stray_bytes

    feed_headers = _feedparser_headers(headers, url)
    plain = read_plain_feed(body, feed_headers)
    repaired = None
    if plain is None:
        # Looked at only now: a body the fast reader read is valid in its encoding.
        body, repaired = repair_stray_bytes(body, feed_headers)
        if repaired is not None:
            plain = read_plain_feed(body, feed_headers)
    if plain is None:
        return _read_with_feedparser(
            body,
            url=url,
            source=source,
            headers=headers,
            platform=platform,
            language=language,
            repaired=repaired,
        )
    return _parsed_feed(
        plain,
        plain.entries,
        atom=plain.atom,
        url=url,
        source=source,
        platform=platform,
        language=language,
        warning=repaired,
    )


# An emoji written as its UTF-16 halves, "&#xD83D;&#xDE00;" (some feeds do): no character of its
# own, and feedparser fails on the whole body when it meets one. A pair is the character it
# stands for; a half alone, the replacement character.
_SURROGATE_PAIR = re.compile(
    rb"&#[xX]0*([dD][89abAB][0-9a-fA-F]{2});&#[xX]0*([dD][c-fC-F][0-9a-fA-F]{2});"
)
_LONE_SURROGATE = re.compile(rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*5[5-7][0-9]{3});")


def _joined_pair(pair: re.Match[bytes]) -> bytes:
    high, low = int(pair.group(1), 16), int(pair.group(2), 16)
    return b"&#x%X;" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def _lone_half(reference: re.Match[bytes]) -> bytes:
    text = reference.group(0)
    if text[2:3] in b"xX":
        return b"&#xFFFD;"
    number = int(text[2:-1])
    return b"&#xFFFD;" if 0xD800 <= number <= 0xDFFF else text  # 55296–57343 only


def _without_surrogate_references(body: bytes) -> bytes:
    """The body with its character references to UTF-16 halves made whole (or replaced)."""
    if b"&#" not in body or _LONE_SURROGATE.search(body) is None:
        return body
    return _LONE_SURROGATE.sub(_lone_half, _SURROGATE_PAIR.sub(_joined_pair, body))


def _parse_with_feedparser(
    body: bytes,
    *,
    url: str,
    source: str,
    headers: Mapping[str, str] | None = None,
    platform: str | None = None,
    language: str | None = None,
) -> ParsedFeed:
    """parse_feed by feedparser alone: any body, broken or odd ones included."""
    from veille.collectors._stray_bytes import repair_stray_bytes

    body, repaired = repair_stray_bytes(body, _feedparser_headers(headers, url))
    return _read_with_feedparser(
        body,
        url=url,
        source=source,
        headers=headers,
        platform=platform,
        language=language,
        repaired=repaired,
    )


def _read_with_feedparser(
    body: bytes,
    *,
    url: str,
    source: str,
    headers: Mapping[str, str] | None,
    platform: str | None,
    language: str | None,
    repaired: str | None,
) -> ParsedFeed:
    """_parse_with_feedparser once stray bytes are repaired (``repaired`` says how, if so)."""
    body = _without_surrogate_references(body)
    # A file-like object, never bytes: given bytes, feedparser tries them as a local file name.
    parsed = _feedparser().parse(
        io.BytesIO(body),
        response_headers=_feedparser_headers(headers, url),
        sanitize_html=False,
        resolve_relative_uris=True,
    )
    entries = list(parsed.entries)
    cut_short = bool(entries) and _ends_inside_an_entry(parsed, body)
    if cut_short:
        entries.pop()  # the item the body was cut in: its title or link may be cut too
    if not entries:
        _check_empty_feed(parsed, body, headers or {}, url=url, source=source)
    malformed = _describe_bozo(parsed, cut_short=cut_short) if parsed.get("bozo") else None
    return _parsed_feed(
        parsed,
        entries,
        atom=str(parsed.get("version", "")).startswith("atom"),
        url=url,
        source=source,
        platform=platform,
        language=language,
        warning="; ".join(filter(None, (repaired, malformed))) or None,
    )


def _parsed_feed(
    parsed: Any,
    entries: list[Any],
    *,
    atom: bool,
    url: str,
    source: str,
    platform: str | None,
    language: str | None,
    warning: str | None,
) -> ParsedFeed:
    """The ParsedFeed of a read feed (feedparser's result or the fast reader's)."""
    feed = parsed.feed
    context = FeedContext(
        source=source,
        base_url=url,
        atom=atom,
        title=clean_text(feed.get("title")),
        site_url=absolute_link(feed.get("link"), url),
        platform=platform or guess_platform(parsed),
        language=language,
        feed_language=clean_text(feed.get("language")),
        feed_author=first_author(feed, atom=True) if atom else (None, None, None),
    )
    # Imported here, as feedparser is: commands that never read a feed do not load it.
    from veille.normalize.identity import without_shared_guids

    mentions, shared = without_shared_guids([mention_from_entry(e, context) for e in entries])
    if shared:
        warning = "; ".join(filter(None, (warning, _shared_guids_warning(shared))))
    return ParsedFeed(
        mentions=mentions,
        title=context.title,
        site_url=context.site_url,
        language=language or context.feed_language,
        ttl_minutes=parse_count(feed.get("ttl")),
        warning=warning,
    )


def _shared_guids_warning(shared: Mapping[str, int]) -> str:
    """What a feed that gives one GUID to items at different links is told."""
    first = next(iter(shared))
    example = repr(first if len(first) <= 80 else first[:79] + "…")
    items = sum(shared.values())
    what = f"the GUID {example}" if len(shared) == 1 else f"{len(shared)} GUIDs (such as {example})"
    return f"{items} items at different links share {what}: each is identified by its link instead"


def _ends_inside_an_entry(parsed: Any, body: bytes) -> bool:
    """Whether broken XML stops inside an item/entry (the last one opened was never closed)."""
    if not isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        return False
    opened = [m.start() for m in _ENTRY_OPEN.finditer(body)]
    closed = [m.start() for m in _ENTRY_CLOSE.finditer(body)]
    return bool(opened) and (not closed or closed[-1] < opened[-1])


def _feedparser_headers(headers: Mapping[str, str] | None, url: str) -> dict[str, str]:
    """Response headers as feedparser should see them."""
    result = {key.lower(): value for key, value in (headers or {}).items()}
    # feedparser resolves relative links against Content-Location: the URL fetched is the base.
    result["content-location"] = url
    media_type = result.get("content-type", "").split(";")[0].strip().lower()
    if not media_type or (media_type in _TEXT_XML and "charset" not in result["content-type"]):
        # No type, or text/xml without charset (RFC 3023 said US-ASCII; RFC 7303 lets the XML
        # declaration decide): both are read as plain XML instead of flagging every such feed.
        result["content-type"] = "application/xml"
    return result


def _check_empty_feed(
    parsed: Any, body: bytes, headers: Mapping[str, str], *, url: str, source: str
) -> None:
    """Accept a well-formed feed with no items; raise for anything else without entries."""
    broken_xml = parsed.get("bozo") and isinstance(
        parsed.get("bozo_exception"), xml.sax.SAXException
    )
    if parsed.get("version") and not broken_xml:
        return  # a real feed, empty right now
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "").lower()
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if "html" in content_type or head.startswith((b"<!doctype html", b"<html")):
        what = "an HTML page"
    elif "json" in content_type or head.startswith((b"{", b"[")):
        what = "JSON"
    else:
        what = None
    if what is not None:
        advertised = advertised_feeds(body, url) if what == "an HTML page" else []
        hint = "configure the address of the RSS or Atom feed, not of the web page"
        if advertised:
            # As every address veille shows: a feed's password or token is not repeated.
            feed = redact_url(advertised[0])
            hint = f"the page names its feed: {feed}; put that address in the url"
        raise FatalSourceError(
            f"{source}: {url} is not a feed (the server sent {what})",
            source=source,
            url=url,
            hint=hint,
        )
    reason = _describe_bozo(parsed) if parsed.get("bozo") else "empty body"
    if head.startswith(b"<") or not head:
        cause = "the answer was empty or cut short"
    else:
        cause = "the answer was not XML (a file, an error page of another kind?)"
    raise TransientSourceError(
        f"{source}: no feed could be read from {url} ({reason})",
        source=source,
        url=url,
        hint=f"{cause}: veille tries again at a later pass",
    )


def _describe_bozo(parsed: Any, *, cut_short: bool = False) -> str:
    """Why feedparser found the feed malformed, in one readable line."""
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        text = (
            f"not well-formed XML at line {problem.getLineNumber()}, "
            f"column {problem.getColumnNumber()}: {problem.getMessage()}"
        )
    else:
        text = str(problem) or type(problem).__name__
    if cut_short:
        text += "; the last item was cut off and skipped"
    return " ".join(text.split())


def _max_age(headers: Mapping[str, str]) -> int | None:
    """How long the answer stays fresh, in seconds, when the server says: Cache-Control
    max-age, else Expires (counted from the answer's Date, else from now)."""
    found = _MAX_AGE.search(headers.get("cache-control", ""))
    if found:
        digits = found.group(1).lstrip("0")
        if len(digits) > len(str(LONGEST_SERVER_WAIT)):
            return LONGEST_SERVER_WAIT  # past a year, however long (int() of a page is slow)
        return min(int(digits), LONGEST_SERVER_WAIT) if digits else None
    expires = _http_date(headers.get("expires"))
    if expires is None:
        return None
    sent = _http_date(headers.get("date")) or datetime.now(UTC)
    seconds = int((expires - sent).total_seconds())
    return min(seconds, LONGEST_SERVER_WAIT) if seconds > 0 else None


def _http_date(value: str | None) -> datetime | None:
    """An HTTP date as an aware datetime; None when missing or unreadable ("0", "-1"…)."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class RssCollector:
    """RSS and Atom feeds, fetched conditionally; one source is one feed URL."""

    kind: ClassVar[str] = "rss"
    options_model: ClassVar[type[BaseModel]] = RssOptions
    per_brand: ClassVar[bool] = False

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(RssOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None = None,
        since: datetime | None = None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Fetch the feed (conditional GET) and return its items with the source's new state.

        ``query`` is not used: a feed is not searchable. With ``since``, only items published
        after it are returned (undated ones are kept: they may be new).
        """
        collected = await self.collect_unread(
            fetcher, state, query=query, since=since, languages=languages
        )
        return collected.read()

    async def collect_unread(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None = None,
        since: datetime | None = None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """``collect`` without reading the feed: a changed body comes back as ``unread``.

        A pass with processing workers reads it there, beside the processing of its items.
        """
        result = await fetcher.fetch(
            state.url or self.options.url,
            source=self.source_name,
            etag=state.etag,
            last_modified=state.last_modified,
            headers={"Accept": FEED_ACCEPT},
        )
        moved_url = result.moved_to or state.url
        max_age = _max_age(result.headers)
        moved = None
        if result.moved_to is not None and result.moved_to != (state.url or self.options.url):
            # Said once, on the pass that finds the move: the configuration still has the old one.
            moved = (
                f"the feed moved permanently to {result.moved_to}; veille reads it there from "
                "now on: put that address in the configuration"
            )
        if result.not_modified:
            kept = state if moved_url == state.url else replace(state, url=moved_url)
            return _collected(result, kept, not_modified=True, ttl_seconds=max_age, warning=moved)
        digest = hashlib.sha256(result.body).hexdigest()
        new_state = SourceState(
            url=moved_url,
            etag=result.etag,
            last_modified=result.last_modified,
            content_hash=digest,
            cursor=state.cursor,
        )
        if digest == state.content_hash:
            # Same bytes behind fresh validators: some servers change them on every request.
            return _collected(
                result, new_state, not_modified=True, ttl_seconds=max_age, warning=moved
            )
        unread = FeedReading(
            body=result.body,
            url=result.final_url,
            source=self.source_name,
            headers=dict(result.headers),
            platform=self.options.platform,
            language=self.options.language,
            since=since,
        )
        collected = _collected(result, new_state, ttl_seconds=max_age, warning=moved)
        collected.unread = unread
        return collected


@dataclass(frozen=True, slots=True)
class FeedReading:
    """A fetched feed body and how to read it: ``parse_feed``, then the items after ``since``."""

    body: bytes
    url: str
    source: str
    headers: dict[str, str]
    platform: str | None
    language: str | None
    since: datetime | None

    def __call__(self) -> ReadItems:
        """The feed's items, its ttl and why it was malformed, if it was."""
        feed = parse_feed(
            self.body,
            url=self.url,
            source=self.source,
            headers=self.headers,
            platform=self.platform,
            language=self.language,
        )
        ttl = min(feed.ttl_minutes * 60, LONGEST_SERVER_WAIT) if feed.ttl_minutes else None
        return ReadItems(newer_than(feed.mentions, self.since), feed.warning, ttl)


def _collected(
    result: FetchResult,
    state: SourceState,
    *,
    mentions: list[RawMention] | None = None,
    not_modified: bool = False,
    warning: str | None = None,
    ttl_seconds: int | None = None,
) -> Collected:
    """The outcome of one pass, with the fetch's request and byte counts."""
    return Collected(
        mentions=mentions or [],
        state=state,
        not_modified=not_modified,
        requests=result.requests,
        bytes_received=result.bytes_received,
        warning=warning,
        ttl_seconds=ttl_seconds,
    )
