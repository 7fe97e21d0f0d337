"""What search and API collectors share: options, credentials, JSON requests, watermarks.

A search collector (``per_brand = True``) is called once per brand with the brand's query; it
compiles the query to the remote dialect (:mod:`veille.match.dialects`), pages through results
up to ``max_pages``, and keeps an incremental watermark in ``SourceState.cursor`` (ISO time of
the newest item seen) so that a daily run only asks for what is new.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from veille.credentials import SecretFileError, environment_secret
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import FetchResult, RateLimitWait
from veille.types import RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches


class ApiOptions(BaseModel):
    """Options every API collector has; each adds its own (named as the remote API names them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(description="API root, overridable for self-hosted instances and tests")
    max_pages: int = Field(3, ge=1, le=100, description="pages asked per pass at most")

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


def credential(name: str, *, source: str | None = None) -> str | None:
    """A secret from the environment: ``NAME``, else the file named by ``NAME_FILE``; None when
    neither is set.

    A ``NAME_FILE`` that cannot be read is a FatalSourceError of ``source`` naming the variable,
    the path and why: the source is skipped with it, as when a credential is missing.
    """
    try:
        return environment_secret(name)
    except SecretFileError as exc:
        raise FatalSourceError(
            f"skipped: {exc}",
            source=source,
            hint=f"point {exc.variable} at a readable UTF-8 file holding the secret, or export "
            f"{name}=… instead",
        ) from None


def require_credentials(source: str, *names: str, purpose: str) -> dict[str, str]:
    """The named secrets, or a FatalSourceError saying which are missing and what they are for."""
    values = {name: credential(name, source=source) for name in names}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise FatalSourceError(
            f"skipped: {purpose} needs {' and '.join(missing)} in the environment",
            source=source,
            hint=f"export {missing[0]}=… (or {missing[0]}_FILE=/path/to/secret), see README",
        )
    return {name: value for name, value in values.items() if value}


def api_url(base_url: str, path: str, params: Mapping[str, Any] | None = None) -> str:
    """``base_url`` + ``path`` with query parameters (None values left out)."""
    import httpx  # only once a request is built: importing it slows every command

    url = httpx.URL(base_url.rstrip("/") + "/" + path.lstrip("/"))
    if params:
        url = url.copy_merge_params({k: v for k, v in params.items() if v is not None})
    return str(url)


async def get_json(
    fetcher: Fetcher,
    url: str,
    *,
    source: str,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    content: bytes | None = None,
    rate_limit_wait: RateLimitWait | None = None,
) -> tuple[Any, FetchResult]:
    """Fetch a JSON document; an HTML or broken body is a TransientSourceError.

    ``rate_limit_wait`` reads the wait a 429 asks for from the service's own headers.
    """
    result = await fetcher.fetch(
        url,
        source=source,
        headers={"Accept": "application/json", **(headers or {})},
        method=method,
        content=content,
        rate_limit_wait=rate_limit_wait,
    )
    try:
        return json.loads(result.body), result
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _not_json(result, exc, source=source, url=url) from None
    except RecursionError:
        # Arrays in arrays a thousand deep: no service's data, and Python's parser gives up.
        raise TransientSourceError(
            f"{source}: the answer from {url} nests its JSON too deeply to be read "
            f"({len(result.body)} bytes)",
            source=source,
            url=url,
            status=result.status,
            hint="the service sent malformed data: veille tries again at a later pass",
        ) from None


def _not_json(
    result: FetchResult, exc: ValueError, *, source: str, url: str
) -> TransientSourceError:
    """The error for a body that does not parse: broken data when it was labelled JSON, else
    a page where data was expected."""
    kind = result.headers.get("content-type", "unknown content type")
    if "json" in kind.lower():
        where = (
            f"{exc.msg} at byte {exc.pos}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        )
        return TransientSourceError(
            f"{source}: the answer from {url} is not valid JSON ({where}, "
            f"{len(result.body)} bytes)",
            source=source,
            url=url,
            status=result.status,
            hint="the body is truncated or malformed: veille tries again at a later pass",
        )
    return TransientSourceError(
        f"expected JSON, got {kind} ({len(result.body)} bytes)",
        source=source,
        url=url,
        status=result.status,
        hint="the service answered with a page instead of data: it may be down or blocking",
    )


# How much of a service's own error text a message quotes: enough for a reason, never a page.
SERVICE_TEXT_CHARS = 200
_TAG = re.compile(r"<[^>]*>")


def service_text(value: object) -> str:
    """A service's own error text as one short line: tags and control characters out,
    whitespace collapsed, cut at ``SERVICE_TEXT_CHARS``; "" when it is no text.

    Messages built with it are redacted like every error (a URL's credentials hidden).
    """
    if not isinstance(value, str):
        return ""
    text = "".join(char if char.isprintable() else " " for char in _TAG.sub("", value))
    text = " ".join(text.split())
    if len(text) > SERVICE_TEXT_CHARS:
        text = text[: SERVICE_TEXT_CHARS - 1] + "…"
    return text


# Services index some items minutes after their date: asking again from a little before the
# newest item seen costs a few repeats (the store keeps each item once) and loses nothing.
WATERMARK_OVERLAP = timedelta(minutes=30)


def watermark(state: SourceState, since: datetime | None) -> datetime | None:
    """The time from which to ask: the later of ``since`` and the stored cursor (less overlap)."""
    stored = None
    if state.cursor:
        try:
            stored = datetime.fromisoformat(state.cursor)
        except ValueError:
            stored = None  # a cursor of another format (an older version): ask everything
    if stored is not None and stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)
    if stored is not None:
        stored -= WATERMARK_OVERLAP
    candidates = [moment for moment in (stored, since) if moment is not None]
    return max(candidates) if candidates else None


def advanced_state(
    state: SourceState, mentions: list[RawMention], *, pages_left: bool = False
) -> SourceState:
    """The state with its cursor moved to the newest item seen (never backwards, nor past now:
    an item dated in the future would otherwise make every later pass ask for nothing).

    ``pages_left``: the pass stopped before the watermark (a spent request budget, the API's
    backoff) and keeps the old one, so that the next pass reads down to it again (what comes
    twice is stored once).
    """
    if pages_left:
        return state
    newest = max((m.published_at for m in mentions if m.published_at), default=None)
    if newest is not None:
        newest = min(newest, datetime.now(UTC))
    current = _stored_cursor(state)
    if newest is None or (current is not None and newest <= current):
        return state
    return SourceState(
        url=state.url,
        etag=state.etag,
        last_modified=state.last_modified,
        content_hash=state.content_hash,
        cursor=newest.astimezone(UTC).isoformat(),
    )


def _stored_cursor(state: SourceState) -> datetime | None:
    moment = watermark(state, None)
    return moment + WATERMARK_OVERLAP if moment is not None else None


def newer_than(mentions: list[RawMention], since: datetime | None) -> list[RawMention]:
    """Only the items published after ``since`` (undated items are kept: they may be new)."""
    if since is None:
        return mentions
    return [m for m in mentions if m.published_at is None or m.published_at > since]


def from_timestamp(value: Any) -> datetime | None:
    """A UTC datetime from Unix seconds or an ISO 8601 string; None when unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (ValueError, OverflowError, OSError):  # out of datetime's range, or NaN
            return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return None
