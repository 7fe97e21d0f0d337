"""A raw HTTP server on 127.0.0.1 that misbehaves in ways a well-mannered server cannot.

:class:`tests.support.feedserver.FeedServer` answers like a real (if failing) web server; this
one speaks bare sockets, so it can hold a connection without a word, drip an answer a byte at a
time, stream forever, lie about a body's length or send a compression bomb::

    with HostileServer() as server:
        url = server.url("/silent")        # accepts, reads the request, never answers
        ...
        assert server.arrivals("/silent") == 2

Paths (anything after ``?`` is ignored):

``/silent``         accepts and reads the request, never says a word
``/drip``           a valid feed, written one byte a second from the status line on
``/endless``        ``200`` with a chunked body that never ends
``/huge-length``    ``Content-Length: 2147483648`` (2 GiB), a few bytes, then silence
``/gzip-bomb``      ``Content-Encoding: gzip`` around :data:`BOMB_INFLATED_SIZE` zero bytes
``/gzip-bomb-nested`` the same bomb compressed again, sent as ``Content-Encoding: gzip, gzip``
``/gzip-bomb-error`` the nested bomb as the body of a ``500`` answer

Any other path is answered ``404``. Handlers run on an event loop in a background thread; they
all stop when the server does.
"""

from __future__ import annotations

import asyncio
import functools
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from types import TracebackType

# A gzip bomb inflating past this would blow any sensible memory bound if read whole.
BOMB_INFLATED_SIZE = 1 << 30  # 1 GiB
HUGE_CONTENT_LENGTH = 2 << 30  # 2 GiB, the lying length
DRIP_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Drip</title>'
    b"<item><title>Danone drips</title><link>http://drip.example/1</link></item>"
    b"</channel></rss>"
)
_ENDLESS_CHUNK = b"<item><title>Danone forever</title></item>" * 400


@functools.cache
def gzip_bomb() -> bytes:
    """Gzip of :data:`BOMB_INFLATED_SIZE` zero bytes (about 1 MB), built without compressing it all.

    After a full flush the compressor forgets its history, so every further megabyte of zeros
    compresses to the same bytes: one such block is repeated, and the trailer written by hand.
    """
    megabyte = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    first = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    final_block = compressor.flush(zlib.Z_FINISH)[:-8]  # its trailer counts only 2 MB
    crc = 0
    for _ in range(BOMB_INFLATED_SIZE >> 20):
        crc = zlib.crc32(megabyte, crc)
    trailer = struct.pack("<II", crc, BOMB_INFLATED_SIZE & 0xFFFFFFFF)
    return first + repeated * ((BOMB_INFLATED_SIZE >> 20) - 1) + final_block + trailer


@functools.cache
def nested_gzip_bomb() -> bytes:
    """:func:`gzip_bomb` gzipped again: a few kilobytes that inflate in two steps."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(gzip_bomb()) + compressor.flush()


Handler = Callable[[asyncio.StreamWriter], Awaitable[None]]


class HostileServer:
    """Serve the hostile paths above on 127.0.0.1 (random port) from a background thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._stopping: asyncio.Event | None = None
        self._arrivals: Counter[str] = Counter()
        self._connections: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {
            "/silent": self._silent,
            "/drip": self._drip,
            "/endless": self._endless,
            "/huge-length": self._huge_length,
            "/gzip-bomb": functools.partial(self._bomb, gzip_bomb(), "gzip"),
            "/gzip-bomb-nested": functools.partial(self._bomb, nested_gzip_bomb(), "gzip, gzip"),
            "/gzip-bomb-error": functools.partial(
                self._bomb, nested_gzip_bomb(), "gzip, gzip", status=b"500 Internal Server Error"
            ),
        }

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._call(self._start()).result(timeout=10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._call(self._stop()).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + path

    def arrivals(self, path: str) -> int:
        """How many requests for ``path`` (query string ignored) the server has read."""
        with self._lock:
            return self._arrivals[path]

    def _call(self, coroutine: Awaitable[None]) -> Future[None]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)  # type: ignore[arg-type]

    async def _start(self) -> None:
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def _stop(self) -> None:
        assert self._server is not None and self._stopping is not None
        self._stopping.set()  # releases every handler still holding its connection
        self._server.close()
        await self._server.wait_closed()
        if self._connections:
            _, stuck = await asyncio.wait(self._connections, timeout=5)
            for task in stuck:
                task.cancel()  # blocked writing to a client that stopped reading
            await asyncio.gather(*stuck, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1").split("?", 1)[0]
            with self._lock:
                self._arrivals[path] += 1
            handler = self._handlers.get(path, self._not_found)
            await handler(writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client gave up: that is what a hostile server makes clients do
        finally:
            writer.close()

    async def _pause(self, seconds: float) -> bool:
        """Sleep, or return True at once when the server is stopping."""
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _silent(self, writer: asyncio.StreamWriter) -> None:
        assert self._stopping is not None
        await self._stopping.wait()

    async def _drip(self, writer: asyncio.StreamWriter) -> None:
        answer = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            + f"Content-Length: {len(DRIP_FEED)}\r\n\r\n".encode()
            + DRIP_FEED
        )
        for index in range(len(answer)):
            writer.write(answer[index : index + 1])
            await writer.drain()
            if await self._pause(1.0):
                return

    async def _endless(self, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = f"{len(_ENDLESS_CHUNK):x}\r\n".encode() + _ENDLESS_CHUNK + b"\r\n"
        assert self._stopping is not None
        while not self._stopping.is_set():
            writer.write(chunk)
            await writer.drain()  # as fast as the client reads, for as long as it does

    async def _huge_length(self, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            + f"Content-Length: {HUGE_CONTENT_LENGTH}\r\n\r\n".encode()
            + b'<rss version="2.0"><channel>'
        )
        await writer.drain()
        await self._pause(3600)

    async def _bomb(
        self, body: bytes, encoding: str, writer: asyncio.StreamWriter, *, status: bytes = b"200 OK"
    ) -> None:
        # Chunked, without Content-Length: only the inflated size can tell how big it is.
        writer.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nContent-Type: application/rss+xml\r\n"
            + f"Content-Encoding: {encoding}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        for start in range(0, len(body), 65536):
            piece = body[start : start + 65536]
            writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def _not_found(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
