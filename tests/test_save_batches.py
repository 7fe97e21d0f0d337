"""Group commit: the saves waiting for the store's thread share one transaction, each under a
savepoint, and a failing save takes back only its own writes."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from benchmarks.feedworld import make_feed
from tests.support.feedserver import FeedServer
from tests.support.project import run, write_config
from tests.support.stores import (  # noqa: F401
    T0,
    fresh_postgres_database,
    later,
    make_item,
    sent_statements,
    store_fixture,
)
from veille import save_batches
from veille.errors import StoreError
from veille.save_batches import SaveBatches
from veille.store import BrandSpec, CollectionSave, SaveCounts, SourceSpec, Store, writes
from veille.store.schema import document_table, mention_table, source_state_table
from veille.types import SourceState


def _save(source: str, identities: Sequence[str], *, run_id: int = 1) -> CollectionSave:
    return CollectionSave(
        run_id=run_id,
        source=source,
        brand=None,
        items=[make_item(identity) for identity in identities],
        state=SourceState(etag=f'"{source}"'),
        now=T0,
        next_check_at=later(60),
        not_modified=False,
        duration=0.1,
    )


def test_a_failing_save_takes_back_only_its_own_writes(store: Store) -> None:
    run_id = store.begin_run(T0)
    failing = _save("gnews", ["guid:2"], run_id=run_id)
    # Its second item names a brand the database does not know: its first is written first.
    failing = replace(failing, items=[*failing.items, make_item("guid:3", brands=("initech",))])
    saves = [
        _save("lemonde", ["guid:1"], run_id=run_id),
        failing,
        _save("hn", ["guid:4"], run_id=run_id),
    ]
    results = store.save_collections(saves)
    assert results[0] == SaveCounts(items=1, new_documents=1, new_mentions=1)
    assert isinstance(results[1], StoreError)
    assert "initech" in str(results[1])
    assert results[2] == SaveCounts(items=1, new_documents=1, new_mentions=1)
    with store.engine.connect() as connection:
        identities = set(connection.scalars(select(document_table.c.identity)))
        etags = set(connection.scalars(select(source_state_table.c.etag)))
        documents = connection.scalar(select(func.count()).select_from(document_table))
    assert identities == {"guid:1", "guid:4"}
    assert documents == 2
    assert etags == {'"lemonde"', '"hn"'}, "the failed source's state was not saved either"


def _sent_statements(store: Store, action: Any) -> list[str]:
    return [" ".join(statement.split()) for statement, _ in sent_statements(store, action)]


def test_a_batch_reads_its_ids_once_and_looks_up_mentions_only_of_stored_documents(
    store: Store,
) -> None:
    run_id = store.begin_run(T0)
    saves = [
        _save("lemonde", ["guid:1", "guid:2"], run_id=run_id),
        _save("gnews", ["guid:3"], run_id=run_id),
        _save("hn", ["guid:4"], run_id=run_id),
    ]
    results: list[Any] = []
    sent = _sent_statements(store, lambda: results.extend(store.save_collections(saves)))
    assert [result.new_mentions for result in results] == [2, 1, 1]
    # The sources' and brands' ids are read once for the three saves.
    assert sum("FROM sources" in statement for statement in sent) == 1
    assert sum("FROM brands" in statement for statement in sent) == 1
    mention_lookups = [s for s in sent if s.startswith("SELECT mentions.document_id")]
    if store.engine.dialect.name == "sqlite":
        # Documents this transaction inserted cannot have a mention yet: none is looked up.
        assert mention_lookups == []
    # The same items again, and one new: each stored document's mentions are looked up, and
    # none is stored twice.
    again = [*saves[:2], _save("hn", ["guid:4", "guid:5"], run_id=run_id)]
    results = []
    sent = _sent_statements(store, lambda: results.extend(store.save_collections(again)))
    assert [result.new_mentions for result in results] == [0, 0, 1]
    assert any(s.startswith("SELECT mentions.document_id") for s in sent)
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(mention_table)) == 5


def test_an_unknown_source_in_a_batch_fails_alone(store: Store) -> None:
    run_id = store.begin_run(T0)
    saves = [_save("lemonde", ["guid:1"], run_id=run_id), _save("nowhere", ["guid:2"])]
    results = store.save_collections(saves)
    assert results[0] == SaveCounts(items=1, new_documents=1, new_mentions=1)
    assert isinstance(results[1], StoreError)
    assert "unknown source 'nowhere'" in str(results[1])


class _RecordingStore:
    """Stands for the store's thread: the first transaction waits until it is let go."""

    def __init__(self, fail_transaction: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.started = threading.Event()
        self.let_go = threading.Event()
        self.fail_transaction = fail_transaction

    def save_collections(self, saves: Sequence[CollectionSave]) -> list[SaveCounts | Exception]:
        if not self.batches:
            self.started.set()
            self.let_go.wait(10)
        self.batches.append([save.source for save in saves])
        if self.fail_transaction:
            raise StoreError("disk full")
        return [
            StoreError(f"{save.source} is bad") if save.source == "bad"
            else SaveCounts(items=len(save.items), new_documents=1, new_mentions=1)
            for save in saves
        ]  # fmt: skip


async def _save_while_the_first_waits(
    store: _RecordingStore, sources: Sequence[str], limit: int
) -> list[SaveCounts | BaseException]:
    with ThreadPoolExecutor(max_workers=1) as executor:
        batches = SaveBatches(store, executor, limit)
        first = asyncio.create_task(batches.save(_save(sources[0], ["a"])))
        while not store.started.is_set():  # the first transaction is under way in the thread
            await asyncio.sleep(0.001)
        others = [asyncio.create_task(batches.save(_save(s, ["a", "b"]))) for s in sources[1:]]
        await asyncio.sleep(0)  # each queues its save
        store.let_go.set()
        return await asyncio.gather(first, *others, return_exceptions=True)


def test_saves_that_wait_for_the_store_share_one_transaction() -> None:
    store = _RecordingStore()
    sources = ["s0", "s1", "bad", "s3", "s4", "s5"]
    results = asyncio.run(_save_while_the_first_waits(store, sources, limit=3))
    assert store.batches == [["s0"], ["s1", "bad", "s3"], ["s4", "s5"]]
    assert results[0] == SaveCounts(items=1, new_documents=1, new_mentions=1)
    assert isinstance(results[2], StoreError), "each gets its own outcome"
    for index in (1, 3, 4, 5):
        assert results[index] == SaveCounts(items=2, new_documents=1, new_mentions=1)


def test_a_transaction_that_fails_fails_each_of_its_saves() -> None:
    store = _RecordingStore(fail_transaction=True)
    results = asyncio.run(_save_while_the_first_waits(store, ["s0", "s1", "s2"], limit=8))
    assert store.batches == [["s0"], ["s1", "s2"]]
    assert all(isinstance(result, StoreError) for result in results)


class _BatchRecorder:
    """Records the batches it is given and says when one came."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.saved = threading.Event()

    def save_collections(self, saves: Sequence[CollectionSave]) -> list[SaveCounts | Exception]:
        self.batches.append([save.source for save in saves])
        self.saved.set()
        return [SaveCounts(len(save.items), new_documents=0, new_mentions=0) for save in saves]


def test_a_batch_waits_for_the_saves_that_keep_coming() -> None:
    store = _BatchRecorder()

    async def one_every_10_ms() -> None:
        with ThreadPoolExecutor(max_workers=1) as executor:
            # Waits while a save comes at least every second, ten seconds at most.
            batches = SaveBatches(store, executor, limit=4, gather=(10.0, 1.0))
            tasks = []
            for index in range(6):
                tasks.append(asyncio.create_task(batches.save(_save(f"s{index}", ["a"]))))
                await asyncio.sleep(0.01)
            await asyncio.gather(*tasks)

    asyncio.run(one_every_10_ms())
    # The first four fill a batch, which goes at once; the last two wait for a quiet second.
    assert store.batches == [["s0", "s1", "s2", "s3"], ["s4", "s5"]]


def test_a_lone_save_waits_for_one_quiet_spell_only() -> None:
    store = _BatchRecorder()

    async def alone() -> bool:
        with ThreadPoolExecutor(max_workers=1) as executor:
            batches = SaveBatches(store, executor, gather=(60.0, 0.05))
            task = asyncio.create_task(batches.save(_save("s0", ["a"])))
            # Far longer than a quiet spell, far shorter than the time allowed to gather.
            saved = await asyncio.to_thread(store.saved.wait, 10)
            await task
            return saved

    assert asyncio.run(alone()), "the save waited for more than a quiet spell"
    assert store.batches == [["s0"]]


# Continues the [http] table of the test configuration.
SETTINGS = "concurrency = 4\nper_host = 4\n\n[collect]\nprocesses = 0\n"


def _serve(server: FeedServer, feeds: int) -> dict[str, str]:
    urls = {}
    for index in range(feeds):
        server.add(f"/f{index}.xml", make_feed(index, 20, 0.5), content_type="application/rss+xml")
        urls[f"feed-{index}"] = server.url(f"/f{index}.xml")
    return urls


def _stored(database: Path) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    with sqlite3.connect(database) as connection:
        documents = set(connection.execute(
            "SELECT d.identity, d.lang, d.sentiment, d.tone, m.matched_terms"
            " FROM documents d JOIN mentions m ON m.document_id = d.id"
        ))  # fmt: skip
        sources = set(connection.execute(
            "SELECT s.name, st.etag, st.consecutive_failures, rs.items_fetched, rs.new_mentions"
            " FROM sources s JOIN source_state st ON st.source_id = s.id"
            " JOIN run_sources rs ON rs.source_id = s.id"
        ))  # fmt: skip
    return documents, sources


def test_a_pass_saving_in_batches_stores_what_one_transaction_each_stores(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    urls = _serve(feed_server, 12)
    batch_sizes: list[int] = []
    real_save = Store.save_collections

    def recorded(store: Store, saves: Sequence[CollectionSave]) -> Any:
        batch_sizes.append(len(saves))
        return real_save(store, saves)

    monkeypatch.setattr(Store, "save_collections", recorded)
    stored = {}
    for limit in (1, 32):
        monkeypatch.setattr(save_batches, "MAX_SAVES_PER_TRANSACTION", limit)
        batch_sizes.clear()
        # Every feed on one host: four requests at once to it.
        config = write_config(tmp_path / f"limit-{limit}", urls, extra=SETTINGS)
        result = run(config, "collect", "--quiet")
        assert result.exit_code == 0, result.output
        assert sum(batch_sizes) == 12
        assert max(batch_sizes) <= limit
        stored[limit] = _stored(config.parent / "veille.db")
    assert max(batch_sizes) > 1, "sources ready together were saved together"
    assert stored[32] == stored[1]
    assert len(stored[32][0]) > 12 and len(stored[32][1]) == 12


def test_two_workers_batches_crossing_the_same_urls_both_save(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: two workers' transactions, each saving one URL then the other in turn, must
    not each hold a URL the other waits for."""
    with fresh_postgres_database() as url:
        stores = [Store.open(url), Store.open(url)]
        try:
            names = ["s1", "s2", "s3", "s4"]
            stores[0].sync_config(
                [BrandSpec("acme", "acme")],
                [SourceSpec(name, "rss", {"url": f"https://{name}.example/rss"}) for name in names],
            )
            run_id = stores[0].begin_run(T0)

            def one(source: str, identity: str, page: str) -> CollectionSave:
                item = make_item(identity, canonical_url=f"https://news.example/{page}")
                return replace(_save(source, [], run_id=run_id), items=[item])

            # Each worker saves page a then page b, the other page b then page a.
            batches = [
                [one("s1", "one:a", "a"), one("s2", "one:b", "b")],
                [one("s3", "two:b", "b"), one("s4", "two:a", "a")],
            ]
            # Each worker waits after its first save for the other's first save (3 s at most).
            after_first = threading.Barrier(2, timeout=3)
            real_save = writes.save_collection
            first_saves: set[str] = set()

            def save_then_wait(
                connection: Any, run: int, source: str, *args: Any, **kw: Any
            ) -> Any:
                counts = real_save(connection, run, source, *args, **kw)
                if source in ("s1", "s3") and source not in first_saves:
                    first_saves.add(source)
                    with contextlib.suppress(threading.BrokenBarrierError):
                        after_first.wait()
                return counts

            monkeypatch.setattr(writes, "save_collection", save_then_wait)
            # Each save alone, as when saving them together failed (the together path takes all
            # its locks at once before writing anything).
            monkeypatch.setattr(writes, "can_save_together", lambda saves, known: False)
            with ThreadPoolExecutor(max_workers=2) as threads:
                results = list(threads.map(Store.save_collections, stores, batches))
        finally:
            for store in stores:
                store.close()
    failures = [result for batch in results for result in batch if isinstance(result, Exception)]
    assert failures == []
    # Each page is one document, saved by whichever worker came first.
    assert sorted(result.new_documents for batch in results for result in batch) == [0, 0, 1, 1]
