"""What Bluesky's refusals say: the XRPC error body and the ``ratelimit-*`` headers.

An XRPC error answer is ``{"error": "ExpiredToken", "message": "Token has expired"}``: the name
says what went wrong (an expired session, a query the service cannot read), the message why. A
429 carries no Retry-After but ``ratelimit-remaining: 0`` and ``ratelimit-reset`` (Unix seconds).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from veille.collectors.api import service_text
from veille.fetch import seconds_until_unix_time

EXPIRED_TOKEN = "ExpiredToken"  # the access token of the session ran out (it lives two hours)


def xrpc_error(body: bytes) -> tuple[str, str]:
    """``(error, message)`` of an XRPC error body, each "" when absent (or not JSON)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return "", ""
    if not isinstance(payload, dict):
        return "", ""
    return service_text(payload.get("error")), service_text(payload.get("message"))


def xrpc_said(body: bytes) -> str:
    """``ExpiredToken: Token has expired``: what the body says, or "" when it says nothing."""
    return ": ".join(part for part in xrpc_error(body) if part)


def reset_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until ``ratelimit-reset`` (at least 1), when a 429 gives it; None otherwise."""
    return seconds_until_unix_time(headers.get("ratelimit-reset"))
