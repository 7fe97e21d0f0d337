"""A feed world served over HTTP on 127.0.0.1: N generated feeds, latency, validators, faults.

One asyncio server (stdlib only) in its own process, so that it never competes with the
client it serves for the interpreter lock. HTTP/1.1 with keep-alive; every feed has a strong
ETag and a Last-Modified and answers 304 when either validator matches. Each request waits
``latency`` seconds before its answer, as a distant server would. Optional faults, chosen per
feed by a seeded draw: a 503 with ``Retry-After: 1`` (once, then the feed answers normally),
a slow answer (``slow_seconds`` more, every time) and a truncated body (the whole length
announced, half of it sent, once). ``GET /_stats`` answers the counters as JSON and
``GET /_reset`` zeroes them; neither waits nor counts. ``/probe/N.xml`` serves feed N without
its faults, to measure the server itself.

    with FeedWorld(feeds=1000, items=20, latency=0.1) as world:
        urls = world.feed_urls()
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from types import TracebackType

from benchmarks.feedworld import make_feed

_LAST_MODIFIED = format_datetime(
    parsedate_to_datetime("Mon, 02 Nov 2026 08:00:00 GMT"), usegmt=True
)


@dataclass(frozen=True)
class WorldSpec:
    """What the world serves and how it misbehaves."""

    feeds: int = 1000
    items: int = 20
    mention_share: float = 0.3
    templated: bool = False  # feedworld's repetitive sentences (see its docstring)
    latency: float = 0.1
    error_share: float = 0.0  # feeds answering 503 + Retry-After once
    slow_share: float = 0.0  # feeds answering slow_seconds later than the others
    slow_seconds: float = 1.0
    truncate_share: float = 0.0  # feeds cutting their body short once
    seed: int = 0


@dataclass
class Stats:
    """What the server answered since the last reset."""

    requests: int = 0
    bytes_sent: int = 0  # status lines, headers and bodies
    statuses: Counter[int] = field(default_factory=Counter)

    def as_json(self) -> bytes:
        """The counters as a JSON document."""
        data = asdict(self) | {"statuses": {str(k): v for k, v in self.statuses.items()}}
        return json.dumps(data).encode()


@dataclass
class _Feed:
    body: bytes
    etag: str
    error_once: bool = False
    slow: bool = False
    truncate_once: bool = False


def _build(spec: WorldSpec) -> dict[str, _Feed]:
    rng = random.Random(spec.seed)
    feeds: dict[str, _Feed] = {}
    for index in range(spec.feeds):
        body = make_feed(
            index, spec.items, spec.mention_share, seed=spec.seed, templated=spec.templated
        )
        feeds[f"/feeds/{index}.xml"] = _Feed(
            body=body,
            etag='"' + hashlib.sha1(body).hexdigest()[:20] + '"',
            error_once=rng.random() < spec.error_share,
            slow=rng.random() < spec.slow_share,
            truncate_once=rng.random() < spec.truncate_share,
        )
    return feeds


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{key}: {value}" for key, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _not_modified(feed: _Feed, request_headers: dict[str, str]) -> bool:
    if "if-none-match" in request_headers:
        tags = {
            tag.strip().removeprefix("W/") for tag in request_headers["if-none-match"].split(",")
        }
        return feed.etag in tags or "*" in tags
    since = request_headers.get("if-modified-since")
    if since:
        try:
            return parsedate_to_datetime(_LAST_MODIFIED) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _Server:
    def __init__(self, spec: WorldSpec) -> None:
        self.spec = spec
        self.feeds = _build(spec)
        self.stats = Stats()
        self.added = 0  # items every feed has gained since the start (see /_advance)

    def advance(self) -> None:
        """Every feed gains one item, its others unchanged (a new body and a new ETag)."""
        self.added += 1
        spec = self.spec
        for index in range(spec.feeds):
            body = make_feed(
                index, spec.items + self.added, spec.mention_share, seed=spec.seed,
                templated=spec.templated,
            )  # fmt: skip
            feed = self.feeds[f"/feeds/{index}.xml"]
            feed.body = body
            feed.etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                request_headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    key, _, value = line.decode("latin-1").partition(":")
                    request_headers[key.strip().lower()] = value.strip()
                path = request_line.split()[1].decode("latin-1")
                keep_alive = await self.answer(path, request_headers, writer)
                await writer.drain()
                if not keep_alive or request_headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, IndexError):
            pass  # a client closing or talking nonsense ends its connection only
        finally:
            writer.close()

    async def answer(
        self, path: str, request_headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> bool:
        """Write one answer; returns whether the connection stays open."""
        if path == "/_stats":
            self._write(writer, "200 OK", self.stats.as_json(), "application/json", count=False)
            return True
        if path == "/_advance":
            self.advance()
            self._write(writer, "200 OK", b"{}", "application/json", count=False)
            return True
        if path == "/_reset":
            self.stats = Stats()
            self._write(writer, "200 OK", b"{}", "application/json", count=False)
            return True
        if path.startswith("/probe/"):  # the same feeds without their faults
            plain = self.feeds.get(path.replace("/probe/", "/feeds/", 1))
            await asyncio.sleep(self.spec.latency)
            if plain is not None:
                self._write(writer, "200 OK", plain.body, "application/rss+xml; charset=utf-8")
                return True
        feed = self.feeds.get(path)
        await asyncio.sleep(
            self.spec.latency + (self.spec.slow_seconds if feed and feed.slow else 0)
        )
        if feed is None:
            self._write(writer, "404 Not Found", b"no such feed\n", "text/plain", status=404)
            return True
        if feed.error_once:
            feed.error_once = False
            self._write(
                writer, "503 Service Unavailable", b"busy\n", "text/plain", status=503,
                extra={"Retry-After": "1"},
            )  # fmt: skip
            return True
        validators = {"ETag": feed.etag, "Last-Modified": _LAST_MODIFIED}
        if _not_modified(feed, request_headers):
            head = _head("304 Not Modified", validators)
            self._count(304, len(head))
            writer.write(head)
            return True
        if feed.truncate_once:
            feed.truncate_once = False
            head = _head(
                "200 OK",
                {"Content-Type": "application/rss+xml; charset=utf-8", "Connection": "close"}
                | validators
                | {"Content-Length": str(len(feed.body))},
            )
            sent = head + feed.body[: len(feed.body) // 2]
            self._count(200, len(sent))
            writer.write(sent)
            return False
        self._write(writer, "200 OK", feed.body, "application/rss+xml; charset=utf-8",
                    extra=validators)  # fmt: skip
        return True

    def _count(self, status: int, size: int) -> None:
        self.stats.requests += 1
        self.stats.bytes_sent += size
        self.stats.statuses[status] += 1

    def _write(
        self,
        writer: asyncio.StreamWriter,
        status_line: str,
        body: bytes,
        content_type: str,
        *,
        status: int = 200,
        extra: dict[str, str] | None = None,
        count: bool = True,
    ) -> None:
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))} | (extra or {})
        data = _head(status_line, headers) + body
        if count:
            self._count(status, len(data))
        writer.write(data)


def _serve(spec: WorldSpec) -> None:
    async def main() -> None:
        server = _Server(spec)
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=4096)
        print(listener.sockets[0].getsockname()[1], flush=True)  # tells the parent the port
        async with listener:
            await listener.serve_forever()

    asyncio.run(main())


class FeedWorld:
    """The feed world in a child process; use as a context manager."""

    def __init__(self, spec: WorldSpec) -> None:
        self.spec = spec
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FeedWorld:
        root = Path(__file__).resolve().parents[1]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.feedserver_fast", json.dumps(asdict(self.spec))],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self._process.kill()
            raise RuntimeError("the feed world did not start")
        self.port = int(line)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def feed_urls(self) -> list[str]:
        """The URL of every feed, in order."""
        return [f"{self.base_url}/feeds/{index}.xml" for index in range(self.spec.feeds)]

    def stats(self, *, reset: bool = False) -> Stats:
        """The counters since the last reset (and zero them with ``reset``)."""
        import urllib.request

        with urllib.request.urlopen(f"{self.base_url}/_stats", timeout=10) as answer:
            data = json.load(answer)
        if reset:
            self.reset()
        return Stats(
            data["requests"],
            data["bytes_sent"],
            Counter({int(key): value for key, value in data["statuses"].items()}),
        )

    def advance(self) -> None:
        """Give every feed one more item, its other items unchanged."""
        import urllib.request

        with urllib.request.urlopen(f"{self.base_url}/_advance", timeout=120) as answer:
            answer.read()

    def reset(self) -> None:
        """Zero the counters."""
        import urllib.request

        with urllib.request.urlopen(f"{self.base_url}/_reset", timeout=10) as answer:
            answer.read()


async def _probe(port: int, paths: list[str], concurrency: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not queue.empty():
            path = queue.get_nowait()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(connection() for _ in range(min(concurrency, len(paths)))))


def probe_capacity(world: FeedWorld, concurrency: int) -> float:
    """Seconds a minimal keep-alive client takes to GET every feed once at ``concurrency``."""
    import time

    paths = [f"/probe/{index}.xml" for index in range(world.spec.feeds)]
    started = time.perf_counter()
    asyncio.run(_probe(world.port, paths, concurrency))
    return time.perf_counter() - started


if __name__ == "__main__":
    _serve(WorldSpec(**json.loads(sys.argv[1])))
