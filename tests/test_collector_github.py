"""GitHubCollector against a real local server replaying recorded API answers."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.scenarios.github import GRAPHQL_PATH, JSON, SEARCH_PATH, recorded, search_route
from tests.support.feedserver import FeedServer
from veille.collectors.api import watermark
from veille.collectors.github import GitHubCollector
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, read_timeout=5)
TOKEN = "ghp_test0000000000000000000000000000000"
NEWEST = datetime(2026, 1, 12, 8, 14, 3, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start without a token; those that need one set it."""
    monkeypatch.delenv("VEILLE_GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("VEILLE_GITHUB_TOKEN_FILE", raising=False)


async def collect(
    server: FeedServer,
    *,
    query: str = "danone",
    state: SourceState | None = None,
    since: datetime | None = None,
    **options: object,
) -> Collected:
    collector = GitHubCollector("gh", {"base_url": server.base_url, "per_page": 3, **options})
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(fetcher, state or SourceState(), query=query, since=since)


def serve_two_pages(server: FeedServer, **route: object) -> None:
    server.add(SEARCH_PATH, recorded("search_issues_page1.json"), content_type=JSON, **route)
    page2 = recorded("search_issues_page2.json")
    server.add(search_route("danone", page=2), page2, content_type=JSON, **route)


def searches(server: FeedServer) -> list[dict[str, list[str]]]:
    """The query parameters of every issue search, in order."""
    return [
        parse_qs(urlsplit(r.path).query)
        for r in server.requests()
        if r.path.split("?")[0] == SEARCH_PATH
    ]


async def test_issues_and_pull_requests_become_mentions(feed_server: FeedServer) -> None:
    serve_two_pages(feed_server)
    collected = await collect(feed_server)
    assert [m.extra["number"] for m in collected.mentions] == [412, 87, 233, 1290, 58]
    issue, pull = collected.mentions[:2]
    assert issue.url == "https://github.com/opendatafrance/scdl-catalogue/issues/412"
    assert issue.title == "Ajouter les données de rappel de produits Danone"
    assert issue.content_html.startswith("Les rappels de produits **Danone**")
    assert (issue.author_name, issue.author_handle) == ("marie-dupont-dev", "marie-dupont-dev")
    assert issue.author_url == "https://github.com/marie-dupont-dev"
    assert issue.published_at == NEWEST
    assert issue.site_name == "opendatafrance/scdl-catalogue"
    assert issue.site_url == "https://github.com/opendatafrance/scdl-catalogue"
    assert issue.platform == "github"
    assert issue.metrics == {"comments": 4, "likes": 6}
    assert (issue.engagement, issue.reach) == (10, 10)
    assert issue.extra["kind"] == "issue"
    assert issue.extra["reactions"] == {"total_count": 6, "+1": 5, "heart": 1}
    assert normalize(issue).identity == "id:github:I_kwDOHt3Yk86lQ2xA"
    assert pull.extra["kind"] == "pull_request"
    assert pull.url == "https://github.com/tyre-tools/tread-api/pull/87"
    assert collected.mentions[2].extra["labels"] == ["bug", "paiement"]
    assert collected.state.cursor == NEWEST.isoformat()
    assert (collected.requests, collected.warning) == (2, None)


async def test_request_parameters_and_headers(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_two_pages(feed_server)
    await collect(feed_server, max_pages=1)
    monkeypatch.setenv("VEILLE_GITHUB_TOKEN", TOKEN)
    await collect(feed_server, max_pages=1)
    anonymous, authenticated = feed_server.requests()
    assert searches(feed_server)[0] == {
        "q": ["danone"], "sort": ["created"], "order": ["desc"], "per_page": ["3"], "page": ["1"]
    }  # fmt: skip
    assert anonymous.headers["accept"] == "application/vnd.github+json"
    assert anonymous.headers["x-github-api-version"] == "2022-11-28"
    assert "authorization" not in anonymous.headers
    assert authenticated.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("query", "qualifiers", "q"),
    [
        ('danone AND "eaux minérales" NOT cup', None, 'danone "eaux minérales" NOT cup'),
        ("(danone OR evian) AND eau", None, "(danone OR evian) eau"),
        ("danon* AND yaourt", None, "danon yaourt"),
        ("site:lemonde.fr danone lang:fr", None, "danone"),
        ("title:michelin", "org:michelin is:public", "michelin org:michelin is:public"),
        # An OR GitHub cannot say in full is widened to the query's keyword alternatives.
        ('"groupe danone" OR site:danone.com OR evian', None, "(groupe danone) OR evian"),
    ],
)
async def test_query_is_compiled_to_github_syntax(
    feed_server: FeedServer, query: str, qualifiers: str | None, q: str
) -> None:
    feed_server.add(SEARCH_PATH, recorded("search_issues_empty.json"), content_type=JSON)
    await collect(feed_server, query=query, qualifiers=qualifiers)
    assert searches(feed_server)[0]["q"] == [q]


async def test_a_query_of_scopes_only_is_fatal(feed_server: FeedServer) -> None:
    with pytest.raises(FatalSourceError, match="no word GitHub can search for"):
        await collect(feed_server, query="site:lemonde.fr lang:fr")
    assert feed_server.requests() == []


async def test_second_pass_asks_only_for_newer_items(feed_server: FeedServer) -> None:
    serve_two_pages(feed_server)
    first = await collect(feed_server)
    second = await collect(feed_server, state=first.state, max_pages=1)
    assert first.state.cursor == NEWEST.isoformat()
    start = watermark(first.state, None)  # the newest item seen, less the shared overlap
    assert start is not None and NEWEST - timedelta(hours=1) <= start <= NEWEST
    assert searches(feed_server)[-1]["q"] == [f"danone created:>{start:%Y-%m-%dT%H:%M:%SZ}"]
    # The server answers the same page again: only what is after the watermark comes back.
    assert [m.url for m in second.mentions] == [
        m.url for m in first.mentions if m.published_at and m.published_at > start
    ]
    assert second.state == first.state


async def test_since_narrows_the_search_and_the_items(feed_server: FeedServer) -> None:
    serve_two_pages(feed_server)
    since = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    collected = await collect(feed_server, since=since, qualifiers="is:public")
    assert searches(feed_server)[0]["q"] == ["danone created:>2026-01-10T12:00:00Z is:public"]
    assert [m.extra["number"] for m in collected.mentions] == [412, 87]


async def test_paging_stops_at_the_total(feed_server: FeedServer) -> None:
    page = json.loads(recorded("search_issues_page1.json")) | {"total_count": 3}
    feed_server.add(SEARCH_PATH, json.dumps(page).encode(), content_type=JSON)
    collected = await collect(feed_server, max_pages=5)
    assert len(searches(feed_server)) == 1 and len(collected.mentions) == 3


async def test_spent_budget_stops_paging_until_the_reset(feed_server: FeedServer) -> None:
    reset = int(time.time()) + 120
    serve_two_pages(
        feed_server, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    )
    collected = await collect(feed_server, max_pages=3)
    assert len(searches(feed_server)) == 1 and len(collected.mentions) == 3
    assert collected.ttl_seconds is not None and 60 <= collected.ttl_seconds <= 121
    assert collected.warning and "search rate limit used up" in collected.warning


async def test_rate_limit_403_is_transient_until_the_reset(feed_server: FeedServer) -> None:
    reset = int(time.time()) + 300
    feed_server.override(
        SEARCH_PATH,
        recorded("error_rate_limit.json"),
        status=403,
        content_type=JSON,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert caught.value.status == 403 and caught.value.source == "gh"
    assert len(feed_server.requests()) == 1  # read from the one refused answer
    assert caught.value.retry_after is not None and 240 <= caught.value.retry_after <= 301
    assert "API rate limit exceeded" in caught.value.message
    assert caught.value.hint and "VEILLE_GITHUB_TOKEN" in caught.value.hint


async def test_secondary_rate_limit_reads_a_retry_after_date(feed_server: FeedServer) -> None:
    in_two_minutes = format_datetime(datetime.now(UTC) + timedelta(minutes=2), usegmt=True)
    feed_server.override(
        SEARCH_PATH,
        recorded("error_secondary_rate_limit.json"),
        status=403,
        content_type=JSON,
        headers={"Retry-After": in_two_minutes},
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert caught.value.retry_after is not None and 60 < caught.value.retry_after <= 120


async def test_secondary_rate_limit_without_headers_waits_a_minute(
    feed_server: FeedServer,
) -> None:
    feed_server.override(
        SEARCH_PATH, recorded("error_secondary_rate_limit.json"), status=403, content_type=JSON
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert caught.value.retry_after == 60


async def test_other_403_is_fatal_with_githubs_reason(feed_server: FeedServer) -> None:
    feed_server.override(SEARCH_PATH, recorded("error_saml.json"), status=403, content_type=JSON)
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server, qualifiers="org:danone")
    assert "SAML enforcement" in caught.value.message
    assert caught.value.hint and "single sign-on" in caught.value.hint


async def test_bad_query_422_is_fatal_with_githubs_message(feed_server: FeedServer) -> None:
    feed_server.override(
        SEARCH_PATH, recorded("error_validation.json"), status=422, content_type=JSON
    )
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server, qualifiers="repo:danone/nope")
    assert "Validation Failed: The listed users and repositories cannot be searched" in str(
        caught.value
    )
    assert caught.value.status == 422


async def test_bad_token_is_fatal_and_not_shown(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_GITHUB_TOKEN", TOKEN)
    feed_server.override(
        SEARCH_PATH, recorded("error_bad_credentials.json"), status=401, content_type=JSON
    )
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server)
    assert "VEILLE_GITHUB_TOKEN" in caught.value.message
    assert TOKEN not in f"{caught.value.message} {caught.value.hint} {caught.value.url}"


async def test_discussions_are_searched_with_a_token(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_GITHUB_TOKEN", TOKEN)
    serve_two_pages(feed_server)
    feed_server.add(GRAPHQL_PATH, recorded("graphql_discussions.json"), content_type=JSON)
    collected = await collect(feed_server, include_discussions=True)
    [posted] = feed_server.requests(GRAPHQL_PATH)
    assert posted.method == "POST" and posted.headers["authorization"] == f"Bearer {TOKEN}"
    sent = json.loads(posted.body)
    assert "search(type: DISCUSSION" in sent["query"]
    assert sent["variables"] == {"q": "danone sort:created-desc", "first": 3, "after": None}
    discussions = [m for m in collected.mentions if m.extra["kind"] == "discussion"]
    assert len(collected.mentions) == 7 and len(discussions) == 2
    licence, ghost = discussions
    assert licence.url == "https://github.com/opendatafrance/scdl-catalogue/discussions/415"
    assert licence.author_handle == "marie-dupont-dev"
    assert licence.published_at == datetime(2026, 1, 11, 10, 5, tzinfo=UTC)
    assert licence.site_name == "opendatafrance/scdl-catalogue"
    assert licence.metrics == {"comments": 3, "likes": 2, "upvotes": 4}
    assert normalize(licence).identity == "id:github:D_kwDOHt3Yk84AZk1q"
    assert ghost.author_name is None and ghost.author_url is None


async def test_discussions_without_a_token_are_skipped_with_a_warning(
    feed_server: FeedServer,
) -> None:
    serve_two_pages(feed_server)
    collected = await collect(feed_server, include_discussions=True)
    assert feed_server.requests(GRAPHQL_PATH) == []
    assert len(collected.mentions) == 5
    assert collected.warning and "VEILLE_GITHUB_TOKEN" in collected.warning


async def test_graphql_rate_limit_is_transient(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_GITHUB_TOKEN", TOKEN)
    serve_two_pages(feed_server)
    feed_server.add(GRAPHQL_PATH, recorded("graphql_rate_limited.json"), content_type=JSON)
    with pytest.raises(TransientSourceError, match="GraphQL rate limit"):
        await collect(feed_server, include_discussions=True)


async def test_incomplete_results_are_reported(feed_server: FeedServer) -> None:
    page = json.loads(recorded("search_issues_page2.json")) | {"incomplete_results": True}
    feed_server.add(SEARCH_PATH, json.dumps(page).encode(), content_type=JSON)
    collected = await collect(feed_server)
    assert len(collected.mentions) == 2
    assert collected.warning and "timed out" in collected.warning


async def test_a_spent_budget_keeps_the_watermark_for_the_pages_left_unread(
    feed_server: FeedServer,
) -> None:
    reset = int(time.time()) + 120
    serve_two_pages(
        feed_server, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    )
    stored = SourceState(cursor=(NEWEST - timedelta(hours=10)).isoformat())
    cut = await collect(feed_server, state=stored, max_pages=3)
    assert len(searches(feed_server)) == 1  # page 2 of 5 results is left for later
    assert cut.state == stored
    assert cut.warning and "the next pass reads the rest" in cut.warning
    # Once the budget is back, the next pass asks from the old watermark again, not from now.
    feed_server.route(SEARCH_PATH).headers.clear()
    feed_server.route(search_route("danone", page=2)).headers.clear()
    after = await collect(feed_server, state=cut.state, max_pages=3)
    start = watermark(stored, None)
    assert start is not None
    assert searches(feed_server)[-1]["q"] == [f"danone created:>{start:%Y-%m-%dT%H:%M:%SZ}"]
    assert after.state.cursor == NEWEST.isoformat()


async def test_a_budget_spent_on_the_last_page_moves_the_watermark(
    feed_server: FeedServer,
) -> None:
    serve_two_pages(feed_server)
    feed_server.route(search_route("danone", page=2)).headers["X-RateLimit-Remaining"] = "0"
    collected = await collect(feed_server, max_pages=3)
    assert len(searches(feed_server)) == 2  # every page there was has been read
    assert collected.state.cursor == NEWEST.isoformat()
