"""The ``hackernews`` collector against recorded Algolia answers served on 127.0.0.1."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.scenarios.hackernews import (
    HITS_PER_PAGE,
    JSON,
    SCENARIO,
    SEARCH_PATH,
    recorded,
    search_route,
)
from tests.support.feedserver import FeedServer, LoggedRequest
from tests.support.watermarks import asked_from
from veille.collectors.hackernews import HackerNewsCollector, HackerNewsOptions
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
REAL_SEARCH = EVAL_DIR / "payloads" / "hn_algolia" / "ajt10_hn_algolia_search.json"


def collector_for(server: FeedServer, **options: object) -> HackerNewsCollector:
    """A hackernews collector pointed at the local server (recorded pages of two hits)."""
    settings = {"base_url": server.base_url, "hitsPerPage": HITS_PER_PAGE} | options
    return HackerNewsCollector("hn-test", HackerNewsOptions(**settings))


async def collect(
    collector: HackerNewsCollector,
    state: SourceState | None = None,
    *,
    query: str = "danone",
    since: datetime | None = None,
) -> Collected:
    """One pass of the collector with a fresh fetcher."""
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(fetcher, state or SourceState(), query=query, since=since)


def searches(server: FeedServer) -> list[LoggedRequest]:
    """The search requests the server saw."""
    return [r for r in server.requests() if r.path.split("?")[0] == SEARCH_PATH]


def params(request: LoggedRequest) -> dict[str, str]:
    """The decoded query string of a logged request (one value per name)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(request.path).query).items()}


def by_id(collected: Collected) -> dict[object, object]:
    """Mentions by their objectID."""
    return {m.extra["platform_id"]: m for m in collected.mentions}


async def test_stories_and_comments_become_complete_mentions(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    collected = await collect(collector_for(feed_server))
    mentions = by_id(collected)
    assert set(mentions) == {"46510321", "46509877", "46508120", "46503377"}

    story = mentions["46510321"]
    assert story.source == "hn-test"
    assert story.platform == "hackernews"
    assert story.title == "Danone and Michelin open-source a shared supplier carbon ledger"
    assert story.url == "https://news.ycombinator.com/item?id=46510321"
    assert story.extra["story_url"] == "https://github.com/michelin/supplier-carbon-ledger"
    assert (story.author_name, story.author_handle) == ("pneumatix", "pneumatix")
    assert story.author_url == "https://news.ycombinator.com/user?id=pneumatix"
    assert story.published_at == datetime(2026, 1, 8, 10, 0, tzinfo=UTC)
    assert (story.site_name, story.site_url) == ("Hacker News", "https://news.ycombinator.com/")
    assert story.metrics == {"points": 184, "comments": 63}
    assert (story.engagement, story.reach) == (247, 247)
    assert normalize(story).identity == "id:hackernews:46510321"

    comment = mentions["46509877"]
    assert comment.title == ""  # judged on its own words, not on its story's title
    assert "travaillé chez Danone" in comment.content_html
    assert comment.extra["kind"] == "comment"
    assert comment.extra["story_title"] == "Danone bets on precision fermentation"
    assert comment.extra["story_id"] == 46508120
    assert comment.url == "https://news.ycombinator.com/item?id=46509877"
    assert comment.published_at == datetime(2026, 1, 8, 8, 0, tzinfo=UTC)
    assert comment.metrics == {} and comment.engagement is None and comment.reach is None

    ask = mentions["46503377"]
    assert ask.title.startswith("Ask HN: Is Orange fibre")
    assert "Blédina" in ask.content_html
    assert "story_url" not in ask.extra  # a text post links nowhere else


async def test_the_search_sends_plain_words_and_the_documented_parameters(
    feed_server: FeedServer,
) -> None:
    SCENARIO.serve(feed_server)
    await collect(collector_for(feed_server))
    first, second = searches(feed_server)
    assert params(first) == {
        "query": "danone",
        "tags": "(story,comment)",
        "hitsPerPage": "2",
        "page": "0",
    }
    assert params(second)["page"] == "1"


async def test_each_alternative_is_one_search_and_duplicates_are_merged(
    feed_server: FeedServer,
) -> None:
    SCENARIO.serve(feed_server)
    query = '(danone OR "eaux minérales") NOT yaourt'
    collected = await collect(collector_for(feed_server, max_pages=1), query=query)
    asked = [params(request)["query"] for request in searches(feed_server)]
    assert asked == ["danone", "eaux minérales"]
    assert len(collected.mentions) == 2  # both searches answered the same page


async def test_the_watermark_asks_only_for_newer_items(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    collector = collector_for(feed_server)
    first = await collect(collector)
    assert first.state.cursor == "2026-01-08T10:00:00+00:00"
    feed_server.add(
        search_route("danone", page=0, after_ts=int(asked_from(first.state.cursor).timestamp())),
        recorded("empty.json"),
        content_type=JSON,
    )
    second = await collect(collector, first.state)
    (request,) = searches(feed_server)[2:]
    assert params(request)["numericFilters"] == "created_at_i>1767864600"  # 30 min before
    assert second.mentions == []
    assert second.state == first.state


async def test_since_filters_both_remotely_and_locally(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    since = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
    collected = await collect(collector_for(feed_server, max_pages=1), since=since)
    (request,) = searches(feed_server)
    assert params(request)["numericFilters"] == "created_at_i>1767787200"
    assert all(m.published_at and m.published_at > since for m in collected.mentions)


async def test_the_last_page_ends_the_search(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    collected = await collect(collector_for(feed_server, max_pages=5))
    assert len(searches(feed_server)) == 2  # nbPages is 2
    assert collected.warning is None


async def test_hits_left_unread_are_reported(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    collected = await collect(collector_for(feed_server, max_pages=1))
    assert collected.warning and "about 2 older" in collected.warning


async def test_the_default_page_size_is_a_hundred(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, recorded("empty.json"), content_type=JSON)
    collector = HackerNewsCollector("hn-test", HackerNewsOptions(base_url=feed_server.base_url))
    collected = await collect(collector)
    (request,) = searches(feed_server)
    assert params(request)["hitsPerPage"] == "100"
    assert collected.mentions == [] and collected.warning is None


async def test_a_rejected_filter_is_fatal(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, recorded("invalid_filter.json"), status=400, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect(collector_for(feed_server))
    assert caught.value.status == 400


async def test_a_429_is_transient_with_retry_after(feed_server: FeedServer) -> None:
    feed_server.add(
        SEARCH_PATH,
        recorded("too_many_requests.json"),
        status=429,
        content_type=JSON,
        headers={"Retry-After": "60"},
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(collector_for(feed_server))
    assert (caught.value.status, caught.value.retry_after) == (429, 60)


async def test_an_answer_without_hits_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, b'{"message": "Internal error"}', content_type=JSON)
    with pytest.raises(TransientSourceError, match="Internal error"):
        await collect(collector_for(feed_server))


async def test_an_html_page_instead_of_json_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, b"<!doctype html><title>Oops</title>", content_type="text/html")
    with pytest.raises(TransientSourceError, match="expected JSON"):
        await collect(collector_for(feed_server))


async def test_broken_json_is_said_to_be_broken_naming_source_and_url(
    feed_server: FeedServer,
) -> None:
    feed_server.add(SEARCH_PATH, b'{"hits": [{"objectID": "1", "title": "Dan', content_type=JSON)
    with pytest.raises(TransientSourceError) as caught:
        await collect(collector_for(feed_server))
    message = str(caught.value)
    assert message.startswith(f"{caught.value.source}: the answer from {feed_server.base_url}")
    assert "is not valid JSON (Unterminated string" in message
    assert "expected JSON" not in message
    assert "truncated or malformed" in (caught.value.hint or "")


async def test_a_real_algolia_answer(feed_server: FeedServer) -> None:
    if not REAL_SEARCH.exists():
        pytest.skip(f"no real Algolia payload at {REAL_SEARCH}")
    feed_server.add(SEARCH_PATH, REAL_SEARCH.read_bytes(), content_type=JSON)
    collected = await collect(collector_for(feed_server, max_pages=1), query="anthropic")
    mentions = by_id(collected)
    assert set(mentions) == {"46124267", "48889637", "48421442"}
    bun = mentions["46124267"]
    assert bun.title == "Anthropic acquires Bun"
    assert bun.url == "https://news.ycombinator.com/item?id=46124267"
    assert bun.extra["story_url"] == "https://bun.com/blog/bun-joins-anthropic"
    assert bun.author_url == "https://news.ycombinator.com/user?id=ryanvogel"
    assert bun.published_at == datetime(2025, 12, 2, 18, 5, 44, tzinfo=UTC)
    assert bun.metrics == {"points": 2192, "comments": 1072}
    assert "<em>" not in bun.title  # the highlighted copy is not used
    assert collected.warning and "older Hacker News hits" in collected.warning  # 124,467 hits
