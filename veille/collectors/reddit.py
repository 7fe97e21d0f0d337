"""The ``reddit`` collector: Reddit search (posts and comments) through OAuth app-only access.

The brand query is compiled to Reddit's Lucene-like syntax and searched newest first; pages
follow the Listing's ``after`` cursor up to ``max_pages``, and paging stops as soon as a page
reaches items older than the watermark (Reddit search cannot filter by time itself).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

from veille import __version__
from veille.collectors._reddit_auth import RedditAccess, reset_wait
from veille.collectors._reddit_listing import ListingPage, parse_listing
from veille.collectors.api import (
    ApiOptions,
    advanced_state,
    api_url,
    get_json,
    newer_than,
    watermark,
)
from veille.collectors.base import validate_options
from veille.errors import FatalSourceError, TransientSourceError
from veille.match.dialects import compile_query_for
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

_REFUSED_HINTS = {
    401: "Reddit refused the access token twice: check the app credentials and that the app "
    "is not suspended",
    403: "Reddit refused the search: {user_agent}check the app at "
    "https://www.reddit.com/prefs/apps, or the subreddit may be private",
    404: "no such subreddit (or it was banned): check the `subreddit` option",
}
# Reddit blocks anonymous User-Agents: the 403 hint asks for a `username` when none is set.
_ANONYMOUS_AGENT = "set the `username` option (Reddit blocks anonymous User-Agents), "


@dataclass(frozen=True, slots=True)
class _Answer:
    """One search page and what getting it cost."""

    listing: ListingPage
    requests: int
    bytes_received: int
    budget_wait: float | None  # seconds until Reddit's budget returns, when this answer spent it


class RedditOptions(ApiOptions):
    """Options of a ``reddit`` source."""

    base_url: str = Field("https://oauth.reddit.com", description="OAuth API root")
    auth_url: str = Field("https://www.reddit.com", description="where tokens are asked for")
    subreddit: str | None = Field(None, description="search only this subreddit (no r/)")
    sort: Literal["new", "relevance", "top", "comments"] = Field(
        "new", description="result order; only 'new' lets the watermark stop paging early"
    )
    type: str = Field("link,comment", description="what to search: link (posts), comment")
    limit: int = Field(100, ge=1, le=100, description="results per page")
    username: str | None = Field(
        None, description="your Reddit user name, for the User-Agent Reddit requires"
    )

    @field_validator("auth_url")
    @classmethod
    def _http_auth(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("subreddit")
    @classmethod
    def _bare_subreddit(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().strip("/").removeprefix("r/")
        return value or None


def user_agent(username: str | None) -> str:
    """The unique, descriptive User-Agent Reddit asks of API clients."""
    if username:
        return f"veille/{__version__} (by /u/{username.removeprefix('u/')})"
    return f"veille/{__version__} (self-hosted brand monitoring)"


class RedditCollector:
    """Reddit search, one search per brand, newest first, with an incremental watermark."""

    kind: ClassVar[str] = "reddit"
    options_model: ClassVar[type[BaseModel]] = RedditOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel) -> None:
        self.source_name = source_name
        self.options = validate_options(RedditOptions, options, source=source_name)
        self.access = RedditAccess(
            source_name, self.options.auth_url, user_agent(self.options.username)
        )

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Search the brand's query; return the posts and comments newer than the watermark.

        ``languages`` is not used: Reddit search has no language filter.
        """
        if not query:
            return Collected(mentions=[], state=state)
        wait = self.access.budget_wait()
        if wait is not None:
            raise TransientSourceError(
                f"{self.source_name}: the Reddit request budget is spent for {wait:.0f} s",
                source=self.source_name,
                url=self.options.base_url,
                status=429,
                retry_after=wait,
                hint="Reddit allows about 100 requests a minute per app: veille waits",
            )
        since_effective = watermark(state, since)
        remote_query = compile_query_for(query, "lucene")
        found: dict[str, RawMention] = {}  # by fullname: a page boundary can repeat an item
        requests, received, after = 0, 0, None
        warning, ttl, cut_by_budget = None, None, False
        for page_number in range(self.options.max_pages):
            answer = await self._search_page(fetcher, remote_query, after)
            requests, received = requests + answer.requests, received + answer.bytes_received
            for mention in answer.listing.mentions:
                found.setdefault(str(mention.extra.get("platform_id") or mention.url), mention)
            # A repeated cursor would page forever: it ends the search like a missing one.
            if answer.listing.after in (None, after) or self._reached(
                answer.listing, since_effective
            ):
                break
            after = answer.listing.after
            wait = answer.budget_wait or self.access.budget_wait()
            if wait is not None and page_number + 1 < self.options.max_pages:
                warning = f"Reddit request budget spent: stopped after {page_number + 1} page(s)"
                ttl, cut_by_budget = math.ceil(wait), True
                break
        else:
            warning = f"more Reddit results than {self.options.max_pages} page(s): older skipped"
        mentions = newer_than(list(found.values()), since_effective)
        return Collected(
            mentions=mentions,
            state=advanced_state(state, mentions, pages_left=cut_by_budget),
            requests=requests,
            bytes_received=received,
            warning=warning,
            ttl_seconds=ttl,
        )

    def _reached(self, page: ListingPage, since: datetime | None) -> bool:
        """Whether this page already goes back past the watermark (newest-first order only)."""
        if since is None or self.options.sort != "new":
            return False
        dates = [m.published_at for m in page.mentions if m.published_at is not None]
        return bool(dates) and min(dates) <= since

    async def _search_page(self, fetcher: Fetcher, remote_query: str, after: str | None) -> _Answer:
        """One search request (with a fresh token, once, if Reddit refuses the cached one)."""
        options = self.options
        path = f"/r/{options.subreddit}/search" if options.subreddit else "/search"
        params: dict[str, Any] = {
            "q": remote_query,
            "restrict_sr": 1 if options.subreddit else None,
            "sort": options.sort,
            "type": options.type,
            "limit": options.limit,
            "raw_json": 1,  # HTML and text unescaped (no &amp;)
            "after": after,
        }
        url = api_url(options.base_url, path, params)
        token, token_requests = await self.access.token(fetcher)
        try:
            return await self._get_listing(fetcher, url, token, token_requests)
        except FatalSourceError as exc:
            if exc.status != 401:
                raise self._refused(exc, url) from None
        self.access.forget_token()  # revoked or expired early: one more try with a new one
        token, token_requests = await self.access.token(fetcher)
        try:
            return await self._get_listing(fetcher, url, token, token_requests + 1)
        except FatalSourceError as exc:
            raise self._refused(exc, url) from None

    async def _get_listing(
        self, fetcher: Fetcher, url: str, token: str, token_requests: int
    ) -> _Answer:
        """GET one search URL with the bearer token."""
        headers = {"Authorization": f"bearer {token}", "User-Agent": self.access.user_agent}
        try:
            payload, result = await get_json(
                fetcher, url, source=self.source_name, headers=headers, rate_limit_wait=reset_wait
            )
        except TransientSourceError as exc:
            # A 429 from Reddit says when the budget returns in X-Ratelimit-Reset (seconds).
            if exc.retry_after is None and (wait := self.access.note_budget(exc.headers)):
                exc.retry_after = float(wait)
            if exc.status == 429 and exc.retry_after:
                self.access.refused_for(exc.retry_after)  # the other brands wait too
            raise
        return _Answer(
            listing=parse_listing(payload, source=self.source_name, url=url),
            requests=token_requests + result.requests,
            bytes_received=result.bytes_received,
            budget_wait=self.access.note_budget(result.headers),
        )

    def _refused(self, exc: FatalSourceError, url: str) -> FatalSourceError:
        """The same refusal, with what to do about it on Reddit."""
        hint = _REFUSED_HINTS.get(exc.status or 0)
        if hint is None:
            return exc
        agent = "" if self.options.username else _ANONYMOUS_AGENT
        return FatalSourceError(
            exc.message,
            source=self.source_name,
            url=url,
            status=exc.status,
            hint=hint.format(user_agent=agent),
        )
