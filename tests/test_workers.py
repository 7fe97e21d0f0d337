"""Several workers on one PostgreSQL database split the due sources: each is fetched once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.support.feedserver import FeedServer
from tests.support.project import write_config
from tests.support.stores import T0, fresh_postgres_database, later
from veille.store import BrandSpec, SourceSpec, Store
from veille.store.queries import iso_utc
from veille.store.schema import document_table, mention_table, run_source_table, source_table

LEASE = timedelta(minutes=30)
FEEDS = [f"feed{i:02d}" for i in range(20)]
# gnews searches per brand: one claim per (source, brand).
PER_BRAND = {"gnews": ["acme", "globex"]}
ALL_UNITS = sorted([(name, None) for name in FEEDS] + [("gnews", "acme"), ("gnews", "globex")])


def _configure(store: Store) -> None:
    store.sync_config(
        [BrandSpec("acme", "acme"), BrandSpec("globex", "globex")],
        [SourceSpec(name, "rss", {"url": f"https://example.org/{name}.xml"}) for name in FEEDS]
        + [SourceSpec("gnews", "google_news")],
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database with two brands, 20 feeds and a search source."""
    with fresh_postgres_database() as url:
        store = Store.open(url)
        try:
            _configure(store)
        finally:
            store.close()
        yield url


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A store open on ``pg_url``."""
    store = Store.open(pg_url)
    try:
        yield store
    finally:
        store.close()


def test_concurrent_claims_are_disjoint_and_cover_every_due_source(pg_url: str) -> None:
    stores = [Store.open(pg_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    results: list[list[tuple[str, str | None]]] = [[] for _ in stores]

    def claim(index: int) -> None:
        barrier.wait()
        results[index] = stores[index].claim_due(T0, lease=LEASE, per_brand=PER_BRAND)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(stores))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for store in stores:
            store.close()
    claimed = Counter(unit for result in results for unit in result)
    assert sorted(claimed) == ALL_UNITS
    assert set(claimed.values()) == {1}


def test_rows_locked_by_another_worker_are_skipped_not_waited_for(
    pg_url: str, pg_store: Store
) -> None:
    pg_store.claim_due(T0, lease=LEASE, per_brand=PER_BRAND)  # every state row now exists
    engine = create_engine(pg_url)
    try:
        with engine.begin() as holder:  # another worker, mid-claim on five feeds
            holder.execute(
                text(
                    "SELECT 1 FROM source_state JOIN sources ON sources.id = source_id "
                    "WHERE sources.name IN ('feed00', 'feed01', 'feed02', 'feed03', 'feed04') "
                    "FOR UPDATE OF source_state"
                )
            )
            others = pg_store.claim_due(later(31), lease=LEASE, per_brand=PER_BRAND)
        held = [(name, None) for name in FEEDS[:5]]
        assert others == [unit for unit in ALL_UNITS if unit not in held]
        # The holder pushed nothing: once it lets go, its feeds are still due.
        assert pg_store.claim_due(later(31), lease=LEASE, per_brand=PER_BRAND) == held
    finally:
        engine.dispose()


def test_a_claim_holds_for_the_lease_and_a_save_sets_the_real_next_check(
    pg_store: Store,
) -> None:
    assert pg_store.claim_due(T0, lease=LEASE, per_brand=PER_BRAND) == ALL_UNITS
    assert pg_store.claim_due(later(10), lease=LEASE, per_brand=PER_BRAND) == []
    assert pg_store.due_sources(later(10)) == []
    run_id = pg_store.begin_run(T0)
    pg_store.save_collection(
        run_id,
        "feed00",
        None,
        [],
        pg_store.load_state("feed00"),
        now=later(1),
        next_check_at=later(hours=2),
        not_modified=False,
        duration=0.1,
    )
    # The other workers never saved: their sources are due again once the lease is over.
    expired = pg_store.claim_due(later(31), lease=LEASE, per_brand=PER_BRAND)
    assert expired == [unit for unit in ALL_UNITS if unit != ("feed00", None)]
    health = {row["name"]: row for row in pg_store.source_health()}
    assert health["feed00"]["next_check_at"] == iso_utc(later(hours=2))


def test_claims_in_batches_cover_every_due_unit_once(pg_store: Store) -> None:
    batches = []
    while batch := pg_store.claim_due(T0, lease=LEASE, per_brand=PER_BRAND, limit=5):
        assert len(batch) <= 5
        batches.append(batch)
    assert [len(batch) for batch in batches] == [5, 5, 5, 5, 2]
    assert sorted(unit for batch in batches for unit in batch) == ALL_UNITS


def test_per_brand_sources_are_claimed_per_brand(pg_store: Store) -> None:
    only_acme = pg_store.claim_due(T0, names=["gnews"], lease=LEASE, per_brand={"gnews": ["acme"]})
    assert only_acme == [("gnews", "acme")]
    assert pg_store.claim_due(T0, names=["gnews"], lease=LEASE, per_brand=PER_BRAND) == [
        ("gnews", "globex")
    ]
    health = {row["brand"]: row for row in pg_store.source_health() if row["name"] == "gnews"}
    assert set(health) == {"acme", "globex"}


def test_disabled_sources_are_claimed_only_when_named_with_all(pg_store: Store) -> None:
    run_id = pg_store.begin_run(T0)
    pg_store.record_failure(run_id, "feed03", None, "gone", now=T0, next_check_at=T0, disable=True)
    assert ("feed03", None) not in pg_store.claim_due(later(1), lease=LEASE, per_brand=PER_BRAND)
    everything = pg_store.claim_due(
        later(2), include_not_due=True, lease=LEASE, per_brand=PER_BRAND
    )
    assert everything == [unit for unit in ALL_UNITS if unit != ("feed03", None)]
    assert pg_store.claim_due(
        later(3), names=["feed03"], include_not_due=True, lease=LEASE, per_brand=PER_BRAND
    ) == [("feed03", None)]


def test_on_sqlite_claiming_is_reading_what_is_due(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'veille.db'}")
    try:
        _configure(store)
        first = store.claim_due(T0, lease=LEASE, per_brand=PER_BRAND)
        assert first == ALL_UNITS
        # One writer at a time: nothing is pushed, the sources stay due as due_sources says.
        assert store.claim_due(T0, lease=LEASE, per_brand=PER_BRAND) == first
        assert sorted(store.due_sources(later(1))) == sorted([*FEEDS, "gnews"])
    finally:
        store.close()


def _feed(index: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Danone annonce le projet {index}-{n}</title>"
        f"<link>https://news{index}.example/articles/{n}</link>"
        f"<guid>https://news{index}.example/articles/{n}</guid>"
        f"<description>Danone ouvre le site numéro {index * 100 + n} en région {index}."
        "</description><pubDate>Mon, 02 Mar 2026 09:00:00 +0000</pubDate></item>"
        for n in range(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Feed {index}</title><link>https://news{index}.example/</link>"
        f"<description>Feed {index}</description>{entries}</channel></rss>"
    ).encode()


def test_three_collect_processes_fetch_each_feed_once(
    feed_server: FeedServer, tmp_path: Path, pg_url: str
) -> None:
    feeds, items = 12, 3
    sources = {}
    for index in range(feeds):
        feed_server.add(f"/w{index}.xml", _feed(index, items), delay=0.5)
        sources[f"w{index:02d}"] = feed_server.url(f"/w{index}.xml")
    # Two fetches at a time: each pass claims two feeds, then more as they finish, so one pass
    # alone would take three seconds and the three passes share the feeds between them.
    config = write_config(tmp_path, sources, extra="concurrency = 2\n")  # in [http]
    env = {**os.environ, "VEILLE_DATABASE_URL": pg_url}
    command = [sys.executable, "-m", "veille", "--config", str(config), "collect", "--quiet"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
        assert b"skipped" not in err
    per_path = Counter(request.path for request in feed_server.requests())
    assert per_path == {f"/w{index}.xml": 1 for index in range(feeds)}
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            # Every feed collected by exactly one of the passes, none lost.
            collected = Counter(
                connection.execute(
                    select(source_table.c.name).join(
                        run_source_table, run_source_table.c.source_id == source_table.c.id
                    )
                ).scalars()
            )
            passes_that_collected = connection.execute(
                select(func.count(func.distinct(run_source_table.c.run_id)))
            ).scalar()
            mentions = connection.execute(select(func.count()).select_from(mention_table)).scalar()
            documents = connection.execute(
                select(func.count()).select_from(document_table)
            ).scalar()
    finally:
        engine.dispose()
    assert collected == {name: 1 for name in sources}
    assert passes_that_collected is not None and passes_that_collected >= 2
    assert documents == feeds * items
    assert mentions == feeds * items  # each item mentions Danone only


def test_the_claims_of_a_pass_found_dead_are_given_back_but_not_its_recorded_checks(
    pg_url: str, pg_store: Store
) -> None:
    dying = Store.open(pg_url)
    run_id = dying.begin_run(T0)
    assert dying.claim_due(T0, lease=LEASE, per_brand=PER_BRAND, run_id=run_id) == ALL_UNITS
    # The pass records two checks, then its process dies with every other claim unfinished.
    state = dying.load_state("feed00")
    dying.save_collection(
        run_id, "feed00", None, [], state,
        now=later(1), next_check_at=later(hours=2), not_modified=False, duration=0.1,
    )  # fmt: skip
    dying.record_failure(run_id, "feed01", None, "timeout", now=later(1), next_check_at=later(40))
    dying.close()
    # Within the lease, the claims hold while the pass is alive; found dead, they are given
    # back: due at once, except the checks the pass recorded.
    deadline = time.monotonic() + 30
    while not pg_store.close_interrupted_runs(now=later(5)):
        assert time.monotonic() < deadline, "the closed store's session never ended"
        time.sleep(0.05)
    recorded = [("feed00", None), ("feed01", None)]
    assert pg_store.claim_due(later(5), lease=LEASE, per_brand=PER_BRAND) == [
        unit for unit in ALL_UNITS if unit not in recorded
    ]
    health = {row["name"]: row for row in pg_store.source_health()}
    assert health["feed00"]["next_check_at"] == iso_utc(later(hours=2))
    assert health["feed01"]["next_check_at"] == iso_utc(later(40))
