"""A real HTTP server on 127.0.0.1 for tests: feeds, conditional GET, redirects, failures.

Used by fetcher, collector, pipeline and CLI tests alike. It runs in a background thread,
so synchronous and asynchronous tests talk to it the same way::

    with FeedServer() as server:
        route = server.add("/feed.xml", body, content_type="application/rss+xml")
        route.queue(503, headers={"Retry-After": "1"})   # a one-off answer served first
        url = server.url("/feed.xml")
        ...
        assert server.requests("/feed.xml")[-1].status == 304

Normal routes answer conditional requests like a well-behaved server: a strong ETag derived
from the body and a Last-Modified that moves forward each time the body changes.
"""

from __future__ import annotations

import gzip
import hashlib
import ssl
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

# Last-Modified values are synthetic and deterministic: version n of a body is n minutes later.
_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Reply:
    """One scripted answer, served once before the route's normal behaviour resumes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class LoggedRequest:
    """What the server saw and answered, for assertions on conditional GETs and headers."""

    method: str
    path: str
    headers: dict[str, str]  # request headers, keys lower-cased
    status: int
    body: bytes = b""  # what a POST sent
    client_port: int = 0  # the client's side of the connection: one port per connection


@dataclass
class Route:
    """How the server answers one path. Change ``body`` between passes with ``set_body``."""

    body: bytes
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool | str = True  # True: derived from the body; a string: fixed; False: none
    last_modified: bool | str = True  # True: moves with each body; a string: fixed
    conditional: bool = True  # False: ignore If-None-Match / If-Modified-Since (always 200)
    delay: float = 0.0  # seconds to wait before answering
    truncate_at: int | None = None  # send Content-Length of the whole body, then only this much
    redirect_to: str | None = None  # a path on this server or an absolute URL
    gzip: bool = False  # Content-Encoding: gzip
    chunked: bool = False  # Transfer-Encoding: chunked, no Content-Length
    version: int = 0
    queued: deque[Reply] = field(default_factory=deque)

    def queue(
        self, status: int, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Route:
        """Serve this answer once, before the normal ones (call several times for a sequence)."""
        self.queued.append(Reply(status, dict(headers or {}), body))
        return self

    def set_body(self, body: bytes) -> None:
        """Replace the body; the derived ETag and Last-Modified change with it."""
        self.body = body
        self.version += 1

    def current_etag(self) -> str | None:
        """The ETag this route sends now, if any."""
        if isinstance(self.etag, str):
            return self.etag
        if self.etag:
            return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'
        return None

    def current_last_modified(self) -> str | None:
        """The Last-Modified this route sends now, if any."""
        if isinstance(self.last_modified, str):
            return self.last_modified
        if self.last_modified:
            return format_datetime(_EPOCH + timedelta(minutes=self.version), usegmt=True)
        return None


class FeedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with a route table and a request log.

    Given a server-side ``tls`` context, it speaks HTTPS.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._routes: dict[str, Route] = {}
        self._overrides: dict[str, Route] = {}
        self._log: list[LoggedRequest] = []
        self._events: list[tuple[str, int]] = []  # (path, +1 on start / -1 on end), in order
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self._scheme = "http" if tls is None else "https"
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.feed_server = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()  # wakes delayed handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with TLS)."""
        host, port = self._httpd.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + path

    def add(self, path: str, body: bytes = b"", **options: object) -> Route:
        """Serve ``body`` at ``path``; keyword options are the fields of :class:`Route`."""
        route = Route(body=body, **options)  # type: ignore[arg-type]
        with self._lock:
            self._routes[path] = route
        return route

    def override(self, path: str, body: bytes = b"", **options: object) -> Route:
        """Answer every request to ``path``, whatever its query string, with this route."""
        route = Route(body=body, **options)  # type: ignore[arg-type]
        with self._lock:
            self._overrides[path] = route
        return route

    def route(self, path: str) -> Route:
        """The route registered at ``path``."""
        return self._routes[path]

    def set_body(self, path: str, body: bytes) -> None:
        """Replace the body served at ``path`` (a new version, with new validators)."""
        self._routes[path].set_body(body)

    def requests(self, path: str | None = None) -> list[LoggedRequest]:
        """Requests seen so far, optionally only those for ``path`` (query string included)."""
        with self._lock:
            return [r for r in self._log if path is None or r.path == path]

    def arrivals(self, path: str) -> int:
        """How many requests for ``path`` reached the server, answered yet or not."""
        with self._lock:
            return sum(1 for seen, step in self._events if seen == path and step > 0)

    def max_in_flight(self, prefix: str = "/") -> int:
        """The most requests under ``prefix`` the server was ever answering at the same time."""
        current = highest = 0
        with self._lock:
            events = list(self._events)
        for path, step in events:
            if path.startswith(prefix):
                current += step
                highest = max(highest, current)
        return highest

    # Called from handler threads.
    def _lookup(self, path: str) -> Route | None:
        bare = path.split("?", 1)[0]
        with self._lock:
            return self._overrides.get(bare) or self._routes.get(path) or self._routes.get(bare)

    def _record(self, path: str, step: int) -> None:
        with self._lock:
            self._events.append((path, step))

    def _log_request(self, request: LoggedRequest) -> None:
        with self._lock:
            self._log.append(request)


def _is_not_modified(route: Route, headers: dict[str, str]) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    if not route.conditional:
        return False
    etag = route.current_etag()
    if "if-none-match" in headers:
        wanted = {tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")}
        return etag is not None and ("*" in wanted or etag in wanted)
    since, modified = headers.get("if-modified-since"), route.current_last_modified()
    if since and modified:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore clients closing their connections (normal for keep-alive); report the rest."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class _Outgoing:
    """An answer decided but not yet written."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    body_allowed: bool = True  # False for 304: no Content-Length either
    chunked: bool = False
    truncate_at: int | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FeedServer/1"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        """Answer a POST like a GET (APIs' token and session endpoints), keeping its body."""
        self.do_GET()

    def do_GET(self) -> None:
        """Answer from the route table, logging the request."""
        owner: FeedServer = self.server.feed_server  # type: ignore[attr-defined]
        headers = {key.lower(): value for key, value in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        sent = self.rfile.read(length) if length else b""
        owner._record(self.path, +1)
        route = owner._lookup(self.path)
        if route is None:
            outgoing = _Outgoing(404, {"Content-Type": "text/plain"}, b"no such route\n")
        else:
            if route.delay:
                owner.stopping.wait(route.delay)
            outgoing = _decide(owner, route, headers)
        # Logged before writing: once the client has its answer, the log already shows it,
        # and the request no longer counts as in flight when the client sends the next one.
        owner._log_request(
            LoggedRequest(
                self.command, self.path, headers, outgoing.status, sent, self.client_address[1]
            )
        )
        owner._record(self.path, -1)
        try:
            self._write(outgoing)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout, size cap)

    def _write(self, outgoing: _Outgoing) -> None:
        self.send_response(outgoing.status)
        for key, value in outgoing.headers.items():
            self.send_header(key, value)
        body = outgoing.body
        if outgoing.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif outgoing.body_allowed:
            self.send_header("Content-Length", str(len(body)))
        if outgoing.truncate_at is not None:
            self.send_header("Connection", "close")
            body = body[: outgoing.truncate_at]
            self.close_connection = True  # the promised rest never comes
        self.end_headers()
        if outgoing.chunked:
            for start in range(0, len(body), 16384):
                piece = body[start : start + 16384]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)
        self.wfile.flush()


def _decide(owner: FeedServer, route: Route, headers: dict[str, str]) -> _Outgoing:
    """What a route answers to one request."""
    if route.queued:
        reply = route.queued.popleft()
        return _Outgoing(reply.status, reply.headers, reply.body)
    if route.redirect_to is not None:
        target = route.redirect_to
        location = owner.url(target) if target.startswith("/") else target
        status = route.status if 300 <= route.status < 400 else 301
        return _Outgoing(status, {"Location": location})
    validators = {"ETag": route.current_etag(), "Last-Modified": route.current_last_modified()}
    present = {key: value for key, value in validators.items() if value is not None}
    if _is_not_modified(route, headers):
        return _Outgoing(304, present | route.headers, body_allowed=False)
    sent_headers = {"Content-Type": route.content_type} | present | route.headers
    body = route.body
    if route.gzip:
        body = gzip.compress(body)
        sent_headers["Content-Encoding"] = "gzip"
    return _Outgoing(
        route.status, sent_headers, body, chunked=route.chunked, truncate_at=route.truncate_at
    )
