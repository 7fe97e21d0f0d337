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


# A Bing News answer about Michelin only, whatever the brand searched.
MICHELIN_NEWS = b"""<?xml version="1.0" encoding="utf-8" ?>
<rss xmlns:News="https://www.bing.com:443/news/search?q=x&amp;format=rss" version="2.0"><channel>
<title>BingNews</title><link>https://www.bing.com/news</link><description>r</description>
<item><title>Michelin ouvre une usine de pneus recycl\xc3\xa9s</title>
<link>https://www.exemple-presse.fr/michelin-usine-recyclage.html</link>
<description>Le fabricant de pneus investit en Auvergne.</description>
<pubDate>Tue, 03 Mar 2026 08:20:00 GMT</pubDate><News:Source>Exemple</News:Source></item>
</channel></rss>"""


def test_a_search_counts_the_mentions_of_other_brands_apart_from_its_brand_s(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from veille.settings import load_settings
    from veille.store import Store
    from veille.store.schema import run_source_table, run_table

    feed_server.override("/news/search", MICHELIN_NEWS)
    base_url = feed_server.base_url
    extra = f'\n[[sources]]\nname = "bing"\nkind = "bing_news"\nbase_url = "{base_url}"\n'
    config = write_config(tmp_path, {}, extra=extra)
    # Danone's search is the only one: its results are matched against every brand.
    result = run(config, "collect", "--quiet", "--brand", "Danone")
    assert result.exit_code == 0, result.output
    mentions = json.loads(run(config, "mentions", "--format", "json").output)
    assert [(m["brand"], m["source"]) for m in mentions] == [("Michelin", "bing")]
    row = next(line for line in result.output.splitlines() if "bing (Danone)" in line)
    assert "│ 0 (+1 for other brands) │" in row, row
    assert "1 new mention(s) from 1 source(s)" in result.output
    store = Store.open(load_settings(config).database_url)
    try:
        with store.engine.connect() as connection:
            recorded = connection.execute(
                select(
                    run_source_table.c.new_mentions, run_source_table.c.new_mentions_other_brands
                )
            ).all()
            total = connection.execute(select(run_table.c.new_mentions)).scalar_one()
    finally:
        store.close()
    assert recorded == [(0, 1)]
    assert total == 1
