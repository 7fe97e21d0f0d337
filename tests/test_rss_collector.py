"""RssCollector against a real HTTP server: conditional passes, moves, hashes, errors, options."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from tests.support.feedserver import FeedServer
from veille.collectors.rss import RssCollector, RssOptions
from veille.errors import ConfigError, FatalSourceError
from veille.fetch import Fetcher
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

GOLDEN = Path(__file__).parent / "golden" / "rss"
NEWS = (GOLDEN / "fr_news_rss2.xml").read_bytes()  # 3 items, <ttl>30</ttl>
BLOG = (GOLDEN / "wordpress_blog.xml").read_bytes()  # 2 items
SETTINGS = HttpSettings(backoff_seconds=0, connect_timeout=2, read_timeout=5, retries=1)


async def collect(url: str, state: SourceState, **options: object) -> Collected:
    collector = RssCollector("eco-du-jour", {"url": url, **options})
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(fetcher, state, query=None, since=None)


async def test_first_pass_returns_mentions_and_state(feed_server: FeedServer) -> None:
    route = feed_server.add("/rss.xml", NEWS)
    collected = await collect(feed_server.url("/rss.xml"), SourceState(cursor="kept"))
    assert [m.guid for m in collected.mentions] == [
        "eco-du-jour-1234",
        "eco-du-jour-1230",
        "https://www.eco-du-jour.example/entreprises/orange-greve_1228.html",
    ]
    assert all(m.source == "eco-du-jour" for m in collected.mentions)
    assert collected.state == SourceState(
        url=None,
        etag=route.current_etag(),
        last_modified=route.current_last_modified(),
        content_hash=hashlib.sha256(NEWS).hexdigest(),
        cursor="kept",
    )
    assert not collected.not_modified and collected.warning is None
    assert (collected.requests, collected.bytes_received) == (1, len(NEWS))
    assert collected.ttl_seconds == 30 * 60
    assert "application/rss+xml" in feed_server.requests("/rss.xml")[0].headers["accept"]


async def test_second_pass_is_not_modified(feed_server: FeedServer) -> None:
    feed_server.add("/rss.xml", NEWS)
    first = await collect(feed_server.url("/rss.xml"), SourceState())
    second = await collect(feed_server.url("/rss.xml"), first.state)
    assert second.not_modified and second.mentions == []
    assert second.state is first.state
    assert feed_server.requests("/rss.xml")[-1].headers["if-none-match"] == first.state.etag


async def test_changed_feed_gives_new_mentions(feed_server: FeedServer) -> None:
    feed_server.add("/rss.xml", NEWS)
    first = await collect(feed_server.url("/rss.xml"), SourceState())
    feed_server.set_body("/rss.xml", BLOG)
    second = await collect(feed_server.url("/rss.xml"), first.state)
    assert len(second.mentions) == 2 and second.mentions[0].platform == "blog"
    assert second.state.etag != first.state.etag
    assert second.state.content_hash == hashlib.sha256(BLOG).hexdigest()


async def test_same_body_behind_new_validators_counts_as_not_modified(
    feed_server: FeedServer,
) -> None:
    route = feed_server.add("/rss.xml", NEWS, etag='"build-1"', conditional=False)
    first = await collect(feed_server.url("/rss.xml"), SourceState())
    route.etag = '"build-2"'  # a server that changes its ETag on every deploy
    second = await collect(feed_server.url("/rss.xml"), first.state)
    assert [r.status for r in feed_server.requests("/rss.xml")] == [200, 200]
    assert second.not_modified and second.mentions == []
    assert second.state.etag == '"build-2"'
    assert second.state.content_hash == first.state.content_hash


async def test_permanent_move_is_remembered_and_used(feed_server: FeedServer) -> None:
    feed_server.add("/old.xml", redirect_to="/rss.xml", status=301)
    feed_server.add("/rss.xml", NEWS)
    first = await collect(feed_server.url("/old.xml"), SourceState())
    assert first.state.url == feed_server.url("/rss.xml")
    assert len(first.mentions) == 3
    # Said on the pass that finds the move, for the configuration to be updated.
    assert first.warning == (
        f"the feed moved permanently to {feed_server.url('/rss.xml')}; veille reads it there "
        "from now on: put that address in the configuration"
    )
    second = await collect(feed_server.url("/old.xml"), first.state)
    assert second.not_modified and second.state.url == feed_server.url("/rss.xml")
    assert second.warning is None
    assert len(feed_server.requests("/old.xml")) == 1  # the second pass went straight there


async def test_move_discovered_on_a_not_modified_pass_is_kept(feed_server: FeedServer) -> None:
    route = feed_server.add("/rss.xml", NEWS)
    feed_server.add("/old.xml", redirect_to="/rss.xml", status=308)
    state = SourceState(etag=route.current_etag())
    collected = await collect(feed_server.url("/old.xml"), state)
    assert collected.not_modified
    assert collected.state == SourceState(url=feed_server.url("/rss.xml"), etag=state.etag)


async def test_temporary_redirect_does_not_move_the_source(feed_server: FeedServer) -> None:
    feed_server.add("/rss.xml", redirect_to="/today.xml", status=302)
    feed_server.add("/today.xml", NEWS)
    collected = await collect(feed_server.url("/rss.xml"), SourceState())
    assert collected.state.url is None and len(collected.mentions) == 3


async def test_cache_control_can_ask_for_a_longer_pause(feed_server: FeedServer) -> None:
    feed_server.add("/rss.xml", NEWS, headers={"Cache-Control": "public, max-age=7200"})
    collected = await collect(feed_server.url("/rss.xml"), SourceState())
    assert collected.ttl_seconds == 7200


def _http_date(from_now: timedelta) -> str:
    return format_datetime(datetime.now(UTC) + from_now, usegmt=True)


@pytest.mark.parametrize(
    ("expires_in", "cache_control", "seconds"),
    [
        (timedelta(hours=2), None, 7200),
        (timedelta(hours=-1), None, None),
        (None, None, None),
        (timedelta(days=3), "max-age=600", 600),
    ],
    ids=["expires-in-two-hours", "already-expired", "unreadable", "max-age-wins"],
)
async def test_expires_can_ask_for_a_longer_pause(
    feed_server: FeedServer,
    expires_in: timedelta | None,
    cache_control: str | None,
    seconds: int | None,
) -> None:
    # Counted from the answer's Date (the server's clock: now); the feed has no <ttl> here.
    headers = {"Expires": _http_date(expires_in) if expires_in is not None else "0"}
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    feed_server.add("/rss.xml", NEWS.replace(b"<ttl>30</ttl>", b""), headers=headers)
    collected = await collect(feed_server.url("/rss.xml"), SourceState())
    if seconds in (None, 600):
        assert collected.ttl_seconds == seconds
    else:
        assert (
            collected.ttl_seconds is not None and seconds - 60 <= collected.ttl_seconds <= seconds
        )


async def test_gone_feed_raises_the_fetcher_error(feed_server: FeedServer) -> None:
    feed_server.add("/rss.xml", b"", status=410)
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server.url("/rss.xml"), SourceState())
    assert (caught.value.status, caught.value.source) == (410, "eco-du-jour")


async def test_web_page_instead_of_feed_is_fatal(feed_server: FeedServer) -> None:
    page = b"<!DOCTYPE html><html><body><a href='/rss.xml'>RSS</a></body></html>"
    feed_server.add("/", page, content_type="text/html; charset=utf-8")
    with pytest.raises(FatalSourceError, match="not a feed"):
        await collect(feed_server.url("/"), SourceState())


async def test_declared_options_reach_the_mentions(feed_server: FeedServer) -> None:
    feed_server.add("/rss.xml", NEWS)
    collected = await collect(
        feed_server.url("/rss.xml"), SourceState(), platform="press", language="fr"
    )
    assert {(m.platform, m.lang_hint) for m in collected.mentions} == {("press", "fr")}


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"url": "ftp://feeds.example/rss.xml"}, "http"),
        ({"url": "feeds.example/rss.xml"}, "http"),
        ({}, "url"),
        ({"url": "https://feeds.example/rss.xml", "lang": "fr"}, "lang"),
    ],
)
def test_invalid_options_are_a_config_error(options: dict[str, object], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint) as caught:
        RssCollector("eco-du-jour", options)
    assert "eco-du-jour" in str(caught.value)
    assert caught.value.hint and "url" in caught.value.hint


def test_options_from_another_model_are_validated() -> None:
    class LooseOptions(BaseModel):
        url: str
        platform: str | None = None

    collector = RssCollector("s", LooseOptions(url=" https://feeds.example/rss.xml "))
    assert collector.options == RssOptions(url="https://feeds.example/rss.xml")
