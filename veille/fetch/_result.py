"""What one fetch returns: status, headers and bytes, never parsed content."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one successful :meth:`Fetcher.fetch` (after redirects and retries)."""

    url: str  # the URL that was asked for
    final_url: str  # the URL that answered, after every redirect
    status: int
    headers: dict[str, str]  # response headers of the final answer, keys lower-cased
    body: bytes  # decoded (gzip/deflate undone); empty when not modified
    not_modified: bool = False
    moved_to: str | None = None  # where permanent (301/308) redirects led, to remember
    etag: str | None = None
    last_modified: str | None = None
    requests: int = 1  # HTTP requests made, retries and redirects included
    bytes_received: int = 0  # bytes read from the network, before decompression
