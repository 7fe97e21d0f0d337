"""The ``hackernews`` collector: Hacker News stories and comments through Algolia HN Search.

Algolia takes plain words, all required, so the brand query becomes one search per
OR-alternative (:func:`veille.match.dialects.alternatives`); each is asked newest first,
only for items newer than the watermark (``numericFilters=created_at_i>TS``), page by page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field

from veille.collectors.api import (
    ApiOptions,
    advanced_state,
    api_url,
    from_timestamp,
    get_json,
    newer_than,
    watermark,
)
from veille.collectors.base import validate_options
from veille.collectors.figures import figures
from veille.errors import TransientSourceError
from veille.match.dialects import alternatives
from veille.types import Collected, RawMention, SourceState, plain_as_html

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

HN_WEB = "https://news.ycombinator.com"
SEARCH_PATH = "/api/v1/search_by_date"
# Algolia serves at most this many hits per query, however deep one pages.
MAX_REACHABLE_HITS = 1000
_KINDS = ("story", "comment", "poll", "pollopt", "job")


class HackerNewsOptions(ApiOptions):
    """Options of a ``hackernews`` source."""

    base_url: str = Field("https://hn.algolia.com", description="Algolia HN Search root")
    tags: str = Field("(story,comment)", description="Algolia tags filter: what to search")
    hitsPerPage: int = Field(100, ge=1, le=1000, description="hits per page")


def mention_from_hit(hit: dict[str, Any], *, source: str) -> RawMention | None:
    """One Algolia hit (story, comment, poll, job) as a RawMention; None when unusable."""
    object_id = _text(hit.get("objectID"))
    if object_id is None:
        return None
    raw_tags = hit.get("_tags")
    tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
    kind = next(
        (tag for tag in _KINDS if tag in tags), "comment" if "comment_text" in hit else "story"
    )
    is_comment = kind == "comment"
    # A comment has no title of its own; its story's title stays in extra so that local
    # matching judges the comment on its own words.
    title = "" if is_comment else _text(hit.get("title")) or ""
    content = _text(hit.get("comment_text") if is_comment else hit.get("story_text")) or ""
    if not title and not content:
        return None  # a deleted comment: nothing left to read
    author = _text(hit.get("author"))
    metrics, engagement, reach = figures(
        {"points": hit.get("points"), "comments": hit.get("num_comments")}
    )
    extra: dict[str, object] = {"platform_id": object_id, "kind": kind}
    for key in ("url", "story_id", "story_title", "story_url", "parent_id"):
        value = hit.get(key)
        if value not in (None, ""):
            extra["story_url" if key == "url" else key] = value
    return RawMention(
        source=source,
        url=f"{HN_WEB}/item?id={object_id}",
        title=plain_as_html(title),  # plain text; story_text and comment_text are HTML
        content_html=content,
        author_name=author,
        author_handle=author,
        author_url=f"{HN_WEB}/user?id={author}" if author else None,
        published_at=from_timestamp(hit.get("created_at_i"))
        or from_timestamp(hit.get("created_at")),
        site_name="Hacker News",
        site_url=f"{HN_WEB}/",
        platform="hackernews",
        metrics=metrics,
        engagement=engagement,
        reach=reach,
        extra=extra,
    )


class HackerNewsCollector:
    """Hacker News search via Algolia, one search per keyword alternative of the brand query."""

    kind: ClassVar[str] = "hackernews"
    options_model: ClassVar[type[BaseModel]] = HackerNewsOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel) -> None:
        self.source_name = source_name
        self.options = validate_options(HackerNewsOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Search each alternative of the query for items newer than the watermark.

        ``languages`` is not used: Algolia HN Search has no language filter.
        """
        if not query:
            return Collected(mentions=[], state=state)
        since_effective = watermark(state, since)
        found: dict[str, RawMention] = {}  # by objectID: alternatives overlap
        requests, received, skipped = 0, 0, 0
        for words in alternatives(query):
            hits, used, size, left_over = await self._search(fetcher, words, since_effective)
            requests, received, skipped = requests + used, received + size, skipped + left_over
            for hit in hits:
                mention = mention_from_hit(hit, source=self.source_name)
                if mention is not None:
                    found.setdefault(str(mention.extra["platform_id"]), mention)
        mentions = newer_than(list(found.values()), since_effective)
        warning = (
            f"about {skipped} older Hacker News hits left unread (max_pages or Algolia's "
            f"{MAX_REACHABLE_HITS}-hit limit)"
            if skipped
            else None
        )
        return Collected(
            mentions=mentions,
            state=advanced_state(state, mentions),
            requests=requests,
            bytes_received=received,
            warning=warning,
        )

    async def _search(
        self, fetcher: Fetcher, words: str, since: datetime | None
    ) -> tuple[list[dict[str, Any]], int, int, int]:
        """Every page of one search: hits, requests, bytes, and how many hits were left."""
        options = self.options
        numeric = f"created_at_i>{int(since.timestamp())}" if since else None
        hits: list[dict[str, Any]] = []
        requests, received, total = 0, 0, 0
        for page in range(options.max_pages):
            url = api_url(
                options.base_url,
                SEARCH_PATH,
                {
                    "query": words,
                    "tags": options.tags,
                    "numericFilters": numeric,
                    "hitsPerPage": options.hitsPerPage,
                    "page": page,
                },
            )
            payload, result = await get_json(fetcher, url, source=self.source_name)
            requests, received = requests + result.requests, received + result.bytes_received
            page_hits, pages, total = self._page(payload, url)
            hits.extend(page_hits)
            if not page_hits or page >= pages - 1:
                return hits, requests, received, 0
        return hits, requests, received, max(total - len(hits), 0)

    def _page(self, payload: Any, url: str) -> tuple[list[dict[str, Any]], int, int]:
        """The hits, page count and hit count of one answer; a malformed one is transient."""
        if not isinstance(payload, dict) or not isinstance(payload.get("hits"), list):
            message = payload.get("message") if isinstance(payload, dict) else None
            raise TransientSourceError(
                f"{self.source_name}: Algolia answered without hits from {url}"
                + (f" ({message})" if message else ""),
                source=self.source_name,
                url=url,
                hint="Algolia HN Search may be degraded: veille tries again later",
            )
        hits = [hit for hit in payload["hits"] if isinstance(hit, dict)]
        pages = payload.get("nbPages")
        total = payload.get("nbHits")
        return (
            hits,
            pages if isinstance(pages, int) else 1,
            total if isinstance(total, int) else len(hits),
        )


def _text(value: object) -> str | None:
    """A stripped string (numbers as text), or None when empty."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None
