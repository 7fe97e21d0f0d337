"""BlueskyCollector against a real HTTP server replaying recorded XRPC answers."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.scenarios.bluesky import JSON, page_path, recorded, serve_search
from tests.support.feedserver import FeedServer, LoggedRequest
from tests.support.watermarks import only_the_overlap
from veille.collectors.bluesky import (
    HANDLE_VAR,
    PASSWORD_VAR,
    SEARCH_PATH,
    SESSION_PATH,
    BlueskyCollector,
)
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
HANDLE = "veille-bot.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
ACCESS_JWT = json.loads(recorded("session.json"))["accessJwt"]
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
REAL_SEARCH = EVAL_DIR / "payloads" / "bluesky" / "ajt10_bluesky_searchPosts.json"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A handle and an app password in the environment, as an operator sets them."""
    monkeypatch.setenv(HANDLE_VAR, HANDLE)
    monkeypatch.setenv(PASSWORD_VAR, PASSWORD)


async def collect(
    collector: BlueskyCollector,
    state: SourceState | None = None,
    *,
    query: str = "danone",
    languages: tuple[str, ...] = ("fr", "en"),
) -> Collected:
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(
            fetcher, state or SourceState(), query=query, since=None, languages=languages
        )


def bluesky(server: FeedServer, **options: object) -> BlueskyCollector:
    base = {"base_url": server.base_url, "auth_url": server.base_url}
    return BlueskyCollector("bsky", base | options)  # type: ignore[arg-type]


def searches(server: FeedServer) -> list[LoggedRequest]:
    return [r for r in server.requests() if r.path.split("?")[0] == SEARCH_PATH]


def params(request: LoggedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.path).query)


async def test_signs_in_then_pages_through_the_search(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    collected = await collect(bluesky(feed_server))
    assert collected.warning is None  # the search was read to its last page

    [session] = feed_server.requests(SESSION_PATH)
    assert session.method == "POST"
    assert json.loads(session.body) == {"identifier": HANDLE, "password": PASSWORD}
    first, second = searches(feed_server)
    assert params(first) == {"q": ["danone"], "sort": ["latest"], "limit": ["100"]}
    cursor = json.loads(recorded("search_danone_page1.json"))["cursor"]
    assert params(second)["cursor"] == [cursor]
    assert all(r.headers["authorization"] == f"Bearer {ACCESS_JWT}" for r in (first, second))
    assert collected.requests == 3
    assert len(collected.mentions) == 5


async def test_fills_the_mention_fields(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    collected = await collect(bluesky(feed_server))
    by_handle = {m.author_handle: m for m in collected.mentions}

    claire = by_handle["claire-martin.bsky.social"]
    assert claire.source == "bsky"
    assert claire.url == "https://bsky.app/profile/claire-martin.bsky.social/post/3mbq7zk4l2c2s"
    assert claire.author_name == "Claire Martin"
    assert claire.author_url == "https://bsky.app/profile/claire-martin.bsky.social"
    assert claire.published_at == datetime(2026, 11, 20, 9, 42, 11, 318000, tzinfo=UTC)
    assert claire.metrics == {"likes": 42, "reposts": 7, "replies": 3, "quotes": 1}
    assert (claire.engagement, claire.reach) == (53, 53)
    assert (claire.platform, claire.site_name, claire.site_url) == (
        "bluesky",
        "Bluesky",
        "https://bsky.app",
    )
    assert claire.lang_hint == "fr"
    assert claire.extra["platform_id"] == (
        "at://did:plc:r4xk2wq7tzv5nbyq3c6hd2mf/app.bsky.feed.post/3mbq7zk4l2c2s"
    )
    # The link card is searched by Bluesky, so it is kept for local matching.
    assert "Danone relève ses objectifs de croissance pour 2026" in claire.content_html
    assert claire.extra["link"].startswith("https://www.lesechos.fr/")

    document = normalize(claire)
    assert document.identity == f"id:bluesky:{claire.extra['platform_id']}"
    assert document.text.startswith("Danone relève ses objectifs : les yaourts")


async def test_invalid_handle_links_by_did_and_text_is_escaped(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    collected = await collect(bluesky(feed_server))
    [reply] = [m for m in collected.mentions if m.author_handle is None]
    did = "did:plc:q2nd6vx3kz7mw5tc4yb2pjrh"
    assert reply.url == f"https://bsky.app/profile/{did}/post/3mbq5rj3w7s2k"
    assert reply.author_url == f"https://bsky.app/profile/{did}"
    assert reply.author_name is None
    assert reply.extra["in_reply_to"].endswith("/3mbq4lk2a3s2d")
    # "<et>" is text written in the post, not a tag to drop.
    assert "internet <et> aucune réponse" in normalize(reply).text


async def test_second_pass_asks_only_for_newer_posts(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    collector = bluesky(feed_server)
    first = await collect(collector)
    assert first.state.cursor == "2026-11-20T09:42:11.318000+00:00"

    second = await collect(collector, first.state)
    assert params(searches(feed_server)[2])["since"] == ["2026-11-20T09:12:11.318Z"]
    # The server answers the same pages again: only the overlap before the watermark is kept.
    assert only_the_overlap(second.mentions, first.state.cursor)
    assert second.state == first.state


async def test_max_pages_caps_the_requests_per_search(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    collected = await collect(bluesky(feed_server, max_pages=1))
    assert len(searches(feed_server)) == 1
    assert len(collected.mentions) == 3
    # The page gave a cursor to more posts, left unread: the pass says so.
    assert collected.warning == "more Bluesky posts than 1 page(s): older skipped"


async def test_one_language_is_asked_of_the_service(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    await collect(bluesky(feed_server, max_pages=1), languages=("fr",))
    assert params(searches(feed_server)[0])["lang"] == ["fr"]


async def test_each_keyword_alternative_is_one_search(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    collected = await collect(
        bluesky(feed_server, max_pages=1), query='danone OR "eaux minérales" AND NOT recette'
    )
    assert [params(r)["q"] for r in searches(feed_server)] == [["danone"], ["eaux minérales"]]
    # Both searches got the same page: each post is returned once.
    assert len(collected.mentions) == 3


async def test_brands_of_one_pass_share_one_session(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    collector = bluesky(feed_server, max_pages=1)
    await asyncio.gather(
        collect(collector, query="danone"),
        collect(collector, query="michelin"),
        collect(collector, query="orange"),
    )
    assert len(feed_server.requests(SESSION_PATH)) == 1
    assert len(searches(feed_server)) == 3


async def test_missing_app_password_is_named(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_search(feed_server)
    monkeypatch.delenv(PASSWORD_VAR)
    with pytest.raises(FatalSourceError) as caught:
        await collect(bluesky(feed_server))
    assert PASSWORD_VAR in str(caught.value)
    assert HANDLE_VAR not in str(caught.value)
    assert feed_server.requests() == []


@pytest.mark.parametrize(
    "answer", ["session_401_authentication_required.json", "session_401_auth_factor.json"]
)
async def test_refused_sign_in_explains_app_passwords(feed_server: FeedServer, answer: str) -> None:
    serve_search(feed_server)
    feed_server.add(SESSION_PATH, recorded(answer), status=401, content_type=JSON)
    collector = bluesky(feed_server)
    with pytest.raises(FatalSourceError) as caught:
        await collect(collector)
    error = caught.value
    assert error.status == 401 and error.source == "bsky"
    assert "App passwords" in (error.hint or "") and PASSWORD_VAR in (error.hint or "")
    assert HANDLE in str(error)
    assert json.loads(recorded(answer))["error"] in str(error), "Bluesky's own reason"
    assert all(PASSWORD not in text for text in (str(error), error.hint or "", repr(error)))
    # The next brand of the pass is refused without signing in again.
    with pytest.raises(FatalSourceError):
        await collect(collector, query="michelin")
    assert len(feed_server.requests(SESSION_PATH)) == 1
    assert searches(feed_server) == []


async def test_search_refused_without_session_is_fatal_with_hint(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    feed_server.override(SEARCH_PATH, b'{"error":"Forbidden"}', status=403, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect(bluesky(feed_server))
    assert caught.value.status == 403
    assert "App passwords" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "answer",
    [
        b'{"error": "BadQueryString", "message": "could not parse the query: unbalanced quote"}',
        b'{"error": "InvalidRequest", "message": "Invalid lang: must be a BCP-47 tag"}',
    ],
)
async def test_a_search_bluesky_cannot_read_says_bluesky_s_reason(
    feed_server: FeedServer, answer: bytes
) -> None:
    serve_search(feed_server)
    feed_server.override(SEARCH_PATH, answer, status=400, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect(bluesky(feed_server))
    said = json.loads(answer)
    assert f"(HTTP 400: {said['error']}: {said['message']})" in str(caught.value)
    assert "check the URL" not in (caught.value.hint or "")
    assert "brand query" in (caught.value.hint or "")


EXPIRED = b'{"error": "ExpiredToken", "message": "Token has expired"}'


async def test_an_expired_session_is_renewed_and_the_search_asked_again(
    feed_server: FeedServer,
) -> None:
    serve_search(feed_server)
    feed_server.route(SEARCH_PATH).queue(400, headers={"Content-Type": JSON}, body=EXPIRED)
    collected = await collect(bluesky(feed_server))
    assert len(collected.mentions) == 5
    assert len(feed_server.requests(SESSION_PATH)) == 2


async def test_a_session_expired_again_at_once_is_transient(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    feed_server.override(SEARCH_PATH, EXPIRED, status=400, content_type=JSON)
    with pytest.raises(TransientSourceError) as caught:
        await collect(bluesky(feed_server))
    assert "ExpiredToken: Token has expired" in str(caught.value)
    assert len(feed_server.requests(SESSION_PATH)) == 2 and len(searches(feed_server)) == 2


async def test_rate_limited_search_is_transient(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    reset = "1795166400"
    feed_server.override(
        SEARCH_PATH,
        recorded("search_429_rate_limit.json"),
        status=429,
        content_type=JSON,
        headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": reset},
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(bluesky(feed_server))
    assert caught.value.status == 429


async def test_html_instead_of_json_is_transient(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    feed_server.override(
        SEARCH_PATH, b"<html><body>Bad gateway</body></html>", content_type="text/html"
    )
    with pytest.raises(TransientSourceError):
        await collect(bluesky(feed_server))


async def test_page_after_cursor_path_matches_what_is_asked(feed_server: FeedServer) -> None:
    serve_search(feed_server)
    await collect(bluesky(feed_server, max_pages=2))
    cursor = json.loads(recorded("search_danone_page1.json"))["cursor"]
    assert searches(feed_server)[1].path == page_path(feed_server.base_url, "danone", cursor)


@pytest.mark.skipif(not REAL_SEARCH.is_file(), reason=f"no eval payload at {REAL_SEARCH}")
async def test_real_search_answer(feed_server: FeedServer) -> None:
    feed_server.add(SESSION_PATH, recorded("session.json"), content_type=JSON)
    feed_server.add(SEARCH_PATH, REAL_SEARCH.read_bytes(), content_type=JSON)
    collected = await collect(bluesky(feed_server, max_pages=1), query="anthropic")
    assert len(collected.mentions) == 3
    german, linked, _ = collected.mentions
    assert german.url == "https://bsky.app/profile/zachrid.bsky.social/post/3msjxw2tiqs2l"
    assert german.author_handle == "zachrid.bsky.social"
    assert german.author_name and german.author_name.startswith("Zach")
    assert german.lang_hint == "de"
    assert german.published_at == datetime(2026, 8, 8, 1, 59, 18, 455000, tzinfo=UTC)
    assert german.extra["in_reply_to"].startswith("at://did:plc:vk2mooi24pafrjmhpg4ymrv3/")
    assert german.metrics == {"likes": 0, "reposts": 0, "replies": 0, "quotes": 0}
    assert german.engagement == 0
    # An empty display name falls back to the handle.
    assert linked.author_name == "papoo7.bsky.social"
    assert linked.published_at == datetime(2026, 8, 8, 1, 59, 17, 261633, tzinfo=UTC)
    assert linked.extra["link"] == "https://papoo.work/doc/4d9d0a1c8960a997"
    # Its card's title is the post's first line: the text says it once.
    text = normalize(linked).text
    assert text.count("Claude Didn’t “Hack”") == 1, text
    assert all(normalize(m).platform == "bluesky" for m in collected.mentions)
