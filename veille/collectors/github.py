"""GitHub issues, pull requests and (with a token) discussions that mention a brand.

Issues and pull requests come from ``GET /search/issues`` (REST), newest first, only those
created after the watermark (``created:>…`` to the second), page by page up to ``max_pages``.
Discussions come from the GraphQL ``search(type: DISCUSSION)``, which GitHub only answers with
a token. The search budget is small (10 requests a minute without a token, 30 with): when
``X-RateLimit-Remaining`` reaches 0 the pass stops paging and asks to be left alone until the
reset, keeping its old watermark when pages were left unread so that the next pass reads down
to it again; a 403 whose body speaks of a rate limit is transient, any other 403 is fatal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field

from veille.collectors._github_errors import TOKEN_VARIABLE, github_error, seconds_until_reset
from veille.collectors._github_parse import (
    DISCUSSIONS_QUERY,
    created_after,
    discussion_mention,
    github_keywords,
    issue_mention,
    json_object,
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
from veille.fetch import FetchResult
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

SEARCH_PATH = "/search/issues"
GRAPHQL_PATH = "/graphql"
RESULT_CAP = 1000  # GitHub never serves more results than this for one search


class GitHubOptions(ApiOptions):
    """Options of a ``github`` source."""

    base_url: str = Field("https://api.github.com", description="API root")
    qualifiers: str | None = Field(
        None, description='extra search qualifiers, e.g. "org:danone is:public"'
    )
    include_discussions: bool = Field(
        False, description="also search discussions (GraphQL; needs VEILLE_GITHUB_TOKEN)"
    )
    per_page: int = Field(100, ge=1, le=100, description="results per page")


@dataclass(slots=True)
class _PassTally:
    """What one pass spent, and what it should tell the pipeline."""

    requests: int = 0
    bytes_received: int = 0
    ttl_seconds: int | None = None
    warnings: tuple[str, ...] = ()
    cut_by_budget: bool = False  # the budget stopped paging with pages left unread

    def count(self, result: FetchResult) -> None:
        """Add one fetch's requests and bytes."""
        self.requests += result.requests
        self.bytes_received += result.bytes_received

    def warn(self, text: str) -> None:
        """Remember a recoverable problem to show on the source."""
        self.warnings += (text,)

    def budget_spent(self, result: FetchResult) -> bool:
        """True when GitHub says no request is left in the window; then wait for the reset."""
        if result.headers.get("x-ratelimit-remaining", "").strip() != "0":
            return False
        wait = int(seconds_until_reset(result.headers) or 60)
        self.ttl_seconds = max(self.ttl_seconds or 0, wait)
        return True

    def stop_paging(self, what: str, pages: int) -> None:
        """Paging stops on a spent budget with pages left: the next pass reads them."""
        self.cut_by_budget = True
        self.warn(
            f"GitHub {what} rate limit used up: stopped after {pages} page(s) for "
            f"{self.ttl_seconds} s; the next pass reads the rest"
        )


class GitHubCollector:
    """Issues, pull requests and discussions on GitHub that mention the brand."""

    kind: ClassVar[str] = "github"
    options_model: ClassVar[type[BaseModel]] = GitHubOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(GitHubOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Search issues and pull requests (and discussions) created after the watermark."""
        keywords = github_keywords(query) if query else None
        if keywords is None:
            raise FatalSourceError(
                f"{self.source_name}: the brand query has no word GitHub can search for",
                source=self.source_name,
                hint="a github source needs a brand query with at least one word or phrase",
            )
        token = credential(TOKEN_VARIABLE, source=self.source_name)
        start = watermark(state, since)
        window = created_after(start) if start else None
        search = " ".join(part for part in (keywords, window, self.options.qualifiers) if part)
        tally = _PassTally()
        mentions = await self._issues(fetcher, search, token, tally)
        if self.options.include_discussions and token:
            mentions += await self._discussions(fetcher, search, token, tally)
        elif self.options.include_discussions:
            tally.warn(f"discussions skipped: GitHub's GraphQL API needs {TOKEN_VARIABLE}")
        # Pages shift while new items arrive, so an item can come twice: keep the first.
        unique: dict[str, RawMention] = {}
        for mention in mentions:
            unique.setdefault(str(mention.extra["platform_id"]), mention)
        fresh = newer_than(list(unique.values()), start)
        return Collected(
            fresh,
            advanced_state(state, fresh, pages_left=tally.cut_by_budget),
            requests=tally.requests,
            bytes_received=tally.bytes_received,
            warning="; ".join(tally.warnings) or None,
            ttl_seconds=tally.ttl_seconds,
        )

    async def _issues(
        self, fetcher: Fetcher, search: str, token: str | None, tally: _PassTally
    ) -> list[RawMention]:
        """Pages of ``/search/issues`` until the results, ``max_pages`` or the budget end."""
        per_page = self.options.per_page
        mentions: list[RawMention] = []
        for page in range(1, self.options.max_pages + 1):
            params = {
                "q": search,
                "sort": "created",
                "order": "desc",
                "per_page": per_page,
                "page": page,
            }
            url = api_url(self.options.base_url, SEARCH_PATH, params)
            payload, result = await self._get_json(fetcher, url, token)
            tally.count(result)
            items = payload.get("items") if isinstance(payload, dict) else None
            if not isinstance(items, list):
                raise _unexpected(self.source_name, url, "search answer without items")
            found = [issue_mention(item, source=self.source_name) for item in items]
            mentions += [mention for mention in found if mention is not None]
            if payload.get("incomplete_results"):
                tally.warn("GitHub timed out on this search: some results may be missing")
            total = payload.get("total_count") if isinstance(payload.get("total_count"), int) else 0
            spent = tally.budget_spent(result)
            if len(items) < per_page or page * per_page >= min(total, RESULT_CAP):
                break
            if spent and page < self.options.max_pages:
                tally.stop_paging("search", page)
                break
        else:
            tally.warn(f"more GitHub issues than {self.options.max_pages} page(s): older skipped")
        return mentions

    async def _discussions(
        self, fetcher: Fetcher, search: str, token: str, tally: _PassTally
    ) -> list[RawMention]:
        """Pages of the GraphQL discussion search, newest first, up to ``max_pages``."""
        url = api_url(self.options.base_url, GRAPHQL_PATH)
        mentions: list[RawMention] = []
        after: str | None = None
        for page in range(1, self.options.max_pages + 1):
            variables = {"q": f"{search} sort:created-desc", "first": self.options.per_page}
            body = json.dumps(
                {"query": DISCUSSIONS_QUERY, "variables": variables | {"after": after}}
            )
            payload, result = await self._get_json(fetcher, url, token, content=body.encode())
            tally.count(result)
            found = _graphql_search(payload, self.source_name, url, result)
            nodes = found["nodes"] if isinstance(found.get("nodes"), list) else []
            mentions += [
                mention
                for mention in (discussion_mention(node, source=self.source_name) for node in nodes)
                if mention is not None
            ]
            page_info = json_object(found.get("pageInfo"))
            after = page_info.get("endCursor")
            spent = tally.budget_spent(result)
            if not page_info.get("hasNextPage") or not after:
                break
            if spent and page < self.options.max_pages:
                tally.stop_paging("GraphQL", page)
                break
        else:
            tally.warn(
                f"more GitHub discussions than {self.options.max_pages} page(s): older skipped"
            )
        return mentions

    async def _get_json(
        self, fetcher: Fetcher, url: str, token: str | None, *, content: bytes | None = None
    ) -> tuple[Any, FetchResult]:
        """GET (or POST ``content``) with GitHub's headers; its refusals explained."""
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content is not None:
            headers["Content-Type"] = "application/json"
        method = "GET" if content is None else "POST"
        try:
            return await get_json(
                fetcher,
                url,
                source=self.source_name,
                headers=headers,
                method=method,
                content=content,
                rate_limit_wait=seconds_until_reset,
            )
        except FatalSourceError as exc:
            raise github_error(exc, has_token=bool(token)) from None


def _graphql_search(payload: Any, source: str, url: str, result: FetchResult) -> dict[str, Any]:
    """The ``search`` object of a GraphQL answer; its ``errors`` raised as source errors."""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if errors:
        said = "; ".join(str(error.get("message", error)) for error in _listed(errors))
        if any(error.get("type") == "RATE_LIMITED" for error in _listed(errors)):
            raise TransientSourceError(
                f"{source}: GitHub GraphQL rate limit reached ({said})",
                source=source,
                url=url,
                status=result.status,
                retry_after=seconds_until_reset(result.headers) or 60.0,
                hint="veille waits for the limit to reset",
            )
        raise FatalSourceError(
            f"{source}: GitHub cannot search discussions ({said})",
            source=source,
            url=url,
            status=result.status,
            hint="check the brand query, the qualifiers option and the token's access",
        )
    data = payload.get("data") if isinstance(payload, dict) else None
    found = data.get("search") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        raise _unexpected(source, url, "GraphQL answer without data.search")
    return found


def _listed(errors: Any) -> list[dict[str, Any]]:
    """The error objects of a GraphQL ``errors`` member (a list of objects, normally)."""
    listed = errors if isinstance(errors, list) else [errors]
    return [error if isinstance(error, dict) else {"message": error} for error in listed]


def _unexpected(source: str, url: str, what: str) -> TransientSourceError:
    """The error for an answer of an unexpected shape (an outage page, a changed API)."""
    return TransientSourceError(
        f"{source}: GitHub sent a {what}",
        source=source,
        url=url,
        hint="the API may be failing: veille tries again at a later pass",
    )
