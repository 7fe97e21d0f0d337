"""Reading a response body without letting it grow past the configured cap."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import httpx

from veille.errors import FatalSourceError
from veille.fetch._inflate import BodyDecoder


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
    # Decoded size is what counts, and it is counted a bounded piece at a time, so a
    # compression bomb is cut as it inflates rather than after.
    async with aclosing(decoded_pieces(response)) as pieces:
        async for piece in pieces:
            size += len(piece)
            if size > limit:
                raise _too_large(source, url, limit, "cut while reading")
            chunks.append(piece)
    return b"".join(chunks)


async def read_excerpt(response: httpx.Response, *, limit: int) -> bytes:
    """The first ``limit`` decoded bytes of a streamed response (the rest is left unread)."""
    excerpt = bytearray()
    async with aclosing(decoded_pieces(response)) as pieces:
        async for piece in pieces:
            excerpt += piece
            if len(excerpt) >= limit:
                break
    return bytes(excerpt[:limit])


async def decoded_pieces(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    """The body of a streamed response, Content-Encoding undone, in bounded pieces."""
    decoder = BodyDecoder.for_response(response)
    async for raw in response.aiter_raw():
        for piece in decoder.feed(raw):
            yield piece
    for piece in decoder.finish():
        yield piece


async def drain(response: httpx.Response, *, limit: int) -> None:
    """Read and drop a body nobody needs (a 304's, a redirect's) of at most ``limit`` bytes.

    The connection goes back to the pool only once its answer has been read to the end:
    closing the response earlier closes the connection too, and the next request to the host
    pays for a new one (a TCP and TLS handshake). A 304 has no body; another answer is read
    only when its Content-Length says it is small, so that a body of unknown length is never
    waited for. A failure while reading only costs the connection: the answer is known.
    """
    if response.status_code != 304:
        declared = response.headers.get("content-length", "").strip()
        if not declared.isdigit() or int(declared) > limit:
            return
    try:
        # The length was checked above (HTTP framing stops the read there).
        async for _piece in response.aiter_raw():
            pass
    except httpx.HTTPError:
        return
