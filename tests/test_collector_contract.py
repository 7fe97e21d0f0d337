"""The contract every registered collector honours, run against its recorded responses.

Parametrized over ``available_collectors()``: a collector without a scenario in
``tests/scenarios/`` fails here, so no collector ships untested.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.scenarios import Scenario, all_scenarios
from tests.support.feedserver import FeedServer
from veille.collectors.base import available_collectors
from veille.errors import TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

KINDS = sorted(available_collectors())
SCENARIOS = all_scenarios()
SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)


@pytest.fixture(params=KINDS)
def scenario(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Scenario:
    """The recorded scenario of one collector kind, with its credentials in the environment."""
    kind = request.param
    assert kind in SCENARIOS, f"collector {kind!r} has no scenario in tests/scenarios/{kind}.py"
    found = SCENARIOS[kind]
    for name, value in found.env.items():
        monkeypatch.setenv(name, value)
    return found


async def _collect(
    scenario: Scenario, options: dict[str, Any], *, since: datetime | None = None
) -> Collected:
    collector_class = available_collectors()[scenario.kind]
    collector = collector_class("contract", collector_class.options_model(**options))
    query = scenario.query if collector_class.per_brand else None
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(
            fetcher, SourceState(), query=query, since=since, languages=("fr", "en")
        )


async def test_yields_well_formed_mentions(scenario: Scenario, feed_server: FeedServer) -> None:
    collected = await _collect(scenario, dict(scenario.serve(feed_server)))
    assert collected.mentions, "the recorded result should yield items"
    for mention in collected.mentions:
        assert mention.source == "contract"
        assert mention.title or mention.content_html
        assert mention.url is None or mention.url.startswith(("http://", "https://"))
        assert mention.published_at is None or mention.published_at.utcoffset() is not None
        assert all(isinstance(v, int) and v >= 0 for v in mention.metrics.values())
        document = normalize(mention)
        assert document.identity and document.platform


async def test_respects_since(scenario: Scenario, feed_server: FeedServer) -> None:
    options = dict(scenario.serve(feed_server))
    everything = await _collect(scenario, options)
    dates = sorted(m.published_at for m in everything.mentions if m.published_at)
    assert len(dates) >= 2, "the recorded result should hold items of different times"
    middle = dates[len(dates) // 2 - 1]
    recent = await _collect(scenario, options, since=middle)
    assert all(m.published_at is None or m.published_at > middle for m in recent.mentions)
    assert len(recent.mentions) < len(everything.mentions)


async def test_stops_at_the_page_cap(scenario: Scenario, feed_server: FeedServer) -> None:
    if not scenario.paginated:
        pytest.skip(f"{scenario.kind} sources are a single page")
    options = dict(scenario.serve(feed_server)) | {"max_pages": 1}
    cut = await _collect(scenario, options)
    searches = [r for r in feed_server.requests() if r.path.split("?")[0] == scenario.search_path]
    assert len(searches) == 1
    # A next page was there, left unread: the pass says so, for the source's health.
    assert cut.warning and "older" in cut.warning
    options["max_pages"] = 2
    before = len(feed_server.requests())
    await _collect(scenario, options)
    later = feed_server.requests()[before:]
    assert len([r for r in later if r.path.split("?")[0] == scenario.search_path]) == 2


async def test_survives_an_empty_result(scenario: Scenario, feed_server: FeedServer) -> None:
    collected = await _collect(scenario, dict(scenario.serve_empty(feed_server)))
    assert collected.mentions == []


@pytest.mark.parametrize("status", [429, 500])
async def test_rate_limit_and_server_error_are_transient(
    scenario: Scenario, feed_server: FeedServer, status: int
) -> None:
    options = dict(scenario.serve(feed_server))
    feed_server.override(scenario.search_path, b"", status=status, headers={"Retry-After": "3600"})
    with pytest.raises(TransientSourceError) as caught:
        await _collect(scenario, options)
    assert caught.value.status == status
    assert caught.value.source == "contract"
