"""Reading a response body without letting it grow past the configured cap."""

from __future__ import annotations

import httpx

from veille.errors import FatalSourceError


def _too_large(source: str, url: str, limit: int, detail: str) -> FatalSourceError:
    return FatalSourceError(
        f"{source}: response from {url} is larger than {limit} bytes ({detail})",
        source=source,
        url=url,
        status=200,
        hint="check that the URL is a feed, or raise max_body_bytes in the HTTP settings",
    )


async def read_capped_body(response: httpx.Response, *, limit: int, source: str, url: str) -> bytes:
    """Read the decoded body of a streamed response, refusing more than ``limit`` bytes."""
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(source, url, limit, f"Content-Length says {declared}")
    chunks: list[bytes] = []
    size = 0
    # aiter_bytes yields decompressed chunks: counting them cuts a gzip bomb as it inflates.
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise _too_large(source, url, limit, "cut while reading")
        chunks.append(chunk)
    return b"".join(chunks)
