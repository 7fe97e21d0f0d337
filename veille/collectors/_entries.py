"""From one feed entry to a RawMention: authors, dates, links, platform, counts.

Entries are feedparser's, or the fast reader's mappings with the same keys and values. The
parser does the XML; this module decides what veille keeps of each entry, working around the
places where feedparser's conveniences lose information (merged authors, e-mail addresses with
long top-level domains).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from veille.collectors.figures import MAX_COUNT, count_of, figures
from veille.types import RawMention, plain_as_html

# Generators whose feeds are personal or corporate blogs rather than news sites.
_BLOG_GENERATORS = ("wordpress", "blogger", "ghost", "substack", "medium", "hugo", "jekyll")
_DATE_KEYS = ("published_parsed", "updated_parsed", "created_parsed")
_DATE_TEXT_KEYS = ("published", "updated", "created")
_AUTHOR_PATTERNS = (
    re.compile(r"(?P<email>[^\s()<>]+@[^\s()<>]+)\s*\((?P<name>[^()]*)\)"),  # a@b.fr (Name)
    re.compile(r"(?P<name>[^<>]*?)\s*<(?P<email>[^\s<>]+@[^\s<>]+)>"),  # Name <a@b.fr>
    re.compile(r"(?P<email>[^\s()<>]+@[^\s()<>]+\.[^\s()<>]+)"),  # a@b.fr
)
# The end of an hnrss.org item (Hacker News as a feed): its addresses and figures, in English
# whatever the article's language. Read as figures, not as the item's text, where a title of
# three words beside "Article", "Points" read as French.
_HN_FIGURES = re.compile(
    r"<p>Comments URL: <a [^>]*>[^<]*</a></p>\s*"
    r"<p>Points: (?P<points>\d+)</p>\s*<p># Comments: (?P<comments>\d+)</p>\s*\Z"
)
_HN_ARTICLE = re.compile(r"<p>Article URL: <a [^>]*>[^<]*</a></p>\Z")
# Longer RSS authors are cut to this many characters: no name or byline is that long.
MAX_AUTHOR_CHARS = 500


@dataclass(frozen=True, slots=True)
class FeedContext:
    """Feed-level facts every mention of one feed shares."""

    source: str
    base_url: str
    atom: bool  # Atom authors are structured; RSS ones are free text
    title: str | None
    site_url: str | None
    platform: str
    language: str | None  # the source's declared language: wins over what the feed says
    feed_language: str | None
    # An Atom feed's own first author: its entries without one are its (RFC 4287, 4.2.1).
    feed_author: tuple[str | None, str | None, str | None] = (None, None, None)


def mention_from_entry(entry: Any, context: FeedContext) -> RawMention:
    """One feed entry as a RawMention."""
    name, email, author_url = first_author(entry, atom=context.atom)
    if context.atom and not entry.get("authors"):
        name, email, author_url = context.feed_author
    origin = entry.get("source") or {}  # Google News style <source url="…">Publisher</source>
    video_id = clean_text(entry.get("yt_videoid"))
    content = entry.get("content") or []
    body_detail = content[0] if content else entry.get("summary_detail")  # its value and type
    body = content[0].get("value", "") if content else entry.get("summary") or ""
    body, (metrics, engagement, reach) = _hn_figures(body)
    if not metrics:
        reach = parse_count((entry.get("media_statistics") or {}).get("views"))
        engagement = parse_count((entry.get("media_starrating") or {}).get("count"))
    return RawMention(
        source=context.source,
        # FeedBurner's <link> is its own redirect; <feedburner:origLink> the article's address.
        url=absolute_link(entry.get("feedburner_origlink") or entry.get("link"), context.base_url),
        guid=clean_text(entry.get("id")),
        title=_as_html((entry.get("title") or "").strip(), entry.get("title_detail")),
        content_html=_as_html(body, body_detail),
        author_name=name,
        author_handle=email,
        author_url=absolute_link(author_url, context.base_url),
        published_at=_first_date(entry),
        site_name=clean_text(origin.get("title")) or context.title,
        site_url=absolute_link(origin.get("href") or origin.get("link"), context.base_url)
        or context.site_url,
        platform=context.platform,
        lang_hint=context.language or _entry_language(entry) or context.feed_language,
        reach=reach,
        engagement=engagement,
        metrics=metrics,
        extra={"platform_id": video_id} if video_id else {},
    )


def _hn_figures(body: str) -> tuple[str, tuple[dict[str, int], int | None, int | None]]:
    """An hnrss.org item's text without its closing addresses and figures, and the figures."""
    start = body.rfind("<p>Comments URL: ")
    found = _HN_FIGURES.match(body, start) if start >= 0 else None
    if found is None:
        return body, ({}, None, None)
    counts = {"points": found.group("points"), "comments": found.group("comments")}
    # Anchored matches only, from the one place they can start: any text stays linear.
    text = body[:start].rstrip()
    article = text.rfind("<p>Article URL: ")
    if article >= 0 and _HN_ARTICLE.match(text, article):
        text = text[:article].rstrip()
    if text.endswith(("<hr>", "<hr/>", "<hr />")):
        text = text[: text.rfind("<hr")].rstrip()
    return text, figures(counts)


def _as_html(value: str, detail: Any) -> str:
    """A title or text as HTML: the parser gives text/plain values unescaped ("<T>", "&")."""
    plain = isinstance(detail, dict) and detail.get("type") == "text/plain"
    return plain_as_html(value) if plain else value


def first_author(entry: Any, *, atom: bool) -> tuple[str | None, str | None, str | None]:
    """Name, email and profile URL of an entry's (or an Atom feed's) first author."""
    if atom:
        # feedparser's merged author_detail mixes authors up when there are several.
        first = (entry.get("authors") or [{}])[0]
        return (
            clean_text(first.get("name")),
            clean_text(first.get("email")),
            clean_text(first.get("href")),
        )
    # RSS <author> / dc:creator is free text; feedparser's own split cuts long TLDs short.
    raw = clean_text(entry.get("author"))
    if raw is None:
        return None, None, None
    for pattern in _AUTHOR_PATTERNS:
        found = pattern.fullmatch(raw)
        if found:
            parts = found.groupdict()
            return clean_text(parts.get("name")), parts["email"], None
    return raw, None, None


def guess_platform(parsed: Any) -> str:
    """youtube for YouTube feeds, blog for blog engines, news otherwise."""
    if any(entry.get("yt_videoid") for entry in parsed.entries):
        return "youtube"
    feed = parsed.feed
    detail = feed.get("generator_detail") or {}
    generator = " ".join(
        str(part or "") for part in (feed.get("generator"), detail.get("name"), detail.get("href"))
    ).lower()
    return "blog" if any(name in generator for name in _BLOG_GENERATORS) else "news"


def _entry_language(entry: Any) -> str | None:
    """The language an entry declares (dc:language, xml:lang), if any."""
    details = [
        (entry.get("content") or [{}])[0],
        entry.get("title_detail"),
        entry.get("summary_detail"),
    ]
    declared = [entry.get("language")] + [(d or {}).get("language") for d in details]
    return next((lang for lang in map(clean_text, declared) if lang), None)


def _first_date(entry: Any) -> datetime | None:
    """Published, else updated, else created, in UTC; None when missing or unreadable.

    A date element whose text cannot be read but which holds an HTML ``<time datetime="…">``
    (Drupal: ``<pubDate><time datetime="2019-05-03T19:21:28Z">Fri, 05/03/2019 - 15:21</time>``)
    is dated by that attribute: feedparser keeps it under the entry's ``time`` key.
    """
    for key in _DATE_KEYS:
        moment = _utc_datetime(entry.get(key))
        if moment is not None:
            return moment
    marked = entry.get("time")
    if isinstance(marked, dict) and any(key in entry for key in _DATE_TEXT_KEYS):
        # Imported here: it loads feedparser, which commands reading stored mentions never need.
        from veille.collectors._feed_dates import parse_feed_date

        written = clean_text(marked.get("datetime"))
        return _utc_datetime(parse_feed_date(written)) if written else None
    return None


def _utc_datetime(moment: Any) -> datetime | None:
    """A UTC datetime from feedparser's struct_time (already in UTC), or None."""
    if not moment:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(moment), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def clean_text(value: object) -> str | None:
    """A stripped string, or None when empty or not a string."""
    return value.strip() or None if isinstance(value, str) else None


# An absolute http(s) URL that urljoin gives back unchanged against such a base: lowercase
# scheme, a plain host, printable ASCII, no fragment ("#"), no parameters (";" in the path),
# no empty query. urljoin parses both URLs and rebuilds one: most of a feed's parsing time,
# for links that are nearly always absolute already.
_PLAIN_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]*)?"
    r"(?:/[!\"$-:<->@-~]*)?"  # path: no "#", ";" or "?"
    r"(?:\?[!\"$-~]+)?"  # query: no "#"
)


def joined_as_is(base: str, uri: str) -> bool:
    """Whether ``urljoin(base, uri)`` is ``uri`` itself, known without parsing either."""
    return _PLAIN_URL.fullmatch(uri) is not None and _PLAIN_URL.fullmatch(base) is not None


def absolute_link(value: object, base_url: str) -> str | None:
    """An absolute http(s) link (relative ones resolved against the feed URL), or None."""
    text = clean_text(value)
    if text is None:
        return None
    if joined_as_is(base_url, text):
        return text
    absolute = urljoin(base_url, text)
    # Atom ids such as "tag:…" can surface as links; they point nowhere a reader can go.
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def parse_count(value: object) -> int | None:
    """A non-negative integer from feed text such as "66195", or None (and for a number past
    any real count: see :data:`~veille.collectors.figures.MAX_COUNT`)."""
    text = clean_text(value) if not isinstance(value, int) else str(value)
    if not text or not text.isdecimal() or len(text) > len(str(MAX_COUNT)):
        return None
    return count_of(int(text))
