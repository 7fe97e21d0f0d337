"""Fetcher against a real HTTP server: validators, conditional GET, redirects, limits."""

from __future__ import annotations

import asyncio
import gzip

import httpx
import pytest

from tests.support.feedserver import FeedServer
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher, FetchResult
from veille.fetch._fetcher import DRAINED_BODY_BYTES
from veille.settings import HttpSettings

FEED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Danone'
    b"</title><item><title>Danone publie ses ventes</title></item></channel></rss>\n"
)


def fast_settings(**overrides: object) -> HttpSettings:
    """Small timeouts and no backoff, so failure tests stay quick."""
    values: dict[str, object] = {
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 5.0,
        "backoff_seconds": 0.0,
        "retries": 2,
        "max_retry_after": 2.0,
    }
    return HttpSettings.model_validate(values | overrides)


async def fetch_once(
    url: str, settings: HttpSettings | None = None, **kwargs: object
) -> FetchResult:
    async with Fetcher(settings or fast_settings()) as fetcher:
        return await fetcher.fetch(url, source="test-source", **kwargs)  # type: ignore[arg-type]


async def test_200_returns_body_headers_and_validators(feed_server: FeedServer) -> None:
    route = feed_server.add("/feed.xml", FEED)
    result = await fetch_once(feed_server.url("/feed.xml"))
    assert result.status == 200
    assert result.body == FEED
    assert result.url == result.final_url == feed_server.url("/feed.xml")
    assert result.etag == route.current_etag()
    assert result.last_modified == route.current_last_modified()
    assert result.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert (result.not_modified, result.moved_to) == (False, None)
    assert (result.requests, result.bytes_received) == (1, len(FEED))


async def test_second_pass_with_validators_is_not_modified(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED)
    url = feed_server.url("/feed.xml")
    first = await fetch_once(url)
    second = await fetch_once(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304
    assert second.body == b""
    assert (second.etag, second.last_modified) == (first.etag, first.last_modified)
    sent = feed_server.requests("/feed.xml")[-1].headers
    assert sent["if-none-match"] == first.etag
    assert sent["if-modified-since"] == first.last_modified


async def test_if_modified_since_alone_gives_304(feed_server: FeedServer) -> None:
    route = feed_server.add("/feed.xml", FEED, etag=False)
    result = await fetch_once(
        feed_server.url("/feed.xml"), last_modified=route.current_last_modified()
    )
    assert result.not_modified
    assert result.etag is None


async def test_304_without_validators_keeps_the_ones_sent(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED).queue(304)
    result = await fetch_once(feed_server.url("/feed.xml"), etag='"v1"', last_modified="Mon")
    assert result.not_modified
    assert (result.etag, result.last_modified) == ('"v1"', "Mon")


async def test_changed_body_is_fetched_again(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED)
    url = feed_server.url("/feed.xml")
    first = await fetch_once(url)
    feed_server.set_body("/feed.xml", FEED.replace(b"Danone", b"Michelin"))
    second = await fetch_once(url, etag=first.etag, last_modified=first.last_modified)
    assert second.status == 200 and not second.not_modified
    assert b"Michelin" in second.body
    assert second.etag != first.etag


async def test_user_agent_and_extra_headers_are_sent(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED)
    settings = fast_settings(user_agent="veille-test/1 (+https://veille.invalid)")
    await fetch_once(feed_server.url("/feed.xml"), settings, headers={"Accept": "text/xml"})
    sent = feed_server.requests("/feed.xml")[0].headers
    assert sent["user-agent"] == "veille-test/1 (+https://veille.invalid)"
    assert sent["accept"] == "text/xml"
    assert "if-none-match" not in sent


async def test_only_the_codings_veille_undoes_are_asked_for(feed_server: FeedServer) -> None:
    # httpx would add br and zstd when their packages are importable; the body reader does not
    # undo them, so a server choosing brotli would send a feed that cannot be read.
    feed_server.add("/feed.xml", FEED)
    await fetch_once(feed_server.url("/feed.xml"))
    assert feed_server.requests("/feed.xml")[0].headers["accept-encoding"] == "gzip, deflate"


async def test_a_compression_sent_unasked_is_named(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", b"\x1b\x00\xf8\xff", headers={"Content-Encoding": "br"})
    with pytest.raises(TransientSourceError, match="compressed with 'br', which was not asked"):
        await fetch_once(feed_server.url("/feed.xml"))
    # A misconfigured header naming no compression is read as it comes, as httpx reads it.
    feed_server.add("/plain.xml", FEED, headers={"Content-Encoding": "utf-8"})
    assert (await fetch_once(feed_server.url("/plain.xml"))).body == FEED


async def test_gzip_body_is_decoded(feed_server: FeedServer) -> None:
    body = FEED * 200
    feed_server.add("/feed.xml", body, gzip=True)
    result = await fetch_once(feed_server.url("/feed.xml"))
    assert result.body == body
    assert result.bytes_received == len(gzip.compress(body))


async def test_permanent_redirect_chain_is_reported(feed_server: FeedServer) -> None:
    feed_server.add("/old", redirect_to="/older", status=301)
    feed_server.add("/older", redirect_to="/feed.xml", status=308)
    feed_server.add("/feed.xml", FEED)
    result = await fetch_once(feed_server.url("/old"))
    assert result.body == FEED
    assert result.moved_to == result.final_url == feed_server.url("/feed.xml")
    assert result.url == feed_server.url("/old")
    assert result.requests == 3


async def test_temporary_redirect_ends_the_permanent_chain(feed_server: FeedServer) -> None:
    feed_server.add("/old", redirect_to="/moved", status=301)
    feed_server.add("/moved", redirect_to="/today", status=302)
    feed_server.add("/today", FEED)
    result = await fetch_once(feed_server.url("/old"))
    assert result.final_url == feed_server.url("/today")
    assert result.moved_to == feed_server.url("/moved")


async def test_temporary_redirect_first_means_not_moved(feed_server: FeedServer) -> None:
    feed_server.add("/feed", redirect_to="/elsewhere", status=307)
    feed_server.add("/elsewhere", redirect_to="/feed.xml", status=301)
    feed_server.add("/feed.xml", FEED)
    result = await fetch_once(feed_server.url("/feed"))
    assert result.body == FEED
    assert result.moved_to is None


async def test_relative_location_is_resolved(feed_server: FeedServer) -> None:
    feed_server.add("/news/old.xml").queue(301, headers={"Location": "feed.xml"})
    feed_server.add("/news/feed.xml", FEED)
    result = await fetch_once(feed_server.url("/news/old.xml"))
    assert result.moved_to == feed_server.url("/news/feed.xml")


async def test_redirect_loop_is_fatal(feed_server: FeedServer) -> None:
    feed_server.add("/a", redirect_to="/b", status=301)
    feed_server.add("/b", redirect_to="/a", status=302)
    with pytest.raises(FatalSourceError, match="redirect loop") as caught:
        await fetch_once(feed_server.url("/a"))
    assert caught.value.source == "test-source"
    assert caught.value.hint


async def test_too_many_redirects_is_fatal(feed_server: FeedServer) -> None:
    for hop in range(4):
        feed_server.add(f"/hop{hop}", redirect_to=f"/hop{hop + 1}", status=302)
    feed_server.add("/hop4", FEED)
    with pytest.raises(FatalSourceError, match="more than 2 redirects"):
        await fetch_once(feed_server.url("/hop0"), fast_settings(max_redirects=2))
    assert len(feed_server.requests("/hop4")) == 0
    result = await fetch_once(feed_server.url("/hop0"), fast_settings(max_redirects=4))
    assert result.body == FEED


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd"])
async def test_redirect_to_other_scheme_is_refused(feed_server: FeedServer, location: str) -> None:
    feed_server.add("/feed.xml").queue(302, headers={"Location": location})
    with pytest.raises(FatalSourceError, match="refusing to follow") as caught:
        await fetch_once(feed_server.url("/feed.xml"))
    assert caught.value.status == 302


async def test_credentials_stay_on_their_origin(feed_server: FeedServer) -> None:
    with FeedServer() as other:
        other.add("/feed.xml", FEED)
        feed_server.add("/same", redirect_to="/cross", status=302)
        feed_server.add("/cross", redirect_to=other.url("/feed.xml"), status=302)
        token = {"Authorization": "Bearer secret-token"}
        await fetch_once(feed_server.url("/same"), headers=token)
        assert feed_server.requests("/cross")[0].headers["authorization"] == "Bearer secret-token"
        assert "authorization" not in other.requests("/feed.xml")[0].headers


@pytest.mark.parametrize(("concurrency", "per_host"), [(10, 2), (2, 10)])
async def test_concurrency_limits_are_honoured(
    feed_server: FeedServer, concurrency: int, per_host: int
) -> None:
    for index in range(5):
        feed_server.add(f"/slow/{index}", FEED, delay=0.4)
    settings = fast_settings(concurrency=concurrency, per_host=per_host)
    async with Fetcher(settings) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(feed_server.url(f"/slow/{i}"), source="s") for i in range(5))
        )
    assert all(result.body == FEED for result in results)
    assert feed_server.max_in_flight("/slow/") == 2


async def test_a_host_s_requests_reuse_their_connections_across_the_pools(
    feed_server: FeedServer,
) -> None:
    for index in range(8):
        feed_server.add(f"/slow/{index}", FEED, delay=0.2)
    # 40 connections at most: five pools of eight; four requests at a time on the one host.
    settings = fast_settings(concurrency=40, per_host=4)
    async with Fetcher(settings) as fetcher:
        for _ in range(3):  # three waves of eight requests, four at a time
            await asyncio.gather(
                *(fetcher.fetch(feed_server.url(f"/slow/{i}"), source="s") for i in range(8))
            )
    seen = [r for r in feed_server.requests() if r.path.startswith("/slow/")]
    ports = {request.client_port for request in seen}
    assert len(seen) == 24
    # Never more connections than requests in flight to the host: the i-th request in flight
    # goes through the same pool each time and finds its connection there.
    assert len(ports) <= 4, ports
    assert feed_server.max_in_flight("/slow/") == 4


async def test_not_modified_answers_leave_their_connection_for_the_next_request(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/feed.xml", FEED)
    url = feed_server.url("/feed.xml")
    async with Fetcher(fast_settings(concurrency=1, per_host=1)) as fetcher:
        first = await fetcher.fetch(url, source="s")
        again = [await fetcher.fetch(url, source="s", etag=first.etag) for _ in range(3)]
    assert [result.status for result in again] == [304, 304, 304]
    # A re-poll is mostly 304s: each must not cost a new connection (a TLS handshake).
    assert len({request.client_port for request in feed_server.requests("/feed.xml")}) == 1


async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    connections = 0

    async def answer_once_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # Keep-alive as far as the client knows (no "Connection: close"), then closed, as a
        # server does when its idle timeout is shorter than the client's.
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(FEED)}\r\n\r\n".encode()
        writer.write(head + FEED)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    # No retry: a request sent on the dead connection would fail, not be tried again.
    settings = fast_settings(concurrency=1, per_host=1, retries=0)
    try:
        async with Fetcher(settings) as fetcher:
            first = await fetcher.fetch(url, source="s")
            await asyncio.sleep(0.1)  # the server's close reaches the idle connection
            second = await fetcher.fetch(url, source="s")
    finally:
        server.close()
        await server.wait_closed()
    assert [first.body, second.body] == [FEED, FEED]
    assert connections == 2


async def test_a_redirect_s_body_is_read_so_its_connection_is_reused(
    feed_server: FeedServer,
) -> None:
    moved = b"<html><body>This feed has moved.</body></html>" * 20
    old = feed_server.add("/old", FEED)
    for _ in range(2):
        old.queue(302, headers={"Location": feed_server.url("/feed.xml")}, body=moved)
    feed_server.add("/feed.xml", FEED)
    async with Fetcher(fast_settings(concurrency=1, per_host=1)) as fetcher:
        results = [await fetcher.fetch(feed_server.url("/old"), source="s") for _ in range(2)]
    assert [result.body for result in results] == [FEED, FEED]
    ports = {request.client_port for request in feed_server.requests()}
    assert len(ports) == 1, ports


async def test_a_large_body_beside_a_redirect_is_not_read(feed_server: FeedServer) -> None:
    # Past DRAINED_BODY_BYTES the connection is given up rather than the body read.
    huge = b"x" * (DRAINED_BODY_BYTES * 4)
    feed_server.add("/old", FEED).queue(
        301, headers={"Location": feed_server.url("/feed.xml")}, body=huge
    )
    feed_server.add("/feed.xml", FEED)
    result = await fetch_once(feed_server.url("/old"), fast_settings(concurrency=1, per_host=1))
    assert result.body == FEED and result.moved_to == feed_server.url("/feed.xml")
    assert result.bytes_received < len(huge)


class CountingTransport(httpx.AsyncHTTPTransport):
    """The real network transport, counting the requests it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.handled = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.handled += 1
        return await super().handle_async_request(request)


async def test_injected_transport_is_used(feed_server: FeedServer) -> None:
    feed_server.add("/old", redirect_to="/feed.xml", status=301)
    feed_server.add("/feed.xml", FEED)
    transport = CountingTransport()
    async with Fetcher(fast_settings(), transport=transport) as fetcher:
        result = await fetcher.fetch(feed_server.url("/old"), source="s")
    assert result.body == FEED
    assert transport.handled == result.requests == 2


async def test_fetch_outside_context_manager_is_a_programming_error() -> None:
    fetcher = Fetcher(fast_settings())
    with pytest.raises(RuntimeError, match="async with"):
        await fetcher.fetch("http://127.0.0.1:9/feed.xml", source="s")


async def test_post_sends_its_body_and_a_303_continues_with_get(feed_server: FeedServer) -> None:
    feed_server.add("/token", b'{"access_token": "t"}', content_type="application/json")
    feed_server.add("/session", redirect_to="/token", status=303)
    async with Fetcher(HttpSettings(retries=0)) as fetcher:
        result = await fetcher.fetch(
            feed_server.url("/token"), source="s", method="POST", content=b"grant_type=x"
        )
        assert result.body == b'{"access_token": "t"}'
        await fetcher.fetch(feed_server.url("/session"), source="s", method="POST", content=b"a")
    first, redirected, followed = feed_server.requests()
    assert (first.method, first.body) == ("POST", b"grant_type=x")
    assert (redirected.method, redirected.status) == ("POST", 303)
    assert (followed.method, followed.body) == ("GET", b"")


async def test_error_answers_keep_their_start_and_headers(feed_server: FeedServer) -> None:
    body = b'{"error": {"errors": [{"reason": "quotaExceeded"}]}}'
    feed_server.add("/api", body, status=403, headers={"X-RateLimit-Remaining": "0"})
    async with Fetcher(HttpSettings(retries=0)) as fetcher:
        with pytest.raises(FatalSourceError) as caught:
            await fetcher.fetch(feed_server.url("/api"), source="s")
    assert caught.value.body == body
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
