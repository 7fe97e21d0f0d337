"""The ``lemmy`` collector against a local server replaying recorded Lemmy search answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from tests.scenarios.lemmy import EMPTY, JSON, SEARCH_PATH, recorded, search_query, serve_posts
from tests.support.feedserver import FeedServer
from tests.support.watermarks import only_the_overlap
from veille.collectors.lemmy import LemmyCollector, LemmyOptions
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, RawMention, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)


async def collect(
    options: dict[str, Any],
    *,
    query: str = "danone",
    state: SourceState | None = None,
    since: datetime | None = None,
) -> Collected:
    collector = LemmyCollector("lemmy-world", LemmyOptions(**options))
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(fetcher, state or SourceState(), query=query, since=since)


def asked(server: FeedServer) -> list[dict[str, str]]:
    """The query parameters of every search request, in order."""
    return [
        {key: values[0] for key, values in parse_qs(urlsplit(r.path).query).items()}
        for r in server.requests()
        if r.path.split("?")[0] == SEARCH_PATH
    ]


def by_url(mentions: list[RawMention]) -> dict[str | None, RawMention]:
    return {m.url: m for m in mentions}


async def test_posts_carry_author_community_date_and_figures(feed_server: FeedServer) -> None:
    collected = await collect(dict(serve_posts(feed_server)))
    assert len(collected.mentions) == 5 and collected.requests == 2
    # The second page was short: nothing more to ask.
    assert [a["page"] for a in asked(feed_server)] == ["1", "2"]
    assert asked(feed_server)[0] == {
        "q": "danone",
        "type_": "Posts",
        "sort": "New",
        "listing_type": "All",
        "limit": "3",
        "page": "1",
    }
    assert all("authorization" not in r.headers for r in feed_server.requests())
    found = by_url(collected.mentions)

    recall = found["https://jlai.lu/post/15234567"]
    assert recall.title == "Danone rappelle des lots de yaourts pour enfants après des plaintes"
    assert (recall.author_name, recall.author_handle) == ("Kiwi Vert", "kiwi_vert@jlai.lu")
    assert recall.author_url == "https://jlai.lu/u/kiwi_vert"
    assert (recall.site_name, recall.site_url) == ("france@jlai.lu", "https://jlai.lu/c/france")
    assert recall.published_at == datetime(2026, 3, 10, 11, 42, 17, 402513, tzinfo=UTC)
    assert recall.metrics == {"score": 48, "upvotes": 51, "comments": 17}
    assert (recall.engagement, recall.reach, recall.platform) == (116, 116, "lemmy")
    assert str(recall.extra["link_url"]).startswith("https://www.lemonde.fr/economie/")
    assert normalize(recall).identity == "id:lemmy:https://jlai.lu/post/15234567"

    local = found["https://lemmy.world/post/27654321"]
    assert local.author_name == "marketwatcher"  # no display name: the user name
    assert local.author_handle == "marketwatcher@lemmy.world"
    assert local.site_name == "business@lemmy.world"
    assert local.content_html.startswith("Reuters reports the sale")


async def test_each_keyword_alternative_is_searched(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, EMPTY, content_type=JSON)
    await collect(
        {"base_url": feed_server.base_url},
        query='"Société Générale" OR (danone AND NOT yaourt) OR title:Michelin',
    )
    assert [(a["q"], a["page"], a["limit"]) for a in asked(feed_server)] == [
        ("Société Générale", "1", "50"),
        ("danone", "1", "50"),
        ("Michelin", "1", "50"),
    ]
    with pytest.raises(FatalSourceError, match="no word"):
        await collect({"base_url": feed_server.base_url}, query="site:lemonde.fr")


async def test_a_second_pass_stops_at_the_watermark(feed_server: FeedServer) -> None:
    options = dict(serve_posts(feed_server))
    first = await collect(options)
    assert first.state.cursor == "2026-03-10T11:42:17.402513+00:00"
    before = len(feed_server.requests())
    second = await collect(options, state=first.state)
    # Newest first and the first (full) page already reaches the watermark: no page 2.
    assert [a["page"] for a in asked(feed_server)[2:]] == ["1"]
    assert len(feed_server.requests()) == before + 1
    assert only_the_overlap(second.mentions, first.state.cursor)
    assert second.state == first.state

    asks_from_22h = SourceState(cursor="2026-03-09T22:30:00+00:00")
    halfway = await collect(options, state=asks_from_22h)
    assert sorted(m.url or "" for m in halfway.mentions) == [
        "https://jlai.lu/post/15234567",
        "https://lemmy.world/post/27654321",
    ]
    assert halfway.requests == 1
    since = await collect(options, since=datetime(2026, 3, 9, 20, 0, tzinfo=UTC))
    assert len(since.mentions) == 3


async def test_an_empty_page_ends_the_search(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, EMPTY, content_type=JSON)
    feed_server.add(search_query(1), recorded("search_posts_page1.json"), content_type=JSON)
    collected = await collect({"base_url": feed_server.base_url, "limit": 3, "max_pages": 10})
    assert [a["page"] for a in asked(feed_server)] == ["1", "2"]
    assert len(collected.mentions) == 3


async def test_comments_of_an_instance_without_time_zones(feed_server: FeedServer) -> None:
    feed_server.add(
        search_query(1, type_="Comments", limit=50),
        recorded("search_comments_018.json"),
        content_type=JSON,
    )
    collected = await collect({"base_url": feed_server.base_url, "type_": "Comments"})
    assert asked(feed_server)[0]["type_"] == "Comments"
    found = by_url(collected.mentions)
    comment = found["https://jlai.lu/comment/9876543"]
    assert comment.title == ""  # the post's title belongs to someone else
    assert comment.content_html.startswith("Perso j'ai arrêté les yaourts Danone")
    assert (comment.author_name, comment.author_handle) == ("Tomate 🍅", "tomate@jlai.lu")
    assert comment.published_at == datetime(2026, 3, 10, 12, 1, 9, 771532, tzinfo=UTC)
    assert comment.metrics == {"score": 12, "upvotes": 13, "comments": 2}
    assert comment.site_name == "france@jlai.lu"
    assert comment.extra["post_url"] == "https://jlai.lu/post/15234567"
    assert str(comment.extra["post_title"]).startswith("Danone rappelle")
    other = found["https://lemm.ee/comment/5544332"]
    assert other.author_handle == "slow_eater@lemm.ee" and other.engagement == 7 + 8 + 0


async def test_all_returns_posts_and_comments(feed_server: FeedServer) -> None:
    feed_server.add(
        search_query(1, type_="All", limit=50), recorded("search_all.json"), content_type=JSON
    )
    collected = await collect({"base_url": feed_server.base_url, "type_": "All"})
    assert sorted(m.url or "" for m in collected.mentions) == [
        "https://jlai.lu/comment/9876543",
        "https://jlai.lu/post/15234567",
        "https://lemmy.world/post/27654321",
    ]
    assert len(asked(feed_server)) == 1


async def test_rate_limit_answered_with_400_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, b'{"error":"rate_limit_error"}', status=400, content_type=JSON)
    with pytest.raises(TransientSourceError) as caught:
        await collect({"base_url": feed_server.base_url})
    assert caught.value.status == 400 and "rate_limit_error" in (caught.value.hint or "")


async def test_a_private_instance_is_fatal(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, b'{"error":"instance_is_private"}', status=400, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect({"base_url": feed_server.base_url})
    assert "private" in (caught.value.hint or "")


async def test_rate_limit_answered_with_429_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, b'{"error":"rate_limit_error"}', status=429, content_type=JSON)
    with pytest.raises(TransientSourceError) as caught:
        await collect({"base_url": feed_server.base_url})
    assert caught.value.status == 429


@pytest.mark.parametrize(("status", "explained"), [(403, "anonymous"), (404, "Lemmy instance")])
async def test_refusals_are_fatal_and_explained(
    feed_server: FeedServer, status: int, explained: str
) -> None:
    feed_server.add(SEARCH_PATH, b'{"error":"not_logged_in"}', status=status, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect({"base_url": feed_server.base_url})
    assert caught.value.status == status and explained in (caught.value.hint or "")


async def test_an_html_answer_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, b"<html><body>Bad gateway</body></html>", content_type="text/html")
    with pytest.raises(TransientSourceError, match="expected JSON"):
        await collect({"base_url": feed_server.base_url})


def test_options_are_checked() -> None:
    defaults = LemmyOptions()
    assert (defaults.base_url, defaults.type_, defaults.sort) == (
        "https://lemmy.world",
        "Posts",
        "New",
    )
    assert (defaults.listing_type, defaults.limit, defaults.max_pages) == ("All", 50, 3)
    with pytest.raises(ValidationError):
        LemmyOptions(type_="Videos")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        LemmyOptions(limit=51)
