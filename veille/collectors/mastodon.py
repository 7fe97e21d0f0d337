"""Mastodon: a brand's public hashtag timeline on one instance, plus status search with a token.

- ``GET {base_url}/api/v1/timelines/tag/{tag}?limit=40`` — public unless the instance disabled
  public previews; older pages through the ``Link: <…max_id=…>; rel="next"`` header.
- ``GET {base_url}/api/v2/search?q=…&type=statuses&limit=40&offset=…`` — only when
  ``VEILLE_MASTODON_TOKEN`` is set (search needs a user token), once per query alternative.

Neither endpoint filters by time (ids are per instance), so the watermark is a time: paging stops
at the first page that reaches it, and what is older is dropped with ``newer_than``. A spent
rate budget (``X-RateLimit-Remaining: 0``) stops paging; with pages or searches left unread, the
pass keeps its old watermark so that the next one reads down to it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel, Field, field_validator

from veille.collectors._mastodon_statuses import (
    hashtag_for,
    host_of,
    next_max_id,
    rate_limit_wait,
    reset_wait,
    statuses_mentions,
)
from veille.collectors.api import (
    ApiOptions,
    advanced_state,
    api_url,
    credential,
    get_json,
    newer_than,
    watermark,
)
from veille.collectors.base import validate_options
from veille.errors import FatalSourceError, TransientSourceError
from veille.match.dialects import alternatives
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

TOKEN_VARIABLE = "VEILLE_MASTODON_TOKEN"


class MastodonOptions(ApiOptions):
    """Options of a ``mastodon`` source (one instance)."""

    base_url: str = Field("https://mastodon.social", description="the instance asked")
    tag: str | None = Field(
        None, description="hashtag followed, without '#'; by default made from the brand query"
    )
    limit: int = Field(40, ge=1, le=40, description="statuses per page (Mastodon allows 40)")

    @field_validator("tag")
    @classmethod
    def _bare_tag(cls, value: str | None) -> str | None:
        if value is None:
            return None
        tag = hashtag_for(value.strip().lstrip("#"))
        if not tag:
            raise ValueError("must hold letters or digits (a hashtag, without '#')")
        return tag


@dataclass(slots=True)
class _Pass:
    """What one collection gathers across its requests."""

    found: dict[str, RawMention] = field(default_factory=dict)  # by platform id
    requests: int = 0
    bytes_received: int = 0
    wait_seconds: int | None = None  # set when the instance says the rate budget is spent
    cut_short: bool = False  # a timeline or search had more pages than max_pages
    cut_by_budget: bool = False  # the spent budget left pages or searches unread

    def budget_stops(self, page: int, max_pages: int) -> bool:
        """Whether the spent budget ends paging here, with page ``page`` of ``max_pages`` read."""
        if self.wait_seconds is None:
            return False
        if page < max_pages:
            self.cut_by_budget = True
            return True
        return False  # the last page allowed: the page cap says what is left

    def add(self, mentions: list[RawMention]) -> None:
        """Keep each status once (a status can be both tagged and found by search)."""
        for mention in mentions:
            self.found.setdefault(str(mention.extra["platform_id"]), mention)


def _reached(mentions: list[RawMention], since: datetime | None) -> bool:
    """Whether a newest-first page went back to ``since`` (later pages are older still)."""
    dates = [m.published_at for m in mentions if m.published_at is not None]
    return since is not None and bool(dates) and min(dates) <= since


class MastodonCollector:
    """Statuses of one Mastodon instance that carry the brand's hashtag or match its query."""

    kind: ClassVar[str] = "mastodon"
    options_model: ClassVar[type[BaseModel]] = MastodonOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(MastodonOptions, options, source=source_name)
        self.instance_host = host_of(self.options.base_url)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None = None,
        since: datetime | None = None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """The hashtag timeline (and, with a token, status search) since the watermark.

        ``languages`` is not used: Mastodon filters neither endpoint by language; each status
        carries its own, kept as the language hint.
        """
        searches = alternatives(query) if query else []
        tag = self.options.tag or (hashtag_for(searches[0]) if searches else None)
        token = credential(TOKEN_VARIABLE, source=self.source_name)
        if not tag and not (token and searches):
            raise FatalSourceError(
                f"{self.source_name}: no hashtag to follow and no word to search",
                source=self.source_name,
                hint="set the tag option, or give the brand a query with a word to search",
            )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        since_effective = watermark(state, since)
        gathered = _Pass()
        if tag:
            await self._tag_timeline(fetcher, gathered, tag, headers, since_effective)
        if token:
            for words in searches:
                if gathered.wait_seconds is not None:
                    gathered.cut_by_budget = True  # the rest waits for the next pass
                    break
                await self._search(fetcher, gathered, words, headers, since_effective)
        mentions = newer_than(list(gathered.found.values()), since_effective)
        warning = None
        if gathered.cut_by_budget:
            warning = (
                f"Mastodon rate limit used up: stopped for {gathered.wait_seconds} s; "
                "the next pass reads the rest"
            )
        elif gathered.cut_short:
            warning = f"more Mastodon statuses than {self.options.max_pages} page(s): older skipped"
        return Collected(
            mentions=mentions,
            state=advanced_state(state, mentions, pages_left=gathered.cut_by_budget),
            requests=gathered.requests,
            bytes_received=gathered.bytes_received,
            warning=warning,
            ttl_seconds=gathered.wait_seconds,
        )

    async def _tag_timeline(
        self,
        fetcher: Fetcher,
        gathered: _Pass,
        tag: str,
        headers: Mapping[str, str],
        since: datetime | None,
    ) -> None:
        """Newest-first pages of the hashtag timeline, until the watermark or the page cap."""
        path = f"/api/v1/timelines/tag/{quote(tag, safe='')}"
        max_id: str | None = None
        for page_number in range(1, self.options.max_pages + 1):
            params = {"limit": self.options.limit, "max_id": max_id}
            payload, link = await self._get(fetcher, gathered, path, params, headers, "timeline")
            if not isinstance(payload, list):
                raise self._unexpected(path, "a list of statuses")
            page = statuses_mentions(
                payload, source=self.source_name, instance_host=self.instance_host
            )
            gathered.add(page)
            max_id = next_max_id(link)
            if not payload or max_id is None or _reached(page, since):
                return
            if gathered.budget_stops(page_number, self.options.max_pages):
                return
        gathered.cut_short = True

    async def _search(
        self,
        fetcher: Fetcher,
        gathered: _Pass,
        words: str,
        headers: Mapping[str, str],
        since: datetime | None,
    ) -> None:
        """Pages of status search for one alternative of the query (offset pagination)."""
        path = "/api/v2/search"
        limit = self.options.limit
        for page_number in range(self.options.max_pages):
            params = {
                "q": words,
                "type": "statuses",
                "limit": limit,
                "offset": page_number * limit or None,
            }
            payload, _ = await self._get(fetcher, gathered, path, params, headers, "search")
            statuses = payload.get("statuses") if isinstance(payload, dict) else None
            if not isinstance(statuses, list):
                raise self._unexpected(path, 'an object with "statuses"')
            page = statuses_mentions(
                statuses, source=self.source_name, instance_host=self.instance_host
            )
            gathered.add(page)
            if len(statuses) < limit or _reached(page, since):
                return
            if gathered.budget_stops(page_number + 1, self.options.max_pages):
                return
        gathered.cut_short = True

    async def _get(
        self,
        fetcher: Fetcher,
        gathered: _Pass,
        path: str,
        params: Mapping[str, Any],
        headers: Mapping[str, str],
        endpoint: str,
    ) -> tuple[Any, str | None]:
        """One JSON request, counted; returns the payload and the ``Link`` header."""
        url = api_url(self.options.base_url, path, params)
        try:
            payload, result = await get_json(
                fetcher, url, source=self.source_name, headers=headers, rate_limit_wait=reset_wait
            )
        except FatalSourceError as exc:
            raise self._explained(exc, endpoint, authenticated=bool(headers)) from exc
        except TransientSourceError as exc:
            # Mastodon's 429 carries no Retry-After; its rate-limit headers say when to return.
            if exc.retry_after is None and (wait := rate_limit_wait(exc.headers)) is not None:
                exc.retry_after = float(wait)
            raise
        gathered.requests += result.requests
        gathered.bytes_received += result.bytes_received
        wait = rate_limit_wait(result.headers)
        if wait is not None:
            gathered.wait_seconds = max(wait, gathered.wait_seconds or 0)
        return payload, result.headers.get("link")

    def _explained(
        self, exc: FatalSourceError, endpoint: str, *, authenticated: bool
    ) -> FatalSourceError:
        """The fetcher's error with what it means on a Mastodon instance."""
        if exc.status in (401, 403) and authenticated:
            hint = (
                f"the instance refused {TOKEN_VARIABLE}: create a new access token with the "
                "read:search scope (Preferences > Development), or unset it"
            )
        elif exc.status in (401, 422) and endpoint == "timeline":
            hint = (
                "this instance disabled public hashtag timelines: set "
                f"{TOKEN_VARIABLE} to a token of an account there, or use another instance"
            )
        elif exc.status == 404:
            hint = "no Mastodon API at this base_url: give the address of a Mastodon instance"
        else:
            return exc
        return FatalSourceError(
            exc.message, source=exc.source, url=exc.url, status=exc.status, hint=hint
        )

    def _unexpected(self, path: str, expected: str) -> TransientSourceError:
        """The error for a JSON answer of the wrong shape (a proxy page, an API change)."""
        return TransientSourceError(
            f"{self.source_name}: {path} did not answer with {expected}",
            source=self.source_name,
            url=self.options.base_url + path,
            hint="the instance answered something else than the Mastodon API: try again later",
        )
