"""Value objects passed between the stages of the pipeline.

collector ─► RawMention ─► normalize ─► Document ─► match ─► Match ─► classify ─► Classification
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from veille.normalize.story import StorySignature

Tone = Literal["positive", "neutral", "negative"]


def plain_as_html(text: str) -> str:
    """Plain text as the HTML that reads back as it ("<T> & co" → "&lt;T&gt; &amp; co")."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(slots=True)
class RawMention:
    """One item as a collector found it, before normalisation (HTML and tracking links kept).

    ``title`` and ``content_html`` are read as HTML: a source's plain text goes through
    ``plain_as_html``, so that "List<T>" or "AT&amp;T" written as such keep their characters.
    """

    source: str
    url: str | None = None
    guid: str | None = None
    title: str = ""
    content_html: str = ""
    author_name: str | None = None
    author_handle: str | None = None
    author_url: str | None = None
    published_at: datetime | None = None  # timezone-aware UTC, or None when the item has no date
    site_name: str | None = None  # publisher name when the item names one (Google News <source>)
    site_url: str | None = None  # publisher home page when given
    platform: str | None = None  # "news", "blog", "youtube", … as the collector knows it
    lang_hint: str | None = None  # language declared by the feed or the item
    reach: int | None = None  # see veille.collectors.figures: audience + engagement
    engagement: int | None = None  # likes + shares + comments + score when known
    metrics: dict[str, int] = field(default_factory=dict)  # the figures as the source names them
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Document:
    """One distinct piece of content, normalised: plain text, canonical URL, stable identity."""

    # "id:<platform id>", "guid:<guid>", "url:<canonical url>", "dated:<sha1>" (source, title,
    # date) or "hash:<sha1>" (title and text)
    identity: str
    source: str
    url: str | None
    canonical_url: str | None
    title: str
    text: str
    author_name: str | None
    author_handle: str | None
    author_url: str | None
    site: str | None  # registrable domain, e.g. "lemonde.fr"
    platform: str
    published_at: datetime | None
    fingerprint: str  # hash of the normalised title + text, for exact-duplicate grouping
    lang_hint: str | None = None
    reach: int | None = None
    engagement: int | None = None
    metrics: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Whether a brand query keeps a document, and the terms that made it match."""

    matched: bool
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Classification:
    """Language and tone of a text, with the classifier version that produced them."""

    lang: str | None
    sentiment: float  # compound score in [-1, 1]
    tone: Tone
    version: str


@dataclass(frozen=True, slots=True)
class BrandTone:
    """The tone of the sentences that name one brand (a brand configured with tone = "brand")."""

    sentiment: float  # compound score in [-1, 1]
    tone: Tone


@dataclass(slots=True)
class SourceState:
    """What a source remembers between passes (conditional GET validators, moved URL, cursor)."""

    url: str | None = None  # current URL when a 301/308 moved the source, else None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None  # hash of the last body, for servers with unreliable validators
    cursor: str | None = None  # collector-specific watermark (API collectors)
    # The interval the last successful check chose (veille/polling.py); read by the pass from
    # the stored state, which collectors leave alone.
    check_interval: timedelta | None = None
    # The items the last changed answer gave (veille.process.entry_key) and the setup they were
    # processed under (processing_setup): those seen again under it are not processed again.
    # Kept by the pass too; collectors leave them alone.
    seen_entries: tuple[str, ...] = ()
    seen_for: str | None = None


@dataclass(slots=True)
class ReadItems:
    """What reading a fetched body gave: its items, and what it says about its source."""

    mentions: list[RawMention]
    warning: str | None = None  # a recoverable problem worth showing (malformed feed, …)
    ttl_seconds: int | None = None  # how long the source asks to be left alone, when it says


@dataclass(slots=True)
class Collected:
    """The outcome of one successful collection of one source."""

    mentions: list[RawMention]
    state: SourceState
    not_modified: bool = False
    requests: int = 0
    bytes_received: int = 0
    warning: str | None = None  # a recoverable problem worth showing (malformed feed, …)
    ttl_seconds: int | None = None  # how long the source asks to be left alone, when it says
    # A fetched body not read yet (``collect_unread``): calling it reads it, in whichever
    # process the items are then processed. It is picklable; it may raise SourceError.
    unread: Callable[[], ReadItems] | None = None

    def read(self) -> Collected:
        """This collection with its body read (itself when there is nothing left to read)."""
        return self if self.unread is None else self.with_items(self.unread())

    def with_items(self, read: ReadItems) -> Collected:
        """This collection with the items and the source's hints that its body gave."""
        hints = (self.ttl_seconds, read.ttl_seconds)
        return replace(
            self,
            mentions=read.mentions,
            warning="; ".join(filter(None, (self.warning, read.warning))) or None,
            ttl_seconds=max(filter(None, hints), default=None),
            unread=None,
        )


@dataclass(frozen=True)
class StoredItem:
    """A normalised, classified document with the brands it matched (matched ones only)."""

    document: Document
    classification: Classification
    matches: tuple[tuple[str, MatchResult], ...]  # (brand name, match result)
    # brand name → tone of the sentences naming it, for brands scored on those sentences only
    brand_tones: dict[str, BrandTone] = field(default_factory=dict)
    # The story signature of the document's title and text, when computed before the save
    # (by a processing worker); otherwise the save computes it for the documents it stores.
    story: StorySignature | None = None
