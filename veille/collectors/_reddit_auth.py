"""Reddit OAuth app-only access: the bearer token and the per-minute request budget.

One :class:`RedditAccess` lives as long as its collector, so every brand searched through one
source shares one token (asked once, reused until it expires) and one view of the budget
Reddit announces in ``X-Ratelimit-Remaining`` / ``X-Ratelimit-Reset``.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from veille.collectors.api import api_url, get_json, require_credentials
from veille.errors import FatalSourceError

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

CLIENT_ID = "VEILLE_REDDIT_CLIENT_ID"
CLIENT_SECRET = "VEILLE_REDDIT_CLIENT_SECRET"
TOKEN_PATH = "/api/v1/access_token"
# Renew a little before Reddit's expiry, so a token never dies between two pages.
_EXPIRY_MARGIN_SECONDS = 60.0
_DEFAULT_LIFETIME_SECONDS = 3600.0
_CREDENTIALS_HINT = (
    f"check {CLIENT_ID} and {CLIENT_SECRET}: they are the id (under the app name) and the "
    "secret of a 'script' app at https://www.reddit.com/prefs/apps"
)


class RedditAccess:
    """A cached app-only token and the request budget, shared by one collector's searches."""

    def __init__(self, source: str, auth_url: str, user_agent: str) -> None:
        self.source = source
        self.auth_url = auth_url
        self.user_agent = user_agent
        self._token: str | None = None
        self._token_expires = 0.0  # time.monotonic() after which the token is renewed
        self._budget_resets = 0.0  # time.monotonic() when the spent budget comes back
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def token(self, fetcher: Fetcher) -> tuple[str, int]:
        """A valid bearer token, and how many HTTP requests getting it took (0 when cached)."""
        async with self._token_lock():  # brands searched at once must not all ask for one
            if self._token and time.monotonic() < self._token_expires:
                return self._token, 0
            secrets = require_credentials(
                self.source, CLIENT_ID, CLIENT_SECRET, purpose="Reddit search"
            )
            self._token, lifetime, requests = await self._request_token(fetcher, secrets)
            self._token_expires = time.monotonic() + max(lifetime - _EXPIRY_MARGIN_SECONDS, 0.0)
            return self._token, requests

    def forget_token(self) -> None:
        """Drop the cached token (Reddit refused it: revoked or expired early)."""
        self._token = None
        self._token_expires = 0.0

    def note_budget(self, headers: Mapping[str, str]) -> float | None:
        """Record the budget an answer announced; the seconds to wait when it is spent."""
        remaining = _number(headers.get("x-ratelimit-remaining"))
        reset = _number(headers.get("x-ratelimit-reset"))
        if remaining is None or remaining >= 1:
            return None
        wait = reset if reset is not None else 60.0  # Reddit's window is one minute at most
        self._budget_resets = time.monotonic() + wait
        return wait

    def refused_for(self, seconds: float) -> None:
        """Record a 429: no request goes to Reddit for ``seconds``."""
        self._budget_resets = max(self._budget_resets, time.monotonic() + seconds)

    def budget_wait(self) -> float | None:
        """Seconds until the spent budget comes back, or None when requests may go now."""
        left = self._budget_resets - time.monotonic()
        return left if left > 0 else None

    async def _request_token(
        self, fetcher: Fetcher, secrets: Mapping[str, str]
    ) -> tuple[str, float, int]:
        """POST the client credentials grant; the token, its lifetime and the request count."""
        pair = f"{secrets[CLIENT_ID]}:{secrets[CLIENT_SECRET]}".encode()
        url = api_url(self.auth_url, TOKEN_PATH)
        try:
            payload, result = await get_json(
                fetcher,
                url,
                source=self.source,
                method="POST",
                content=b"grant_type=client_credentials",
                headers={
                    "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
                    "Content-Type": "application/x-www-form-urlencoded",
                    "User-Agent": self.user_agent,
                },
            )
        except FatalSourceError as exc:
            if exc.status in (400, 401, 403):
                raise FatalSourceError(
                    f"{self.source}: Reddit refused the app credentials (HTTP {exc.status})",
                    source=self.source,
                    url=url,
                    status=exc.status,
                    hint=_CREDENTIALS_HINT,
                ) from None
            raise
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            # Reddit answers 200 with {"error": "invalid_grant"} and the like.
            reason = payload.get("error") if isinstance(payload, dict) else None
            raise FatalSourceError(
                f"{self.source}: Reddit gave no access token ({reason or 'no error given'})",
                source=self.source,
                url=url,
                status=result.status,
                hint=_CREDENTIALS_HINT,
            )
        lifetime = _number(payload.get("expires_in")) or _DEFAULT_LIFETIME_SECONDS
        return token, lifetime, result.requests

    def _token_lock(self) -> asyncio.Lock:
        """The token lock of the running event loop (a lock cannot outlive its loop)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock


def reset_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until the budget returns, as a 429's ``X-Ratelimit-Reset`` gives them."""
    return _number(headers.get("x-ratelimit-reset"))


def _number(value: object) -> float | None:
    """A float from a header or JSON value ("99.0", 600), or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
