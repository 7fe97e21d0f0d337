"""Bluesky posts found by full-text search (``app.bsky.feed.searchPosts``) with an app password.

Search has needed a session since January 2025: the collector signs in once per instance (one
instance serves every brand of a pass) with ``com.atproto.server.createSession`` and sends the
access token with each search. The brand query is split into its plain keyword alternatives
(:func:`~veille.match.dialects.alternatives`), one search each, because Bluesky leaves boolean
syntax unspecified and ANDs the words it is given; the pipeline matches every post again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from veille.collectors._bluesky_errors import EXPIRED_TOKEN, reset_wait, xrpc_error, xrpc_said
from veille.collectors._bluesky_posts import parse_search_page
from veille.collectors.api import (
    ApiOptions,
    advanced_state,
    api_url,
    get_json,
    newer_than,
    require_credentials,
    watermark,
)
from veille.collectors.base import validate_options
from veille.errors import FatalSourceError, SourceError, TransientSourceError
from veille.fetch import FetchResult
from veille.match.dialects import alternatives
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

HANDLE_VAR = "VEILLE_BLUESKY_HANDLE"
PASSWORD_VAR = "VEILLE_BLUESKY_APP_PASSWORD"
SESSION_PATH = "/xrpc/com.atproto.server.createSession"
SEARCH_PATH = "/xrpc/app.bsky.feed.searchPosts"
PAGE_SIZE = 100  # the most searchPosts returns per request
APP_PASSWORD_HINT = (
    "create an app password in Bluesky settings → App passwords; "
    f"set {HANDLE_VAR} and {PASSWORD_VAR}"
)


@dataclass(slots=True)
class _Tally:
    """Requests made and bytes received by one ``collect`` call."""

    requests: int = 0
    bytes_received: int = 0
    cut_short: bool = False  # a search had more pages than max_pages

    def add(self, result: FetchResult) -> None:
        """Count one fetch (its retries and redirects included)."""
        self.requests += result.requests
        self.bytes_received += result.bytes_received


class BlueskyOptions(ApiOptions):
    """Options of a ``bluesky`` source."""

    base_url: str = Field(
        "https://bsky.social", description="XRPC service searched (the PDS proxies the AppView)"
    )
    auth_url: str = Field("https://bsky.social", description="PDS that creates the session")

    @field_validator("auth_url")
    @classmethod
    def _http_auth(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class BlueskyCollector:
    """Posts of the Bluesky network matching a brand, newest first, through an app password."""

    kind: ClassVar[str] = "bluesky"
    options_model: ClassVar[type[BaseModel]] = BlueskyOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel) -> None:
        self.source_name = source_name
        self.options = validate_options(BlueskyOptions, options, source=source_name)
        self._access_jwt: str | None = None
        self._refused: FatalSourceError | None = None
        # Brands of one pass run concurrently on this instance: they share a single sign-in.
        self._session_lock = asyncio.Lock()

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Search each keyword alternative of ``query`` for posts newer than the watermark."""
        if not query:
            raise FatalSourceError(
                "a bluesky source searches a brand query and got none",
                source=self.source_name,
                hint="give the brand a query in the configuration",
            )
        credentials = require_credentials(
            self.source_name, HANDLE_VAR, PASSWORD_VAR, purpose="Bluesky search"
        )
        tally = _Tally()
        await self._session(fetcher, credentials, tally)  # a refused sign-in ends it here
        asked_from = watermark(state, since)
        # searchPosts filters on one language only; several are left to local classification.
        lang = languages[0] if len(languages) == 1 else None
        found: dict[str, RawMention] = {}
        for words in alternatives(query):
            for mention in await self._search(fetcher, credentials, words, asked_from, lang, tally):
                found.setdefault(str(mention.extra["platform_id"]), mention)
        mentions = newer_than(list(found.values()), asked_from)
        return Collected(
            mentions=mentions,
            state=advanced_state(state, mentions),
            requests=tally.requests,
            bytes_received=tally.bytes_received,
            warning=(
                f"more Bluesky posts than {self.options.max_pages} page(s): older skipped"
                if tally.cut_short
                else None
            ),
        )

    async def _session(
        self, fetcher: Fetcher, credentials: Mapping[str, str], tally: _Tally
    ) -> str:
        """The access token of this instance's session, signing in on first use."""
        async with self._session_lock:
            if self._refused is not None:
                # Every brand would be refused alike: one failed sign-in per pass is enough,
                # and createSession is rate-limited per account.
                raise self._refused
            if self._access_jwt is None:
                try:
                    self._access_jwt = await self._sign_in(fetcher, credentials, tally)
                except FatalSourceError as exc:
                    self._refused = exc
                    raise
            return self._access_jwt

    async def _sign_in(
        self, fetcher: Fetcher, credentials: Mapping[str, str], tally: _Tally
    ) -> str:
        """POST createSession with the handle and app password; return the access token."""
        url = api_url(self.options.auth_url, SESSION_PATH)
        handle = credentials[HANDLE_VAR]
        payload = {"identifier": handle, "password": credentials[PASSWORD_VAR]}
        try:
            body, result = await get_json(
                fetcher,
                url,
                source=self.source_name,
                method="POST",
                content=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json"},
                rate_limit_wait=reset_wait,  # sign-ins are limited per account
            )
        except FatalSourceError as exc:
            # 401 AuthenticationRequired (wrong password) or AuthFactorTokenRequired (the
            # account password with 2FA instead of an app password); 400 for a bad handle.
            said = xrpc_said(exc.body)
            raise FatalSourceError(
                f"{self.source_name}: Bluesky refused to sign in as {handle!r} "
                f"(HTTP {exc.status}{': ' + said if said else ''})",
                source=self.source_name,
                url=url,
                status=exc.status,
                hint=APP_PASSWORD_HINT,
            ) from None
        tally.add(result)
        token = body.get("accessJwt") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TransientSourceError(
                f"{self.source_name}: the Bluesky session answer holds no access token",
                source=self.source_name,
                url=url,
                status=result.status,
                hint="the service answered oddly: veille tries again at a later pass",
            )
        return token

    async def _search(
        self,
        fetcher: Fetcher,
        credentials: Mapping[str, str],
        words: str,
        asked_from: datetime | None,
        lang: str | None,
        tally: _Tally,
    ) -> list[RawMention]:
        """Up to ``max_pages`` pages of one search, following the cursor while there is one."""
        found: list[RawMention] = []
        cursor: str | None = None
        for _ in range(self.options.max_pages):
            params = {
                "q": words,
                "sort": "latest",
                "since": _iso_since(asked_from),
                "limit": PAGE_SIZE,
                "lang": lang,
                "cursor": cursor,
            }
            url = api_url(self.options.base_url, SEARCH_PATH, params)
            page = await self._get_page(fetcher, url, credentials, tally)
            posts, cursor = parse_search_page(page, source=self.source_name)
            found.extend(posts)
            if not cursor or not posts:
                break  # the last page, or deep pagination refused
        else:
            tally.cut_short = True
        return found

    async def _get_page(
        self, fetcher: Fetcher, url: str, credentials: Mapping[str, str], tally: _Tally
    ) -> Any:
        """One search request with the session token; a session that expired is renewed once."""
        token = await self._session(fetcher, credentials, tally)
        try:
            page, result = await self._get_with(fetcher, url, token)
        except FatalSourceError as exc:
            if not _expired(exc):
                raise
            if self._access_jwt == token:
                self._access_jwt = None  # signed in again by the first brand that finds it
            token = await self._session(fetcher, credentials, tally)
            try:
                page, result = await self._get_with(fetcher, url, token)
            except FatalSourceError as again:
                raise self._refusal(again) if _expired(again) else again from None
        tally.add(result)
        return page

    async def _get_with(self, fetcher: Fetcher, url: str, token: str) -> tuple[Any, FetchResult]:
        """One search request; its errors in Bluesky's words, but for an expired session's."""
        try:
            return await get_json(
                fetcher,
                url,
                source=self.source_name,
                headers={"Authorization": f"Bearer {token}"},
                rate_limit_wait=reset_wait,  # a spent limit is not asked again before its reset
            )
        except TransientSourceError as exc:
            raise self._rate_limited(exc) from None
        except FatalSourceError as exc:
            if _expired(exc):
                raise
            raise self._refusal(exc) from None

    def _rate_limited(self, exc: TransientSourceError) -> TransientSourceError:
        """A 429 in Bluesky's words, waiting for ``ratelimit-reset``; other errors as they are."""
        if exc.status != 429:
            return exc
        said = xrpc_said(exc.body)
        return TransientSourceError(
            f"{self.source_name}: Bluesky rate limit reached "
            f"(HTTP 429{': ' + said if said else ''}) from {exc.url}",
            source=self.source_name,
            url=exc.url,
            status=429,
            retry_after=exc.retry_after,
            hint="searches share 3,000 requests per 5 minutes: veille asks again once the limit "
            "resets",
        )

    def _refusal(self, exc: FatalSourceError) -> SourceError:
        """The error for a refused search, in Bluesky's own words when its body has them."""
        said = xrpc_said(exc.body)
        if _expired(exc):
            return TransientSourceError(
                f"{self.source_name}: the Bluesky session expired again at once ({said})",
                source=self.source_name,
                url=exc.url,
                status=exc.status,
                hint="veille signs in again at the next pass",
            )
        if exc.status in (401, 403):
            return FatalSourceError(
                f"{self.source_name}: Bluesky refused the search "
                f"(HTTP {exc.status}: {said or 'no valid session'})",
                source=self.source_name,
                url=exc.url,
                status=exc.status,
                hint=APP_PASSWORD_HINT,
            )
        if not said:
            return exc
        return FatalSourceError(
            f"{self.source_name}: Bluesky rejected the search (HTTP {exc.status}: {said}) "
            f"from {exc.url}",
            source=self.source_name,
            url=exc.url,
            status=exc.status,
            hint="Bluesky says what it could not read: check the brand query (each keyword "
            "alternative is searched as written) and the brand's languages",
        )


def _expired(exc: FatalSourceError) -> bool:
    """Whether Bluesky refused the request because the session's access token ran out."""
    return xrpc_error(exc.body)[0] == EXPIRED_TOKEN


def _iso_since(moment: datetime | None) -> str | None:
    """The watermark as searchPosts wants it: ISO 8601 UTC with milliseconds and a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
