"""The ``youtube`` collector against recorded Data API answers and channel feeds on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from tests.scenarios.youtube import JSON, RECORDED, TEST_KEY, page_path, recorded
from tests.support.feedserver import FeedServer
from tests.support.watermarks import only_the_overlap
from veille.collectors._youtube_api import (
    RATE_LIMIT_WAIT,
    SEARCH_PATH,
    VIDEOS_PATH,
    mask_key,
    seconds_until_quota_reset,
)
from veille.collectors.youtube import API_KEY, YouTubeCollector, YouTubeOptions
from veille.errors import ConfigError, FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
SECRET = "AIzaSyD-secret-value-0123456789"
FEEDS_PATH = "/feeds/videos.xml"
MICHELIN_CHANNEL = "UCmKpQ1x0MichelinGroup9w"
NASA_CHANNEL = "UCLA_DiR1FfKNvjuUpBHmylQ"
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
NASA_FEED = EVAL_DIR / "payloads" / "youtube_feed" / "youpdated_youtube_nasa.xml"


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The test key in the environment."""
    monkeypatch.setenv(API_KEY, TEST_KEY)
    return TEST_KEY


def serve_search(server: FeedServer) -> None:
    """Two pages of search results and the videos' figures."""
    server.add(SEARCH_PATH, recorded("search_page1.json"), content_type=JSON)
    server.add(page_path(server, "CDIQAA"), recorded("search_page2.json"), content_type=JSON)
    server.add(VIDEOS_PATH, recorded("videos.json"), content_type=JSON)


def params_of(path: str) -> dict[str, str]:
    """The query parameters of a logged request path (one value each)."""
    return {name: values[0] for name, values in parse_qs(urlsplit(path).query).items()}


def sent_to(server: FeedServer, path: str) -> list[dict[str, str]]:
    """The parameters of every request made to ``path`` (query string aside), in order."""
    return [params_of(r.path) for r in server.requests() if r.path.split("?")[0] == path]


async def collect(
    server: FeedServer,
    *,
    query: str | None = "danone",
    state: SourceState | None = None,
    languages: Sequence[str] = ("fr", "en"),
    **options: object,
) -> Collected:
    """One pass of a ``youtube`` source pointed at the local server."""
    settings = {"base_url": server.base_url, "feeds_url": server.base_url} | options
    collector = YouTubeCollector("yt", settings)
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(
            fetcher, state or SourceState(), query=query, since=None, languages=languages
        )


async def test_search_fills_every_field(feed_server: FeedServer, api_key: str) -> None:
    serve_search(feed_server)
    collected = await collect(feed_server, max_pages=2)
    by_id = {m.extra["platform_id"]: m for m in collected.mentions}
    assert list(by_id) == [
        "dN7kQ2rYv1A", "Lm4oP9sTq2B", "Xy8zW3uV4cC", "Qr5sT6uV7dD", "Ab1cD2eF3gE",
    ]  # fmt: skip
    first = by_id["dN7kQ2rYv1A"]
    assert first.source == "yt"
    assert first.url == "https://www.youtube.com/watch?v=dN7kQ2rYv1A"
    assert first.title == "Danone : nos engagements pour une agriculture régénératrice"
    assert "Chapitres" in first.content_html  # the full description from videos.list
    assert first.author_name == "Danone France"
    assert first.author_handle == "UCq3Wm8nW1ZjZ0xKxDanoneA"
    assert first.author_url == "https://www.youtube.com/channel/UCq3Wm8nW1ZjZ0xKxDanoneA"
    assert first.published_at == datetime(2026, 3, 12, 17, 5, tzinfo=UTC)
    assert (first.platform, first.site_name, first.lang_hint) == ("youtube", "YouTube", "fr")
    assert first.metrics == {"views": 15234, "likes": 412, "comments": 37}
    assert (first.engagement, first.reach) == (449, 15234 + 449)
    assert normalize(first).identity == "id:youtube:dN7kQ2rYv1A"
    # Hidden likes and disabled comments are absent, not zero.
    assert by_id["Xy8zW3uV4cC"].metrics == {"views": 5021, "comments": 88}
    assert by_id["Xy8zW3uV4cC"].lang_hint == "en-US"
    assert by_id["Qr5sT6uV7dD"].metrics == {"views": 812, "likes": 9}
    assert by_id["Ab1cD2eF3gE"].lang_hint is None
    assert (
        normalize(by_id["Lm4oP9sTq2B"]).title
        == "Rappel de yaourts : ce que l'on sait de l'affaire Danone"
    )
    assert collected.requests == 3 and collected.warning is None


async def test_query_is_sent_in_web_syntax(feed_server: FeedServer, api_key: str) -> None:
    serve_search(feed_server)
    await collect(feed_server, query='(danone OR "groupe danone") NOT recall')
    [search] = sent_to(feed_server, SEARCH_PATH)
    assert search == {
        "part": "snippet",
        "type": "video",
        "order": "date",
        "q": '(danone OR "groupe danone") -recall',
        "maxResults": "50",
        "relevanceLanguage": "fr",
        "key": TEST_KEY,
    }


async def test_no_language_no_relevance_language(feed_server: FeedServer, api_key: str) -> None:
    serve_search(feed_server)
    await collect(feed_server, languages=())
    assert "relevanceLanguage" not in sent_to(feed_server, SEARCH_PATH)[0]


async def test_figures_are_asked_once_for_every_video(
    feed_server: FeedServer, api_key: str
) -> None:
    serve_search(feed_server)
    await collect(feed_server, max_pages=2)
    [videos] = sent_to(feed_server, VIDEOS_PATH)
    assert videos["part"] == "snippet,statistics"
    assert videos["id"].split(",") == [
        "dN7kQ2rYv1A", "Lm4oP9sTq2B", "Xy8zW3uV4cC", "Qr5sT6uV7dD", "Ab1cD2eF3gE",
    ]  # fmt: skip


async def test_pages_follow_next_page_token_up_to_max_pages(
    feed_server: FeedServer, api_key: str
) -> None:
    serve_search(feed_server)
    one = await collect(feed_server)  # the default: one search call (100 quota units)
    assert len(one.mentions) == 3
    assert len(sent_to(feed_server, SEARCH_PATH)) == 1
    await collect(feed_server, max_pages=5)  # page 2 has no nextPageToken: the search ends
    searches = sent_to(feed_server, SEARCH_PATH)[1:]
    assert [s.get("pageToken") for s in searches] == [None, "CDIQAA"]


async def test_second_pass_asks_only_for_newer_videos(
    feed_server: FeedServer, api_key: str
) -> None:
    serve_search(feed_server)
    first = await collect(feed_server)
    assert first.state.cursor == "2026-03-12T17:05:00+00:00"
    before = len(feed_server.requests())
    second = await collect(feed_server, state=first.state)
    search = params_of(feed_server.requests()[before].path)
    assert search["publishedAfter"] == "2026-03-12T16:35:00Z"  # 30 min before the newest
    # The service answers the same videos: only those of the overlap are given again.
    assert only_the_overlap(second.mentions, first.state.cursor)
    assert second.state == first.state


async def test_quota_exceeded_waits_for_the_reset(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY, SECRET)
    feed_server.add(
        SEARCH_PATH, recorded("error_quota_exceeded.json"), status=403, content_type=JSON
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    error = caught.value
    assert error.status == 403 and error.source == "yt"
    assert error.retry_after is not None and 60 <= error.retry_after <= 25 * 3600
    assert error.hint is not None and "midnight Pacific" in error.hint
    assert error.url is not None and "key=***" in error.url
    for text in (str(error), error.url, error.hint):
        assert SECRET not in text
    assert error.__cause__ is None and error.__suppress_context__


RATE_LIMITED = (
    b'{"error": {"code": 403, "message": "The request cannot be completed because you have '
    b'exceeded your rate limit.", "errors": [{"reason": "rateLimitExceeded"}]}}'
)


@pytest.mark.parametrize(("headers", "wait"), [({}, RATE_LIMIT_WAIT), ({"Retry-After": "30"}, 30)])
async def test_a_short_term_rate_limit_waits_a_minute_not_until_midnight(
    feed_server: FeedServer, api_key: str, headers: dict[str, str], wait: float
) -> None:
    feed_server.add(SEARCH_PATH, RATE_LIMITED, status=403, headers=headers, content_type=JSON)
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    error = caught.value
    assert error.retry_after == wait
    assert "rate limit reached" in str(error) and "rateLimitExceeded" in str(error)
    assert "quota" not in str(error) and error.hint is not None and "minute" in error.hint


async def test_a_short_term_rate_limit_reads_a_retry_after_date(
    feed_server: FeedServer, api_key: str
) -> None:
    in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    headers = {"Retry-After": in_an_hour}
    feed_server.add(SEARCH_PATH, RATE_LIMITED, status=403, headers=headers, content_type=JSON)
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert caught.value.retry_after is not None and 3000 < caught.value.retry_after <= 3600


async def test_invalid_key_is_fatal_and_masked(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY, SECRET)
    feed_server.add(SEARCH_PATH, recorded("error_key_invalid.json"), status=400, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server)
    assert caught.value.status == 400
    assert "API key not valid. Please pass a valid API key." in str(caught.value)
    assert caught.value.hint is not None and API_KEY in caught.value.hint
    assert SECRET not in str(caught.value) and "key=***" in str(caught.value)


async def test_a_400_says_google_s_reason_and_message_not_a_guess(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY, SECRET)
    refused = (
        b'{"error": {"code": 400, "message": "Invalid relevanceLanguage parameter value.", '
        b'"errors": [{"reason": "invalidRelevanceLanguage", "domain": "youtube.search"}]}}'
    )
    feed_server.add(SEARCH_PATH, refused, status=400, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server)
    message = str(caught.value)
    assert "invalidRelevanceLanguage: Invalid relevanceLanguage parameter value." in message
    assert "keyInvalid" not in message
    assert caught.value.hint is not None and API_KEY not in caught.value.hint


async def test_rate_limit_message_hides_the_key(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY, SECRET)
    feed_server.add(SEARCH_PATH, b"", status=429, headers={"Retry-After": "120"})
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert (caught.value.status, caught.value.retry_after) == (429, 120)
    assert SECRET not in str(caught.value) and SECRET not in (caught.value.url or "")


async def test_html_instead_of_json_is_transient(feed_server: FeedServer, api_key: str) -> None:
    feed_server.add(SEARCH_PATH, b"<!doctype html><title>Sorry</title>", content_type="text/html")
    with pytest.raises(TransientSourceError):
        await collect(feed_server)


async def test_videos_kept_without_figures_when_statistics_fail(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY, SECRET)
    feed_server.add(SEARCH_PATH, recorded("search_page1.json"), content_type=JSON)
    feed_server.add(VIDEOS_PATH, b"", status=503)
    collected = await collect(feed_server)
    assert len(collected.mentions) == 3
    assert all(m.metrics == {} and m.reach is None for m in collected.mentions)
    assert collected.warning is not None and "HTTP 503" in collected.warning
    assert SECRET not in collected.warning


async def test_neither_channel_nor_key_is_skipped_clearly(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(API_KEY, raising=False)
    monkeypatch.delenv(f"{API_KEY}_FILE", raising=False)
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server)
    assert str(caught.value) == f"skipped: set channel_id or {API_KEY}"
    assert feed_server.requests() == []


async def test_channel_feed_needs_no_key(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(API_KEY, raising=False)
    feed = (RECORDED / "channel_feed_michelin.xml").read_bytes()
    feed_server.add(FEEDS_PATH, feed, content_type="application/atom+xml; charset=UTF-8")
    collected = await collect(feed_server, query="michelin", channel_id=MICHELIN_CHANNEL)
    [request] = feed_server.requests()
    assert params_of(request.path) == {"channel_id": MICHELIN_CHANNEL}  # the query is not sent
    first, second, third = collected.mentions
    assert first.url == "https://www.youtube.com/watch?v=Mi7cHeL1nAa"
    assert first.extra["platform_id"] == "Mi7cHeL1nAa"
    assert first.author_name == "Michelin"
    assert first.author_handle == MICHELIN_CHANNEL
    assert first.author_url == f"https://www.youtube.com/channel/{MICHELIN_CHANNEL}"
    assert first.published_at == datetime(2026, 3, 14, 9, 0, 7, tzinfo=UTC)
    assert (first.platform, first.site_name) == ("youtube", "YouTube")
    assert first.metrics == {"views": 48210, "likes": 1873}
    assert (first.engagement, first.reach) == (1873, 48210 + 1873)
    assert second.lang_hint is None and second.metrics == {"views": 231577, "likes": 6420}
    assert third.metrics == {"views": 3104, "likes": 0}
    assert collected.state.cursor == "2026-03-14T09:00:07+00:00"
    assert collected.state.etag is not None


async def test_channel_feed_second_pass_is_conditional_and_incremental(
    feed_server: FeedServer,
) -> None:
    feed = (RECORDED / "channel_feed_michelin.xml").read_bytes()
    route = feed_server.add(FEEDS_PATH, feed, content_type="application/atom+xml")
    first = await collect(feed_server, channel_id=MICHELIN_CHANNEL)
    unchanged = await collect(feed_server, channel_id=MICHELIN_CHANNEL, state=first.state)
    assert unchanged.not_modified and unchanged.mentions == []
    assert feed_server.requests()[-1].headers["if-none-match"] == first.state.etag
    # The feed changes (new figures): only videos newer than the watermark come back.
    route.set_body(feed.replace(b'views="48210"', b'views="50002"'))
    changed = await collect(feed_server, channel_id=MICHELIN_CHANNEL, state=first.state)
    assert only_the_overlap(changed.mentions, first.state.cursor)
    assert changed.state.cursor == first.state.cursor
    assert changed.state.etag != first.state.etag


async def test_unknown_channel_says_what_to_check(feed_server: FeedServer) -> None:
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server, channel_id=MICHELIN_CHANNEL)  # no route: 404
    assert caught.value.status == 404
    assert MICHELIN_CHANNEL in str(caught.value)
    assert caught.value.hint is not None and "channel ID" in caught.value.hint


async def test_real_nasa_channel_feed(feed_server: FeedServer) -> None:
    if not NASA_FEED.is_file():
        pytest.skip(f"no eval payload at {NASA_FEED}")
    feed_server.add(FEEDS_PATH, NASA_FEED.read_bytes(), content_type="application/atom+xml")
    collected = await collect(feed_server, channel_id=NASA_CHANNEL)
    assert len(collected.mentions) == 15
    first = collected.mentions[0]
    assert first.url == "https://www.youtube.com/watch?v=I_GUQdY01b0"
    assert first.title == "Special Event Announcement (Aug. 14, 2026)"
    assert first.author_name == "NASA"
    assert first.author_url == f"https://www.youtube.com/channel/{NASA_CHANNEL}"
    assert first.published_at == datetime(2026, 8, 14, 19, 14, 36, tzinfo=UTC)
    assert first.metrics == {"views": 66195, "likes": 2541}
    assert (first.reach, first.engagement) == (66195 + 2541, 2541)
    assert normalize(first).identity == "id:youtube:I_GUQdY01b0"
    assert all(m.metrics.get("views") is not None for m in collected.mentions)


def test_options_defaults_and_channel_id_check() -> None:
    options = YouTubeOptions()
    assert (options.base_url, options.max_pages) == ("https://www.googleapis.com", 1)
    assert (options.feeds_url, options.channel_id) == ("https://www.youtube.com", None)
    with pytest.raises(ConfigError, match="channel_id"):
        YouTubeCollector("yt", {"channel_id": "nasa"})
    with pytest.raises(ConfigError, match="q: Extra inputs"):
        YouTubeCollector("yt", {"q": "danone"})


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 1, 15, 8, 0, tzinfo=UTC), 24 * 3600),  # midnight PST: a full day
        (datetime(2026, 7, 15, 6, 0, tzinfo=UTC), 3600),  # 23:00 PDT
        (datetime(2026, 7, 15, 7, 0, 30, tzinfo=UTC), 24 * 3600 - 30),  # just after the reset
    ],
)
def test_quota_resets_at_midnight_pacific(now: datetime, expected: float) -> None:
    try:
        ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        pytest.skip("no time zone database: the reset is approximated in Pacific standard time")
    assert seconds_until_quota_reset(now) == expected


def test_mask_key_hides_the_parameter_and_the_value() -> None:
    url = f"https://www.googleapis.com/youtube/v3/search?q=danone&key={SECRET}&pageToken=x"
    assert mask_key(url, SECRET) == (
        "https://www.googleapis.com/youtube/v3/search?q=danone&key=***&pageToken=x"
    )
    assert mask_key(f"failed with {SECRET}", SECRET) == "failed with ***"


async def test_a_403_that_is_not_the_quota_is_fatal(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY, SECRET)
    refused = b'{"error": {"code": 403, "errors": [{"reason": "accessNotConfigured"}]}}'
    feed_server.add(SEARCH_PATH, refused, status=403, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server)
    assert "accessNotConfigured" in str(caught.value)
    assert caught.value.hint is not None and "enable the YouTube Data API" in caught.value.hint
    assert SECRET not in str(caught.value)
