"""Secrets never leak: SMTP password, API tokens, database password and credentials in feed URLs.

A project on PostgreSQL (its URL carrying a password) has every credentialed collector pointed at
a local server that refuses it, feeds whose URLs hold a token or a user and password, and a mail
server that refuses the login. The commands that report those failures run for real, with debug
logging, and the database unreachable; then every output, log line, database row and web API
answer is searched for each secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from tests.support.browser import TestClient
from tests.support.feedserver import FeedServer, LoggedRequest
from tests.support.project import BRANDS, TEST_HTTP
from tests.support.smtpserver import SmtpServer
from tests.support.stores import fresh_postgres_database
from veille.collectors import _reddit_auth, _youtube_api, bluesky, github, stackexchange
from veille.redaction import redact_url, redact_urls
from veille.store import Store
from veille.store.schema import metadata
from veille.web import create_app

JSON = "application/json"
SMTP_PASSWORD = "s3cret-smtp-9f2c"
DB_PASSWORD = "S3cretDbPass-4e1d"
GITHUB_TOKEN = "ghp-s3cret-github-7b1e"
YOUTUBE_KEY = "AIza-s3cret-youtube-44d0"
REDDIT_SECRET = "s3cret-reddit-c0de"
MASTODON_TOKEN = "s3cret-mastodon-a11c"
BLUESKY_PASSWORD = "s3cr-etbl-uesk-y0pw"
STACKEXCHANGE_KEY = "s3cret-stackexchange-5e5e"
FEED_TOKEN = "s3cret-feedtoken-7a7a"
FEED_PASSWORD = "s3cret-feedpass-8b8b"
SERVICE_SECRETS = (
    SMTP_PASSWORD,
    DB_PASSWORD,
    GITHUB_TOKEN,
    YOUTUBE_KEY,
    REDDIT_SECRET,
    MASTODON_TOKEN,
    BLUESKY_PASSWORD,
    STACKEXCHANGE_KEY,
)
SECRETS = (*SERVICE_SECRETS, FEED_TOKEN, FEED_PASSWORD)
CONFIG_MIRROR = ("sources", "options")  # the feed URLs as the configuration gives them
CREDENTIALS = {
    "SMTP_PASSWORD": SMTP_PASSWORD,  # the config file says password = "${SMTP_PASSWORD}"
    "VEILLE_SMTP_USER": "veille",
    "VEILLE_GITHUB_TOKEN": GITHUB_TOKEN,
    "VEILLE_YOUTUBE_API_KEY": YOUTUBE_KEY,
    "VEILLE_REDDIT_CLIENT_ID": "reddit-client-id",
    "VEILLE_REDDIT_CLIENT_SECRET": REDDIT_SECRET,
    "VEILLE_MASTODON_TOKEN": MASTODON_TOKEN,
    "VEILLE_BLUESKY_HANDLE": "veille.bsky.social",
    "VEILLE_BLUESKY_APP_PASSWORD": BLUESKY_PASSWORD,
    "VEILLE_STACKEXCHANGE_KEY": STACKEXCHANGE_KEY,
}


@dataclass
class Project:
    """A configured project and everything it said, for the final search."""

    config: Path
    database_url: str
    feeds: FeedServer
    smtp: SmtpServer
    said: dict[str, str]

    def veille(
        self, *args: str, database_url: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``veille -vv ARGS`` in a child process with the credentials in its environment."""
        environment = {
            **os.environ,
            **CREDENTIALS,
            "VEILLE_DATABASE_URL": database_url or self.database_url,
        }
        command = [sys.executable, "-m", "veille", "--config", str(self.config), "-vv", *args]
        done = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=120, check=False
        )
        self.said[" ".join(args)] = done.stdout + done.stderr
        return done


def refuse_everything(feeds: FeedServer) -> None:
    """Every credentialed endpoint answers as a service refusing the credentials does."""
    feeds.add("/private.xml", b"", status=403, content_type="text/html")
    feeds.add("/basic.xml", b"", status=401, content_type="text/html")
    feeds.add(
        github.SEARCH_PATH,
        b'{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}',
        status=401,
        content_type=JSON,
    )
    feeds.add(
        _youtube_api.SEARCH_PATH,
        b'{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",'
        b' "errors": [{"reason": "badRequest", "domain": "global"}]}}',
        status=400,
        content_type=JSON,
    )
    feeds.add(_reddit_auth.TOKEN_PATH, b'{"message": "Unauthorized", "error": 401}', status=401)
    feeds.add(
        "/api/v1/timelines/tag/danone",
        b'{"error": "The access token is invalid"}',
        status=401,
        content_type=JSON,
    )
    feeds.add(
        "/api/v2/search",
        b'{"error": "The access token is invalid"}',
        status=401,
        content_type=JSON,
    )
    feeds.add(
        bluesky.SESSION_PATH,
        b'{"error": "AuthenticationRequired", "message": "Invalid identifier or password"}',
        status=401,
        content_type=JSON,
    )
    feeds.add(
        stackexchange.SEARCH_PATH,
        b'{"error_id": 400, "error_name": "bad_parameter",'
        b' "error_message": "key is not valid for passed access_token"}',
        status=400,
        content_type=JSON,
    )


def write_project(directory: Path, feeds: FeedServer, smtp: SmtpServer) -> Path:
    """A configuration with every credentialed source, the SMTP password as ``${SMTP_PASSWORD}``."""
    base = feeds.base_url
    port = base.rsplit(":", 1)[1]
    sources = f"""
[[sources]]
name = "tokenfeed"
kind = "rss"
url = "{feeds.url("/private.xml")}?token={FEED_TOKEN}"

[[sources]]
name = "basicfeed"
kind = "rss"
url = "http://reader:{FEED_PASSWORD}@127.0.0.1:{port}/basic.xml"

[[sources]]
name = "gh"
kind = "github"
base_url = "{base}"

[[sources]]
name = "yt"
kind = "youtube"
base_url = "{base}"

[[sources]]
name = "rd"
kind = "reddit"
base_url = "{base}"
auth_url = "{base}"

[[sources]]
name = "masto"
kind = "mastodon"
base_url = "{base}"
tag = "danone"

[[sources]]
name = "sky"
kind = "bluesky"
base_url = "{base}"
auth_url = "{base}"

[[sources]]
name = "se"
kind = "stackexchange"
base_url = "{base}"
"""
    mail = f"""
[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
password = "${{SMTP_PASSWORD}}"
from = "veille@example.org"
timeout = 10

[[digests]]
name = "morning"
to = ["com@example.org"]
send_when_empty = true
"""
    config = directory / "config" / "veille.toml"
    config.parent.mkdir(parents=True)
    config.write_text(BRANDS + TEST_HTTP + mail + sources, encoding="utf-8")
    return config


@pytest.fixture
def project(tmp_path: Path, feed_server: FeedServer) -> Iterator[Project]:
    """The project on a fresh PostgreSQL database reached with a password in its URL."""
    with fresh_postgres_database() as url, SmtpServer(user="veille", password="not-it") as smtp:
        # The local server trusts 127.0.0.1, so any password opens it: veille must still hide it.
        with_password = make_url(url).set(password=DB_PASSWORD)
        refuse_everything(feed_server)
        config = write_project(tmp_path, feed_server, smtp)
        yield Project(
            config, with_password.render_as_string(hide_password=False), feed_server, smtp, {}
        )


def asked(feeds: FeedServer, path: str) -> list[LoggedRequest]:
    """The requests the server got for ``path``, whatever their query string."""
    return [request for request in feeds.requests() if request.path.split("?")[0] == path]


def database_rows(
    database_url: str,
    *,
    only: tuple[str, str] | None = None,
    leave_out: tuple[str, str] | None = None,
) -> str:
    """Every row of every table of veille's schema as text; ``only`` or without one column."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            lines = []
            for table in metadata.sorted_tables:
                columns = [
                    column
                    for column in table.columns
                    if (only is None or (table.name, column.name) == only)
                    and (table.name, column.name) != leave_out
                ]
                if columns:
                    lines += [repr(tuple(row)) for row in connection.execute(select(*columns))]
            return "\n".join(lines)
    finally:
        engine.dispose()


def web_answers(database_url: str) -> str:
    """What the dashboard's JSON API and sources page show."""
    store = Store.open(database_url, read_only=True)
    try:
        with TestClient(create_app(store)) as client:
            pages = [client.get(path) for path in ("/api/sources", "/sources", "/api/overview")]
            assert pages[0].status_code == 200, pages[0].text
            return "\n".join(page.text for page in pages)
    finally:
        store.close()


def assert_hidden(where: str, text: str, secrets: tuple[str, ...] = SECRETS) -> None:
    """None of the secrets in ``text``."""
    leaked = [line for line in text.splitlines() if any(secret in line for secret in secrets)]
    assert not leaked, f"{where} shows secrets in:\n" + "\n".join(leaked)


def test_no_secret_in_outputs_logs_records_or_the_web(project: Project) -> None:
    collect = project.veille("collect", "--all")
    assert collect.returncode == 0, collect.stdout + collect.stderr
    # The credentials were really used, and really refused.
    feeds = project.feeds
    assert asked(feeds, github.SEARCH_PATH)[0].headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert BLUESKY_PASSWORD.encode() in asked(feeds, bluesky.SESSION_PATH)[0].body
    assert f"key={YOUTUBE_KEY}" in asked(feeds, _youtube_api.SEARCH_PATH)[0].path
    assert f"token={FEED_TOKEN}" in asked(feeds, "/private.xml")[0].path
    assert asked(feeds, "/basic.xml")[0].headers["authorization"].startswith("Basic ")

    sources = project.veille("sources")
    assert sources.returncode == 0, sources.stderr
    as_json = project.veille("sources", "list", "--format", "json")
    health = {row["name"]: row for row in json.loads(as_json.stdout)}
    for name in ("tokenfeed", "basicfeed", "gh", "yt", "rd", "masto", "sky", "se"):
        assert health[name]["last_error"], f"{name} did not fail: {health[name]}"
    assert "/private.xml?token=*** " in str(health["tokenfeed"]["last_error"])
    assert "401 Unauthorized from http://reader:***@127.0.0.1:" in str(
        health["basicfeed"]["last_error"]
    )
    project.veille("sources", "check")
    fetched = project.veille("fetch", "github", "--query", "danone", "--base-url", feeds.base_url)
    assert "401" in fetched.stdout + fetched.stderr

    digest = project.veille("digest")
    assert digest.returncode == 1 and "refused the login of 'veille'" in digest.stdout

    # The database unreachable, its URL carrying the password.
    unreachable = make_url(project.database_url).set(port=1).render_as_string(hide_password=False)
    for args in (("collect",), ("db", "current")):
        down = project.veille(*args, database_url=unreachable)
        assert down.returncode != 0, down.stdout
        assert "cannot connect to the database" in down.stdout + down.stderr
        assert "Traceback" not in down.stderr

    for command, output in project.said.items():
        assert_hidden(f"veille {command}", output)
    # The sources table mirrors the configuration, feed URLs as written: only there may a
    # feed's own credentials be; nothing else of the database holds any secret.
    mirrored = database_rows(project.database_url, only=CONFIG_MIRROR)
    assert FEED_TOKEN in mirrored and FEED_PASSWORD in mirrored
    assert_hidden("the sources table", mirrored, SERVICE_SECRETS)
    assert_hidden("the database", database_rows(project.database_url, leave_out=CONFIG_MIRROR))
    assert_hidden("the web dashboard", web_answers(project.database_url))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://reader:pa55@example.org/feed.xml", "https://reader:***@example.org/feed.xml"),
        ("https://reader@example.org/feed.xml", "https://reader@example.org/feed.xml"),
        (
            "https://example.org/rss?q=danone&token=abc&api_key=x1#top",
            "https://example.org/rss?q=danone&token=***&api_key=***#top",
        ),
        (
            "https://s3.example.org/f.xml?X-Amz-Signature=f00&keywords=danone&access_token=t",
            "https://s3.example.org/f.xml?X-Amz-Signature=***&keywords=danone&access_token=***",
        ),
        ("postgresql+psycopg://veille:pw@db:5432/v", "postgresql+psycopg://veille:***@db:5432/v"),
        # A password's unencoded "@": all of it is hidden, not only what comes before.
        ("postgresql://veille:p@ss@db:5432/v", "postgresql://veille:***@db:5432/v"),
        ("https://mastodon.social/@danone", "https://mastodon.social/@danone"),
    ],
)
def test_urls_are_shown_without_their_credentials(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_urls(f"fetching ({url}), then") == f"fetching ({redact_url(url)}), then"
