"""Short commands load only what they use: no migration tool, HTTP client or language model.

Start-up time itself is measured by the collection benchmark (benchmarks/collect.py); this
checks the cause that matters most, which modules a command imports, in a fresh process.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import write_config
from veille.cli import _startup

FEED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Marches</title>'
    b"<item><title>Danone publie ses ventes du trimestre</title><link>https://example.org/1</link>"
    b"</item></channel></rss>\n"
)

# Heavy modules a listing or the help has no use for (feed parsing, text normalisation and
# story grouping are for collecting, even when the configuration lists feeds; PostgreSQL's
# dialect for PostgreSQL databases).
HEAVY = (
    "alembic", "httpx", "lingua", "py3langid", "numpy", "starlette", "uvicorn", "jinja2",
    "feedparser", "selectolax", "veille.store.stories", "sqlalchemy.orm",
    "sqlalchemy.dialects.postgresql",
)  # fmt: skip

_PROBE = """
import gc, json, runpy, sys
sys.argv = ["veille", *sys.argv[1:]]
try:
    runpy.run_module("veille", run_name="__main__")
except SystemExit as exit:
    status = exit.code
heavy = [name for name in HEAVY if name in sys.modules]
collector = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count() > 0}
print(json.dumps({"status": status, "heavy": heavy, "gc": collector}), file=sys.stderr)
"""


# The help needs neither the settings' validation nor the database layer.
HEAVY_FOR_HELP = (*HEAVY, "pydantic", "veille.settings", "sqlalchemy")


def _loaded(tmp_path: Path, *args: str, heavy: tuple[str, ...] = HEAVY) -> dict[str, Any]:
    probe = f"HEAVY = {list(heavy)!r}\n" + _PROBE
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    last_line = done.stderr.strip().splitlines()[-1]
    return json.loads(last_line)  # type: ignore[no-any-return]


def test_the_help_loads_nothing_heavy(tmp_path: Path) -> None:
    shown = _loaded(tmp_path, "--help", heavy=HEAVY_FOR_HELP)
    assert (shown["status"], shown["heavy"]) == (0, [])


@pytest.mark.parametrize("command", [["mentions", "--limit", "10"], ["stats", "--by", "site"]])
def test_reading_mentions_loads_nothing_heavy(tmp_path: Path, command: list[str]) -> None:
    config = write_config(tmp_path, {"site": "https://127.0.0.1:9/feed.xml"})
    database = config.parent / "veille.db"
    upgraded = _loaded(tmp_path, "--config", str(config), "db", "upgrade")
    assert upgraded["status"] == 0 and database.exists()
    # Upgrading needs Alembic; reading does not.
    listed = _loaded(tmp_path, "--config", str(config), *command)
    assert (listed["status"], listed["heavy"]) == (0, [])
    # Start-up's rarer collections end once the store is open (veille/cli/_startup.py).
    assert listed["gc"] == {"threshold": list(gc.get_threshold()), "frozen": True}


def test_a_pass_of_unchanged_feeds_loads_no_language_model(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.add("/feed.xml", FEED)
    config = write_config(tmp_path, {"site": feed_server.url("/feed.xml")})
    first = _loaded(tmp_path, "--config", str(config), "collect", "--all", "--quiet")
    assert first["status"] == 0 and "py3langid" in first["heavy"]
    # Every source answers 304 now: nothing to classify, so the models stay unloaded.
    second = _loaded(tmp_path, "--config", str(config), "collect", "--all", "--quiet")
    assert second["status"] == 0
    assert not {"py3langid", "lingua"} & set(second["heavy"])
    assert [request.status for request in feed_server.requests()] == [200, 304]


def test_start_up_collection_is_the_scripts_alone() -> None:
    usual, frozen = gc.get_threshold(), gc.get_freeze_count()
    # Code importing veille (tests, the web app) never called begin(): nothing changes.
    _startup.loaded()
    assert (gc.get_threshold(), gc.get_freeze_count()) == (usual, frozen)
    _startup.begin()
    try:
        assert gc.get_threshold() == (_startup.STARTUP_THRESHOLD, *usual[1:])
    finally:
        _startup.loaded()
        gc.unfreeze()
    assert gc.get_threshold() == usual
