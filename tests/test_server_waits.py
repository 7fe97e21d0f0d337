"""``veille collect --all`` leaves alone the sources a server asked to wait, unless named.

A 429 or 503 with Retry-After (or a rate limit's reset) says when the server may be asked
again. Scheduled passes wait for it through the source's next check; a pass with ``--all``,
which checks every source whatever its next check, must not ask it before then either, as a
user refreshing everything would otherwise make a block (Google's "unusual traffic") worse.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.scenarios.bing_news import FRENCH, market_path
from tests.support.feedserver import FeedServer
from tests.support.project import (
    TEST_HTTP,
    feed_bytes,
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)

pytestmark = pytest.mark.usefixtures("project_engine")

MICHELIN_NEWS = b"""<?xml version="1.0" encoding="utf-8" ?>
<rss xmlns:News="https://www.bing.com:443/news/search?q=x&amp;format=rss" version="2.0"><channel>
<title>BingNews</title><link>https://www.bing.com/news</link><description>r</description>
<item><title>Michelin ouvre une usine de pneus recycl\xc3\xa9s</title>
<link>https://www.exemple-presse.fr/michelin-usine-recyclage.html</link>
<description>Le fabricant de pneus investit en Auvergne.</description>
<pubDate>Tue, 03 Mar 2026 08:20:00 GMT</pubDate><News:Source>Exemple</News:Source></item>
</channel></rss>"""


@pytest.fixture
def feeds(feed_server: FeedServer, tmp_path: Path) -> Path:
    """A working feed, one rate-limited for an hour (429) and one down for two hours (503)."""
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    feed_server.add("/limited.xml", b"", status=429, headers={"Retry-After": "3600"})
    back = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    feed_server.add("/busy.xml", b"", status=503, headers={"Retry-After": back})
    sources = {name: feed_server.url(f"/{name}.xml") for name in ("fr", "limited", "busy")}
    return write_config(tmp_path, sources)


def test_all_leaves_alone_the_sources_a_server_asked_to_wait(
    feeds: Path, feed_server: FeedServer
) -> None:
    assert run(feeds, "collect", "--quiet").exit_code == 0
    asked = {name: len(feed_server.requests(f"/{name}.xml")) for name in ("fr", "limited", "busy")}
    result = run(feeds, "collect", "--all", "--quiet")
    assert result.exit_code == 0, result.output
    assert len(feed_server.requests("/fr.xml")) == asked["fr"] + 1  # due or not
    assert len(feed_server.requests("/limited.xml")) == asked["limited"]
    assert len(feed_server.requests("/busy.xml")) == asked["busy"]
    # Said, with when each may be asked again and how to ask one all the same.
    output = " ".join(result.output.split())
    in_an_hour = datetime.now(UTC) + timedelta(hours=1)
    assert "2 source(s) not asked, their server having asked to wait: busy until " in output
    assert f"limited until {in_an_hour:%Y-%m-%d %H:}" in output
    assert "`veille collect --all --source NAME` asks one all the same." in output
    listing = run(feeds, "sources", "list").output
    limited = next(line for line in listing.splitlines() if line.startswith("│ limited"))
    assert "(the server's wait)" in limited
    # Named, it is asked: the user means it.
    result = run(feeds, "collect", "--all", "--quiet", "--source", "limited")
    assert result.exit_code == 0, result.output
    assert len(feed_server.requests("/limited.xml")) == asked["limited"] + 1
    assert "not asked" not in result.output


def test_all_with_every_source_waiting_says_so_rather_than_nothing_is_due(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add("/limited.xml", b"", status=429, headers={"Retry-After": "3600"})
    config = write_config(tmp_path, {"limited": feed_server.url("/limited.xml")})
    assert run(config, "collect", "--quiet").exit_code == 0
    result = run(config, "collect", "--all", "--quiet")
    assert result.exit_code == 0, result.output
    assert len(feed_server.requests("/limited.xml")) == 1
    assert "1 source(s) not asked, their server having asked to wait: limited until" in (
        " ".join(result.output.split())
    )
    assert "No source is due" not in result.output


def test_a_search_asks_again_the_brands_its_server_did_not_ask_to_wait(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    danone = market_path(feed_server, "danone", FRENCH)
    michelin = market_path(feed_server, "michelin", FRENCH)
    feed_server.add(danone, b"", status=429, headers={"Retry-After": "3600"})
    feed_server.add(michelin, MICHELIN_NEWS)
    config = tmp_path / "config" / "veille.toml"
    config.parent.mkdir()
    config.write_text(
        '[[brands]]\nname = "Danone"\nquery = "danone"\nlanguages = ["fr"]\n'
        '[[brands]]\nname = "Michelin"\nquery = "michelin"\nlanguages = ["fr"]\n'
        + TEST_HTTP
        + f'[[sources]]\nname = "bing"\nkind = "bing_news"\nbase_url = "{feed_server.base_url}"\n',
        encoding="utf-8",
    )
    assert run(config, "collect", "--quiet").exit_code == 0
    assert (len(feed_server.requests(danone)), len(feed_server.requests(michelin))) == (1, 1)
    result = run(config, "collect", "--all", "--quiet")
    assert result.exit_code == 0, result.output
    assert (len(feed_server.requests(danone)), len(feed_server.requests(michelin))) == (1, 2)
    assert "bing (Danone) until" in " ".join(result.output.split())
    health = json.loads(run(config, "sources", "list", "--format", "json").output)
    assert {row["brand"]: row["consecutive_failures"] for row in health} == {
        "Danone": 1,
        "Michelin": 0,
    }
