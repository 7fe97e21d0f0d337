"""A whole ``veille collect`` pass survives every hostile HTTP source, in time and in memory.

One project holds two normal feeds and one source per hostile behaviour (refused connection,
unresolvable host, silence, a drip, an endless body, a lying Content-Length, gzip bombs,
redirect traps, an absurd Retry-After, broken encodings, the wrong content type, XML entity
attacks, an API answering HTML). A real ``veille collect`` child process passes over it; the
pass must end within the bound its [http] settings give, stay under a memory bound that reading
any of the bombs whole would break, record a clear error on each hostile source, and collect the
normal feeds as if nothing else were there.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.feedserver import FeedServer
from tests.support.hostile_server import HUGE_CONTENT_LENGTH, HostileServer
from tests.support.project import (
    BRANDS,
    feed_bytes,
    project_engine_fixture,  # noqa: F401
    run,
)
from veille.settings import load_settings
from veille.store import Store
from veille.store.schema import run_table

pytestmark = pytest.mark.usefixtures("project_engine")

# Small bounds so that the pass is quick; every hostile source is fetched at once (per_host is
# raised because every server here is on 127.0.0.1).
TOTAL_TIMEOUT = 3
RETRIES = 1
MAX_RETRY_AFTER = 1
MAX_BODY_BYTES = 1_000_000
HTTP_SETTINGS = f"""
[http]
connect_timeout = 2
read_timeout = 2
total_timeout = {TOTAL_TIMEOUT}
retries = {RETRIES}
backoff_seconds = 0
max_retry_after = {MAX_RETRY_AFTER}
max_body_bytes = {MAX_BODY_BYTES}
max_redirects = 5
concurrency = 50
per_host = 50

[collect]
max_backoff = "1d"
"""
# Sources are fetched concurrently: the slowest one takes every attempt to its total deadline,
# with the longest Retry-After honoured between attempts.
PASS_BOUND = (RETRIES + 1) * TOTAL_TIMEOUT + RETRIES * MAX_RETRY_AFTER
# Room for a busy machine to schedule the pass; the whole child process also starts Python and
# loads the classifiers.
PASS_SLACK = 15
PROCESS_SLACK = 90
# A normal pass over this project peaks near 310 MB (classifier models loaded); any bomb or endless
# body read whole is at least 1 GB.
MAX_RSS_BYTES = 400 * 1024 * 1024


def _billion_laughs() -> bytes:
    """The classic entity bomb: ten levels of ten references, a billion "lol" if expanded."""
    names = ["lol", *(f"lol{level}" for level in range(1, 10))]
    declarations = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY {name} "{f"&{previous};" * 10}">' for previous, name in pairwise(names)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(declarations) + "\n]>\n"
        '<rss version="2.0"><channel><title>Laughs</title>'
        "<item><title>Danone &lol9;</title><link>http://laughs.example/1</link>"
        "<description>Danone &lol9;</description></item></channel></rss>"
    ).encode()


def _external_entity_feed(secret_file: Path) -> bytes:
    """A feed whose items pull local files in through external entities, if a parser lets them."""
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY passwd SYSTEM "file:///etc/passwd">
<!ENTITY secret SYSTEM "file://{secret_file}">
<!ENTITY % remote SYSTEM "file://{secret_file}">
%remote;
]>
<rss version="2.0"><channel><title>Entities</title>
<item><title>Danone &passwd;</title><link>http://entities.example/1</link>
<description>Danone says &secret;</description></item>
</channel></rss>""".encode()


INVALID_UTF8_FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bytes</title>'
    b"<item><title>Danone \xff\xfe\xc3\x28 broken</title><link>http://bytes.example/1</link>"
    b"<description>Danone \x80\x81 encodage</description></item></channel></rss>"
)
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome</title></head>"
    b"<body><h1>Danone</h1><p>This is a web page, not data.</p></body></html>"
)


@dataclass(frozen=True)
class Hostile:
    """One hostile source: where it points and what its recorded error must say."""

    name: str
    url: str
    says: tuple[str, ...]  # words the recorded error contains (case-insensitive)
    kind: str = "rss"


@dataclass(frozen=True)
class World:
    """The project, its servers and the hostile sources it holds."""

    config: Path
    hostiles: tuple[Hostile, ...]
    secret: str
    feeds: FeedServer
    hostile_server: HostileServer


def _closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[HostileServer]:
    """One hostile server for the module: building its bombs takes a moment."""
    with HostileServer() as server:
        yield server


@pytest.fixture
def world(feed_server: FeedServer, hostile_server: HostileServer, tmp_path: Path) -> World:
    """Two normal feeds and every hostile source, in one project."""
    secret = f"veille-secret-{secrets.token_hex(8)}"
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(secret, encoding="utf-8")
    feeds = feed_server
    feeds.add("/fr.xml", feed_bytes("economie_fr.xml"))
    feeds.add("/en.atom", feed_bytes("tech_en.atom"), content_type="application/atom+xml")
    feeds.add("/loop-a.xml", redirect_to="/loop-b.xml", status=302)
    feeds.add("/loop-b.xml", redirect_to="/loop-a.xml", status=302)
    feeds.add("/to-file.xml", redirect_to="file:///etc/passwd", status=302)
    feeds.add("/to-ftp.xml", redirect_to="ftp://127.0.0.1/feed.xml", status=301)
    feeds.add("/rate-limited.xml", status=429, headers={"Retry-After": "999999999"})
    feeds.add(  # a date no clock can add to today
        "/unavailable.xml", status=503, headers={"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}
    )
    feeds.add("/invalid-utf8.xml", INVALID_UTF8_FEED)
    feeds.add("/html-page.xml", HTML_PAGE, content_type="text/html; charset=utf-8")
    feeds.add(
        "/served-as-html.xml",
        feed_bytes("economie_fr.xml").replace(b"qe-2026", b"as-html-2026"),
        content_type="text/html; charset=utf-8",
    )
    feeds.add("/laughs.xml", _billion_laughs())
    feeds.add("/entities.xml", _external_entity_feed(secret_file))
    feeds.override("/api/v1/search_by_date", HTML_PAGE, content_type="text/html")
    hostile = hostile_server
    hostiles = (
        Hostile("refused", f"http://127.0.0.1:{_closed_port()}/feed.xml", ("could not connect",)),
        Hostile("unresolvable", "http://feeds.veille-test.invalid/feed.xml", ("connect",)),
        Hostile("silent", hostile.url("/silent"), ("timed out",)),
        Hostile("drip", hostile.url("/drip"), (f"within {TOTAL_TIMEOUT} s",)),
        Hostile("endless", hostile.url("/endless"), (f"larger than {MAX_BODY_BYTES} bytes",)),
        Hostile("huge-length", hostile.url("/huge-length"), (str(HUGE_CONTENT_LENGTH),)),
        Hostile("gzip-bomb", hostile.url("/gzip-bomb"), ("larger than",)),
        Hostile("gzip-bomb-nested", hostile.url("/gzip-bomb-nested"), ("larger than",)),
        Hostile("gzip-bomb-error", hostile.url("/gzip-bomb-error"), ("HTTP 500",)),
        Hostile("redirect-loop", feeds.url("/loop-a.xml"), ("redirect loop",)),
        Hostile("redirect-file", feeds.url("/to-file.xml"), ("redirect", "file:")),
        Hostile("redirect-ftp", feeds.url("/to-ftp.xml"), ("redirect", "ftp:")),
        Hostile("rate-limited", feeds.url("/rate-limited.xml"), ("HTTP 429",)),
        Hostile("unavailable", feeds.url("/unavailable.xml"), ("HTTP 503",)),
        Hostile("invalid-utf8", feeds.url("/invalid-utf8.xml"), ("utf-8",)),
        Hostile("html-page", feeds.url("/html-page.xml"), ("not a feed", "HTML")),
        Hostile("served-as-html", feeds.url("/served-as-html.xml"), ("text/html",)),
        Hostile("laughs", feeds.url("/laughs.xml"), ("entity",)),
        Hostile("entities", feeds.url("/entities.xml"), ("XML",)),
        Hostile("api-html", feeds.base_url, ("expected JSON", "text/html"), kind="hackernews"),
    )
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    blocks = [
        f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{feeds.url(path)}"\n'
        for name, path in (("fr", "/fr.xml"), ("en", "/en.atom"))
    ]
    for source in hostiles:
        option = "base_url" if source.kind == "hackernews" else "url"
        blocks.append(
            f'\n[[sources]]\nname = "{source.name}"\nkind = "{source.kind}"\n'
            f'{option} = "{source.url}"\n'
        )
    config = config_dir / "veille.toml"
    config.write_text(BRANDS + HTTP_SETTINGS + "".join(blocks), encoding="utf-8")
    return World(config, hostiles, secret, feeds, hostile)


@dataclass(frozen=True)
class Finished:
    """How a child process ended."""

    exit_code: int
    seconds: float
    max_rss_bytes: int
    stdout: str
    stderr: str


# Runs veille's command line, then writes the process's peak memory to the file named first.
# The peak is VmHWM, which starts afresh at exec: a child's ru_maxrss would also count the
# pages it shared with the parent (the whole test process) between fork and exec.
_PEAK_PROBE = """
import atexit, resource, runpy, sys

peak_file = sys.argv[1]
sys.argv = ["veille", *sys.argv[2:]]


def _write_peak():
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            lines = [line for line in status if line.startswith("VmHWM:")]
        kilobytes = int(lines[0].split()[1])
    except (OSError, IndexError, ValueError):
        kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(peak_file, "w", encoding="ascii") as out:
        out.write(str(kilobytes * 1024))


atexit.register(_write_peak)
runpy.run_module("veille", run_name="__main__")
"""


def _collect_in_child(config: Path, timeout: float) -> Finished:
    """Run ``veille collect`` in a child process, which reports its own peak memory."""
    out_path, err_path = config.parent / "collect.out", config.parent / "collect.err"
    peak_path = config.parent / "collect.peak"
    command = ["--config", str(config), "collect", "--quiet"]
    started = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", _PEAK_PROBE, str(peak_path), *command],
            stdout=out,
            stderr=err,
            env={**os.environ, "COLUMNS": "200"},
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"veille collect still running after {timeout:.0f} s")
    return Finished(
        exit_code=process.returncode,
        seconds=time.monotonic() - started,
        max_rss_bytes=int(peak_path.read_text(encoding="ascii")),
        stdout=out_path.read_text(encoding="utf-8", errors="replace"),
        stderr=err_path.read_text(encoding="utf-8", errors="replace"),
    )


def _health(config: Path) -> dict[str, dict[str, object]]:
    result = run(config, "sources", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    return {f"{row['name']}/{row['brand'] or ''}": row for row in json.loads(result.output)}


def _mentions(config: Path) -> list[dict[str, object]]:
    result = run(config, "mentions", "--format", "json", "--limit", "1000")
    assert result.exit_code == 0, result.output
    mentions: list[dict[str, object]] = json.loads(result.output)
    return mentions


def _pass_seconds(config: Path) -> float:
    """How long the stored run took, from its own start and finish times."""
    store = Store.open(load_settings(config).database_url)
    try:
        with store.engine.connect() as connection:
            row = connection.execute(select(run_table.c.started_at, run_table.c.finished_at)).one()
    finally:
        store.close()
    assert row.finished_at is not None, "the pass never recorded its end"
    return (row.finished_at - row.started_at).total_seconds()


def test_a_pass_survives_every_hostile_source(world: World) -> None:
    finished = _collect_in_child(world.config, timeout=PASS_BOUND + PROCESS_SLACK)
    assert finished.exit_code == 0, finished.stderr
    assert "Traceback" not in finished.stderr, finished.stderr

    # Bounded in time and in memory.
    assert _pass_seconds(world.config) <= PASS_BOUND + PASS_SLACK, finished.stdout
    assert finished.max_rss_bytes < MAX_RSS_BYTES, f"{finished.max_rss_bytes >> 20} MB"

    # Every hostile source has its own clear error; the normal feeds have none.
    health = _health(world.config)
    for hostile in world.hostiles:
        rows = [row for key, row in health.items() if key.split("/")[0] == hostile.name]
        assert rows, hostile.name
        for row in rows:
            error = str(row["last_error"] or "")
            for word in hostile.says:
                assert word.lower() in error.lower(), (hostile.name, error)
    for normal in ("fr/", "en/"):
        assert health[normal]["last_ok_at"], health[normal]
        assert not health[normal]["last_error"], health[normal]
        assert not health[normal]["consecutive_failures"], health[normal]

    # The normal feeds are collected in full, as in a pass without the hostile sources.
    mentions = _mentions(world.config)
    by_source: dict[str, int] = {}
    for mention in mentions:
        by_source[str(mention["source"])] = by_source.get(str(mention["source"]), 0) + 1
    assert by_source.get("fr") == 2
    assert by_source.get("en") == 2

    # No entity was expanded: no local file leaked in, no laugh multiplied.
    stored = json.dumps(mentions)
    assert world.secret not in stored
    assert "root:" not in stored
    assert "lollol" not in stored
    assert all(len(str(m["text"] or "")) < 10_000 for m in mentions)

    # An absurd Retry-After defers the source, but no further than the longest backoff.
    latest = datetime.now(UTC) + timedelta(days=1, minutes=5)
    for deferred in ("rate-limited/", "unavailable/"):
        next_check = datetime.fromisoformat(str(health[deferred]["next_check_at"]))
        assert next_check.replace(tzinfo=next_check.tzinfo or UTC) <= latest, deferred
