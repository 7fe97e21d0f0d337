"""A 429 without Retry-After waits as long as the source's own rate-limit answer says.

The fetcher's retries would otherwise come back after its short backoff (about 1 s, then 3 s)
and be refused again, against the source's rule. A wait the fetcher may not spend inside a
pass (longer than ``max_retry_after``) ends the call at once, the wait kept on the error so
that the source is not asked again before it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from tests.scenarios.bluesky import serve_search as serve_bluesky
from tests.scenarios.gdelt import recorded as gdelt_recorded
from tests.scenarios.mastodon import TAG_PATH
from tests.scenarios.reddit import ENV, options_for, serve_token
from tests.support.feedserver import FeedServer, LoggedRequest
from veille.collectors.bluesky import HANDLE_VAR as BLUESKY_HANDLE
from veille.collectors.bluesky import PASSWORD_VAR as BLUESKY_PASSWORD
from veille.collectors.bluesky import SEARCH_PATH as BLUESKY_SEARCH_PATH
from veille.collectors.bluesky import BlueskyCollector, BlueskyOptions
from veille.collectors.gdelt import RATE_LIMITED_WAIT, SEARCH_PATH, GdeltCollector
from veille.collectors.github import SEARCH_PATH as GITHUB_SEARCH_PATH
from veille.collectors.github import GitHubCollector
from veille.collectors.mastodon import TOKEN_VARIABLE, MastodonCollector
from veille.collectors.reddit import RedditCollector, RedditOptions
from veille.errors import TransientSourceError
from veille.fetch import Fetcher
from veille.settings import HttpSettings
from veille.types import SourceState

# The fetcher's usual manners: two retries after backoff, waits of up to 30 s inside a pass.
RETRYING = HttpSettings(retries=2, backoff_seconds=1, max_retry_after=30, read_timeout=5)
TOO_MANY = b'{"error": "Too many requests"}'


def asked(server: FeedServer, path: str) -> list[LoggedRequest]:
    """The requests for ``path``, whatever their query string."""
    return [r for r in server.requests() if r.path.split("?")[0] == path]


async def test_a_wait_longer_than_the_fetcher_may_spend_ends_the_call(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/api", TOO_MANY, status=429, content_type="application/json")

    def wait(headers: Mapping[str, str]) -> float:
        return 240.0

    async with Fetcher(RETRYING) as fetcher:
        with pytest.raises(TransientSourceError) as caught:
            await fetcher.fetch(feed_server.url("/api"), source="api", rate_limit_wait=wait)
    assert len(feed_server.requests("/api")) == 1
    assert caught.value.retry_after == 240.0


async def test_a_wait_within_the_budget_is_the_delay_of_each_retry(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/api", TOO_MANY, status=429, content_type="application/json")
    seen: list[str | None] = []

    def wait(headers: Mapping[str, str]) -> float:
        seen.append(headers.get("x-wait"))
        return 0.01

    feed_server.route("/api").headers["X-Wait"] = "0.01"
    settings = HttpSettings(retries=1, backoff_seconds=30, max_retry_after=1, read_timeout=5)
    async with Fetcher(settings) as fetcher:
        with pytest.raises(TransientSourceError) as caught:
            await fetcher.fetch(feed_server.url("/api"), source="api", rate_limit_wait=wait)
    assert len(feed_server.requests("/api")) == 2  # retried after 0.01 s, not 30 s of backoff
    assert caught.value.retry_after == 0.01 and seen == ["0.01", "0.01"]


async def test_retry_after_wins_over_the_source_s_own_headers(feed_server: FeedServer) -> None:
    feed_server.add("/api", b"{}", content_type="application/json")
    feed_server.route("/api").queue(429, headers={"Retry-After": "0"})

    def wait(headers: Mapping[str, str]) -> float:
        raise AssertionError("Retry-After is the server's own word")

    async with Fetcher(RETRYING) as fetcher:
        result = await fetcher.fetch(feed_server.url("/api"), source="api", rate_limit_wait=wait)
    assert result.status == 200 and result.requests == 2


async def test_gdelt_is_left_alone_a_minute_after_a_429(feed_server: FeedServer) -> None:
    feed_server.add(
        SEARCH_PATH, gdelt_recorded("rate_limit.txt"), status=429, content_type="text/plain"
    )
    collector = GdeltCollector(
        "gdelt",
        {"base_url": feed_server.base_url, "min_interval": 0},  # type: ignore[arg-type]
    )
    settings = HttpSettings(retries=2, backoff_seconds=1, max_retry_after=59, read_timeout=5)
    async with Fetcher(settings) as fetcher:
        with pytest.raises(TransientSourceError) as caught:
            await collector.collect(fetcher, SourceState(), query="danone", since=None)
    assert len(feed_server.requests()) == 1  # not again 1.4 s and 3.7 s later
    assert caught.value.retry_after == RATE_LIMITED_WAIT


async def test_after_a_429_the_other_gdelt_searches_of_the_process_are_not_sent(
    feed_server: FeedServer,
) -> None:
    feed_server.add(
        SEARCH_PATH, gdelt_recorded("rate_limit.txt"), status=429, content_type="text/plain"
    )
    options = {"base_url": feed_server.base_url, "min_interval": 0}
    settings = HttpSettings(retries=0, max_retry_after=1, read_timeout=5)
    async with Fetcher(settings) as fetcher:
        for brand in ("danone", "evian", "volvic"):
            collector = GdeltCollector(f"gdelt-{brand}", options)  # type: ignore[arg-type]
            with pytest.raises(TransientSourceError) as caught:
                await collector.collect(fetcher, SourceState(), query=brand, since=None)
            assert 0 < (caught.value.retry_after or 0) <= RATE_LIMITED_WAIT
    # The first search was refused; the others waited for nothing and asked nothing.
    assert len(feed_server.requests()) == 1
    assert "not asked again for" in str(caught.value)


async def test_reddit_waits_for_its_budget_reset_after_a_429(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    serve_token(feed_server)
    feed_server.add(
        "/search",
        TOO_MANY,
        status=429,
        content_type="application/json",
        headers={"X-Ratelimit-Reset": "240"},
    )
    collector = RedditCollector("reddit", RedditOptions(**options_for(feed_server)))
    async with Fetcher(RETRYING) as fetcher:
        with pytest.raises(TransientSourceError) as caught:
            await collector.collect(fetcher, SourceState(), query="danone", since=None)
        assert caught.value.retry_after == 240
        # Another brand of the same pass does not ask Reddit before the reset either.
        with pytest.raises(TransientSourceError):
            await collector.collect(fetcher, SourceState(), query="michelin", since=None)
    assert len(asked(feed_server, "/search")) == 1


async def test_mastodon_waits_until_its_rate_limit_resets_after_a_429(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    monkeypatch.delenv(f"{TOKEN_VARIABLE}_FILE", raising=False)
    reset = (datetime.now(UTC) + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    feed_server.add(
        TAG_PATH,
        TOO_MANY,
        status=429,
        content_type="application/json",
        headers={"X-RateLimit-Reset": reset},
    )
    collector = MastodonCollector("toots", {"base_url": feed_server.base_url})
    async with Fetcher(RETRYING) as fetcher:
        with pytest.raises(TransientSourceError) as caught:
            await collector.collect(fetcher, SourceState(), query="danone")
    assert len(asked(feed_server, TAG_PATH)) == 1
    assert caught.value.retry_after is not None and 7000 < caught.value.retry_after <= 7200


async def test_github_waits_for_its_rate_limit_reset_after_a_429(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("VEILLE_GITHUB_TOKEN_FILE", raising=False)
    reset = int(time.time()) + 300
    feed_server.add(
        GITHUB_SEARCH_PATH,
        TOO_MANY,
        status=429,
        content_type="application/json",
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    collector = GitHubCollector("gh", {"base_url": feed_server.base_url})
    async with Fetcher(RETRYING) as fetcher:
        with pytest.raises(TransientSourceError) as caught:
            await collector.collect(fetcher, SourceState(), query="danone", since=None)
    assert len(asked(feed_server, GITHUB_SEARCH_PATH)) == 1
    assert caught.value.retry_after is not None and 240 < caught.value.retry_after <= 300


async def test_bluesky_waits_for_its_rate_limit_reset_after_a_429(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BLUESKY_HANDLE, "veille-bot.bsky.social")
    monkeypatch.setenv(BLUESKY_PASSWORD, "abcd-efgh-ijkl-mnop")
    options = serve_bluesky(feed_server)
    reset = int(time.time()) + 300
    feed_server.override(
        BLUESKY_SEARCH_PATH,
        b'{"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}',
        status=429,
        content_type="application/json",
        headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)},
    )
    collector = BlueskyCollector("bsky", BlueskyOptions(**options))
    async with Fetcher(RETRYING) as fetcher:
        with pytest.raises(TransientSourceError) as caught:
            await collector.collect(fetcher, SourceState(), query="danone", since=None)
    assert len(asked(feed_server, BLUESKY_SEARCH_PATH)) == 1
    assert caught.value.retry_after is not None and 240 < caught.value.retry_after <= 300
    assert "Bluesky rate limit reached (HTTP 429: RateLimitExceeded" in str(caught.value)
