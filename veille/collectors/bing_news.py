"""Bing News search feeds: one RSS search per brand and language market.

``GET https://www.bing.com/news/search?q=QUERY&format=rss&setlang=fr&cc=FR`` is Bing's own
(unofficial, keyless) RSS view of a news search. Links go through the
``bing.com/news/apiclick.aspx?…&url=REAL`` click wrapper, unwrapped here; the publisher is in
the ``News:Source`` element, whose namespace URI is the search URL itself (it changes with
every query), so it is read from the raw items next to their links. Bing sometimes answers a
complex query with an HTML page instead of RSS: that is a transient failure, not a bad source.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from veille.collectors._news_editions import (
    Edition,
    EditionItems,
    collect_editions,
    country_map,
    editions_for,
    web_search_text,
)
from veille.collectors.api import ApiOptions, api_url
from veille.collectors.base import validate_options
from veille.collectors.rss import parse_feed
from veille.fetch import FetchResult
from veille.normalize.urls import unwrap_redirect
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

_ITEM = re.compile(rb"<item\b.*?</item\s*>", re.DOTALL | re.IGNORECASE)
_LINK = re.compile(rb"<link\s*>(.*?)</link\s*>", re.DOTALL | re.IGNORECASE)
_PUBLISHER = re.compile(rb"<News:Source\s*>(.*?)</News:Source\s*>", re.DOTALL | re.IGNORECASE)
_CDATA = re.compile(r"^<!\[CDATA\[(.*)\]\]>$", re.DOTALL)
_REFUSED_HINT = (
    "Bing refuses requests from this address (often after too many searches): "
    "poll less often or from another network"
)


class BingNewsOptions(ApiOptions):
    """Options of a ``bing_news`` source."""

    base_url: str = Field("https://www.bing.com", description="Bing root, overridable for tests")
    markets: dict[str, str] | None = Field(
        None,
        description="country searched for each language, e.g. {en = 'GB'}; defaults fr→FR, "
        "en→US, de→DE, es→ES, it→IT, pt→BR, nl→NL",
    )

    @field_validator("markets")
    @classmethod
    def _check_markets(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return country_map(value)


def search_url(base_url: str, text: str, edition: Edition) -> str:
    """The RSS search URL of one market for a query already in the web dialect."""
    return api_url(
        base_url,
        "/news/search",
        {"q": text, "format": "rss", "setlang": edition.language, "cc": edition.country},
    )


def publishers_by_link(body: bytes) -> dict[str, str]:
    """``News:Source`` of each item of a Bing feed, keyed by the item's link as written."""
    found: dict[str, str] = {}
    for item in _ITEM.finditer(body):
        link, publisher = _LINK.search(item.group(0)), _PUBLISHER.search(item.group(0))
        if link and publisher:
            name = _element_text(publisher.group(1))
            if name:
                found[_element_text(link.group(1))] = name
    return found


def _element_text(raw: bytes) -> str:
    """The text of a simple XML element: CDATA unwrapped, entities decoded, spaces collapsed."""
    text = raw.decode("utf-8", errors="replace").strip()
    cdata = _CDATA.match(text)
    text = cdata.group(1) if cdata else html.unescape(text)
    return " ".join(text.split())


def _site_root(url: str | None) -> str | None:
    """``scheme://host`` of an article URL, for the publisher's site."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class BingNewsCollector:
    """Bing News RSS search, once per brand and language market."""

    kind: ClassVar[str] = "bing_news"
    options_model: ClassVar[type[BaseModel]] = BingNewsOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(BingNewsOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Search each of the brand's language markets once and return the new articles."""
        text = web_search_text(query, source=self.source_name)
        searches = [
            (edition, search_url(self.options.base_url, text, edition))
            for edition in editions_for(languages, self.options.markets)
        ]
        return await collect_editions(
            fetcher,
            state,
            source=self.source_name,
            since=since,
            searches=searches,
            read=self._read,
            refused_hint=_REFUSED_HINT,
        )

    def _read(self, result: FetchResult, edition: Edition) -> EditionItems:
        """The items of one market's feed, with their real links and publishers."""
        feed = parse_feed(
            result.body,
            url=result.final_url,
            source=self.source_name,
            headers=result.headers,
            platform="news",
            language=edition.language,
        )
        publishers = publishers_by_link(result.body)
        mentions = [_article(m, publishers) for m in feed.mentions]
        return EditionItems(mentions, feed.warning)


def _article(mention: RawMention, publishers: Mapping[str, str]) -> RawMention:
    """One search result as veille keeps it."""
    wrapped = mention.url
    real = unwrap_redirect(wrapped) if wrapped else None
    return replace(
        mention,
        url=real,
        guid=None,  # the article URL identifies it, across editions and other news sources
        title=" ".join(mention.title.split()),
        # The feed's title and link name the search ("danone - BingNews"), not a publisher.
        site_name=publishers.get(wrapped or ""),
        site_url=_site_root(real) if real != wrapped else None,
        platform="news",
    )
