"""Digest watermarks, claims, the send log and the new-mention query, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.support.digests import save
from tests.support.stores import T0, later, make_item, store_fixture  # noqa: F401
from veille.store import Store
from veille.store.digests import DigestKey
from veille.types import SourceState

KEY = DigestKey.of("morning", ["B@example.org", "a@example.org"])
LEASE = timedelta(minutes=15)


def test_keys_sort_and_fold_recipients_and_brands() -> None:
    assert (KEY.name, KEY.recipients_key, KEY.brands_key) == (
        "morning",
        "a@example.org,b@example.org",
        "",
    )
    assert DigestKey.of("m", ["x@y.org"], ["globex", "acme"]).brands_key == "acme,globex"


def test_claim_creates_the_digest_and_excludes_a_second_claimer(store: Store) -> None:
    assert store.load_digest(KEY) is None
    state = store.claim_digest(KEY, T0, LEASE)
    assert state is not None and state.watermark is None and state.created_at == T0
    assert store.claim_digest(KEY, later(5), LEASE) is None
    assert store.claim_digest(KEY, later(16), LEASE) is not None  # a stale claim is taken over
    store.release_digest(KEY)
    assert store.claim_digest(KEY, later(17), LEASE) is not None


def test_only_an_accepted_send_moves_the_watermark_and_never_back(store: Store) -> None:
    assert store.last_digest_completed([KEY]) is None
    store.claim_digest(KEY, T0, LEASE)
    store.record_digest_send(KEY, now=T0, status="failed", mentions=3, error="down")
    state = store.load_digest(KEY)
    assert state is not None and (state.watermark, state.last_status) == (None, "failed")
    assert state.last_error == "down" and state.last_sent_at is None
    store.claim_digest(KEY, later(1), LEASE)
    store.record_digest_send(KEY, now=later(1), status="sent", mentions=3, watermark=7)
    store.claim_digest(KEY, later(2), LEASE)
    store.record_digest_send(KEY, now=later(2), status="sent", mentions=1, watermark=5)
    state = store.load_digest(KEY)
    assert state is not None and state.watermark == 7 and state.last_sent_at == later(2)
    assert store.claim_digest(KEY, later(3), LEASE) is not None  # recording released the claim
    assert [(s["status"], s["mentions"], s["watermark"]) for s in store.digest_sends(KEY)] == [
        ("failed", 3, None),
        ("sent", 3, 7),
        ("sent", 1, 5),
    ]
    assert store.digest_sends(DigestKey.of("morning", ["other@example.org"])) == []
    assert store.last_digest_completed([KEY]) == later(2)


def test_a_digest_completes_when_accepted_or_empty_and_each_one_counts(store: Store) -> None:
    other = DigestKey.of("evening", ["a@example.org"])
    store.claim_digest(KEY, T0, LEASE)
    store.record_digest_send(KEY, now=T0, status="empty", mentions=0)
    assert store.last_digest_completed([KEY]) == T0
    store.claim_digest(KEY, later(1), LEASE)
    store.record_digest_send(KEY, now=later(1), status="failed", mentions=2, error="down")
    assert store.last_digest_completed([KEY]) == T0  # the failed send is still to do
    assert store.last_digest_completed([KEY, other]) is None  # evening never ran
    store.claim_digest(other, later(2), LEASE)
    store.record_digest_send(other, now=later(2), status="sent", mentions=2, watermark=3)
    assert store.last_digest_completed([KEY, other]) == T0


def test_new_mentions_above_the_watermark(store: Store) -> None:
    save(store, make_item("a", title="A"), make_item("g", brands=("globex",)))
    save(store, make_item("b", title="B", published_at=later(days=-30)), at=later(hours=5))
    every = store.digest_mentions(["acme", "globex"], after_id=None)
    assert [m["title"] for m in every] == ["A", "Title g", "B"]  # oldest id first
    first = int(every[0]["id"])  # type: ignore[call-overload]
    assert [m["title"] for m in store.digest_mentions(["acme"], after_id=first)] == ["B"]
    last = store.last_mention_id(["acme"])
    assert last == max(int(m["id"]) for m in every if m["brand"] == "acme")  # type: ignore[call-overload]
    assert [m["title"] for m in store.digest_mentions(["acme"], after_id=None, up_to=first)] == [
        "A"
    ]
    assert store.last_mention_id(["unknown"]) is None
    recent = store.digest_mentions(["acme"], after_id=None, since=later(days=-1))
    assert [m["title"] for m in recent] == ["A"]  # B was published a month ago
    assert store.digest_mentions(["unknown"], after_id=None) == []
    mention = every[0]
    assert mention["brand"] == "acme" and mention["matched"] == ["acme"]
    assert mention["url"] == "https://www.lemonde.fr/a" and mention["time"] == T0


def test_new_mentions_wait_for_a_writer_holding_a_lower_id(store: Store) -> None:
    # PostgreSQL shows a row when its transaction commits, not when it takes its id: without
    # care, a digest could see mention 2 while mention 1 is uncommitted and skip 1 for ever.
    # (On SQLite one writer at a time makes this impossible; there the reader just reads.)
    from veille.store import writes

    if store.engine.dialect.name != "postgresql":
        save(store, make_item("early"), make_item("late"))
        assert len(store.digest_mentions(["acme"], after_id=None)) == 2
        return
    run_id = store.begin_run(T0)
    slow_writer = store.engine.connect()
    slow_transaction = slow_writer.begin()
    writes.save_collection(
        slow_writer, run_id, "gnews", "acme", [make_item("early")], SourceState(),
        now=T0, next_check_at=later(60), not_modified=False, duration=0.0, warning=None,
    )  # fmt: skip
    save(store, make_item("late"), at=later(1))  # a higher id, committed first
    read: list[list[dict[str, object]]] = []
    reader = threading.Thread(
        target=lambda: read.append(store.digest_mentions(["acme"], after_id=None))
    )
    reader.start()
    reader.join(timeout=0.5)  # it must be waiting for the slow writer, not reading without it
    slow_transaction.commit()
    slow_writer.close()
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert [row["title"] for row in read[0]] == ["Title early", "Title late"]
