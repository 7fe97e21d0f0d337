"""Processing beside the fetching: worker processes give the same mentions and stories as one
process and lose nothing, and a pass holds a bounded number of fetched sources.

The workers are real processes (``spawn``), the feeds real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from benchmarks.feedworld import BRAND, make_feed
from tests.support.feedserver import FeedServer
from tests.support.processes import refuse_new_processes, signalling_workers
from tests.support.project import TEST_HTTP, run
from veille import processing_pool
from veille.collectors.rss import FeedReading, parse_feed
from veille.errors import FatalSourceError
from veille.normalize.story import story_signature
from veille.process import MentionProcessor
from veille.processing_pool import Processed, Processing, ProcessingPool, process_count
from veille.settings import BrandConfig, CollectSettings
from veille.store import Store, StoredItem
from veille.types import Collected, RawMention, SourceState

BRANDS = (BrandConfig(name=BRAND, query=f'"{BRAND}"', languages=("fr", "en")),)


def _raws(feeds: int = 3) -> list[RawMention]:
    return [
        raw
        for index in range(feeds)
        for raw in parse_feed(
            make_feed(index, 20, 0.5), url=f"https://example.org/{index}", source=f"feed-{index}"
        ).mentions
    ]


def _without_story(items: list[StoredItem]) -> list[StoredItem]:
    from dataclasses import replace

    return [replace(item, story=None) for item in items]


@pytest.mark.parametrize(
    ("setting", "sources", "cpus", "expected"),
    [
        ("auto", 19, 8, 0),  # a small pass does not pay for starting a process
        ("auto", 20, 1, 0),  # one CPU: the pass's own process has it
        ("auto", 20, 2, 1),
        ("auto", 500, 3, 2),
        ("auto", 500, 64, processing_pool.AUTO_MAX_PROCESSES),
        (0, 500, 8, 0),
        (3, 1, 1, 3),  # a number is taken as it is
    ],
)
def test_how_many_processes_a_pass_uses(
    monkeypatch: pytest.MonkeyPatch, setting: int | str, sources: int, cpus: int, expected: int
) -> None:
    monkeypatch.setattr(processing_pool, "usable_cpus", lambda: cpus)
    assert process_count(setting, sources) == expected


@pytest.mark.parametrize("value", [-1, 17, "2", "all", True, 1.5])
def test_the_processes_setting_refuses_what_is_not_a_count(value: object) -> None:
    with pytest.raises(ValueError, match='must be "auto" or a whole number from 0 to 16'):
        CollectSettings(processes=value)


def test_a_worker_gives_what_processing_here_gives_with_story_signatures() -> None:
    raws = _raws()
    from veille.process import MentionProcessor

    here = MentionProcessor(BRANDS).process(raws)
    with ProcessingPool(BRANDS, 2) as pool:
        collected = Collected(raws, SourceState())
        read, given, there, _entries = pool.submit(collected).result(timeout=120)
    assert here, "the feeds name the brand"
    assert (read, given) == (None, len(raws))
    assert _without_story(there) == here
    for item in there:
        assert item.story == story_signature(item.document.title, item.document.text)


def test_a_single_worker_leaves_story_signatures_to_the_pass_s_own_process() -> None:
    raws = _raws()
    with ProcessingPool(BRANDS, 1) as pool:
        _read, _given, there, _entries = pool.submit(Collected(raws, SourceState())).result(
            timeout=120
        )
    assert there, "the feeds name the brand"
    # The store computes them as it saves: that process has CPU to spare beside one worker.
    assert all(item.story is None for item in there)


def _unread(body: bytes, ttl: str = "") -> Collected:
    reading = FeedReading(
        body=body.replace(b"<channel>", f"<channel>{ttl}".encode()),
        url="https://example.org/feed",
        source="feed",
        headers={"content-type": "application/rss+xml"},
        platform=None,
        language=None,
        since=None,
    )
    return Collected([], SourceState(), ttl_seconds=600, unread=reading)


def test_a_worker_reads_an_unread_feed_as_the_pass_would() -> None:
    collected = _unread(make_feed(0, 20, 0.5), ttl="<ttl>60</ttl>")
    here = collected.read()
    assert here.mentions and here.ttl_seconds == 3600  # the feed's hour beats max-age's 600 s
    with ThreadPoolExecutor(max_workers=1) as thread:
        processing = Processing(BRANDS, 1, thread)
        try:
            there = asyncio.run(processing.process(collected))
            in_thread = Processing(BRANDS, 0, thread)
            assert asyncio.run(in_thread.process(collected)) == Processed(
                _without_story(there.items),
                there.given,
                there.warning,
                there.ttl_seconds,
                there.entries,
            )
        finally:
            processing.close()
    assert (there.given, there.ttl_seconds, there.warning) == (20, 3600, None)
    assert there.items


def test_a_body_a_worker_cannot_read_fails_its_source_only() -> None:
    with ProcessingPool(BRANDS, 1) as pool:
        with pytest.raises(FatalSourceError, match="is not a feed"):
            pool.submit(_unread(b"<html><body>Danone</body></html>")).result(timeout=120)
        # The worker is still there for the next source.
        body = _unread(make_feed(1, 20, 0.5))
        read, given, items, entries = pool.submit(body).result(timeout=120)
        # Seen under the same setup, the items are not processed again.
        _, again, none, same = pool.submit(body, frozenset(entries)).result(timeout=120)
    assert read is not None and read.mentions == []  # the items stay in the worker
    assert given == 20 and items and len(entries) == 20
    assert (again, none, same) == (20, [], entries)


def _wait_until_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 30
    while any(child.pid in pids for child in multiprocessing.active_children()):
        assert time.monotonic() < deadline, "the killed worker is still there"
        time.sleep(0.05)


def test_items_of_a_worker_that_died_are_processed_here(caplog: pytest.LogCaptureFixture) -> None:
    collected = Collected(_raws(2), SourceState())
    with ThreadPoolExecutor(max_workers=1) as thread:
        processing = Processing(BRANDS, 1, thread)
        try:
            first = asyncio.run(processing.process(collected))
            workers = [c.pid for c in multiprocessing.active_children() if c.pid is not None]
            assert workers, "a worker process ran"
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            _wait_until_gone(workers)
            with caplog.at_level(logging.WARNING, logger="veille.processing_pool"):
                again = asyncio.run(processing.process(collected))
        finally:
            processing.close()
    assert processing.pool is None
    assert "a processing worker stopped" in caplog.text
    assert again.items == _without_story(first.items)
    assert again.items, "nothing was lost"


def _children() -> list[int]:
    return [child.pid for child in multiprocessing.active_children() if child.pid is not None]


def test_a_pool_started_early_has_its_workers_before_any_items() -> None:
    with ProcessingPool(BRANDS, 2) as pool:
        before = set(_children())
        pool.start()
        pool.start()  # started once
        workers = set(_children()) - before
        assert len(workers) == 2, "every worker is started, loading its models"
        _, given, items, _ = pool.submit(Collected(_raws(1), SourceState())).result(timeout=120)
        assert set(_children()) - before == workers, "the same workers take the items"
    assert given == 20 and items


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_workers_ignore_ctrl_c_and_sigterm_from_the_moment_they_start(signum: int) -> None:
    with signalling_workers(signum), ProcessingPool(BRANDS, 2) as pool:
        pool.start()
        futures = [pool.submit(Collected(_raws(1), SourceState())) for _ in range(4)]
        results = [future.result(timeout=120) for future in futures]  # no BrokenProcessPool
    assert all(given == 20 and items for _, given, items, _ in results)


def _kill_first_worker(stop: threading.Event) -> None:
    """Kill the first worker process as soon as it appears (before it has loaded its models)."""
    while not stop.is_set():
        workers = [c.pid for c in multiprocessing.active_children() if c.pid is not None]
        if workers:
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.005)


def test_sources_waiting_on_a_worker_that_died_are_all_processed_here(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Several sources wait on the pool when its worker dies: each of them learns it broke.
    collections = [Collected(_raws(1 + index), SourceState()) for index in range(3)]
    processor = MentionProcessor(BRANDS)
    expected = [processor.process(c.mentions) for c in collections]

    async def process_together(processing: Processing) -> list[Processed]:
        return list(await asyncio.gather(*(processing.process(c) for c in collections)))

    stop = threading.Event()
    killer = threading.Thread(target=_kill_first_worker, args=(stop,))
    with ThreadPoolExecutor(max_workers=1) as thread:
        processing = Processing(BRANDS, 1, thread)
        killer.start()
        try:
            with caplog.at_level(logging.WARNING, logger="veille.processing_pool"):
                processed = asyncio.run(process_together(processing))
        finally:
            stop.set()
            killer.join()
            processing.close()
    assert processing.pool is None
    assert caplog.text.count("a processing worker stopped") == 1
    assert [p.items for p in processed] == expected
    assert all(p.items for p in processed), "nothing was lost"


def _serve_world(server: FeedServer, feeds: int) -> dict[str, str]:
    # Templated items repeat one another: many near-copies, grouped into stories.
    urls = {}
    for index in range(feeds):
        body = make_feed(index, 20, 0.6, templated=True)
        server.add(f"/feed-{index}.xml", body, content_type="application/rss+xml")
        urls[f"feed-{index}"] = server.url(f"/feed-{index}.xml")
    return urls


def _config(folder: Path, urls: dict[str, str], processes: int) -> Path:
    folder.mkdir()
    blocks = "".join(
        f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{url}"\n'
        for name, url in urls.items()
    )
    path = folder / "veille.toml"
    path.write_text(
        f"[collect]\nprocesses = {processes}\n{TEST_HTTP}concurrency = 1\n\n"
        f'[[brands]]\nname = "{BRAND}"\nquery = \'"{BRAND}"\'\n{blocks}',
        encoding="utf-8",
    )
    return path


def _add_source(config: Path, name: str, url: str) -> None:
    with config.open("a", encoding="utf-8") as file:
        file.write(f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{url}"\n')


def _stored(database: Path) -> tuple[set[tuple[Any, ...]], set[frozenset[str]]]:
    """Every document's classification and matched brand, and how documents group in stories."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT d.identity, d.lang, d.sentiment, d.tone, d.story_id, b.name, m.matched_terms"
            " FROM documents d JOIN mentions m ON m.document_id = d.id"
            " JOIN brands b ON b.id = m.brand_id"
        ).fetchall()
    stories: dict[str, set[str]] = {}
    for identity, *_, story_id, _, _ in rows:
        stories.setdefault(story_id, set()).add(identity)
    documents = {(identity, lang, sentiment, tone, brand, terms) for (
        identity, lang, sentiment, tone, _, brand, terms) in rows}  # fmt: skip
    return documents, {frozenset(members) for members in stories.values()}


@pytest.fixture
def pool_events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What passes asked of their processing pools: "items" for each collection submitted."""
    events: list[str] = []
    real_submit = ProcessingPool.submit

    def watched_submit(pool: ProcessingPool, collected: Collected, seen: Any) -> Any:
        events.append("items")
        return real_submit(pool, collected, seen)

    monkeypatch.setattr(ProcessingPool, "submit", watched_submit)
    return events


def test_a_pass_with_worker_processes_stores_what_one_process_stores(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool_events: list[str]
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)  # the SQLite file beside each
    urls = _serve_world(feed_server, 6)
    submitted = pool_events
    results = {}
    for processes in (0, 1):
        config = _config(tmp_path / f"processes-{processes}", urls, processes)
        result = run(config, "collect", "--quiet")
        assert result.exit_code == 0, result.output
        results[processes] = _stored(config.parent / "veille.db")
        assert len(submitted) == (6 if processes else 0), "each feed's items went to a worker"
    documents, stories = results[1]
    assert documents == results[0][0]
    assert stories == results[0][1]
    assert len(stories) < len(documents), "some documents repeat a story"


def test_workers_start_before_the_answers_of_new_sources_and_not_for_unchanged_ones(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool_events: list[str]
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    urls = _serve_world(feed_server, 3)
    events = pool_events
    real_start = ProcessingPool.start

    def watched_start(pool: ProcessingPool) -> None:
        events.append(f"start after {sum(map(feed_server.arrivals, _paths(urls)))} requests")
        real_start(pool)

    monkeypatch.setattr(ProcessingPool, "start", watched_start)
    config = _config(tmp_path / "pass", urls, 1)
    assert run(config, "collect", "--quiet").exit_code == 0
    # New sources: the workers start before the first request is answered.
    assert events[0] == "start after 0 requests" and events.count("items") == 3, events
    events.clear()
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    assert events == [], "unchanged sources answer 304: no worker is started"
    assert all(feed_server.requests(path)[-1].status == 304 for path in _paths(urls))


def test_workers_for_new_sources_start_before_the_pass_is_prepared(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import veille.pipeline

    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    urls = _serve_world(feed_server, 3)
    events: list[str] = []
    real_start, real_run_once = ProcessingPool.start, veille.pipeline.run_once

    started: set[int] = set()

    def watched_start(pool: ProcessingPool) -> None:
        # The pass asks again for each new source; a started pool stays as it is.
        if id(pool) not in started:
            started.add(id(pool))
            events.append("workers start")
        real_start(pool)

    def watched_run_once(*args: Any, **kwargs: Any) -> Any:
        events.append("pass")
        return real_run_once(*args, **kwargs)

    monkeypatch.setattr(ProcessingPool, "start", watched_start)
    monkeypatch.setattr(veille.pipeline, "run_once", watched_run_once)
    config = _config(tmp_path / "pass", dict(list(urls.items())[:2]), 1)
    assert run(config, "collect", "--quiet").exit_code == 0
    assert events == ["workers start", "pass"]
    # Every source was collected before: the pass decides, on the answers it gets.
    events.clear()
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    assert events == ["pass"]
    # One more source, never collected: its items will be processed.
    events.clear()
    _add_source(config, *list(urls.items())[2])
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    assert events[:2] == ["workers start", "pass"]


def test_on_a_new_database_workers_start_before_the_store_opens(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    urls = _serve_world(feed_server, 3)
    config = _config(tmp_path / "pass", dict(list(urls.items())[:2]), 1)
    database = config.parent / "veille.db"
    events: list[str] = []
    real_start, real_open = ProcessingPool.start, Store.open

    def watched_start(pool: ProcessingPool) -> None:
        events.append("workers start" + (", database there" if database.exists() else ""))
        real_start(pool)

    def watched_open(url: str, **options: Any) -> Store:
        events.append("store opens")
        return real_open(url, **options)

    monkeypatch.setattr(ProcessingPool, "start", watched_start)
    monkeypatch.setattr(Store, "open", watched_open)
    assert run(config, "collect", "--quiet").exit_code == 0
    assert events[:2] == ["workers start", "store opens"]
    # The database is there: the store tells which sources are new.
    events.clear()
    _add_source(config, *list(urls.items())[2])
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    assert events[:2] == ["store opens", "workers start, database there"]
    assert len(_stored(database)[0]) > 0


@pytest.mark.sqlite_only  # on PostgreSQL passes share the work (tests/test_workers.py)
def test_a_pass_that_skips_stops_the_workers_it_started_early(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.locks import job_lock
    from veille.settings import load_settings

    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    config = _config(tmp_path / "pass", _serve_world(feed_server, 2), 1)
    events: list[str] = []
    real_start, real_close = ProcessingPool.start, ProcessingPool.close

    def watched_start(pool: ProcessingPool) -> None:
        events.append("workers start")
        real_start(pool)

    def watched_close(pool: ProcessingPool) -> None:
        events.append("workers stop")
        real_close(pool)

    monkeypatch.setattr(ProcessingPool, "start", watched_start)
    monkeypatch.setattr(ProcessingPool, "close", watched_close)
    # Another pass holds the database's lock before this one has created it.
    with job_lock(load_settings(config).database_url, "collect") as acquired:
        assert acquired
        result = run(config, "collect", "--quiet")
    assert result.exit_code == 0
    assert "Another collecting pass is running" in result.output
    assert events == ["workers start", "workers stop"]
    assert multiprocessing.active_children() == []
    assert feed_server.requests() == []


@pytest.mark.parametrize(("new_sources", "processes"), [(19, 0), (20, 1)])
def test_new_sources_start_workers_early_as_auto_would_for_the_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_sources: int, processes: int
) -> None:
    from veille.processing_pool import pool_for_new_sources
    from veille.settings import load_settings

    monkeypatch.setattr(processing_pool, "usable_cpus", lambda: 2)
    urls = {f"feed-{i}": f"https://example.org/{i}.xml" for i in range(new_sources)}
    config = _config(tmp_path / "pass", urls, 1)
    config.write_text(config.read_text().replace("processes = 1", 'processes = "auto"'))
    store = Store.open(f"sqlite:///{tmp_path / 'veille.db'}")
    pool = None
    try:
        pool = pool_for_new_sources(load_settings(config), store)
        assert (pool.processes if pool else 0) == processes
    finally:
        if pool is not None:
            pool.close()
        store.close()


def test_a_pass_whose_workers_cannot_start_processes_everything_itself(
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    refuse_new_processes(monkeypatch)
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    urls = _serve_world(feed_server, 3)
    config = _config(tmp_path / "pass", urls, 1)
    with caplog.at_level(logging.WARNING, logger="veille.processing_pool"):
        result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    assert "Resource temporarily unavailable" in caplog.text
    reference = _config(tmp_path / "one-process", urls, 0)
    assert run(reference, "collect", "--quiet").exit_code == 0
    assert _stored(config.parent / "veille.db") == _stored(reference.parent / "veille.db")
    # Known sources with new items: the pass starts its workers only when it is given items.
    caplog.clear()
    for index, name in enumerate(urls):
        feed_server.set_body(f"/{name}.xml", make_feed(index + 10, 20, 0.6, templated=True))
    with caplog.at_level(logging.WARNING, logger="veille.processing_pool"):
        result = run(config, "collect", "--all", "--quiet")
    assert result.exit_code == 0 and "0 failed" in result.output, result.output
    assert "Resource temporarily unavailable" in caplog.text
    assert run(reference, "collect", "--all", "--quiet").exit_code == 0
    assert _stored(config.parent / "veille.db") == _stored(reference.parent / "veille.db")


def _worker_pids(pid: int) -> list[int]:
    """The processing workers among the processes ``pid`` started (Linux /proc)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in cmdline:
            found.append(int(child))
    return found


def _ended(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # a zombie has ended; whoever adopted it reaps it


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads processes from /proc")
def test_a_pass_killed_outright_leaves_no_worker_behind(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    import subprocess
    import sys

    # Slow feeds: the pass is still fetching when it is killed, its worker waiting for work.
    for index in range(6):
        feed_server.add(f"/slow-{index}.xml", make_feed(index, 20, 0.6), delay=3.0)
    urls = {f"slow-{index}": feed_server.url(f"/slow-{index}.xml") for index in range(6)}
    config = _config(tmp_path / "pass", urls, 1)
    env = {key: value for key, value in os.environ.items() if key != "VEILLE_DATABASE_URL"}
    command = [sys.executable, "-m", "veille", "--config", str(config), "collect", "--quiet"]
    collecting = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (workers := _worker_pids(collecting.pid)):
            assert collecting.poll() is None and time.monotonic() < deadline, "no worker started"
            time.sleep(0.05)
        # As a service manager's last resort, or the machine's memory killer, would.
        collecting.send_signal(signal.SIGKILL)
        collecting.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not all(_ended(worker) for worker in workers):
            assert time.monotonic() < deadline, "the worker outlived the pass"
            time.sleep(0.05)
    finally:
        if collecting.poll() is None:
            collecting.kill()
            collecting.wait()


@pytest.mark.parametrize("processes", [0, 1])
def test_ctrl_c_stops_a_pass_without_a_traceback(
    feed_server: FeedServer, tmp_path: Path, processes: int
) -> None:
    import subprocess
    import sys

    # Sources in every state when the signal comes: waiting, fetching, processing, saving.
    for index in range(40):
        feed_server.add(f"/feed-{index}.xml", make_feed(index, 20, 0.6), delay=0.02 * index)
    urls = {f"feed-{index}": feed_server.url(f"/feed-{index}.xml") for index in range(40)}
    config = _config(tmp_path / "pass", urls, processes)
    config.write_text(config.read_text().replace("concurrency = 1", "concurrency = 8"))
    env = {key: value for key, value in os.environ.items() if key != "VEILLE_DATABASE_URL"}
    command = [sys.executable, "-m", "veille", "--config", str(config), "collect", "--quiet"]
    collecting = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while sum(map(feed_server.arrivals, _paths(urls))) < 12:
            assert collecting.poll() is None and time.monotonic() < deadline, "no request came"
            time.sleep(0.01)
        collecting.send_signal(signal.SIGINT)
        _, err = collecting.communicate(timeout=30)
    finally:
        if collecting.poll() is None:
            collecting.kill()
            collecting.communicate()
    assert collecting.returncode == 130
    assert "Interrupted: the sources collected until now are saved" in err
    assert "Traceback" not in err, err


def _paths(urls: dict[str, str]) -> list[str]:
    return [f"/{name}.xml" for name in urls]


def test_a_pass_holds_at_most_twice_its_concurrency_of_sources_unsaved(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    urls = _serve_world(feed_server, 8)
    requested_before_save: list[int] = []
    real_save = Store.save_collections

    def counted_save(store: Store, saves: Any) -> Any:
        requested = sum(feed_server.arrivals(f"/{name}.xml") for name in urls)
        requested_before_save.extend([requested] * len(saves))
        return real_save(store, saves)

    monkeypatch.setattr(Store, "save_collections", counted_save)
    config = _config(tmp_path / "pass", urls, 0)  # concurrency = 1: two sources at most
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    assert len(requested_before_save) == len(urls)
    for saved, requested in enumerate(requested_before_save):
        # The (saved + 1)-th save: the sources saved before it, and two under way.
        assert requested <= saved + 2, requested_before_save
