"""Set up a veille project in a temporary directory, its feeds served by a FeedServer.

Test modules that run veille commands against a database run them on each engine::

    from tests.support.project import project_engine_fixture  # noqa: F401

    pytestmark = pytest.mark.usefixtures("project_engine")

Each test then runs twice: on the project's default SQLite file, and on PostgreSQL through
``VEILLE_DATABASE_URL`` (which overrides ``[database] url``, so child processes use it too). A test
marked ``@pytest.mark.sqlite_only`` (it checks something only SQLite has) runs once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.support.stores import shared_postgres_url
from veille.cli import cli

FEEDS_DIR = Path(__file__).resolve().parents[1] / "data" / "feeds"
_FEED_DATE = re.compile(rb"<(pubDate|updated|published)>([^<]+)</\1>")

# Fast and strict HTTP settings so failure cases stay quick.
TEST_HTTP = """
[http]
connect_timeout = 2
read_timeout = 1
total_timeout = 5
retries = 1
backoff_seconds = 0
max_retry_after = 1
"""

BRANDS = """
[[brands]]
name = "Danone"
query = "danone*"
languages = ["fr", "en"]

[[brands]]
name = "Michelin"
query = '"Michelin"'
"""


def feed_bytes(name: str) -> bytes:
    """A feed fixture of tests/data/feeds."""
    return (FEEDS_DIR / name).read_bytes()


def _feed_date(raw: bytes) -> datetime:
    text = raw.decode().strip()
    return datetime.fromisoformat(text) if text[:1].isdigit() else parsedate_to_datetime(text)


def recent_feed_bytes(name: str) -> bytes:
    """A feed fixture moved in time: its newest date an hour ago, the others as long before it.

    For what counts dates from the present (a digest's first send covers its last period).
    """
    feed = feed_bytes(name)
    newest = max(_feed_date(match[2]) for match in _FEED_DATE.finditer(feed))
    shift = datetime.now(UTC) - timedelta(hours=1) - newest

    def moved(match: re.Match[bytes]) -> bytes:
        when = _feed_date(match[2]) + shift
        written = when.isoformat() if match[2][:1].isdigit() else format_datetime(when)
        return b"<%s>%s</%s>" % (match[1], written.encode(), match[1])

    return _FEED_DATE.sub(moved, feed)


def write_config(directory: Path, sources: dict[str, str], *, extra: str = "") -> Path:
    """Write ``config/veille.toml`` with the test brands and one rss source per name → URL."""
    config_dir = directory / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    blocks = "".join(
        f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{url}"\n'
        for name, url in sources.items()
    )
    path = config_dir / "veille.toml"
    path.write_text(BRANDS + TEST_HTTP + extra + blocks, encoding="utf-8")
    return path


def run(config: Path | None, *args: str, input: str | None = None) -> Result:
    """Invoke the CLI in-process, with ``--config`` when given."""
    prefix = ["--config", str(config)] if config is not None else []
    return CliRunner().invoke(cli, [*prefix, *args], input=input, catch_exceptions=False)


@pytest.fixture(name="project_engine")
def project_engine_fixture(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The engine the test's commands use: "sqlite" (the default file) or "postgresql"."""
    engine_name: str = request.param
    if engine_name == "postgresql":
        monkeypatch.setenv("VEILLE_DATABASE_URL", shared_postgres_url(request.config))
    else:
        monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    return engine_name
