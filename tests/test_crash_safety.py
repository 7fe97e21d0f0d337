"""A collecting process killed with SIGKILL at random points never loses, doubles or corrupts.

A local world of slow feeds keeps each ``veille collect --all`` pass busy for a while; the real
command is started again and again and killed at seeded random points, from before it has
opened the database to after its last fetch, while some feeds gain items between kills. After
every kill the database must already be consistent: no mention twice, and every source whose
ETag or Last-Modified was saved holds every mention of that version of its feed (validators are
saved with the mentions they produced, in one transaction). A last pass then completes, a
re-poll adds nothing, and every mention of every version is stored exactly once.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.feedserver import FeedServer
from tests.support.project import project_engine_fixture, write_config  # noqa: F401
from veille.settings import load_settings

pytestmark = pytest.mark.usefixtures("project_engine")

FEEDS = 14
ITEMS_PER_FEED = 3
REQUEST_DELAY = 0.05  # seconds per request, so that a pass lasts a while even when idle
KILLS = {"sqlite": 20, "postgresql": 8}  # at least 20 on SQLite; PostgreSQL costs more per pass
BRANDS_OF = (("Danone",), ("Michelin",), ("Danone", "Michelin"), ())  # () names no brand
PASS_TIMEOUT = 120.0  # a pass that never ends is a failure, not a hang


@dataclass(frozen=True)
class Item:
    """One feed item: its GUID, its link and the brands its title names."""

    guid: str
    link: str
    brands: tuple[str, ...]

    def xml(self) -> str:
        """The item as RSS."""
        named = " et ".join(self.brands) or "une entreprise locale"
        return (
            f"<item><title>{named} : nouvelle {self.guid}</title><link>{self.link}</link>"
            f'<guid isPermaLink="false">{self.guid}</guid>'
            f"<description>Article {self.guid} sur {named}, publié dans la région.</description>"
            "<pubDate>Mon, 02 Mar 2026 09:00:00 +0000</pubDate></item>"
        )


@dataclass
class Feed:
    """A feed that only ever gains items, and the validators of each version it served."""

    index: int
    items: list[Item] = field(default_factory=list)
    published: bool = False
    # ETag or Last-Modified → the (link, brand) mentions of the version served with it.
    versions: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The feed's path on the server."""
        return f"/feed{self.index:02d}.xml"

    def add_item(self, brands: tuple[str, ...]) -> None:
        """Append an item (feeds keep their items, so every version's items stay findable)."""
        number = len(self.items)
        self.items.append(
            Item(
                f"f{self.index:02d}-i{number:02d}",
                f"https://news{self.index:02d}.example/articles/{number}.html",
                brands,
            )
        )

    def body(self) -> bytes:
        """The current version as RSS 2.0."""
        entries = "".join(item.xml() for item in reversed(self.items))  # newest first
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Feed {self.index}</title><link>https://news{self.index:02d}.example/</link>"
            f"<description>Feed {self.index}</description>{entries}</channel></rss>"
        ).encode()

    def mentions(self) -> frozenset[tuple[str, str]]:
        """The (link, brand) mentions of the current version."""
        return frozenset((item.link, brand) for item in self.items for brand in item.brands)

    def publish(self, server: FeedServer) -> None:
        """Serve the current version and remember its validators."""
        if self.published:
            server.set_body(self.path, self.body())
        else:
            server.add(self.path, self.body(), delay=REQUEST_DELAY)
            self.published = True
        route = server.route(self.path)
        for validator in (route.current_etag(), route.current_last_modified()):
            assert validator is not None
            self.versions[validator] = self.mentions()


@dataclass
class Stored:
    """What the database holds, read after a pass ended or was killed."""

    mentions: list[tuple[str, str]]  # (canonical URL, brand), one per row
    identities: list[str]  # one per document
    urls: list[str]  # one per document
    validators: dict[str, tuple[str | None, str | None]]  # source → (ETag, Last-Modified)


def read_database(url: str) -> Stored:
    """Read mentions, documents and source validators straight from the database."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not connection.dialect.has_table(connection, "mentions"):
                return Stored([], [], [], {})  # killed before the schema was created
            mentions = connection.execute(
                text(
                    "SELECT d.canonical_url, b.name FROM mentions m "
                    "JOIN documents d ON d.id = m.document_id JOIN brands b ON b.id = m.brand_id"
                )
            ).all()
            documents = connection.execute(
                text("SELECT identity, canonical_url FROM documents")
            ).all()
            states = connection.execute(
                text(
                    "SELECT s.name, st.etag, st.last_modified FROM source_state st "
                    "JOIN sources s ON s.id = st.source_id"
                )
            ).all()
    finally:
        engine.dispose()
    return Stored(
        mentions=[(row[0], row[1]) for row in mentions],
        identities=[row[0] for row in documents],
        urls=[row[1] for row in documents],
        validators={row[0]: (row[1], row[2]) for row in states},
    )


def wait_for_killed_sessions(url: str) -> None:
    """On PostgreSQL, wait until the server has ended the sessions of killed passes.

    A session whose client died may hold its claim's row locks for a moment, and a pass
    skips locked sources: the last pass must find none.
    """
    engine = create_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return
        deadline = time.monotonic() + PASS_TIMEOUT
        with engine.connect() as connection:
            while time.monotonic() < deadline:
                others = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
                connection.rollback()  # a fresh snapshot of the activity view each time
                if not others:
                    return
                time.sleep(0.05)
        raise AssertionError("sessions of killed passes never ended")
    finally:
        engine.dispose()


def assert_consistent(stored: Stored, feeds: dict[str, Feed]) -> None:
    """No duplicate anywhere; every saved validator comes with all the mentions it produced."""
    assert not _repeated(stored.mentions), "a mention is stored twice"
    assert not _repeated(stored.identities), "a document identity is stored twice"
    assert not _repeated(stored.urls), "a document URL is stored twice"
    held = set(stored.mentions)
    assert held <= every_mention(feeds), "a mention no feed ever served"
    for source, (etag, last_modified) in stored.validators.items():
        feed = feeds[source]
        for validator in (etag, last_modified):
            if validator is None:
                continue
            assert validator in feed.versions, f"{source}: validator {validator} never served"
            missing = feed.versions[validator] - held
            assert not missing, f"{source}: saved {validator} without its mentions {missing}"


def every_mention(feeds: dict[str, Feed]) -> set[tuple[str, str]]:
    """Every (link, brand) mention the feeds ever served (they only gain items)."""
    return set().union(*(feed.mentions() for feed in feeds.values()))


def _repeated(values: Sequence[Hashable]) -> list[Hashable]:
    return [value for value, count in Counter(values).items() if count > 1]


# Starting Python, importing veille and loading its language models takes seconds on a busy
# machine: most passes are forked from a process that did that once, so that the kills land in
# the pass itself (each forked child runs the real command line, as `python -m veille` does).
_FORK_SERVER = """
import json, os, sys, traceback
from veille.cli import cli
from veille.cli import collect_cmd, render  # noqa: F401
from veille import locks, pipeline, store  # noqa: F401
from veille.process import MentionProcessor
from veille.settings import load_settings
import rich.markup, rich.table  # noqa: F401

MentionProcessor(load_settings(sys.argv[1]).brands).warm_up()  # reads no database
for line in sys.stdin:
    request = json.loads(line)
    child = os.fork()
    if child == 0:
        for path, descriptor in ((request["stdout"], 1), (request["stderr"], 2)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), descriptor)
        code = 1
        try:
            cli.main(args=request["args"], prog_name="veille")
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.write(1, f"{child}\\n".encode())
    os.write(1, f"{os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])}\\n".encode())
"""


class ForkServer:
    """A Python process with veille imported that forks one `veille` command per request."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _FORK_SERVER, str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._received = b""

    def start(self, args: list[str], out: Path, err: Path) -> int:
        """Fork a child running ``veille ARGS``; return its process id."""
        assert self.process.stdin is not None
        # Emptied here, not only by the child: one killed before it opens them leaves neither
        # a missing file nor the last pass's output to be read as its own.
        for path in (out, err):
            path.write_bytes(b"")
        request = {"args": args, "stdout": str(out), "stderr": str(err)}
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        self.process.stdin.flush()
        line = self._line(PASS_TIMEOUT)
        assert line is not None, "the fork server did not answer"
        return int(line)

    def exit_code(self, timeout: float = 0.0) -> int | None:
        """The last child's exit code (-9 when killed), or None while it still runs."""
        line = self._line(timeout)
        return None if line is None else int(line)

    def _line(self, timeout: float) -> str | None:
        assert self.process.stdout is not None
        descriptor = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._received:
            left = deadline - time.monotonic()
            if not select.select([descriptor], [], [], max(left, 0.0))[0]:
                return None
            chunk = os.read(descriptor, 4096)
            assert chunk, "the fork server ended"
            self._received += chunk
        line, self._received = self._received.split(b"\n", 1)
        return line.decode()

    def close(self) -> None:
        """Stop the fork server."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


@dataclass
class Pass:
    """One `veille collect` being run: a cold `python -m veille` or a forked child."""

    pid: int
    cold: subprocess.Popen[bytes] | None = None
    forks: ForkServer | None = None
    code: int | None = None

    def running(self) -> bool:
        """Whether the pass is still running (records its exit code once it is not)."""
        if self.code is None:
            if self.cold is not None:
                self.code = self.cold.poll()
            elif self.forks is not None:
                self.code = self.forks.exit_code()
        return self.code is None

    def wait(self) -> int:
        """Wait for the pass to end and return its exit code."""
        if self.code is None:
            if self.cold is not None:
                self.code = self.cold.wait(timeout=PASS_TIMEOUT)
            elif self.forks is not None:
                self.code = self.forks.exit_code(PASS_TIMEOUT)
        assert self.code is not None, "the pass did not end"
        return self.code


def wait_for_answers(answered: Callable[[], int], current: Pass, target: int) -> None:
    """Return once ``answered()`` reaches ``target`` or the pass ended."""
    deadline = time.monotonic() + PASS_TIMEOUT
    while current.running() and time.monotonic() < deadline and answered() < target:
        time.sleep(0.01)


def test_sigkill_at_random_points_never_loses_doubles_or_corrupts(
    feed_server: FeedServer, tmp_path: Path, project_engine: str
) -> None:
    rng = random.Random(20260302)
    feeds: dict[str, Feed] = {}
    for index in range(FEEDS):
        feed = Feed(index)
        for number in range(ITEMS_PER_FEED):
            feed.add_item(BRANDS_OF[(index + number) % len(BRANDS_OF)])
        feed.publish(feed_server)
        feeds[f"feed{index:02d}"] = feed
    sources = {name: feed_server.url(feed.path) for name, feed in feeds.items()}
    # Two fetches at a time keep the pass long enough to be killed anywhere in it.
    config = write_config(tmp_path, sources, extra="concurrency = 2\n")  # in [http]
    database_url = load_settings(config).database_url
    args = ["--config", str(config), "collect", "--all", "--quiet"]
    env = dict(os.environ)
    out, err = tmp_path / "pass.out", tmp_path / "pass.err"

    def answered() -> int:  # every request of this world is for a feed
        return len(feed_server.requests())

    def start(cold: bool) -> Pass:
        if cold:
            with out.open("wb") as stdout, err.open("wb") as stderr:
                command = [sys.executable, "-m", "veille", *args]
                process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
            return Pass(process.pid, cold=process)
        return Pass(forks.start(args, out, err), forks=forks)

    def check_ended(current: Pass, codes: tuple[int, ...]) -> None:
        code = current.wait()
        errors = err.read_text()
        assert code in codes, errors
        assert "Traceback" not in errors, errors
        assert "database is locked" not in errors, errors

    forks = ForkServer(config, env)
    try:
        kills = finished = 0
        while kills < KILLS[project_engine]:
            assert finished < KILLS[project_engine], "passes keep ending before their kill point"
            if kills and rng.random() < 0.5:
                # New items between kills: new ETags, to be saved only with their mentions.
                for feed in rng.sample(list(feeds.values()), rng.randint(1, 3)):
                    feed.add_item(rng.choice(BRANDS_OF))
                    feed.publish(feed_server)
            # Kill once a random number of this pass's fetches were answered (0: while it
            # starts, opening or creating the database; FEEDS: after the last one, while it
            # stores), plus a little random time; now and then, let the pass after a kill end.
            target = rng.choice([0, FEEDS, *range(FEEDS + 1)])
            extra = rng.uniform(0.0, 0.1)
            let_end = kills > 0 and rng.random() < 0.15
            if let_end:
                wait_for_killed_sessions(database_url)
            current = start(cold=False)
            if not let_end:
                wait_for_answers(answered, current, answered() + target)
                time.sleep(extra)
            killed = not let_end and current.running()
            if killed:
                try:
                    os.kill(current.pid, signal.SIGKILL)
                except ProcessLookupError:
                    killed = False  # it ended between the check and the kill: a finished pass
            if killed:
                kills += 1
            else:
                finished += 1
            check_ended(current, (0, -signal.SIGKILL) if killed else (0,))
            stored = read_database(database_url)
            assert_consistent(stored, feeds)
            if current.code == 0:  # a pass that ended stored everything the feeds serve now
                assert sorted(stored.mentions) == sorted(every_mention(feeds))

        # One pass to completion, a cold `python -m veille`, stores every mention of every
        # version, each once.
        wait_for_killed_sessions(database_url)
        check_ended(start(cold=True), (0,))
        assert "0 failed." in out.read_text()
        stored = read_database(database_url)
        assert_consistent(stored, feeds)
        assert sorted(stored.mentions) == sorted(every_mention(feeds))
        for name, feed in feeds.items():
            route = feed_server.route(feed.path)
            assert stored.validators[name] == (route.current_etag(), route.current_last_modified())

        # A re-poll asks every feed conditionally and adds nothing.
        asked_before = answered()
        check_ended(start(cold=False), (0,))
        assert "0 new mention(s)" in out.read_text()
        assert sorted(read_database(database_url).mentions) == sorted(stored.mentions)
        assert [r.status for r in feed_server.requests()[asked_before:]] == [304] * FEEDS
    finally:
        forks.close()

    if project_engine == "sqlite":
        with closing(sqlite3.connect(config.parent / "veille.db")) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
