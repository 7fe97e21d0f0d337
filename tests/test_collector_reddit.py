"""The ``reddit`` collector against recorded Reddit answers served on 127.0.0.1."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.scenarios.reddit import (
    ENV,
    JSON,
    PAGE_TWO_AFTER,
    SCENARIO,
    options_for,
    recorded,
    search_route,
    serve_token,
)
from tests.support.feedserver import FeedServer, LoggedRequest
from tests.support.watermarks import only_the_overlap
from veille import __version__
from veille.collectors._reddit_listing import mention_from_thing
from veille.collectors.reddit import RedditCollector, RedditOptions
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
REAL_LISTING = EVAL_DIR / "payloads" / "reddit" / "praw_r_all_search_q-praw-oauth-search.json"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy app credentials in the environment (tests that need none remove them)."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def collector_for(server: FeedServer, **options: object) -> RedditCollector:
    """A reddit collector pointed at the local server."""
    return RedditCollector("reddit-test", RedditOptions(**options_for(server, **options)))


async def collect(
    collector: RedditCollector,
    state: SourceState | None = None,
    *,
    query: str = "danone",
    since: datetime | None = None,
) -> Collected:
    """One pass of the collector with a fresh fetcher."""
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(fetcher, state or SourceState(), query=query, since=since)


def searches(server: FeedServer, path: str = "/search") -> list[LoggedRequest]:
    """The search requests the server saw."""
    return [r for r in server.requests() if r.path.split("?")[0] == path]


def params(request: LoggedRequest) -> dict[str, str]:
    """The decoded query string of a logged request (one value per name)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(request.path).query).items()}


def by_id(collected: Collected) -> dict[object, object]:
    """Mentions by their Reddit fullname."""
    return {m.extra["platform_id"]: m for m in collected.mentions}


async def test_posts_and_comments_become_complete_mentions(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    collected = await collect(collector_for(feed_server))
    mentions = by_id(collected)
    assert set(mentions) == {"t3_1hx3k2a", "t1_m5k2p1x", "t3_1hw7c2m", "t1_m5f1n8d"}

    post = mentions["t3_1hx3k2a"]
    assert post.source == "reddit-test"
    assert post.platform == "reddit"
    assert post.title == "Danone supprime 200 postes au siège de Rueil"
    assert "Rueil-Malmaison" in post.content_html
    assert post.url == (
        "https://www.reddit.com/r/france/comments/1hx3k2a/danone_supprime_200_postes_au_siege_de_rueil/"
    )
    assert (post.author_name, post.author_handle) == ("margaux_lyon", "margaux_lyon")
    assert post.author_url == "https://www.reddit.com/user/margaux_lyon"
    assert post.published_at == datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
    assert (post.site_name, post.site_url) == ("r/france", "https://www.reddit.com/r/france/")
    assert post.metrics == {"score": 412, "comments": 187, "subscribers": 1123456}
    assert post.engagement == 412 + 187
    assert post.reach == 1123456 + 412 + 187
    assert normalize(post).identity == "id:reddit:t3_1hx3k2a"

    comment = mentions["t1_m5k2p1x"]
    assert comment.title == ""  # judged on its own words, not on its thread's title
    assert "Michelin CrossClimate" in comment.content_html
    assert comment.extra["link_title"] == "Quels pneus toutes saisons pour une Clio ?"
    assert comment.extra["kind"] == "comment"
    assert comment.url == (
        "https://www.reddit.com/r/AskFrance/comments/1hwz9qe/"
        "quels_pneus_toutes_saisons_pour_une_clio/m5k2p1x/"
    )
    assert comment.site_name == "r/AskFrance"
    assert comment.published_at == datetime(2026, 1, 8, 7, 0, tzinfo=UTC)
    assert comment.metrics == {"score": 37}
    assert (comment.engagement, comment.reach) == (37, 37)

    link = mentions["t3_1hw7c2m"]
    assert link.extra["link_url"].startswith("https://www.reuters.com/business/")
    assert link.content_html == ""

    orphan = mentions["t1_m5f1n8d"]
    assert orphan.author_name is None and orphan.author_url is None  # "[deleted]"


async def test_the_query_is_sent_in_lucene_syntax_with_the_documented_parameters(
    feed_server: FeedServer,
) -> None:
    SCENARIO.serve(feed_server)
    query = '(danone OR "eaux minérales") NOT yaourt'
    feed_server.add(
        search_route('(danone OR "eaux minérales") AND NOT yaourt', after=PAGE_TWO_AFTER),
        recorded("search_page2.json"),
        content_type=JSON,
    )
    collected = await collect(collector_for(feed_server), query=query)
    first, second = searches(feed_server)
    assert params(first) == {
        "q": '(danone OR "eaux minérales") AND NOT yaourt',
        "sort": "new",
        "type": "link,comment",
        "limit": "100",
        "raw_json": "1",
    }
    assert params(second)["after"] == PAGE_TWO_AFTER
    assert len(collected.mentions) == 4


async def test_a_subreddit_is_searched_alone(feed_server: FeedServer) -> None:
    serve_token(feed_server)
    feed_server.add("/r/france/search", recorded("search_page2.json"), content_type=JSON)
    await collect(collector_for(feed_server, subreddit="r/france"))
    (request,) = searches(feed_server, "/r/france/search")
    assert params(request)["restrict_sr"] == "1"
    assert params(request)["q"] == "danone"


async def test_one_token_per_collector_with_basic_auth_and_user_agent(
    feed_server: FeedServer,
) -> None:
    SCENARIO.serve(feed_server)
    collector = collector_for(feed_server, max_pages=1)
    await collect(collector)
    await collect(collector, query="michelin")  # a second brand reuses the token
    (token_request,) = feed_server.requests("/api/v1/access_token")
    assert token_request.method == "POST"
    assert token_request.body == b"grant_type=client_credentials"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    expected = base64.b64encode(b"contract-client-id:contract-client-secret").decode()
    assert token_request.headers["authorization"] == f"Basic {expected}"
    search_requests = searches(feed_server)
    assert len(search_requests) == 2
    for request in search_requests:
        assert request.headers["authorization"].startswith("bearer eyJhbGciOiJSUzI1NiIs")
        assert request.headers["user-agent"] == f"veille/{__version__} (by /u/veille_ci)"


async def test_the_watermark_stops_paging_at_what_was_already_seen(
    feed_server: FeedServer,
) -> None:
    SCENARIO.serve(feed_server)
    collector = collector_for(feed_server)
    first = await collect(collector)
    assert first.state.cursor == "2026-01-08T09:00:00+00:00"
    before = len(searches(feed_server))
    second = await collect(collector, first.state)
    later = searches(feed_server)[before:]
    assert len(later) == 1 and "after" not in params(later[0])
    assert only_the_overlap(second.mentions, first.state.cursor)
    assert second.state.cursor == first.state.cursor


async def test_a_watermark_inside_page_two_reads_both_pages(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    state = SourceState(cursor="2026-01-07T10:00:00+00:00")
    collected = await collect(collector_for(feed_server), state)
    assert len(searches(feed_server)) == 2
    assert set(by_id(collected)) == {"t3_1hx3k2a", "t1_m5k2p1x", "t3_1hw7c2m"}


async def test_the_page_cap_is_reported(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    collected = await collect(collector_for(feed_server, max_pages=1))
    assert len(searches(feed_server)) == 1
    assert collected.warning and "older skipped" in collected.warning


async def test_a_spent_budget_stops_paging_then_waits(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    feed_server.add(
        "/search",
        recorded("search_page1.json"),
        content_type=JSON,
        headers={
            "X-Ratelimit-Remaining": "0.0",
            "X-Ratelimit-Used": "100",
            "X-Ratelimit-Reset": "240",
        },
    )
    collector = collector_for(feed_server, max_pages=3)
    collected = await collect(collector)
    assert len(searches(feed_server)) == 1
    assert len(collected.mentions) == 2
    assert collected.warning and "budget" in collected.warning
    assert collected.ttl_seconds == 240
    assert collected.state.cursor is None  # the next pass reads down to the old watermark
    with pytest.raises(TransientSourceError) as caught:
        await collect(collector, query="michelin")
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 240
    assert len(searches(feed_server)) == 1  # nothing was asked while the budget is spent


@pytest.mark.parametrize(
    ("missing", "kept"),
    [
        ("VEILLE_REDDIT_CLIENT_ID", "VEILLE_REDDIT_CLIENT_SECRET"),
        ("VEILLE_REDDIT_CLIENT_SECRET", "VEILLE_REDDIT_CLIENT_ID"),
    ],
)
async def test_missing_credentials_are_named(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, missing: str, kept: str
) -> None:
    SCENARIO.serve(feed_server)
    monkeypatch.delenv(missing)
    with pytest.raises(FatalSourceError) as caught:
        await collect(collector_for(feed_server))
    assert missing in str(caught.value) and kept not in str(caught.value)
    assert feed_server.requests() == []


async def test_refused_credentials_say_what_to_check(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    feed_server.add(
        "/api/v1/access_token", recorded("unauthorized.json"), status=401, content_type=JSON
    )
    with pytest.raises(FatalSourceError) as caught:
        await collect(collector_for(feed_server))
    error = caught.value
    assert error.status == 401
    assert error.hint and "VEILLE_REDDIT_CLIENT_SECRET" in error.hint
    assert "contract-client-secret" not in f"{error} {error.hint}"
    assert searches(feed_server) == []


async def test_a_token_answer_without_token_is_fatal(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    feed_server.add("/api/v1/access_token", recorded("token_invalid_grant.json"), content_type=JSON)
    with pytest.raises(FatalSourceError, match="invalid_grant"):
        await collect(collector_for(feed_server))


async def test_a_refused_token_is_renewed_once(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    feed_server.route("/search").queue(401, body=recorded("unauthorized.json"))
    collected = await collect(collector_for(feed_server))
    assert len(feed_server.requests("/api/v1/access_token")) == 2
    assert len(collected.mentions) == 4


@pytest.mark.parametrize(("username", "asked"), [(None, True), ("veille_bot", False)])
async def test_the_pardner_block_page_is_fatal_asking_for_a_username_only_when_none_is_set(
    feed_server: FeedServer, username: str | None, asked: bool
) -> None:
    SCENARIO.serve(feed_server)
    feed_server.override("/search", recorded("blocked.html"), status=403, content_type="text/html")
    with pytest.raises(FatalSourceError) as caught:
        await collect(collector_for(feed_server, username=username))
    assert caught.value.status == 403
    assert caught.value.hint is not None and "reddit.com/prefs/apps" in caught.value.hint
    assert ("set the `username` option" in caught.value.hint) is asked


async def test_a_429_is_transient_with_retry_after(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    feed_server.override(
        "/search",
        recorded("too_many_requests.json"),
        status=429,
        content_type=JSON,
        headers={"Retry-After": "30", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "30"},
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(collector_for(feed_server))
    assert (caught.value.status, caught.value.retry_after) == (429, 30)


async def test_an_html_page_instead_of_json_is_transient(feed_server: FeedServer) -> None:
    SCENARIO.serve(feed_server)
    feed_server.override("/search", recorded("blocked.html"), content_type="text/html")
    with pytest.raises(TransientSourceError, match="expected JSON"):
        await collect(collector_for(feed_server))


async def test_a_real_reddit_listing(feed_server: FeedServer) -> None:
    if not REAL_LISTING.exists():
        pytest.skip(f"no real Reddit payload at {REAL_LISTING}")
    serve_token(feed_server)
    feed_server.add("/search", REAL_LISTING.read_bytes(), content_type=JSON)
    collected = await collect(collector_for(feed_server), query="praw oauth search")
    assert len(collected.mentions) == 6
    assert len(searches(feed_server)) == 1  # "after" is null: one page
    first = by_id(collected)["t3_3gpbiu"]
    assert first.url == (
        "https://www.reddit.com/r/redditdev/comments/3gpbiu/"
        "prawoauth2util_problem_using_get_banned_raise/"
    )
    assert first.author_handle == "dClauzel"
    assert first.author_url == "https://www.reddit.com/user/dClauzel"
    assert first.site_name == "r/redditdev"
    assert first.published_at == datetime(2015, 8, 12, 9, 8, 34, tzinfo=UTC)
    assert first.metrics == {"score": 0, "comments": 21}  # no subscriber count in 2016
    assert first.content_html.startswith("<!-- SC_OFF -->")
    japanese = by_id(collected)["t3_4at068"]
    assert japanese.title.startswith("たびたび話題になる")
    assert japanese.site_url == "https://www.reddit.com/r/p18s/"
    assert all(normalize(m).platform == "reddit" for m in collected.mentions)


async def test_a_429_waits_for_the_announced_reset(feed_server: FeedServer) -> None:
    serve_token(feed_server)
    feed_server.override(
        "/search",
        b'{"message": "Too Many Requests", "error": 429}',
        status=429,
        content_type=JSON,
        headers={"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "42"},
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(collector_for(feed_server))
    assert caught.value.status == 429 and caught.value.retry_after == 42


POST = {
    "name": "t3_abc",
    "title": "Danone rappelle des yaourts",
    "permalink": "/r/france/comments/abc/danone/",
    "subreddit": "france",
    "created_utc": 1764324000,
    "is_self": True,
}


@pytest.mark.parametrize(
    "body",
    [
        {"selftext": "[removed]"},
        {"selftext": "[deleted]", "author": "[deleted]"},
        {"selftext": "[ Removed by Reddit ]"},
        {"selftext_html": '<!-- SC_OFF --><div class="md"><p>[removed]</p>\n</div><!-- SC_ON -->'},
    ],
)
def test_a_removed_post_keeps_its_title_with_an_empty_body(body: dict[str, str]) -> None:
    mention = mention_from_thing("t3", POST | {"author": "camille"} | body, source="reddit")
    assert mention is not None
    assert normalize(mention).title == "Danone rappelle des yaourts"
    assert mention.content_html == "" and normalize(mention).text == ""
    assert mention.extra["body_removed"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"body": "[deleted]", "body_html": '<div class="md"><p>[deleted]</p>\n</div>'},
        {"body_html": "<p>[deleted]</p>"},
        {"body": "[removed]"},
    ],
)
def test_a_removed_comment_is_skipped(body: dict[str, str]) -> None:
    comment = {"name": "t1_xyz", "permalink": "/r/france/comments/abc/danone/xyz/"}
    assert mention_from_thing("t1", comment | {"author": "[deleted]"} | body, source="r") is None


def test_a_text_that_only_quotes_the_placeholder_is_kept() -> None:
    comment = {"name": "t1_xyz", "body": "Mon commentaire sur Danone a été [removed] :("}
    mention = mention_from_thing("t1", comment, source="reddit")
    assert mention is not None and "[removed]" in normalize(mention).text
    assert "body_removed" not in mention.extra
