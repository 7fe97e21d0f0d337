"""Fetcher failures against a real HTTP server: retries, timeouts, size caps, fatal statuses."""

from __future__ import annotations

import gzip
import socket

import pytest

from tests.support.feedserver import FeedServer
from tests.test_fetch import FEED, fast_settings, fetch_once
from veille.errors import FatalSourceError, TransientSourceError


async def test_server_error_then_success_is_retried(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED).queue(500).queue(502)
    result = await fetch_once(feed_server.url("/feed.xml"))
    assert result.body == FEED
    assert result.requests == 3
    assert [r.status for r in feed_server.requests("/feed.xml")] == [500, 502, 200]


async def test_server_error_forever_is_transient(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", b"oops", status=500)
    url = feed_server.url("/feed.xml")
    with pytest.raises(TransientSourceError) as caught:
        await fetch_once(url, fast_settings(retries=2))
    error = caught.value
    assert (error.status, error.source, error.url) == (500, "test-source", url)
    assert "HTTP 500" in error.message and "3 attempts" in error.message
    assert error.hint
    assert len(feed_server.requests("/feed.xml")) == 3


async def test_slow_server_hits_the_read_timeout(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED, delay=3.0)
    with pytest.raises(TransientSourceError, match="timed out") as caught:
        await fetch_once(feed_server.url("/feed.xml"), fast_settings(read_timeout=0.2, retries=1))
    assert caught.value.status is None
    assert feed_server.arrivals("/feed.xml") == 2


async def test_slow_server_hits_the_total_deadline(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED, delay=3.0)
    settings = fast_settings(read_timeout=10.0, total_timeout=0.3, retries=0)
    with pytest.raises(TransientSourceError, match=r"within 0\.3 s"):
        await fetch_once(feed_server.url("/feed.xml"), settings)


async def test_truncated_body_is_transient(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED * 20, truncate_at=100)
    with pytest.raises(TransientSourceError, match="closed before") as caught:
        await fetch_once(feed_server.url("/feed.xml"), fast_settings(retries=1))
    assert "truncated" in (caught.value.hint or "")
    assert len(feed_server.requests("/feed.xml")) == 2


async def test_refused_connection_is_transient() -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientSourceError, match="could not connect"):
        await fetch_once(f"http://127.0.0.1:{port}/feed.xml", fast_settings(retries=0))


async def test_large_content_length_is_refused_before_reading(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", b"x" * 5000)
    with pytest.raises(FatalSourceError, match="Content-Length says 5000") as caught:
        await fetch_once(feed_server.url("/feed.xml"), fast_settings(max_body_bytes=2048))
    assert caught.value.hint and "max_body_bytes" in caught.value.hint
    assert len(feed_server.requests("/feed.xml")) == 1  # not retried


async def test_large_chunked_body_is_cut_while_reading(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", b"x" * 50_000, chunked=True)
    with pytest.raises(FatalSourceError, match="cut while reading"):
        await fetch_once(feed_server.url("/feed.xml"), fast_settings(max_body_bytes=2048))


async def test_gzip_bomb_is_cut_on_decoded_size(feed_server: FeedServer) -> None:
    inflated = b"\0" * 5_000_000
    assert len(gzip.compress(inflated)) < 100_000  # the wire size alone would pass the cap
    feed_server.add("/feed.xml", inflated, gzip=True)
    with pytest.raises(FatalSourceError, match="larger than 100000 bytes"):
        await fetch_once(feed_server.url("/feed.xml"), fast_settings(max_body_bytes=100_000))


async def test_body_exactly_at_the_cap_is_accepted(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", b"x" * 2048, chunked=True)
    result = await fetch_once(feed_server.url("/feed.xml"), fast_settings(max_body_bytes=2048))
    assert len(result.body) == 2048


async def test_gone_is_fatal(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", b"", status=410)
    with pytest.raises(FatalSourceError) as caught:
        await fetch_once(feed_server.url("/feed.xml"))
    assert caught.value.status == 410
    assert "gone" in (caught.value.hint or "")
    assert len(feed_server.requests("/feed.xml")) == 1


@pytest.mark.parametrize(
    ("status", "hint_word"), [(401, "credentials"), (403, "refuses"), (404, "URL"), (400, "URL")]
)
async def test_client_errors_are_fatal_with_a_hint(
    feed_server: FeedServer, status: int, hint_word: str
) -> None:
    feed_server.add("/feed.xml", b"", status=status)
    url = feed_server.url("/feed.xml")
    with pytest.raises(FatalSourceError) as caught:
        await fetch_once(url)
    assert (caught.value.status, caught.value.url) == (status, url)
    assert f"HTTP {status}" in caught.value.message and "test-source" in caught.value.message
    assert hint_word in (caught.value.hint or "")


async def test_short_retry_after_is_waited_and_retried(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED).queue(429, headers={"Retry-After": "1"})
    result = await fetch_once(feed_server.url("/feed.xml"))
    assert result.body == FEED
    assert [r.status for r in feed_server.requests("/feed.xml")] == [429, 200]


async def test_long_retry_after_is_left_to_a_later_pass(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED).queue(429, headers={"Retry-After": "3600"})
    with pytest.raises(TransientSourceError) as caught:
        await fetch_once(feed_server.url("/feed.xml"))
    assert (caught.value.status, caught.value.retry_after) == (429, 3600.0)
    assert len(feed_server.requests("/feed.xml")) == 1


async def test_unavailable_without_retries_left_reports_retry_after(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/feed.xml", FEED).queue(503, headers={"Retry-After": "1"})
    with pytest.raises(TransientSourceError) as caught:
        await fetch_once(feed_server.url("/feed.xml"), fast_settings(retries=0))
    assert (caught.value.status, caught.value.retry_after) == (503, 1.0)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/feed.xml", "127.0.0.1/feed.xml"])
async def test_non_http_url_is_fatal(url: str) -> None:
    with pytest.raises(FatalSourceError, match="cannot fetch") as caught:
        await fetch_once(url)
    assert caught.value.url == url
