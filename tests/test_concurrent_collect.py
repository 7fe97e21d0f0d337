"""Two `veille collect` started at the same time on one project: no duplicate, no loss, no crash.

On SQLite one pass writes at a time: the second skips with a message while the first runs (or,
started late, runs after it). On PostgreSQL the two run together and split the due sources
(tests/test_workers.py checks how claims split them; here, what a user sees of two commands),
and two saves of one story from two feeds, at the same moment, still make one document.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from tests.support.feedserver import FeedServer
from tests.support.project import project_engine_fixture, write_config  # noqa: F401
from tests.support.stores import T0, fresh_postgres_database, later, make_item
from veille.settings import load_settings
from veille.store import BrandSpec, SourceSpec, Store, writes
from veille.store.schema import document_table, mention_table, run_table
from veille.types import SourceState

FEEDS = 16
ITEMS_PER_FEED = 3
WIRE_STORIES = 4  # in every feed, each under the feed's own GUID: one document per story
# Two fetches at a time at 0.2 s each: a pass lasts seconds, longer than the two commands
# take to start one after the other.
REQUEST_DELAY = 0.2
SKIPPED = "Another collecting pass is running on this database; skipped."
TIMEOUT = 120.0
Outcome = tuple[int, str, str]  # exit code, standard output, standard error
Run = tuple[datetime, datetime | None, str]  # started, finished, status


def _feed(index: int) -> bytes:
    entries = "".join(
        f"<item><title>Danone ouvre le site {index}-{n}</title>"
        f"<link>https://news{index:02d}.example/articles/{n}.html</link>"
        f"<description>Michelin et Danone dans la région {index}, article {n}.</description>"
        "<pubDate>Mon, 02 Mar 2026 09:00:00 +0000</pubDate></item>"
        for n in range(ITEMS_PER_FEED)
    ) + "".join(
        f"<item><title>Dépêche : Danone rachète la société {story}</title>"
        f"<link>https://wire.example/stories/{story}.html?utm_source=feed{index}</link>"
        f'<guid isPermaLink="false">feed{index}-wire-{story}</guid>'
        "<pubDate>Mon, 02 Mar 2026 08:00:00 +0000</pubDate></item>"
        for story in range(WIRE_STORIES)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Feed {index}</title><link>https://news{index:02d}.example/</link>"
        f"<description>Feed {index}</description>{entries}</channel></rss>"
    ).encode()


@pytest.fixture
def project(feed_server: FeedServer, tmp_path: Path) -> Path:
    """A project of slow feeds, each with items of its own and the same wire stories; no database
    yet. The feeds' own items name Danone and Michelin, the wire stories Danone."""
    sources = {}
    for index in range(FEEDS):
        feed_server.add(f"/feed{index:02d}.xml", _feed(index), delay=REQUEST_DELAY)
        sources[f"feed{index:02d}"] = feed_server.url(f"/feed{index:02d}.xml")
    return write_config(tmp_path, sources, extra="concurrency = 2\n")  # in [http]


def _expected_mentions() -> list[tuple[str, str]]:
    own = [
        (f"https://news{index:02d}.example/articles/{n}.html", brand)
        for index in range(FEEDS)
        for n in range(ITEMS_PER_FEED)
        for brand in ("Danone", "Michelin")
    ]
    wire = [
        (f"https://wire.example/stories/{story}.html", "Danone") for story in range(WIRE_STORIES)
    ]
    return sorted(own + wire)


def _collect_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "veille", "--config", str(config), "collect", "--quiet", *args]


def _run_twice_at_once(config: Path, *args: str) -> list[Outcome]:
    """Start two `veille collect` together; return each one's exit code, stdout and stderr."""
    processes = [
        subprocess.Popen(
            _collect_command(config, *args),
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
    return [
        (process.returncode, out, err)
        for process, (out, err) in zip(processes, outputs, strict=True)
    ]


def _run_once(config: Path, *args: str) -> Outcome:
    done = subprocess.run(
        _collect_command(config, *args),
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _stored(config: Path) -> tuple[list[tuple[str, str]], list[str], list[Run]]:
    """(canonical URL, brand) of every mention, identity of every document, and every run."""
    engine = create_engine(load_settings(config).database_url)
    try:
        with engine.connect() as connection:
            mentions = connection.execute(
                text(
                    "SELECT d.canonical_url, b.name FROM mentions m "
                    "JOIN documents d ON d.id = m.document_id JOIN brands b ON b.id = m.brand_id"
                )
            ).all()
            identities = connection.execute(text("SELECT identity FROM documents")).scalars()
            runs = connection.execute(
                select(
                    run_table.c.started_at, run_table.c.finished_at, run_table.c.status
                ).order_by(run_table.c.id)
            ).all()
            return (
                sorted((url, brand) for url, brand in mentions),
                list(identities),
                [(row[0], row[1], row[2]) for row in runs],
            )
    finally:
        engine.dispose()


def _assert_clean(results: list[Outcome]) -> None:
    for code, out, err in results:
        assert code == 0, out + err
        assert "database is locked" not in out + err, err
        assert "Traceback" not in out + err, err
        assert "Error" not in err, err


def _assert_serialised_on_sqlite(results: list[Outcome], runs: list[Run]) -> None:
    """One pass at a time on SQLite: the other skipped with the message, or ran after it."""
    skipped = [err for _, _, err in results if SKIPPED in err]
    assert len(skipped) + len(runs) == 2, (skipped, runs)
    if len(runs) == 2:
        first, second = runs
        assert first[1] is not None and first[1] <= second[0], "two passes wrote at once"


def test_two_passes_started_at_once_store_each_mention_once(
    project: Path, feed_server: FeedServer, project_engine: str
) -> None:
    results = _run_twice_at_once(project)
    _assert_clean(results)
    mentions, identities, runs = _stored(project)
    assert mentions == _expected_mentions()
    assert len(set(identities)) == len(identities) == FEEDS * ITEMS_PER_FEED + WIRE_STORIES
    assert all(status == "ok" for _, _, status in runs), runs
    # Every feed was due once: whichever pass collected it, no other fetched it again.
    asked = Counter(request.path for request in feed_server.requests())
    assert asked == {f"/feed{index:02d}.xml": 1 for index in range(FEEDS)}
    if project_engine == "sqlite":
        _assert_serialised_on_sqlite(results, runs)
    else:
        # Passes sharing PostgreSQL never skip: both run, and split the feeds when together.
        assert not any(SKIPPED in err for _, _, err in results)
        assert len(runs) == 2


def test_two_passes_over_every_source_at_once_store_each_mention_once(
    project: Path, feed_server: FeedServer, project_engine: str
) -> None:
    # --all takes every source, due or not: on PostgreSQL both passes may fetch and save the
    # same feeds at the same moment, and the writes alone must keep each mention once.
    results = _run_twice_at_once(project, "--all")
    _assert_clean(results)
    mentions, identities, runs = _stored(project)
    assert mentions == _expected_mentions()
    assert len(set(identities)) == len(identities) == FEEDS * ITEMS_PER_FEED + WIRE_STORIES
    assert all(status == "ok" for _, _, status in runs), runs
    if project_engine == "sqlite":
        _assert_serialised_on_sqlite(results, runs)
    # A third pass finds every feed unchanged: the validators saved are those of the bodies.
    asked_before = len(feed_server.requests())
    _assert_clean([_run_once(project, "--all")])
    assert [r.status for r in feed_server.requests()[asked_before:]] == [304] * FEEDS
    assert _stored(project)[0] == mentions


def _waiting_for_a_lock(url: str) -> bool:
    """Whether a session of this PostgreSQL database waits for a lock another one holds."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks JOIN pg_database d ON d.oid = pg_locks.database"
                    " WHERE d.datname = current_database() AND NOT granted"
                )
            ).scalar_one()
            return bool(waiting)
    finally:
        engine.dispose()


def test_one_story_saved_from_two_feeds_at_once_is_one_document() -> None:
    """Two workers save the same link under two feeds' GUIDs: the second finds the first's."""
    with fresh_postgres_database() as url:
        stores = [Store.open(url), Store.open(url)]
        try:
            stores[0].sync_config(
                [BrandSpec("acme", "acme")],
                [SourceSpec(name, "rss", {"url": f"https://{name}.example/rss"}) for name in "ab"],
            )
            run_id = stores[0].begin_run(T0)
            story = "https://wire.example/stories/1.html"
            items = {
                name: make_item(f"guid:{name}-1", source=name, url=story, canonical_url=story)
                for name in "ab"
            }

            def save_from_b() -> None:
                stores[1].save_collection(
                    run_id, "b", None, [items["b"]], SourceState(),
                    now=later(1), next_check_at=later(60), not_modified=False, duration=0.1,
                )  # fmt: skip

            second = threading.Thread(target=save_from_b)
            with stores[0].engine.begin() as first:  # feed a's save, not committed yet
                writes.save_collection(
                    first, run_id, "a", None, [items["a"]], SourceState(), now=later(1),
                    next_check_at=later(60), not_modified=False, duration=0.1, warning=None,
                )  # fmt: skip
                second.start()
                # Without a lock on the URL, feed b's save does not wait: it stores its own copy.
                deadline = time.monotonic() + TIMEOUT
                while second.is_alive() and not _waiting_for_a_lock(url):
                    assert time.monotonic() < deadline, "feed b's save neither waits nor ends"
                    time.sleep(0.02)
            second.join(timeout=TIMEOUT)
            assert not second.is_alive()
        finally:
            for store in stores:
                store.close()
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                documents = connection.execute(
                    select(document_table.c.id).where(document_table.c.canonical_url == story)
                ).all()
                mentions = connection.execute(select(mention_table.c.document_id)).all()
        finally:
            engine.dispose()
        assert len(documents) == 1
        assert mentions == documents
