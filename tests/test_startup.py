"""Short commands load only what they use: no migration tool, HTTP client or language model.

Start-up time itself is measured by the collection benchmark (benchmarks/collect.py); this
checks the cause that matters most, which modules a command imports, in a fresh process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.project import write_config

# Heavy modules a listing or the help has no use for (feed parsing, text normalisation and
# story grouping are for collecting, even when the configuration lists feeds).
HEAVY = (
    "alembic", "httpx", "lingua", "py3langid", "numpy", "starlette", "uvicorn", "jinja2",
    "feedparser", "selectolax", "veille.store.stories", "sqlalchemy.orm",
)  # fmt: skip

_PROBE = """
import json, runpy, sys
sys.argv = ["veille", *sys.argv[1:]]
try:
    runpy.run_module("veille", run_name="__main__")
except SystemExit as exit:
    status = exit.code
heavy = [name for name in HEAVY if name in sys.modules]
print(json.dumps({"status": status, "heavy": heavy}), file=sys.stderr)
"""


def _loaded(tmp_path: Path, *args: str) -> dict[str, object]:
    probe = f"HEAVY = {list(HEAVY)!r}\n" + _PROBE
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
    assert _loaded(tmp_path, "--help") == {"status": 0, "heavy": []}


@pytest.mark.parametrize("command", [["mentions", "--limit", "10"], ["stats", "--by", "site"]])
def test_reading_mentions_loads_nothing_heavy(tmp_path: Path, command: list[str]) -> None:
    config = write_config(tmp_path, {"site": "https://127.0.0.1:9/feed.xml"})
    database = config.parent / "veille.db"
    upgraded = _loaded(tmp_path, "--config", str(config), "db", "upgrade")
    assert upgraded["status"] == 0 and database.exists()
    # Upgrading needs Alembic; reading does not.
    listed = _loaded(tmp_path, "--config", str(config), *command)
    assert listed == {"status": 0, "heavy": []}
