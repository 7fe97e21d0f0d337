"""What Bluesky's refusals say: the XRPC error body.

An XRPC error answer is ``{"error": "ExpiredToken", "message": "Token has expired"}``: the name
says what went wrong (an expired session, a query the service cannot read), the message why.
"""

from __future__ import annotations

import json

from veille.collectors.api import service_text

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
