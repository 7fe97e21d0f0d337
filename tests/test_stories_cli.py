"""``veille mentions --group-by story``: the copies of a story on several sites in one row."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import project_engine_fixture, run, write_config  # noqa: F401
from veille.store.story_list import STORY_FIELDS

pytestmark = pytest.mark.usefixtures("project_engine")

STORY = "Danone ferme son usine de Villefranche, 240 emplois menacés"
TEXT = (
    "Le groupe agroalimentaire Danone a annoncé mardi la fermeture de son usine de "
    "Villefranche, qui emploie 240 salariés, en invoquant la baisse des ventes."
)
MORNING = ("Tue, 03 Mar 2026 07:00:00 GMT", "Tue, 03 Mar 2026 09:00:00 GMT")


def _feed(*items: tuple[str, str, str, str]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><description>{text}</description>"
        f"<pubDate>{date}</pubDate></item>"
        for title, link, text, date in items
    )
    channel = f"<channel><title>t</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


@pytest.fixture
def collected(feed_server: FeedServer, tmp_path: Path) -> Path:
    """Two sites carrying the same wire story, one of them another Danone story too."""
    feed_server.add(
        "/monde.xml",
        _feed((STORY, "https://www.lemonde.fr/a1", TEXT, MORNING[1].replace("09:", "08:"))),
    )
    feed_server.add(
        "/point.xml",
        _feed(
            (f"DIRECT - {STORY} - Le Point", "https://www.lepoint.fr/b1", TEXT[:90], MORNING[1]),
            ("Danone lance un yaourt végétal", "https://www.lepoint.fr/b2", "", MORNING[0]),
        ),
    )
    config = write_config(
        tmp_path, {"monde": feed_server.url("/monde.xml"), "point": feed_server.url("/point.xml")}
    )
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    return config


def test_group_by_story_gives_one_row_per_story(collected: Path) -> None:
    result = run(collected, "mentions", "--group-by", "story", "--format", "json")
    assert result.exit_code == 0, result.output
    stories = json.loads(result.output)
    assert [tuple(story) for story in stories] == [STORY_FIELDS] * 2
    assert [s["sightings"] for s in stories] == [2, 1]  # last seen first
    assert stories[0]["title"] == STORY and stories[0]["site"] == "lemonde.fr"
    assert stories[0]["sites"] == 2 and stories[0]["brands"] == ["Danone"]
    mentions = json.loads(run(collected, "mentions", "--format", "json").output)
    assert len({m["story_id"] for m in mentions}) == 2 and len(mentions) == 3


def test_group_by_story_as_csv_and_table(collected: Path) -> None:
    as_csv = run(collected, "mentions", "--group-by", "story", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert tuple(rows[0]) == STORY_FIELDS and rows[0]["sightings"] == "2"
    table = run(collected, "mentions", "--group-by", "story", "--site", "lepoint.fr")
    assert table.exit_code == 0, table.output
    assert "2 story(ies)." in table.output and "yaourt" in table.output
