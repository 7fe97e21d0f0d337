"""Search sources through the whole pipeline: per-brand passes, figures, missing credentials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scenarios.hackernews import SCENARIO as HACKERNEWS
from tests.support.feedserver import FeedServer
from tests.support.project import (
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)

pytestmark = pytest.mark.usefixtures("project_engine")

CREDENTIALS = ("VEILLE_REDDIT_CLIENT_ID", "VEILLE_REDDIT_CLIENT_SECRET")


@pytest.fixture
def config(feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Hacker News on the local server, and Reddit without its credentials."""
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    options = HACKERNEWS.serve(feed_server)
    extra = (
        f'\n[[sources]]\nname = "hn"\nkind = "hackernews"\nbase_url = "{options["base_url"]}"\n'
        f"hitsPerPage = {options['hitsPerPage']}\n"
        '\n[[sources]]\nname = "reddit"\nkind = "reddit"\n'
    )
    return write_config(tmp_path, {}, extra=extra)


def test_search_sources_run_per_brand_and_store_their_figures(
    config: Path, feed_server: FeedServer
) -> None:
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    # One search per brand: Danone's query and Michelin's.
    queries = {r.path.split("query=")[1].split("&")[0] for r in feed_server.requests()}
    assert {"danone", "Michelin"} <= queries
    assert "hn (Danone)" in result.output and "hn (Michelin)" in result.output
    mentions = json.loads(run(config, "mentions", "--format", "json").output)
    assert mentions and {m["platform"] for m in mentions} == {"hackernews"}
    for mention in mentions:
        assert mention["url"].startswith("https://news.ycombinator.com/item?id=")
        assert mention["author"] and mention["published_at"]
        # Stories carry points and comments; Algolia gives comments no figures at all.
        expected = sum(mention["metrics"].values()) if mention["metrics"] else None
        assert mention["engagement"] == expected
    assert any(m["metrics"].get("points") for m in mentions)


def test_missing_credentials_skip_the_source_with_a_visible_reason(config: Path) -> None:
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    assert "VEILLE_REDDIT_CLIENT_ID" in result.output
    health = json.loads(run(config, "sources", "list", "--format", "json").output)
    reddit = [row for row in health if row["name"] == "reddit"]
    assert reddit and all("VEILLE_REDDIT_CLIENT_ID" in str(row["last_error"]) for row in reddit)
    assert all(row["consecutive_failures"] == 1 for row in reddit)
    assert "Traceback" not in result.output
