"""Google News search feeds: one RSS search per brand and language edition.

``GET https://news.google.com/rss/search?q=QUERY&hl=fr&gl=FR&ceid=FR:fr`` answers the latest
articles matching the query in one edition. Titles read "Headline - Publisher" and the
publisher is in ``<source url=…>``. Links are ``news.google.com/rss/articles/CBMi…`` tokens:
before mid-2024 the token was base64 of a small protobuf message holding the article URL in
clear, which is decoded here; newer tokens need a request to Google to be resolved, so the
Google link is kept and the publisher's site comes from ``<source url>``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping, Sequence
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
from veille.types import Collected, RawMention, SourceState, plain_as_html

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

_ARTICLE_TOKEN = re.compile(r"/articles/([A-Za-z0-9_-]+)")
_URL_IN_BYTES = re.compile(rb"https?://[!-~]+")
# A single-story description only repeats the headline and the publisher.
_SINGLE_STORY = re.compile(
    r"\s*<a\b[^>]*>.*?</a>(?:\s|&nbsp;|\xa0)*(?:<font\b[^>]*>.*?</font>)?\s*", re.DOTALL
)
_REFUSED_HINT = (
    "Google News refuses requests from this address (often after too many searches): "
    "poll less often or from another network"
)


class GoogleNewsOptions(ApiOptions):
    """Options of a ``google_news`` source."""

    base_url: str = Field(
        "https://news.google.com", description="Google News root, overridable for tests"
    )
    editions: dict[str, str] | None = Field(
        None,
        description="country searched for each language, e.g. {en = 'GB'}; defaults fr→FR, "
        "en→US, de→DE, es→ES, it→IT, pt→BR, nl→NL",
    )
    when: str | None = Field(
        None,
        pattern=r"^[1-9][0-9]*[hdy]$",
        description="time window appended to the query as ' when:7d' (hours, days or years)",
    )

    @field_validator("editions")
    @classmethod
    def _check_editions(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return country_map(value)


def search_url(base_url: str, text: str, edition: Edition, when: str | None = None) -> str:
    """The RSS search URL of one edition for a query already in the web dialect."""
    query = f"{text} when:{when}" if when else text
    country, language = edition.country, edition.language
    return api_url(
        base_url,
        "/rss/search",
        {"q": query, "hl": language, "gl": country, "ceid": f"{country}:{language}"},
    )


def article_url(link: str | None) -> str | None:
    """The article URL carried in clear by an old-format Google News link, else None."""
    if not link:
        return None
    parts = urlsplit(link)
    found = _ARTICLE_TOKEN.search(parts.path) if parts.hostname == "news.google.com" else None
    if found is None:
        return None
    token = found.group(1)
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    for value in _length_delimited(decoded):
        if value.startswith((b"http://", b"https://")) and value.isascii():
            return value.decode("ascii")
    # Not a well-formed message: an URL may still sit in the bytes, ended by a non-ASCII byte.
    loose = _URL_IN_BYTES.search(decoded)
    return loose.group(0).decode("ascii") if loose else None


def _length_delimited(data: bytes) -> Iterator[bytes]:
    """The length-delimited fields of a protobuf message, in order (stops at malformed data)."""
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        if key is None:
            return
        wire_type = key & 7
        if wire_type == 0:
            _, position = _varint(data, position)
        elif wire_type == 2:
            length, position = _varint(data, position)
            if length is None or position + length > len(data):
                return
            yield data[position : position + length]
            position += length
        elif wire_type in (1, 5):
            position += 8 if wire_type == 1 else 4
        else:
            return


def _varint(data: bytes, position: int) -> tuple[int | None, int]:
    """A protobuf varint at ``position`` and the position after it (None when cut short)."""
    value = shift = 0
    while position < len(data) and shift < 64:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
    return None, len(data)


def _headline(title: str, publisher: str | None) -> str:
    """The title without its " - Publisher" suffix, when it names the item's publisher."""
    # The title is HTML (RawMention), the publisher's name plain text.
    suffix = f" - {plain_as_html(publisher)}" if publisher else None
    if suffix and title.endswith(suffix) and len(title) > len(suffix):
        return title[: -len(suffix)].rstrip()
    return title


class GoogleNewsCollector:
    """Google News RSS search, once per brand and language edition."""

    kind: ClassVar[str] = "google_news"
    options_model: ClassVar[type[BaseModel]] = GoogleNewsOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(GoogleNewsOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Search each of the brand's language editions once and return the new articles."""
        text = web_search_text(query, source=self.source_name)
        searches = [
            (edition, search_url(self.options.base_url, text, edition, self.options.when))
            for edition in editions_for(languages, self.options.editions)
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
        """The items of one edition's feed, with publisher, headline and article link."""
        feed = parse_feed(
            result.body,
            url=result.final_url,
            source=self.source_name,
            headers=result.headers,
            platform="news",
            language=edition.language,
        )
        mentions = [_article(m, feed.title, feed.site_url) for m in feed.mentions]
        return EditionItems(mentions, feed.warning)


def _article(mention: RawMention, feed_title: str | None, feed_link: str | None) -> RawMention:
    """One search result as veille keeps it."""
    # parse_feed falls back on the feed's own title and link when an item has no <source>:
    # those name the search, not a publisher.
    publisher = mention.site_name if mention.site_name != feed_title else None
    publisher_url = mention.site_url if mention.site_url != feed_link else None
    content = mention.content_html
    if _SINGLE_STORY.fullmatch(content):
        content = ""  # headline and publisher again; cluster descriptions (<ol>) are kept
    return replace(
        mention,
        url=article_url(mention.url) or mention.url,
        # GUID formats changed mid-feed before: the link identifies the article instead.
        guid=None,
        title=_headline(mention.title, publisher),
        content_html=content,
        site_name=publisher,
        site_url=publisher_url,
        platform="news",
    )
