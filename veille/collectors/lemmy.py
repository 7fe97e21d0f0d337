"""Lemmy: posts and comments that one instance finds for a brand, across the communities it knows.

``GET {base_url}/api/v3/search?q=…&type_=Posts&sort=New&listing_type=All&limit=50&page=N`` — no
account needed; one search per keyword alternative of the brand query (Lemmy search takes plain
words), pages from 1. Search cannot filter by time: results come newest first (``sort=New``), so
paging stops at the first page that reaches the watermark, and older items are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlsplit

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
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import FetchResult
from veille.match.dialects import alternatives
from veille.types import Collected, RawMention, SourceState, plain_as_html

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

PLATFORM = "lemmy"
SEARCH_PATH = "/api/v3/search"
# Lemmy's SortType values; only "New" lists newest first, which the watermark relies on.
SortType = Literal[
    "New", "Old", "Hot", "Active", "TopAll", "TopYear", "TopMonth", "TopWeek", "TopDay",
    "MostComments", "NewComments",
]  # fmt: skip


class LemmyOptions(ApiOptions):
    """Options of a ``lemmy`` source (one instance)."""

    base_url: str = Field("https://lemmy.world", description="the instance asked")
    type_: Literal["Posts", "Comments", "All"] = Field(
        "Posts", description="what to search: posts, comments, or both"
    )
    sort: SortType = Field("New", description="result order; New lets a pass stop early")
    listing_type: Literal["All", "Local"] = Field(
        "All", description="All: every community the instance federates with; Local: its own"
    )
    limit: int = Field(50, ge=1, le=50, description="results per page (Lemmy allows 50)")


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _web_link(value: object) -> str | None:
    link = _text(value)
    return link if link.startswith(("http://", "https://")) else None


def _at_host(name: object, actor_id: object) -> str | None:
    """``name@host`` of a Lemmy person or community, from its ActivityPub actor id."""
    local = _text(name)
    link = _web_link(actor_id)
    host = urlsplit(link).hostname if link else None
    if not local:
        return None
    return f"{local}@{host}" if host else local


def _mention(
    view: Mapping[str, Any], item: Mapping[str, Any], text: str, *, source: str
) -> RawMention | None:
    """What posts and comments share: place, author, date and figures."""
    ap_id = _web_link(item.get("ap_id"))
    if ap_id is None or item.get("deleted") or item.get("removed"):
        return None
    creator, community = _mapping(view.get("creator")), _mapping(view.get("community"))
    counts = _mapping(view.get("counts"))
    metrics, engagement, reach = figures(
        {
            "score": counts.get("score"),
            "upvotes": counts.get("upvotes"),
            # A comment's replies are its child_count.
            "comments": counts.get("comments", counts.get("child_count")),
        }
    )
    return RawMention(
        source=source,
        url=ap_id,  # the canonical federated address, valid whichever instance is asked
        content_html=plain_as_html(text),  # Markdown, read as text
        author_name=_text(creator.get("display_name")) or _text(creator.get("name")) or None,
        author_handle=_at_host(creator.get("name"), creator.get("actor_id")),
        author_url=_web_link(creator.get("actor_id")),
        published_at=from_timestamp(item.get("published")),
        site_name=_at_host(community.get("name"), community.get("actor_id")),
        site_url=_web_link(community.get("actor_id")),
        platform=PLATFORM,
        reach=reach,
        engagement=engagement,
        metrics=metrics,
        extra={"platform_id": ap_id},
    )


def post_mention(view: Mapping[str, Any], *, source: str) -> RawMention | None:
    """A search result's ``post_view`` as a RawMention; None when deleted or unusable."""
    post = _mapping(view.get("post"))
    mention = _mention(view, post, _text(post.get("body")), source=source)
    if mention is not None:
        mention.title = plain_as_html(_text(post.get("name")))
        link = _web_link(post.get("url"))
        if link:
            mention.extra["link_url"] = link  # the article a link post shares
    return mention


def comment_mention(view: Mapping[str, Any], *, source: str) -> RawMention | None:
    """A search result's ``comment_view`` as a RawMention; None when deleted or unusable."""
    comment, post = _mapping(view.get("comment")), _mapping(view.get("post"))
    mention = _mention(view, comment, _text(comment.get("content")), source=source)
    if mention is not None:
        # The post's title stays out of the comment's text: it was written by someone else.
        mention.extra["post_title"] = _text(post.get("name"))
        mention.extra["post_url"] = _web_link(post.get("ap_id"))
    return mention


def search_results(
    payload: Mapping[str, Any], *, source: str
) -> dict[str, list[RawMention | None]]:
    """The posts and comments of one search answer, by list ("posts", "comments")."""
    readers = {"posts": post_mention, "comments": comment_mention}
    results: dict[str, list[RawMention | None]] = {}
    for key, reader in readers.items():
        views = payload.get(key)
        items = views if isinstance(views, list) else []
        results[key] = [reader(_mapping(view), source=source) for view in items]
    return results


class LemmyCollector:
    """Posts and comments of one Lemmy instance matching the brand's query."""

    kind: ClassVar[str] = "lemmy"
    options_model: ClassVar[type[BaseModel]] = LemmyOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(LemmyOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None = None,
        since: datetime | None = None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Search each keyword alternative of ``query``, newest first, down to the watermark.

        ``languages`` is not used: Lemmy search has no language filter (items carry a numeric
        language id that only the instance can name).
        """
        searches = alternatives(query) if query else []
        if not searches:
            raise FatalSourceError(
                f"{self.source_name}: the brand query has no word Lemmy can search",
                source=self.source_name,
                hint="give the brand a query with at least one word or phrase to look for",
            )
        since_effective = watermark(state, since)
        found: dict[str, RawMention] = {}
        requests = received = 0
        cut_short = False  # a search had more pages than max_pages
        for words in searches:
            for page in range(1, self.options.max_pages + 1):
                url = api_url(self.options.base_url, SEARCH_PATH, self._params(words, page))
                payload, result = await self._get_json(fetcher, url)
                requests += result.requests
                received += result.bytes_received
                lists = search_results(payload, source=self.source_name)
                for mention in (m for items in lists.values() for m in items if m):
                    found.setdefault(str(mention.extra["platform_id"]), mention)
                if not self._more_to_ask(lists, since_effective):
                    break
            else:
                cut_short = True
        mentions = newer_than(list(found.values()), since_effective)
        return Collected(
            mentions=mentions,
            state=advanced_state(state, mentions),
            requests=requests,
            bytes_received=received,
            warning=(
                f"more Lemmy results than {self.options.max_pages} page(s): older skipped"
                if cut_short
                else None
            ),
        )

    def _params(self, words: str, page: int) -> dict[str, Any]:
        """The query string of one search page, named as Lemmy names it."""
        options = self.options
        return {
            "q": words,
            "type_": options.type_,
            "sort": options.sort,
            "listing_type": options.listing_type,
            "limit": options.limit,
            "page": page,
        }

    def _more_to_ask(
        self, lists: Mapping[str, list[RawMention | None]], since: datetime | None
    ) -> bool:
        """Whether a next page may hold new items: some list was full and not yet old."""
        for items in lists.values():
            if len(items) < self.options.limit:
                continue  # a short list is the end of that kind of result
            dates = [m.published_at for m in items if m is not None and m.published_at]
            reached = since is not None and bool(dates) and min(dates) <= since
            if not (reached and self.options.sort == "New"):
                return True
        return False

    async def _get_json(self, fetcher: Fetcher, url: str) -> tuple[Mapping[str, Any], FetchResult]:
        """One search request; Lemmy's ways of saying no are explained."""
        try:
            payload, result = await get_json(fetcher, url, source=self.source_name)
        except FatalSourceError as exc:
            raise self._explained(exc) from exc
        if not isinstance(payload, Mapping):
            raise TransientSourceError(
                f"{self.source_name}: {SEARCH_PATH} did not answer with a search result",
                source=self.source_name,
                url=url,
                hint="the instance answered something else than the Lemmy API: try again later",
            )
        return payload, result

    def _explained(self, exc: FatalSourceError) -> FatalSourceError | TransientSourceError:
        """The fetcher's error with what it means on a Lemmy instance."""
        if exc.status == 400 and b"instance_is_private" in exc.body:
            return FatalSourceError(
                exc.message,
                source=exc.source,
                url=exc.url,
                status=exc.status,
                hint="this instance is private (instance_is_private): use a public instance",
            )
        if exc.status == 400:
            # Lemmy (before 1.0) answers its rate limit with 400 {"error": "rate_limit_error"}.
            return TransientSourceError(
                exc.message,
                source=exc.source,
                url=exc.url,
                status=exc.status,
                hint="Lemmy refused the search (rate_limit_error or a passing fault): "
                "veille tries again at a later pass",
            )
        if exc.status in (401, 403):
            hint = "this instance does not let anonymous visitors search: use another instance"
        elif exc.status == 404:
            hint = "no Lemmy API (v3) at this base_url: give the address of a Lemmy instance"
        else:
            return exc
        return FatalSourceError(
            exc.message, source=exc.source, url=exc.url, status=exc.status, hint=hint
        )
