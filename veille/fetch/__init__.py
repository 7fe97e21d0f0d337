"""The shared HTTP fetcher: status, headers and bytes for every collector, no parsing.

``Fetcher`` owns one ``httpx.AsyncClient`` and applies veille's manners to every request:
global and per-host concurrency limits, timeouts, a body size cap, conditional GET,
redirects followed by hand (permanent moves remembered), Retry-After (or, after a 429, the
wait a source's own rate-limit headers give), and retries with backoff. Failures come out as
:mod:`veille.errors` source errors.

``Fetcher`` is imported on first use: httpx takes a noticeable share of the start-up of
commands that never fetch (``veille mentions``), which still read the collectors' options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veille.fetch._result import FetchResult
from veille.fetch._retry import RateLimitWait, parse_retry_after, seconds_until_unix_time

if TYPE_CHECKING:
    from veille.fetch._fetcher import Fetcher

__all__ = [
    "FetchResult",
    "Fetcher",
    "RateLimitWait",
    "parse_retry_after",
    "seconds_until_unix_time",
]


def __getattr__(name: str) -> Any:
    if name == "Fetcher":
        from veille.fetch._fetcher import Fetcher

        return Fetcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
