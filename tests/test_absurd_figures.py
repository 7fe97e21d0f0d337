"""A figure no platform could count, JSON nested past reading, or a feed asking to be left
alone for ages fails no source's pass.

One hit of a search answer with ``points`` of 10^20, ``Infinity`` or ``1e400`` keeps its item
without that figure, and the answer's other items are stored, on SQLite and PostgreSQL alike
(``reach`` and ``engagement`` are 64-bit integer columns).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.scenarios.hackernews import JSON, SEARCH_PATH
from tests.support.feedserver import FeedServer
from tests.support.project import (  # noqa: F401
    feed_bytes,
    project_engine_fixture,
    run,
    write_config,
)
from veille.collectors._entries import parse_count
from veille.collectors.figures import MAX_COUNT, clean_metrics


def _hit(object_id: str, points: str, comments: str = "3") -> str:
    return (
        f'{{"objectID": "{object_id}", "title": "Danone item {object_id}", "author": "a",'
        f' "created_at_i": 1767866400, "points": {points}, "num_comments": {comments},'
        f' "_tags": ["story"]}}'
    )


def _config(tmp_path: Path, server: FeedServer) -> Path:
    path = tmp_path / "veille.toml"
    path.write_text(
        '[collect]\nprocesses = 0\n\n[[brands]]\nname = "Danone"\nquery = "danone"\n\n'
        f'[[sources]]\nname = "hn"\nkind = "hackernews"\nbase_url = "{server.base_url}"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.usefixtures("project_engine")
def test_an_absurd_figure_is_dropped_and_every_item_stored(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    hits = [
        _hit("1", "100000000000000000000"),
        _hit("2", "Infinity"),
        _hit("3", "12", comments="1e400"),
        _hit("4", "7"),
    ]
    body = f'{{"hits": [{", ".join(hits)}], "nbPages": 1, "page": 0}}'
    feed_server.add(SEARCH_PATH, body.encode(), content_type=JSON)
    config = _config(tmp_path, feed_server)
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output
    listed = run(config, "mentions", "--format", "json")
    metrics = {row["title"]: row["metrics"] for row in json.loads(listed.output)}
    assert metrics == {
        "Danone item 1": {"comments": 3},
        "Danone item 2": {"comments": 3},
        "Danone item 3": {"points": 12},
        "Danone item 4": {"points": 7, "comments": 3},
    }


@pytest.mark.usefixtures("project_engine")
def test_json_nested_past_reading_is_a_clean_source_error(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add(SEARCH_PATH, b'{"hits": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    config = _config(tmp_path, feed_server)
    result = run(config, "collect", "--quiet")
    assert "internal error" not in result.output
    health = json.loads(run(config, "sources", "list", "--format", "json").output)
    [row] = health
    assert "nests its JSON too deeply to be read" in row["last_error"]


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (10**20, None),
        (float("inf"), None),
        (float("nan"), None),
        ("1e400", None),
        ("Infinity", None),
        (MAX_COUNT, MAX_COUNT),
        (MAX_COUNT + 1, None),
        ("42", 42),
        (-1, None),
        (12.7, 12),
    ],
)
def test_clean_metrics_keeps_only_countable_figures(value: object, kept: int | None) -> None:
    assert clean_metrics({"views": value}).get("views") == kept


@pytest.mark.parametrize(
    ("text", "kept"), [("66195", 66195), ("9" * 40, None), ("²", None), ("1" * 5000, None)]
)
def test_a_feed_count_past_any_real_one_is_none(text: str, kept: int | None) -> None:
    assert parse_count(text) == kept


@pytest.mark.usefixtures("project_engine")
def test_a_feed_asking_to_be_left_alone_for_ages_waits_max_backoff(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    ttl = feed_bytes("economie_fr.xml").replace(b"<ttl>30</ttl>", b"<ttl>99999999999999</ttl>")
    feed_server.add("/ttl.xml", ttl)
    forever = {"Cache-Control": "max-age=" + "9" * 30}
    feed_server.add("/max-age.xml", feed_bytes("economie_fr.xml"), headers=forever)
    config = write_config(
        tmp_path,
        {"ttl": feed_server.url("/ttl.xml"), "max-age": feed_server.url("/max-age.xml")},
        extra='[collect]\nprocesses = 0\nmax_backoff = "2d"\n',
    )
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    health = json.loads(run(config, "sources", "list", "--format", "json").output)
    assert [row["last_error"] for row in health] == [None, None]
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert all(datetime.fromisoformat(row["next_check_at"]) > tomorrow for row in health)
