"""``veille sources check``: every source's answer, in order, whatever one collector does."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios.github import JSON, search_route
from tests.scenarios.github import recorded as github_page
from tests.support.feedserver import FeedServer
from tests.support.project import feed_bytes, run, write_config
from veille.check import CheckResult, check_sources
from veille.collectors.rss import RssCollector
from veille.settings import load_settings


def _world(feed_server: FeedServer, tmp_path: Path) -> Path:
    for name in ("a", "b", "c"):
        feed_server.add(f"/{name}.xml", feed_bytes("economie_fr.xml"), delay=0.05)
    return write_config(tmp_path, {name: feed_server.url(f"/{name}.xml") for name in "abc"})


def test_each_source_is_told_as_it_is_checked_and_results_keep_their_order(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    settings = load_settings(_world(feed_server, tmp_path))
    heard: list[tuple[str, int, int]] = []

    def progress(result: CheckResult, done: int, total: int) -> None:
        heard.append((result.source, done, total))

    results = asyncio.run(check_sources(settings, progress=progress))
    assert [result.source for result in results] == ["a", "b", "c"]
    assert all(result.ok and result.items for result in results)
    assert sorted(source for source, _, _ in heard) == ["a", "b", "c"]
    assert [(done, total) for _, done, total in heard] == [(1, 3), (2, 3), (3, 3)]


def test_a_collector_s_bug_fails_its_source_only(
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = _world(feed_server, tmp_path)
    real_collect = RssCollector.collect

    async def buggy_for_b(collector: RssCollector, *args: Any, **kwargs: Any) -> Any:
        if collector.source_name == "b":
            raise KeyError("guid")  # as a bug in reading an odd item would
        return await real_collect(collector, *args, **kwargs)

    monkeypatch.setattr(RssCollector, "collect", buggy_for_b)
    with caplog.at_level(logging.ERROR, logger="veille.check"):
        result = run(config, "sources", "check")
    assert result.exit_code == 1
    assert "3 source(s) checked, 1 failed." in result.output
    assert "internal error: KeyError" in result.output
    assert "checking b failed" in caplog.text, "the traceback is logged for a bug report"


def test_an_unknown_name_among_many_sources_offers_the_closest_not_all(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, {f"feed-{index}": f"http://127.0.0.1:9/{index}.xml" for index in range(500)}
    )
    result = run(config, "sources", "check", "feed-1O")
    assert result.exit_code == 2
    assert "unknown source 'feed-1O' (did you mean feed-1 or " in result.output
    assert "500 known)" in result.output
    assert "feed-499" not in result.output


def test_a_search_source_is_tried_with_every_brand_s_query(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub refuses only the second brand's query: its row fails, the first's does not."""
    monkeypatch.delenv("VEILLE_GITHUB_TOKEN", raising=False)
    feed_server.add("/search/issues", github_page("search_issues_page1.json"), content_type=JSON)
    refused = b'{"message": "Validation Failed", "errors": [{"message": "too many operators"}]}'
    feed_server.add(search_route("evian", page=1), refused, status=422, content_type=JSON)
    config = tmp_path / "veille.toml"
    config.write_text(
        f"""
[[brands]]
name = "Danone"
query = "danone"

[[brands]]
name = "Évian"
query = "evian"

[[sources]]
name = "gh"
kind = "github"
base_url = "{feed_server.base_url}"
per_page = 3
max_pages = 1
""",
        encoding="utf-8",
    )
    heard: list[tuple[str, int, int]] = []
    results = asyncio.run(
        check_sources(load_settings(config), progress=lambda r, d, t: heard.append((r.label, d, t)))
    )
    assert [(r.label, r.ok) for r in results] == [("gh (Danone)", True), ("gh (Évian)", False)]
    assert sorted(label for label, _, _ in heard) == ["gh (Danone)", "gh (Évian)"]
    assert sorted((done, total) for _, done, total in heard) == [(1, 2), (2, 2)]
    assert len(feed_server.requests()) == 2, "one request per brand"
    result = run(config, "sources", "check")
    assert result.exit_code == 1
    assert "too many operators" in result.output
    assert "1 source(s) checked (2 rows: search sources once per brand), 1 failed." in result.output
