"""When to try again: Retry-After parsing and exponential backoff with jitter."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# How a source says when to come back after a 429 without Retry-After, read its own way from
# the response headers (keys lower-cased): seconds to wait, or None when it does not say.
RateLimitWait = Callable[[Mapping[str, str]], float | None]

_DELTA_SECONDS = re.compile(r"\d+(\.\d+)?")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta seconds or HTTP-date); None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None  # unreadable: behave as if the server had not said anything
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are GMT by definition
    waited = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, waited)


def seconds_until_unix_time(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds until a Unix time in whole seconds (a rate limit's reset header), at least 1;
    None when the value is not one."""
    text = (value or "").strip()
    if not text.isdigit():
        return None
    return max(1.0, float(text) - (time.time() if now is None else now))


def backoff_delay(attempt: int, base_seconds: float, rng: random.Random) -> float:
    """Delay before retry number ``attempt`` (0-based): base × 2^attempt plus up to half again."""
    delay = base_seconds * 2**attempt
    # Jitter spreads the retries of many sources failing at once (a host going down).
    return delay + rng.uniform(0, delay / 2)
