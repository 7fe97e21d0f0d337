"""The ``mastodon`` collector against a local server replaying recorded Mastodon answers."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from tests.scenarios.mastodon import (
    PAGE_2_MAX_ID,
    SEARCH_PATH,
    TAG_PATH,
    page_query,
    recorded,
    serve_timeline,
)
from tests.support.feedserver import FeedServer, LoggedRequest
from tests.support.watermarks import only_the_overlap
from veille.collectors._mastodon_statuses import hashtag_for, next_max_id, rate_limit_wait
from veille.collectors.mastodon import TOKEN_VARIABLE, MastodonCollector, MastodonOptions
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, RawMention, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
JSON = "application/json; charset=utf-8"
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
REAL_TIMELINE = EVAL_DIR / "payloads" / "mastodon" / "ajt10_mastodon_social_tag_timeline.json"
TOKEN = "test-token-5f2a"


@pytest.fixture(autouse=True)
def _no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run without a token unless they set one."""
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    monkeypatch.delenv(f"{TOKEN_VARIABLE}_FILE", raising=False)


async def collect(
    options: dict[str, Any],
    *,
    query: str | None = "danone",
    state: SourceState | None = None,
    since: datetime | None = None,
) -> Collected:
    collector = MastodonCollector("toots", MastodonOptions(**options))
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(fetcher, state or SourceState(), query=query, since=since)


def params(request: LoggedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.path).query)


def paths(server: FeedServer, bare: str) -> list[LoggedRequest]:
    return [r for r in server.requests() if r.path.split("?")[0] == bare]


def by_handle(mentions: list[RawMention]) -> dict[str | None, RawMention]:
    return {m.author_handle: m for m in mentions}


async def test_hashtag_timeline_mentions_carry_author_place_and_figures(
    feed_server: FeedServer,
) -> None:
    collected = await collect(dict(serve_timeline(feed_server)))
    assert len(collected.mentions) == 5
    assert collected.requests == 3
    assert collected.warning is None  # the timeline was read to its end
    found = by_handle(collected.mentions)

    local = found["marie_conso@piaille.fr"]  # acct without domain: the account's server added
    assert local.author_name == "Marie 🌱"
    assert local.author_url == "https://piaille.fr/@marie_conso"
    assert local.url == "https://piaille.fr/@marie_conso/114212345678901234"
    assert local.extra["platform_id"] == (
        "https://piaille.fr/users/marie_conso/statuses/114212345678901234"
    )
    assert local.published_at == datetime(2026, 3, 10, 9, 15, 42, tzinfo=UTC)
    assert (local.platform, local.site_name, local.lang_hint) == ("mastodon", "piaille.fr", "fr")
    assert local.metrics == {
        "favourites": 4,
        "reblogs": 1,
        "replies": 2,
        "quotes": 0,
        "followers": 312,
    }
    assert (local.engagement, local.reach) == (7, 319)
    assert "yaourts" in local.content_html and local.title == ""

    remote = found["greenwatch@mastodon.social"]
    assert (remote.site_name, remote.site_url) == ("mastodon.social", "https://mastodon.social")
    assert remote.lang_hint == "en" and remote.engagement == 12 + 7 + 3 + 1
    text = normalize(remote).text  # Mastodon hides URL parts in spans: the text keeps them all
    assert "https://www.reuters.com/business/danone-plastic-2026-03-10/" in text

    warned = found["eco_veille@framapiaf.org"]  # an older server: no quotes_count
    assert "quotes" not in warned.metrics
    assert warned.content_html.startswith("<p>Économie</p>")

    shared = found["nutrition_news@mstdn.social"]  # a reblog: the shared status is the mention
    assert shared.published_at == datetime(2026, 3, 9, 15, 55, 30, tzinfo=UTC)
    assert shared.url == "https://mstdn.social/@nutrition_news/114208649000000000"
    assert shared.extra["reblogged_by"] == "antoine@piaille.fr"
    assert shared.metrics["followers"] == 2100 and shared.engagement == 21 + 9 + 4 + 2
    identities = {normalize(m).identity for m in collected.mentions}
    assert len(identities) == 5 and all(i.startswith("id:mastodon:https://") for i in identities)


async def test_pages_follow_the_link_header_up_to_max_pages(feed_server: FeedServer) -> None:
    options = dict(serve_timeline(feed_server)) | {"max_pages": 2}
    collected = await collect(options)
    asked = paths(feed_server, TAG_PATH)
    assert [params(r) for r in asked] == [
        {"limit": ["40"]},
        {"limit": ["40"], "max_id": [PAGE_2_MAX_ID]},
    ]
    assert all("authorization" not in r.headers for r in asked)
    assert len(collected.mentions) == 5 and not paths(feed_server, SEARCH_PATH)
    # The second page still linked to a next one: what is older was not read, and is said so.
    assert collected.warning == "more Mastodon statuses than 2 page(s): older skipped"


async def test_the_hashtag_comes_from_the_query_or_the_tag_option(
    feed_server: FeedServer,
) -> None:
    base = {"base_url": feed_server.base_url}
    feed_server.override("/api/v1/timelines/tag/soci%C3%A9t%C3%A9g%C3%A9n%C3%A9rale", b"[]")
    feed_server.override("/api/v1/timelines/tag/danone_fr", b"[]")
    await collect(base, query='"Société Générale" OR SocGen')
    await collect(base | {"tag": "#Danone_FR"}, query="danone")
    assert [r.path.split("?")[0] for r in feed_server.requests()] == [
        "/api/v1/timelines/tag/soci%C3%A9t%C3%A9g%C3%A9n%C3%A9rale",
        "/api/v1/timelines/tag/danone_fr",
    ]
    assert all(r.status == 200 for r in feed_server.requests())
    assert hashtag_for("L'Oréal Paris") == "loréalparis"
    assert hashtag_for("Coca-Cola") == "cocacola"
    with pytest.raises(ValidationError, match="hashtag"):
        MastodonOptions(tag="#!?")


async def test_a_second_pass_stops_at_the_watermark(feed_server: FeedServer) -> None:
    options = dict(serve_timeline(feed_server))
    first = await collect(options)
    assert first.state.cursor == "2026-03-10T09:15:42+00:00"
    before = len(feed_server.requests())
    second = await collect(options, state=first.state)
    # The first page already reaches the watermark: no older page is asked for.
    assert [params(r) for r in feed_server.requests()[before:]] == [{"limit": ["40"]}]
    assert only_the_overlap(second.mentions, first.state.cursor)
    assert second.state == first.state

    halfway = SourceState(cursor="2026-03-10T08:00:00+00:00")  # asks from 07:30
    partial = await collect(options, state=halfway)
    assert sorted(m.author_handle or "" for m in partial.mentions) == [
        "greenwatch@mastodon.social",
        "marie_conso@piaille.fr",
    ]
    assert partial.requests == 1


async def test_status_search_runs_with_a_token(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    options = dict(serve_timeline(feed_server))
    feed_server.add(SEARCH_PATH, b'{"accounts": [], "statuses": [], "hashtags": []}')
    feed_server.add(
        f"{SEARCH_PATH}?q=danone&type=statuses&limit=40",
        recorded("search_danone.json"),
        content_type=JSON,
    )
    collected = await collect(options, query='danone OR "eaux minérales"')
    searches = paths(feed_server, SEARCH_PATH)
    assert [params(r) for r in searches] == [
        {"q": ["danone"], "type": ["statuses"], "limit": ["40"]},
        {"q": ["eaux minérales"], "type": ["statuses"], "limit": ["40"]},
    ]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in feed_server.requests())
    # The search found one new status and one the hashtag timeline already gave.
    assert len(collected.mentions) == 6
    lucie = by_handle(collected.mentions)["lucie@social.numerique.fr"]
    assert lucie.published_at == datetime(2026, 3, 10, 10, 2, tzinfo=UTC)
    assert lucie.site_name == "social.numerique.fr" and lucie.metrics["followers"] == 230


async def test_search_pages_by_offset(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    feed_server.add(TAG_PATH, b"[]", content_type=JSON)
    feed_server.add(SEARCH_PATH, recorded("search_danone.json"), content_type=JSON)
    collected = await collect({"base_url": feed_server.base_url, "limit": 2, "max_pages": 3})
    offsets = [params(r).get("offset") for r in paths(feed_server, SEARCH_PATH)]
    assert offsets == [None, ["2"], ["4"]]  # every page full: the page cap ends the search
    assert collected.warning == "more Mastodon statuses than 3 page(s): older skipped"


async def test_a_refused_token_is_fatal_with_a_hint_and_no_secret(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    feed_server.add(TAG_PATH, b'{"error":"The access token is invalid"}', status=401)
    with pytest.raises(FatalSourceError) as caught:
        await collect({"base_url": feed_server.base_url})
    assert caught.value.status == 401 and TOKEN_VARIABLE in (caught.value.hint or "")
    assert TOKEN not in str(caught.value) + (caught.value.hint or "")


@pytest.mark.parametrize("status", [401, 422])
async def test_disabled_public_previews_are_explained(feed_server: FeedServer, status: int) -> None:
    body = b'{"error":"This method requires an authenticated user"}'
    feed_server.add(TAG_PATH, body, status=status, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect({"base_url": feed_server.base_url})
    assert caught.value.status == status
    assert "disabled public hashtag timelines" in (caught.value.hint or "")


async def test_a_server_without_the_api_is_explained(feed_server: FeedServer) -> None:
    with pytest.raises(FatalSourceError) as caught:
        await collect({"base_url": feed_server.base_url})  # nothing served: 404
    assert caught.value.status == 404 and "Mastodon instance" in (caught.value.hint or "")


async def test_a_spent_rate_budget_ends_the_pass_and_says_how_long_to_wait(
    feed_server: FeedServer,
) -> None:
    options = dict(serve_timeline(feed_server))
    reset = (datetime.now(UTC) + timedelta(minutes=4)).isoformat().replace("+00:00", "Z")
    feed_server.route(TAG_PATH).headers |= {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset,
    }
    collected = await collect(options)
    assert collected.requests == 1 and len(collected.mentions) == 3
    assert collected.ttl_seconds is not None and 0 < collected.ttl_seconds <= 240


async def test_a_429_is_transient(feed_server: FeedServer) -> None:
    options = dict(serve_timeline(feed_server))
    feed_server.route(TAG_PATH).queue(
        429,
        headers={"Content-Type": JSON, "X-RateLimit-Remaining": "0"},
        body=b'{"error":"Too many requests"}',
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(options)
    assert caught.value.status == 429


async def test_an_html_answer_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(
        TAG_PATH, b"<!doctype html><title>Maintenance</title>", content_type="text/html"
    )
    with pytest.raises(TransientSourceError, match="expected JSON"):
        await collect({"base_url": feed_server.base_url})


def test_link_and_rate_limit_headers_are_read() -> None:
    link = (
        '<https://piaille.fr/api/v1/timelines/tag/danone?limit=40&max_id=1099>; rel="next", '
        '<https://piaille.fr/api/v1/timelines/tag/danone?limit=40&min_id=1200>; rel="prev"'
    )
    assert next_max_id(link) == "1099"
    assert next_max_id('<https://piaille.fr/x?min_id=1200>; rel="prev"') is None
    assert next_max_id(None) is None
    assert rate_limit_wait({"x-ratelimit-remaining": "12"}) is None
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2026-03-10T09:02:30.000Z"}
    assert rate_limit_wait(spent, now=now) == 150
    assert page_query("7") == f"{TAG_PATH}?limit=40&max_id=7"


@pytest.mark.skipif(not REAL_TIMELINE.exists(), reason="shared eval payloads not present")
async def test_a_real_mastodon_social_timeline(feed_server: FeedServer) -> None:
    feed_server.add(TAG_PATH, REAL_TIMELINE.read_bytes(), content_type=JSON)
    collected = await collect({"base_url": feed_server.base_url})
    assert len(collected.mentions) == 3
    first, second, _ = collected.mentions
    assert first.author_handle == "opensourceaitech@mastodon.social"
    assert first.author_url == "https://mastodon.social/@opensourceaitech"
    assert first.url == "https://mastodon.social/@opensourceaitech/117057415357302637"
    assert first.published_at == datetime(2026, 8, 8, 2, 0, 9, 149000, tzinfo=UTC)
    assert first.metrics == {
        "favourites": 0,
        "reblogs": 0,
        "replies": 0,
        "quotes": 0,
        "followers": 46,
    }
    assert (first.engagement, first.reach, first.lang_hint) == (0, 46, "en")
    assert "https://olud.ai/tool/unstructured.html" in normalize(first).text
    assert second.author_handle == "techwire@gamefan.net"  # federated: acct has its domain
    assert second.author_name == "TechWire ⚡" and second.site_name == "social.gamefan.net"
    assert (second.metrics["reblogs"], second.engagement, second.reach) == (2, 2, 196)
    assert second.extra["platform_id"] == (
        "https://social.gamefan.net/ap/users/116450677342166464/statuses/117057408363045390"
    )


async def test_a_429_waits_until_the_rate_limit_resets(feed_server: FeedServer) -> None:
    reset = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()
    feed_server.add(
        TAG_PATH,
        b'{"error": "Too many requests"}',
        status=429,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect({"base_url": feed_server.base_url})
    assert caught.value.retry_after is not None and 200 <= caught.value.retry_after <= 240


async def test_a_spent_rate_budget_keeps_the_watermark_for_the_pages_left_unread(
    feed_server: FeedServer,
) -> None:
    options = dict(serve_timeline(feed_server))
    reset = (datetime.now(UTC) + timedelta(minutes=4)).isoformat().replace("+00:00", "Z")
    feed_server.route(TAG_PATH).headers |= {
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset,
    }
    newest = datetime(2026, 3, 10, 9, 15, 42, tzinfo=UTC)
    stored = SourceState(cursor=(newest - timedelta(hours=24)).isoformat())
    cut = await collect(options, state=stored)
    assert len(paths(feed_server, TAG_PATH)) == 1 and len(cut.mentions) == 3
    assert cut.state == stored  # page 2 is still to be read down to the old watermark
    assert cut.warning and "rate limit used up" in cut.warning
    del feed_server.route(TAG_PATH).headers["X-RateLimit-Remaining"]
    after = await collect(options, state=cut.state)
    assert len(after.mentions) == 5  # the first page again, and the two statuses left unread
    assert after.state.cursor == newest.isoformat()


async def test_a_spent_rate_budget_leaves_the_searches_to_the_next_pass(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    feed_server.add(
        TAG_PATH,
        recorded("tag_danone_page1.json"),
        content_type=JSON,
        headers={"X-RateLimit-Remaining": "0"},
    )
    collected = await collect({"base_url": feed_server.base_url})
    assert paths(feed_server, SEARCH_PATH) == []
    assert collected.state == SourceState() and collected.ttl_seconds == 300
    assert collected.warning and "the next pass reads the rest" in collected.warning
