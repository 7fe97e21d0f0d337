"""The shared HTTP fetcher: status, headers and bytes for every collector, no parsing.

``Fetcher`` owns one ``httpx.AsyncClient`` and applies veille's manners to every request:
global and per-host concurrency limits, timeouts, a body size cap, conditional GET,
redirects followed by hand (permanent moves remembered), Retry-After, and retries with
backoff. Failures come out as :mod:`veille.errors` source errors.
"""

from veille.fetch._fetcher import Fetcher
from veille.fetch._result import FetchResult

__all__ = ["FetchResult", "Fetcher"]
