"""What GitHub's refusals mean: rate limits (403 or 429), bad tokens (401), bad queries (422).

GitHub answers 403 both for a spent rate limit and for a real refusal; only the body and the
``X-RateLimit-*`` headers, which the shared fetcher keeps on its error, tell them apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from veille.errors import FatalSourceError, SourceError, TransientSourceError
from veille.fetch import parse_retry_after, seconds_until_unix_time

TOKEN_VARIABLE = "VEILLE_GITHUB_TOKEN"
_SECONDARY_LIMIT_WAIT = 60.0  # GitHub says "wait a few minutes", at times without a header


def seconds_until_reset(headers: Mapping[str, str]) -> float | None:
    """Seconds until GitHub's rate limit window resets (``Retry-After`` first), if it says."""
    retry_after = parse_retry_after(headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    return seconds_until_unix_time(headers.get("x-ratelimit-reset"))


def github_message(body: bytes) -> str:
    """GitHub's own error text: ``message`` plus the details of ``errors``; "" when absent."""
    try:
        payload: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return ""
    if not isinstance(payload, dict):
        return ""
    parts = [str(payload.get("message") or "").strip()]
    for detail in payload.get("errors") or []:
        text = detail.get("message") if isinstance(detail, dict) else detail
        if text:
            parts.append(str(text).strip())
    return ": ".join(part for part in parts if part)


def github_error(exc: SourceError, *, has_token: bool) -> SourceError:
    """The error to report for an answer the fetcher refused, explained from GitHub's body."""
    status, source, url = exc.status, exc.source, exc.url
    said = github_message(exc.body)
    if status == 401:
        return FatalSourceError(
            f"{source}: GitHub rejected {TOKEN_VARIABLE} ({said or 'Bad credentials'})",
            source=source,
            url=url,
            status=status,
            hint="the token is wrong, expired or revoked: create a new one (see README) "
            f"or unset {TOKEN_VARIABLE} to search without it",
        )
    if status == 403 and "rate limit" in said.lower():
        return TransientSourceError(
            f"{source}: GitHub rate limit reached ({said})",
            source=source,
            url=url,
            status=status,
            retry_after=seconds_until_reset(exc.headers) or _SECONDARY_LIMIT_WAIT,
            hint="veille waits for the limit to reset"
            + ("" if has_token else f"; a {TOKEN_VARIABLE} triples the search allowance"),
        )
    if status == 403:
        return FatalSourceError(
            f"{source}: GitHub refused the search ({said or 'HTTP 403 Forbidden'})",
            source=source,
            url=url,
            status=status,
            hint="the token may lack access to what the qualifiers name (an organisation with "
            "SAML single sign-on needs the token authorised for it)",
        )
    if status == 422:
        return FatalSourceError(
            f"{source}: GitHub cannot run this search ({said or 'Validation Failed'})",
            source=source,
            url=url,
            status=status,
            hint="check the brand query and the source's qualifiers option (GitHub allows at "
            "most five AND/OR/NOT operators, and repo:/org: must name what exists)",
        )
    return exc
