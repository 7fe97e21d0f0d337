"""Undoing a body's Content-Encoding a bounded piece at a time.

httpx inflates each network chunk whole, and a stacked coding (``gzip, gzip``) whole again: a
few kilobytes can become gigabytes in one call, before any size cap gets a say, and block the
event loop while they do. Here every call yields at most :data:`PIECE` decoded bytes, so the
reader can stop as soon as the body is too large.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

import httpx

PIECE = 256 * 1024  # most bytes one decoding step produces

# The codings veille asks for, whatever httpx would ask for: httpx adds br and zstd to its own
# header when their packages happen to be importable, and this reader undoes only these two.
ACCEPT_ENCODING = "gzip, deflate"
# Compressions a server may send unasked that are not undone here: refused by name rather than
# read as a garbled feed. Other unknown values ("utf-8", a common misconfiguration) pass
# through undecoded, as httpx does.
_UNSUPPORTED = frozenset({"br", "zstd", "compress", "x-compress"})
_GZIP_WBITS = zlib.MAX_WBITS | 16
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


class _Inflater:
    """One gzip or deflate layer, producing bounded pieces."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        # "deflate" should be zlib-wrapped, but some servers send raw deflate: try both.
        self._fallback = coding == "deflate"
        self._inflater = zlib.decompressobj(_GZIP_WBITS if coding != "deflate" else _ZLIB_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decode ``data``, yielding pieces of at most :data:`PIECE` bytes."""
        while True:
            try:
                piece = self._inflater.decompress(data, PIECE)
            except zlib.error as exc:
                if not self._fallback:
                    raise _decoding_error(self._coding, exc) from exc
                self._fallback = False
                self._inflater = zlib.decompressobj(_RAW_DEFLATE_WBITS)
                continue
            self._fallback = False
            rest = self._inflater.unconsumed_tail
            if piece:
                yield piece
            # A full piece may leave output pending even with no input left: ask again.
            if len(piece) < PIECE and (not rest or rest == data):
                return
            data = rest

    def finish(self) -> Iterator[bytes]:
        """Whatever the layer still holds once the body has ended."""
        try:
            tail = self._inflater.flush()
        except zlib.error as exc:
            raise _decoding_error(self._coding, exc) from exc
        for start in range(0, len(tail), PIECE):
            yield tail[start : start + PIECE]


class BodyDecoder:
    """Decode the content codings named by a response, every step bounded in size."""

    def __init__(self, content_encodings: Sequence[str]) -> None:
        codings = [value.strip().lower() for value in content_encodings]
        unsupported = [coding for coding in codings if coding in _UNSUPPORTED]
        if unsupported:
            raise httpx.DecodingError(
                f"the body is compressed with {unsupported[0]!r}, which was not asked for "
                f"(Accept-Encoding: {ACCEPT_ENCODING}) and cannot be read"
            )
        known = [coding for coding in codings if coding in ("gzip", "x-gzip", "deflate")]
        # Codings are listed in the order they were applied: undo the last one first.
        self._layers = [_Inflater("gzip" if c == "x-gzip" else c) for c in reversed(known)]

    @classmethod
    def for_response(cls, response: httpx.Response) -> BodyDecoder:
        """The decoder for a response's Content-Encoding header(s)."""
        return cls(response.headers.get_list("content-encoding", split_commas=True))

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """Decoded pieces of one raw chunk of the body."""
        return self._through(0, raw)

    def finish(self) -> Iterator[bytes]:
        """Decoded pieces still held by the layers once the raw body has ended."""
        for index, layer in enumerate(self._layers):
            for piece in layer.finish():
                yield from self._through(index + 1, piece)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[index].feed(data):
            yield from self._through(index + 1, piece)


def _decoding_error(coding: str, exc: zlib.error) -> httpx.DecodingError:
    # An httpx error, so that the fetcher maps it like any other broken answer.
    return httpx.DecodingError(f"invalid {coding} data: {exc}")
