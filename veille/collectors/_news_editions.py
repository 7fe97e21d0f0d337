"""Language editions of news search feeds, shared by ``google_news`` and ``bing_news``.

A news search feed answers for one language and one country at a time (a Google News edition,
a Bing News market), so a brand followed in French and English is searched once per edition.
Each answer is an RSS feed read by :func:`veille.collectors.rss.parse_feed`; what differs
between the services (search URL, links, titles) is the caller's ``read`` function. The pass
keeps an article found in two editions once and records the newest item in the watermark;
it returns everything the feeds hold, because late-indexed articles carry older dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from veille.collectors.api import advanced_state, newer_than
from veille.collectors.rss import FEED_ACCEPT
from veille.errors import FatalSourceError, QueryError, TransientSourceError
from veille.fetch import FetchResult
from veille.match.dialects import compile_query_for
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

# Country searched for a language when the source does not say (French users come first).
DEFAULT_COUNTRIES: Mapping[str, str] = MappingProxyType(
    {"fr": "FR", "en": "US", "de": "DE", "es": "ES", "it": "IT", "pt": "BR", "nl": "NL"}
)
DEFAULT_LANGUAGE = "fr"
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class Edition:
    """One language and country of a news search service (``fr``/``FR``, ``en``/``US``…)."""

    language: str
    country: str


def country_map(value: Mapping[str, str] | None) -> dict[str, str] | None:
    """A language → country option checked and spelt ``{"fr": "FR"}``; ValueError if invalid."""
    if value is None:
        return None
    cleaned: dict[str, str] = {}
    for language, country in value.items():
        language, country = language.strip().lower(), country.strip().upper()
        if not _LANGUAGE.fullmatch(language):
            raise ValueError(f"{language!r} is not an ISO 639-1 language code such as 'fr'")
        if not _COUNTRY.fullmatch(country):
            raise ValueError(f"{country!r} is not a two-letter country code such as 'FR'")
        cleaned[language] = country
    return cleaned


def editions_for(languages: Iterable[str], countries: Mapping[str, str] | None) -> list[Edition]:
    """The editions to search: one per brand language, in order, each with its country."""
    chosen = countries or {}
    wanted: list[str] = []
    for language in languages:
        # "fr-CA" or "pt_BR" are searched as their language; the country comes from the map.
        primary = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
        if _LANGUAGE.fullmatch(primary) and primary not in wanted:
            wanted.append(primary)
    if not wanted:
        wanted = list(chosen) or [DEFAULT_LANGUAGE]
    return [
        Edition(lang, chosen.get(lang) or DEFAULT_COUNTRIES.get(lang) or lang.upper())
        for lang in wanted
    ]


def web_search_text(query: str | None, *, source: str) -> str:
    """The brand query in the web search dialect; a FatalSourceError when there is none."""
    if not query or not query.strip():
        raise FatalSourceError(
            f"{source}: a news search needs the brand's query",
            source=source,
            hint="declare this source for a brand that has a query",
        )
    try:
        text = compile_query_for(query, "web")
    except QueryError as exc:
        raise FatalSourceError(
            f"{source}: {exc.message}", source=source, hint="fix the brand's query"
        ) from None
    if not text:
        raise FatalSourceError(
            f"{source}: the query {query!r} has nothing a web search can look for",
            source=source,
            hint="add at least one word or phrase the articles must contain",
        )
    return text


def refuse_html_page(result: FetchResult, *, source: str) -> None:
    """Raise a TransientSourceError when a search feed answered with a web page."""
    head = result.body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<!doctype html") or (b"<html" in head and b"<rss" not in head):
        raise TransientSourceError(
            f"{source}: expected an RSS feed, got an HTML page ({len(result.body)} bytes)",
            source=source,
            url=result.final_url,
            status=result.status,
            hint=(
                "the service answered with a web page (consent, captcha or a query it would "
                "not run as RSS): veille tries again at a later pass; simplify the query if "
                "this persists"
            ),
        )


@dataclass(frozen=True, slots=True)
class EditionItems:
    """What one edition's feed gave: its items, and why the feed was malformed if it was."""

    mentions: list[RawMention]
    warning: str | None = None


ReadEdition = Callable[[FetchResult, Edition], EditionItems]


async def collect_editions(
    fetcher: Fetcher,
    state: SourceState,
    *,
    source: str,
    since: datetime | None,
    searches: Sequence[tuple[Edition, str]],
    read: ReadEdition,
    refused_hint: str,
) -> Collected:
    """Fetch each edition's search feed once and return what it holds (after ``since``).

    The stored watermark only records the newest item: it does not filter, because a search
    feed is short and news search indexes some articles late, with an older date than items
    already seen; those would be lost. Items already stored are recognised by the store.
    ``refused_hint`` replaces the generic hint of a 401/403 answer with the service's own cause.
    """
    since_effective = since
    seen_links: set[str] = set()
    mentions: list[RawMention] = []
    warnings: list[str] = []
    requests = bytes_received = 0
    for edition, url in searches:
        result = await _fetch(fetcher, url, source=source, refused_hint=refused_hint)
        requests += result.requests
        bytes_received += result.bytes_received
        refuse_html_page(result, source=source)
        items = read(result, edition)
        if items.warning and items.warning not in warnings:
            warnings.append(items.warning)
        for mention in newer_than(items.mentions, since_effective):
            # The same article often tops the French and the English edition alike.
            if mention.url is not None and mention.url in seen_links:
                continue
            if mention.url is not None:
                seen_links.add(mention.url)
            mentions.append(mention)
    return Collected(
        mentions=mentions,
        state=advanced_state(state, mentions),
        requests=requests,
        bytes_received=bytes_received,
        warning="; ".join(warnings) or None,
    )


async def _fetch(fetcher: Fetcher, url: str, *, source: str, refused_hint: str) -> FetchResult:
    """One unconditional GET: search results depend on the query, not on a stored validator."""
    try:
        return await fetcher.fetch(url, source=source, headers={"Accept": FEED_ACCEPT})
    except FatalSourceError as exc:
        if exc.status in (401, 403):
            raise FatalSourceError(
                exc.message, source=source, url=exc.url, status=exc.status, hint=refused_hint
            ) from exc
        raise
