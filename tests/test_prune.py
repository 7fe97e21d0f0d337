"""Retention: ``Store.prune`` and ``veille prune`` on both engines."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, delete, func, select

from tests.support.project import run, write_config
from tests.support.stores import T0, make_item, store_fixture  # noqa: F401
from veille.cli.stopping import sigterm_as_interrupt
from veille.store import MentionFilter, Store, StoredItem
from veille.store.prune import prune
from veille.store.schema import document_table, mention_table, run_source_table, run_table, utcnow
from veille.types import SourceState

YEAR = timedelta(days=365)


def save(store: Store, items: list[StoredItem], now: datetime, source: str = "lemonde") -> None:
    """Save items as one collection pass made at ``now``."""
    run_id = store.begin_run(now)
    store.save_collection(
        run_id,
        source,
        None,
        items,
        SourceState(),
        now=now,
        next_check_at=now + timedelta(hours=1),
        not_modified=False,
        duration=0.1,
    )
    store.finish_run(run_id, now, status="ok")


def fill(store: Store, now: datetime) -> None:
    """Seven old mentions (six documents of their own), three recent ones and one orphan.

    The document "shared" has no publication date: acme's mention was first seen two years
    before ``now``, globex's a day before, so it is named by an old and a recent mention.
    """
    old = now - 2 * YEAR
    save(
        store,
        [make_item(f"old{n}", published_at=old + timedelta(hours=n)) for n in range(6)]
        + [make_item("shared", published_at=None), make_item("orphan", published_at=old)],
        old,
    )
    with store.engine.begin() as connection:
        orphan = select(document_table.c.id).where(document_table.c.identity == "orphan")
        connection.execute(delete(mention_table).where(mention_table.c.document_id.in_(orphan)))
    recent = now - timedelta(days=1)
    save(
        store,
        [
            make_item("shared", brands=("globex",), published_at=None),
            make_item("recent1", published_at=recent),
            make_item("recent2", published_at=now - YEAR + timedelta(days=1)),
        ],
        recent,
        source="hn",
    )


def counts(store: Store) -> dict[str, int]:
    """Rows per table of interest."""
    with store.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (mention_table, document_table, run_table, run_source_table)
        }


def listed(store: Store) -> list[tuple[str, str]]:
    """(brand, identity) of every stored mention, sorted."""
    mentions = store.list_mentions(MentionFilter(limit=None))
    return sorted((str(m["brand"]), str(m["url"]).rsplit("/", 1)[-1]) for m in mentions)


KEPT = [("acme", "recent1"), ("acme", "recent2"), ("globex", "shared")]


def test_prune_removes_old_mentions_and_orphans_keeps_recent_and_shared(store: Store) -> None:
    fill(store, T0)
    assert counts(store) == {"mentions": 10, "documents": 10, "runs": 2, "run_sources": 2}
    report = store.prune(T0 - YEAR, dry_run=False)
    assert (report.mentions, report.documents, report.runs, report.dry_run) == (7, 7, 1, False)
    assert listed(store) == KEPT
    assert counts(store) == {"mentions": 3, "documents": 3, "runs": 1, "run_sources": 1}
    with store.engine.connect() as connection:
        identities = connection.execute(select(document_table.c.identity)).scalars().all()
    assert sorted(identities) == ["recent1", "recent2", "shared"]


def test_dry_run_counts_the_same_and_changes_nothing(store: Store) -> None:
    fill(store, T0)
    before, mentions_before = counts(store), listed(store)
    report = store.prune(T0 - YEAR, dry_run=True)
    assert (report.mentions, report.documents, report.runs, report.dry_run) == (7, 7, 1, True)
    assert counts(store) == before
    assert listed(store) == mentions_before


def test_prune_deletes_in_batches_and_a_second_run_removes_nothing(store: Store) -> None:
    fill(store, T0)
    batches: list[tuple[str, int, int]] = []
    report = store.prune(
        T0 - YEAR, dry_run=False, batch_size=2, progress=lambda *batch: batches.append(batch)
    )
    assert [b for b in batches if b[0] == "mentions"] == [
        ("mentions", 2, 2),
        ("mentions", 2, 4),
        ("mentions", 2, 6),
        ("mentions", 1, 7),
    ]
    assert [b[1] for b in batches if b[0] == "documents"] == [2, 2, 2, 1]
    assert [b for b in batches if b[0] == "runs"] == [("runs", 1, 1)]
    assert (report.mentions, report.documents, report.runs) == (7, 7, 1)
    assert listed(store) == KEPT

    batches.clear()
    again = store.prune(
        T0 - YEAR, dry_run=False, batch_size=2, progress=lambda *b: batches.append(b)
    )
    assert (again.mentions, again.documents, again.runs) == (0, 0, 0)
    assert batches == []
    assert listed(store) == KEPT


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_as_a_batch_commits_stops_the_prune_once_that_batch_is_counted(
    store: Store, signum: int
) -> None:
    fill(store, T0)
    before = counts(store)
    transactions = 0

    @contextmanager
    def transaction_then_signal() -> Iterator[Connection]:
        """A real transaction; the signal comes as the first batch of mentions commits."""
        nonlocal transactions
        with store.engine.begin() as connection:
            yield connection
        transactions += 1
        if transactions == 2:  # the first one records the cut
            signal.raise_signal(signum)

    totals: dict[str, int] = {}
    with sigterm_as_interrupt(), pytest.raises(KeyboardInterrupt):
        prune(
            transaction_then_signal,
            T0 - YEAR,
            batch_size=2,
            progress=lambda table, removed, total: totals.update({table: total}),
        )
    assert totals == {"mentions": 2}
    assert before["mentions"] - counts(store)["mentions"] == 2


def test_the_highest_mention_id_survives_so_digest_watermarks_stay_valid(store: Store) -> None:
    old = T0 - 2 * YEAR
    save(store, [make_item(f"old{n}", published_at=old) for n in range(3)], old)
    highest = max(int(str(m["id"])) for m in store.list_mentions(MentionFilter(limit=None)))
    report = store.prune(T0 - YEAR, dry_run=False)
    assert report.mentions == 2
    assert [m["id"] for m in store.list_mentions(MentionFilter(limit=None))] == [highest]
    save(store, [make_item("fresh", published_at=T0)], T0)
    newest = store.list_mentions(MentionFilter(limit=1))[0]
    assert int(str(newest["id"])) > highest


def test_what_a_prune_removed_is_not_stored_again_as_new(store: Store) -> None:
    fill(store, T0)
    store.prune(T0 - YEAR, dry_run=False)
    # A pass reading its source anew (after the brands changed) gives the old items again.
    again = [make_item(f"old{n}", published_at=T0 - 2 * YEAR) for n in range(6)]
    undated = make_item("undated", published_at=None)
    fresh = make_item("fresh", published_at=T0 - timedelta(days=2))
    save(store, [*again, undated, fresh], T0 + timedelta(hours=1))
    assert listed(store) == sorted([*KEPT, ("acme", "undated"), ("acme", "fresh")])
    # A later prune with a longer retention lets the sources give back what is within it.
    store.prune(T0 - 3 * YEAR, dry_run=False)
    save(store, again, T0 + timedelta(hours=2))
    assert len(listed(store)) == len(KEPT) + 2 + 6


def test_an_undated_item_a_prune_removed_is_not_stored_again_as_new(store: Store) -> None:
    save(store, [make_item("gone", published_at=None)], T0 - 2 * YEAR)
    fill(store, T0)
    store.prune(T0 - YEAR, dry_run=False)
    assert ("acme", "gone") not in listed(store)
    # Given again without a date: "gone" was removed, and acme's mention of "shared" (kept for
    # globex's); both were first seen two years ago. "new" is seen for the first time.
    undated = [make_item(name, published_at=None) for name in ("gone", "shared", "new")]
    save(store, undated, T0 + timedelta(hours=1))
    assert listed(store) == sorted([*KEPT, ("acme", "new")])
    # A later prune with a longer retention lets them back.
    store.prune(T0 - 3 * YEAR, dry_run=False)
    save(store, undated, T0 + timedelta(hours=2))
    assert listed(store) == sorted([*KEPT, ("acme", "new"), ("acme", "gone"), ("acme", "shared")])


def test_a_dry_run_changes_what_is_stored_in_no_way(store: Store) -> None:
    fill(store, T0)
    store.prune(T0 - YEAR, dry_run=True)
    save(store, [make_item("late", published_at=T0 - 2 * YEAR)], T0 + timedelta(hours=1))
    assert ("acme", "late") in listed(store)


def test_cli_prune_dry_run_then_prune(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    fill(store, now)
    before = counts(store)
    monkeypatch.setenv(
        "VEILLE_DATABASE_URL", store.engine.url.render_as_string(hide_password=False)
    )
    config = write_config(tmp_path, {})

    dry = run(config, "prune", "--older-than", "365d", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would remove 7 mention(s), 7 document(s), 1 run(s)" in dry.stdout
    assert dry.stderr == ""
    assert counts(store) == before

    done = run(config, "prune", "--older-than", "365d", "--batch-size", "3")
    assert done.exit_code == 0, done.output
    assert "removed 7 mention(s), 7 document(s), 1 run(s)" in done.stdout
    assert done.stderr.splitlines()[:3] == [
        "mentions: removed 3 (total 3)",
        "mentions: removed 3 (total 6)",
        "mentions: removed 1 (total 7)",
    ]
    assert listed(store) == KEPT

    again = run(config, "prune", "--older-than", "52w")
    assert again.exit_code == 0, again.output
    assert "removed 0 mention(s), 0 document(s), 0 run(s)" in again.stdout


@pytest.mark.parametrize(
    ("age", "read_as"),
    [("12h", "12 hours"), ("0d", "0 seconds"), ("3600", "1 hour"), ("365", "365 seconds")],
)
def test_cli_refuses_less_than_a_day(tmp_path: Path, age: str, read_as: str) -> None:
    config = write_config(tmp_path, {})
    result = run(config, "prune", "--older-than", age)
    assert result.exit_code == 2
    # Said as read: « 365 » and « 12m » meant days and months.
    assert f"'{age}' is {read_as}, less than a day" in " ".join(result.output.split())
    assert "write 365d" in " ".join(result.output.split())


@pytest.mark.parametrize("age", ["12M", "2000M"])
def test_cli_refuses_a_capital_m_that_reads_as_months_as_often_as_minutes(
    tmp_path: Path, age: str
) -> None:
    result = run(write_config(tmp_path, {}), "prune", "--older-than", age)
    assert result.exit_code == 2
    assert f"'{age}' is ambiguous: m counts minutes" in " ".join(result.output.split())


def test_cli_rejects_an_unreadable_duration(tmp_path: Path) -> None:
    result = run(write_config(tmp_path, {}), "prune", "--older-than", "a year")
    assert result.exit_code == 2
    assert "expected a duration" in result.output
