"""Golden files: each tests/golden/rss/<name>.xml is parsed and compared with <name>.expected.json.

Regenerate the expectations with ``VEILLE_REGEN_GOLDEN=1 pytest tests/test_rss_golden.py``,
then read the diff before keeping it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from veille.collectors.rss import ParsedFeed, parse_feed

GOLDEN_DIR = Path(__file__).parent / "golden" / "rss"
FEEDS = sorted(GOLDEN_DIR.glob("*.xml"))


def feed_url(name: str) -> str:
    """The URL each golden feed is pretended to come from (base of relative links)."""
    return f"https://feeds.veille.example/rss/{name}.xml"


def as_json(feed: ParsedFeed) -> dict[str, object]:
    """A ParsedFeed as plain JSON values, dates in ISO 8601."""

    def plain(value: object) -> object:
        return value.isoformat() if isinstance(value, datetime) else value

    summary = {
        "title": feed.title,
        "site_url": feed.site_url,
        "language": feed.language,
        "ttl_minutes": feed.ttl_minutes,
        "warning": feed.warning,
    }
    mentions = [
        {key: plain(value) for key, value in dataclasses.asdict(mention).items()}
        for mention in feed.mentions
    ]
    return summary | {"mentions": mentions}


def test_golden_files_exist() -> None:
    assert len(FEEDS) >= 8
    missing = [p.name for p in FEEDS if not p.with_suffix(".expected.json").exists()]
    assert not missing or os.environ.get("VEILLE_REGEN_GOLDEN") == "1", missing


@pytest.mark.parametrize("feed_path", FEEDS, ids=[p.stem for p in FEEDS])
def test_golden_feed(feed_path: Path) -> None:
    parsed = parse_feed(
        feed_path.read_bytes(),
        url=feed_url(feed_path.stem),
        source=f"golden-{feed_path.stem}",
        headers={"Content-Type": "application/xml"},
    )
    actual = as_json(parsed)
    expected_path = feed_path.with_suffix(".expected.json")
    if os.environ.get("VEILLE_REGEN_GOLDEN") == "1":
        text = json.dumps(actual, ensure_ascii=False, indent=2) + "\n"
        expected_path.write_text(text, encoding="utf-8")
        pytest.skip(f"regenerated {expected_path.name}: review the diff")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected
