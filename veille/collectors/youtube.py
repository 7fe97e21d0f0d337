"""YouTube: a channel's Atom feed (no key), or keyword search with the Data API v3 (key).

One collector, two modes, chosen by the options:

- ``channel_id`` set: the channel's feed (``/feeds/videos.xml?channel_id=UC…``), fetched
  conditionally; the brand query is not sent anywhere, the pipeline matches each video locally.
- no ``channel_id`` and ``VEILLE_YOUTUBE_API_KEY`` set: ``search.list`` with the brand query in
  web syntax, newest first, only what was published after the watermark.

The collector is ``per_brand`` because search is: in channel mode the same feed is then asked
once per brand and pass, each brand keeping its own validators, so unchanged feeds cost a 304.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, Field, field_validator

from veille.collectors._youtube_api import (
    CHANNEL_URL,
    SITE_NAME,
    SITE_URL,
    add_figures,
    search_videos,
)
from veille.collectors.api import (
    ApiOptions,
    advanced_state,
    api_url,
    credential,
    newer_than,
    watermark,
)
from veille.collectors.base import validate_options
from veille.collectors.figures import figures
from veille.collectors.rss import RssCollector, RssOptions
from veille.errors import FatalSourceError
from veille.match.dialects import compile_query_for
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

API_KEY = "VEILLE_YOUTUBE_API_KEY"
_CHANNEL_ID = re.compile(r"UC[0-9A-Za-z_-]{22}")


class YouTubeOptions(ApiOptions):
    """Options of a ``youtube`` source: a channel feed, or Data API search when unset."""

    base_url: str = Field("https://www.googleapis.com", description="Data API root (search mode)")
    max_pages: int = Field(
        1, ge=1, le=10, description="search.list calls per brand and pass (100 quota units each)"
    )
    channel_id: str | None = Field(
        None, description="UC… id of a channel to follow through its feed (no key needed)"
    )
    feeds_url: str = Field(
        "https://www.youtube.com", description="root of the channel feeds (channel mode)"
    )

    @field_validator("channel_id")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not _CHANNEL_ID.fullmatch(value):
            raise ValueError(
                "must be a channel id such as UCLA_DiR1FfKNvjuUpBHmylQ (UC and 22 characters), "
                "as in https://www.youtube.com/channel/UC…"
            )
        return value

    @field_validator("feeds_url")
    @classmethod
    def _http_feeds_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class YouTubeCollector:
    """YouTube videos: a channel's feed, or a keyword search with the Data API."""

    kind: ClassVar[str] = "youtube"
    options_model: ClassVar[type[BaseModel]] = YouTubeOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(YouTubeOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Collect the videos published after the watermark, from the feed or the search."""
        if self.options.channel_id:
            return await self._collect_channel(fetcher, state, since=since)
        key = credential(API_KEY, source=self.source_name)
        if not key:
            raise FatalSourceError(
                f"skipped: set channel_id or {API_KEY}",
                source=self.source_name,
                hint=f'follow a channel with channel_id = "UC…", or search YouTube: export '
                f"{API_KEY}=… (or {API_KEY}_FILE=/path/to/key), see README",
            )
        if not query:
            raise FatalSourceError(
                "skipped: YouTube search needs a brand query",
                source=self.source_name,
                hint="give the source a brand, or set channel_id to follow a channel",
            )
        return await self._collect_search(
            fetcher, state, key=key, query=query, since=since, languages=languages
        )

    async def _collect_search(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        key: str,
        query: str,
        since: datetime | None,
        languages: Sequence[str],
    ) -> Collected:
        """Search the Data API for the brand query, then fetch the found videos' figures."""
        options = self.options
        since_effective = watermark(state, since)
        outcome = await search_videos(
            fetcher,
            source=self.source_name,
            base_url=options.base_url,
            key=key,
            query=compile_query_for(query, "web"),
            published_after=since_effective,
            # relevanceLanguage takes one language and only ranks: the first one is enough.
            language=languages[0] if languages else None,
            max_pages=options.max_pages,
        )
        # publishedAfter is inclusive: the newest video of the last pass comes back once more.
        outcome.mentions = newer_than(outcome.mentions, since_effective)
        await add_figures(
            fetcher, outcome, source=self.source_name, base_url=options.base_url, key=key
        )
        return Collected(
            mentions=outcome.mentions,
            state=advanced_state(state, outcome.mentions),
            requests=outcome.requests,
            bytes_received=outcome.bytes_received,
            warning=outcome.warning,
        )

    async def _collect_channel(
        self, fetcher: Fetcher, state: SourceState, *, since: datetime | None
    ) -> Collected:
        """Fetch the channel's feed (conditional GET) and keep the videos past the watermark."""
        channel_id = self.options.channel_id
        assert channel_id is not None
        feed_url = api_url(self.options.feeds_url, "/feeds/videos.xml", {"channel_id": channel_id})
        feed = RssCollector(self.source_name, RssOptions(url=feed_url, platform="youtube"))
        since_effective = watermark(state, since)
        try:
            collected = await feed.collect(fetcher, state, since=since_effective)
        except FatalSourceError as exc:
            if exc.status != 404:
                raise
            raise FatalSourceError(
                f"{self.source_name}: YouTube has no channel {channel_id} (HTTP 404)",
                source=self.source_name,
                url=exc.url,
                status=404,
                hint="copy the UC… id from the channel page (About > Share channel > "
                "Copy channel ID)",
            ) from None
        mentions = [_channel_video(mention, channel_id) for mention in collected.mentions]
        return replace(
            collected, mentions=mentions, state=advanced_state(collected.state, mentions)
        )


def _channel_video(mention: RawMention, channel_id: str) -> RawMention:
    """A feed item with its figures recomputed and the same site and author as search gives.

    The feed parser puts views in ``reach`` and the star-rating count in ``engagement``;
    YouTube's feeds count likes there (ratings are thumbs up only now).
    """
    metrics, engagement, reach = figures({"views": mention.reach, "likes": mention.engagement})
    return replace(
        mention,
        metrics=metrics,
        engagement=engagement,
        reach=reach,
        author_handle=mention.author_handle or channel_id,
        author_url=mention.author_url or CHANNEL_URL + channel_id,
        site_name=SITE_NAME,
        site_url=SITE_URL,
        platform="youtube",
    )
