"""Store writes: idempotent saving, source state, failures, configuration sync and runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import StatementError

from tests.support.stores import T0, database_url_fixture, later, make_item, store_fixture  # noqa: F401
from veille.errors import StoreError
from veille.store import BrandSpec, MentionFilter, SaveCounts, SourceSpec, Store, StoredItem
from veille.store.schema import document_table, mention_table, run_table, source_state_table
from veille.store.specs import CollectionSave
from veille.types import MatchResult, SourceState

ALL = MentionFilter(limit=None)


def save(
    store: Store,
    items: Sequence[StoredItem],
    *,
    source: str = "lemonde",
    brand: str | None = None,
    state: SourceState | None = None,
    now: datetime = T0,
    next_check_at: datetime | None = None,
    warning: str | None = None,
    run_id: int | None = None,
) -> SaveCounts:
    """Save items as one successful collection, in a run of their own unless one is given."""
    return store.save_collection(
        run_id if run_id is not None else store.begin_run(now),
        source,
        brand,
        items,
        state or SourceState(),
        now=now,
        next_check_at=next_check_at or now + timedelta(hours=1),
        not_modified=False,
        duration=0.5,
        warning=warning,
    )


def count_rows(store: Store, model: type[document_table] | type[mention_table]) -> int:
    """Count the rows of a table."""
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def test_saving_the_same_items_twice_stores_them_once(store: Store) -> None:
    items = [make_item(f"guid:{n}") for n in range(3)]
    assert save(store, items) == SaveCounts(items=3, new_documents=3, new_mentions=3)
    assert save(store, items, now=later(60)) == SaveCounts(items=3, new_documents=0, new_mentions=0)
    assert count_rows(store, document_table) == 3
    assert count_rows(store, mention_table) == 3


def test_same_identity_twice_in_one_batch_is_one_document(store: Store) -> None:
    counts = save(store, [make_item("guid:a"), make_item("guid:a", title="retitled")])
    assert counts == SaveCounts(items=2, new_documents=1, new_mentions=1)


def test_same_canonical_url_under_two_identities_is_one_document(store: Store) -> None:
    url = "https://www.lemonde.fr/article"
    first = make_item("guid:a", canonical_url=url)
    second = make_item("url:https://www.lemonde.fr/article", canonical_url=url, brands=("globex",))
    assert save(store, [first, second]) == SaveCounts(items=2, new_documents=1, new_mentions=2)
    third = make_item("guid:b", canonical_url=url, brands=("acme", "globex"), source="gnews")
    assert save(store, [third], now=later(5), source="gnews") == SaveCounts(1, 0, 0)
    assert count_rows(store, document_table) == 1
    # One source's items it names apart (two GUIDs) at one link are two: a live blog's entries.
    fourth = make_item("guid:c", canonical_url=url)
    assert save(store, [fourth], now=later(6)) == SaveCounts(1, 1, 1)
    assert count_rows(store, document_table) == 2


def test_one_article_at_two_spellings_of_its_address_is_one_document(store: Store) -> None:
    # A feed links the http, www. address; a search result the https, mobile one.
    feed = "http://www.lemonde.fr/article/"
    first = make_item(f"url:{feed}", canonical_url=feed)
    assert save(store, [first]) == SaveCounts(items=1, new_documents=1, new_mentions=1)
    mobile = "https://m.lemonde.fr/article"
    second = make_item(f"url:{mobile}", canonical_url=mobile, brands=("acme", "globex"))
    counts = save(store, [second], now=later(5), source="gnews")
    assert counts == SaveCounts(items=1, new_documents=0, new_mentions=1)
    # The document keeps the address it was first seen at.
    assert [str(row["url"]) for row in store.list_mentions(ALL)] == [feed, feed]
    # The same source's item at another page is another document.
    other = make_item(
        "url:https://www.lemonde.fr/article-2", canonical_url="https://www.lemonde.fr/article-2"
    )
    assert save(store, [other], now=later(6)) == SaveCounts(1, 1, 1)


def test_a_page_first_seen_at_its_amp_copy_shows_its_own_address_once_seen(store: Store) -> None:
    amp = "https://amp.lefigaro.fr/societes/danone.php?amp=1"
    save(store, [make_item(f"url:{amp}", canonical_url=amp, url=amp)], source="gnews")
    own = "https://www.lefigaro.fr/societes/danone.php"
    counts = save(store, [make_item(f"url:{own}", canonical_url=own, url=own)], now=later(5))
    assert counts == SaveCounts(items=1, new_documents=0, new_mentions=0)
    assert [row["url"] for row in store.list_mentions(ALL)] == [own]
    # A later copy does not take the address back.
    mobile = "https://m.lefigaro.fr/societes/danone.php"
    save(store, [make_item(f"url:{mobile}", canonical_url=mobile)], source="hn", now=later(9))
    assert [row["url"] for row in store.list_mentions(ALL)] == [own]


def test_an_edit_from_the_copy_s_source_keeps_the_plainer_address(store: Store) -> None:
    amp = "https://amp.lefigaro.fr/societes/danone.php?amp=1"
    save(store, [make_item(f"url:{amp}", canonical_url=amp, url=amp)], source="gnews")
    own = "https://www.lefigaro.fr/societes/danone.php"
    save(store, [make_item(f"url:{own}", canonical_url=own, url=own)], now=later(5))
    edited = make_item(
        f"url:{amp}", canonical_url=amp, url=amp, title="Danone : mise à jour", fingerprint="v2"
    )
    save(store, [edited], source="gnews", now=later(9))
    with store.engine.connect() as connection:
        row = connection.execute(
            select(document_table.c.title, document_table.c.url, document_table.c.canonical_url)
        ).one()
    assert tuple(row) == ("Danone : mise à jour", own, own)


def test_copies_of_one_page_in_one_save_keep_the_plainest_address(store: Store) -> None:
    addresses = [
        "http://m.lefigaro.fr/societes/danone.php",
        "https://www.lefigaro.fr/amp/societes/danone.php",
        "https://lefigaro.fr/societes/danone.php",
        "http://www.lefigaro.fr/societes/danone.php",
    ]
    items = [
        make_item(f"url:{address}", canonical_url=address, source=f"feed{n}")
        for n, address in enumerate(addresses)
    ]
    assert save(store, items) == SaveCounts(items=4, new_documents=1, new_mentions=1)
    assert [row["url"] for row in store.list_mentions(ALL)] == [addresses[2]]


def test_an_address_stored_with_a_tracking_parameter_met_again_without_is_one_document(
    store: Store,
) -> None:
    # Stored when ``ito`` was not yet known to track; the same article's address now drops it.
    before = "https://www.dailymail.co.uk/news/article-1/danone.html?ito=1490&ns_campaign=1490"
    save(store, [make_item(f"url:{before}", canonical_url=before)])
    now = "https://www.dailymail.co.uk/news/article-1/danone.html"
    counts = save(store, [make_item(f"url:{now}", canonical_url=now)], now=later(5))
    assert counts == SaveCounts(items=1, new_documents=0, new_mentions=0)


def test_one_identity_at_two_pages_under_two_titles_is_two_documents(store: Store) -> None:
    # A GUID that two articles were given (a CMS writing one into every item).
    usine, prix = "https://www.lemonde.fr/danone-usine", "https://www.lemonde.fr/danone-prix"
    first = make_item("guid:lemonde.fr:dup-1", canonical_url=usine, title="Danone ouvre une usine")
    second = make_item("guid:lemonde.fr:dup-1", canonical_url=prix, title="Danone baisse ses prix")
    assert save(store, [first]) == SaveCounts(items=1, new_documents=1, new_mentions=1)
    assert save(store, [second], now=later(5)) == SaveCounts(1, 1, 1)
    # Each seen again is its own document, found under its identity or its link's.
    assert save(store, [second, first], now=later(10)) == SaveCounts(2, 0, 0)
    rows = sorted((row["url"], row["title"]) for row in store.list_mentions(ALL))
    assert rows == [(prix, "Danone baisse ses prix"), (usine, "Danone ouvre une usine")]
    # Two sources giving it to two more articles, saved together: two more documents.
    third, fourth = (
        make_item(
            "guid:lemonde.fr:dup-1",
            canonical_url=f"https://www.lemonde.fr/danone-{n}",
            title=f"Danone {n}",
        )
        for n in (3, 4)
    )
    run_id = store.begin_run(later(15))
    saves = [
        CollectionSave(
            run_id, source, None, [item], SourceState(), later(15), later(75), False, 0.1
        )
        for source, item in (("lemonde", third), ("hn", fourth))
    ]
    assert store.save_collections(saves) == [SaveCounts(1, 1, 1), SaveCounts(1, 1, 1)]
    assert count_rows(store, document_table) == 4


def test_one_identity_at_another_page_of_its_site_under_its_title_is_its_document(
    store: Store,
) -> None:
    # The publisher moved the article (a new slug): the document follows it.
    old, new = "https://www.lemonde.fr/danone-usine", "https://www.lemonde.fr/eco/danone-usine"
    title = "Danone ouvre une usine"
    save(store, [make_item("guid:lemonde.fr:1001", canonical_url=old, url=old, title=title)])
    moved = make_item("guid:lemonde.fr:1001", canonical_url=new, url=new, title=title.upper())
    assert save(store, [moved], now=later(5)) == SaveCounts(
        items=1, new_documents=0, new_mentions=0
    )
    assert [row["url"] for row in store.list_mentions(ALL)] == [new]
    # Met again at its new address from another source: the same document.
    other = make_item(f"url:{new}", canonical_url=new, title="Danone : une usine", source="gnews")
    assert save(store, [other], now=later(9), source="gnews") == SaveCounts(1, 0, 0)
    # On another site, the same title is another article.
    elsewhere = "https://www.lefigaro.fr/danone-usine"
    copy = make_item(
        "guid:lemonde.fr:1001", canonical_url=elsewhere, site="lefigaro.fr", title=title
    )
    assert save(store, [copy], now=later(12)) == SaveCounts(1, 1, 1)


def test_document_matching_two_brands_is_one_document_and_two_mentions(store: Store) -> None:
    counts = save(store, [make_item("guid:both", brands=("acme", "globex"))])
    assert counts == SaveCounts(items=1, new_documents=1, new_mentions=2)
    mentions = store.list_mentions(ALL)
    assert sorted(str(m["brand"]) for m in mentions) == ["acme", "globex"]
    assert len({m["story_id"] for m in mentions}) == 1


def test_a_document_seen_again_for_a_new_brand_gets_only_the_new_mention(store: Store) -> None:
    save(store, [make_item("guid:a", brands=("acme",))])
    counts = save(store, [make_item("guid:a", brands=("globex",))], source="gnews", brand="globex")
    assert counts == SaveCounts(items=1, new_documents=0, new_mentions=1)


def test_unmatched_results_are_not_mentions(store: Store) -> None:
    item = make_item("guid:a", brands=())
    item = StoredItem(item.document, item.classification, (("acme", MatchResult(False)),))
    assert save(store, [item]) == SaveCounts(items=1, new_documents=1, new_mentions=0)


def test_identities_and_urls_too_long_to_index_are_still_deduplicated(store: Store) -> None:
    long_url = "https://example.org/?q=" + "x" * 5000
    item = make_item("url:" + long_url, canonical_url=long_url, url=long_url)
    assert save(store, [item]) == SaveCounts(1, 1, 1)
    assert save(store, [item], now=later(5)) == SaveCounts(1, 0, 0)
    assert store.list_mentions(ALL)[0]["url"] == long_url


def test_a_failed_save_leaves_nothing_behind(store: Store) -> None:
    items = [make_item("guid:ok"), make_item("guid:bad", brands=("initech",))]
    with pytest.raises(StoreError, match="initech"):
        save(store, items, state=SourceState(etag='"v2"'))
    assert count_rows(store, document_table) == 0
    assert store.load_state("lemonde") == SourceState()


def test_state_round_trips_per_source_and_per_brand(store: Store) -> None:
    assert store.load_state("lemonde") == SourceState()
    feed_state = SourceState(
        url="https://moved.example/rss", etag='"abc"', last_modified="Mon, 02 Mar 2026 09:00:00 GMT"
    )
    save(store, [], state=feed_state)
    search_state = SourceState(content_hash="h1", cursor="2026-03-02T09:00:00Z")
    save(store, [], source="gnews", brand="acme", state=search_state)
    assert store.load_state("lemonde") == feed_state
    assert store.load_state("gnews", "acme") == search_state
    assert store.load_state("gnews", "globex") == SourceState()
    assert store.load_state("gnews") == SourceState()


def test_collected_sources_are_those_with_a_state_for_any_brand(store: Store) -> None:
    assert store.collected_sources(["lemonde", "gnews", "hn"]) == set()
    save(store, [], state=SourceState(etag='"abc"'))
    save(store, [], source="gnews", brand="acme", state=SourceState(cursor="2026-03-02"))
    # Unknown names (a source not synced yet) were never collected either.
    assert store.collected_sources(["lemonde", "gnews", "hn", "nope"]) == {"lemonde", "gnews"}
    assert store.collected_sources([]) == set()


def test_states_read_together_are_those_read_one_by_one(store: Store) -> None:
    feed_state = SourceState(etag='"abc"', seen_entries=("guid:a", "guid:b"), seen_for="setup-1")
    save(store, [], state=feed_state)
    save(store, [], source="gnews", brand="acme", state=SourceState(cursor="2026-03-02"))
    units = [("lemonde", None), ("gnews", "acme"), ("gnews", "globex"), ("hn", None)]
    # Never collected (gnews for globex, hn) and unknown units are left out.
    assert store.load_states([*units, ("nope", None), ("gnews", "nope")]) == {
        ("lemonde", None): feed_state,
        ("gnews", "acme"): store.load_state("gnews", "acme"),
    }
    assert store.load_states([]) == {}


def test_states_of_more_sources_than_one_statement_takes_are_all_read(store: Store) -> None:
    names = [f"feed-{index:04d}" for index in range(1_200)]
    store.sync_config(
        [BrandSpec("acme", "acme")],
        [SourceSpec(name, "rss", {"url": f"https://example.org/{name}"}) for name in names],
    )
    collected = names[::97]  # in each few hundred names that one statement reads
    for index, name in enumerate(collected):
        save(store, [], source=name, state=SourceState(etag=f'"{index}"'))
    states = store.load_states([(name, None) for name in names])
    assert states == {
        (name, None): SourceState(etag=f'"{index}"') for index, name in enumerate(collected)
    }


def test_unknown_source_or_brand_names_the_known_ones(store: Store) -> None:
    with pytest.raises(StoreError, match=r"unknown source 'nope'.*gnews, hn, lemonde"):
        store.load_state("nope")
    with pytest.raises(StoreError, match=r"unknown brand 'nope'.*acme, globex"):
        store.consecutive_failures("gnews", "nope")


def test_failures_are_counted_and_reset_by_a_success(store: Store) -> None:
    run = store.begin_run(T0)
    for expected in (1, 2, 3):
        failures = store.record_failure(
            run, "lemonde", None, "HTTP 503", now=later(expected), next_check_at=later(hours=1)
        )
        assert failures == expected
    assert store.consecutive_failures("lemonde") == 3
    assert store.record_failure(run, "gnews", "acme", "timeout", now=T0, next_check_at=T0) == 1
    assert store.consecutive_failures("gnews") == 0
    save(store, [make_item("guid:a")], state=SourceState(etag='"e"'), warning="3 malformed items")
    assert store.consecutive_failures("lemonde") == 0
    (health,) = [row for row in store.source_health() if row["name"] == "lemonde"]
    assert health["last_error"] == "3 malformed items"
    assert health["last_ok_at"] == "2026-03-02T09:30:00Z"


def test_failures_keep_the_validators_of_the_last_success(store: Store) -> None:
    save(store, [], state=SourceState(etag='"good"'))
    run = store.begin_run(later(60))
    store.record_failure(run, "lemonde", None, "HTTP 500", now=later(60), next_check_at=later(90))
    assert store.load_state("lemonde").etag == '"good"'


def test_due_sources_follow_next_check_at(store: Store) -> None:
    assert store.due_sources(T0) == ["gnews", "hn", "lemonde"]
    save(store, [], next_check_at=later(hours=1))
    assert store.due_sources(later(30)) == ["gnews", "hn"]
    assert store.due_sources(later(hours=1)) == ["gnews", "hn", "lemonde"]
    assert store.due_sources(later(30), names=["lemonde", "hn"]) == ["hn"]
    assert store.due_sources(later(30), include_not_due=True) == ["gnews", "hn", "lemonde"]
    with pytest.raises(StoreError, match="unknown source 'nope'"):
        store.due_sources(T0, names=["nope"])


def test_disabled_sources_are_skipped_unless_named_with_all(store: Store) -> None:
    run = store.begin_run(T0)
    store.record_failure(
        run, "lemonde", None, "HTTP 410 Gone", now=T0, next_check_at=T0, disable=True
    )
    (health,) = [row for row in store.source_health() if row["name"] == "lemonde"]
    assert health["disabled"] is True
    assert health["disabled_reason"] == "HTTP 410 Gone"
    assert store.due_sources(later(days=30)) == ["gnews", "hn"]
    assert store.due_sources(T0, include_not_due=True) == ["gnews", "hn"]
    assert store.due_sources(T0, names=["lemonde"]) == []
    assert store.due_sources(T0, names=["lemonde"], include_not_due=True) == ["lemonde"]
    save(store, [], now=later(5), next_check_at=later(10))
    assert store.due_sources(later(10)) == ["gnews", "hn", "lemonde"]


def test_a_wait_a_server_asked_for_holds_for_all_unless_named(store: Store) -> None:
    from tests.support.stores import configure

    save(store, [], source="gnews", brand="acme", next_check_at=later(hours=1))
    save(store, [], source="gnews", brand="globex", next_check_at=later(hours=1))
    run = store.begin_run(T0)
    store.record_failure(
        run, "lemonde", None, "HTTP 429", now=T0, next_check_at=later(60),
        server_wait_until=later(60),
    )  # fmt: skip
    store.record_failure(
        run, "gnews", "acme", "HTTP 429", now=T0, next_check_at=later(60),
        server_wait_until=later(60),
    )  # fmt: skip
    assert store.server_waits(later(30)) == {
        ("gnews", "acme"): later(60),
        ("lemonde", None): later(60),
    }
    # A new query starts acme's search afresh, but its server's wait holds.
    configure(store, acme_query="acme")
    assert store.due_sources(T0) == ["hn"]
    assert ("gnews", "acme") in store.server_waits(later(30))
    per_brand = {"gnews": ["acme", "globex"]}
    claimed = store.claim_due(
        later(30), include_not_due=True, lease=timedelta(minutes=5), per_brand=per_brand
    )
    assert claimed == [("gnews", "globex"), ("hn", None)]
    named = store.claim_due(
        later(30),
        names=["lemonde", "gnews"],
        include_not_due=True,
        lease=timedelta(minutes=5),
        per_brand=per_brand,
    )
    assert named == [("gnews", "acme"), ("gnews", "globex"), ("lemonde", None)]
    # New source options may ask another server: the wait is forgotten.
    configure(store, gnews_options={"when": "7d"})
    assert ("gnews", "acme") not in store.server_waits(later(30))
    # The server answered: its wait is over.
    save(store, [], now=later(61), next_check_at=later(hours=2))
    assert store.server_waits(later(62)) == {}


def test_per_brand_sources_are_due_for_a_brand_never_collected(store: Store) -> None:
    save(store, [], source="gnews", brand="acme", next_check_at=later(hours=1))
    assert "gnews" in store.due_sources(later(5))
    save(store, [], source="gnews", brand="globex", next_check_at=later(hours=1))
    assert "gnews" not in store.due_sources(later(5))
    run = store.begin_run(T0)
    store.record_failure(run, "gnews", "acme", "401", now=T0, next_check_at=T0, disable=True)
    assert "gnews" in store.due_sources(later(hours=1)), "globex is still collected"


def test_sources_removed_from_the_config_become_inactive_with_their_history(store: Store) -> None:
    save(store, [make_item("guid:a")])
    store.sync_config([BrandSpec("acme", "acme")], [SourceSpec("hn", "hackernews")])
    assert store.due_sources(T0) == ["hn"]
    assert store.source_names(active_only=True) == ["hn"]
    assert store.source_names() == ["gnews", "hn", "lemonde"]
    assert store.brand_names(active_only=True) == ["acme"]
    assert store.brand_names() == ["acme", "globex"]
    assert [m["source"] for m in store.list_mentions(ALL)] == ["lemonde"]
    store.sync_config([BrandSpec("acme", "acme")], [SourceSpec("lemonde", "rss")])
    assert store.source_names(active_only=True) == ["lemonde"]


def test_changed_source_options_forget_the_remembered_url_and_validators(store: Store) -> None:
    save(store, [], state=SourceState(url="https://old.example/rss", etag='"x"'))
    run = store.begin_run(T0)
    store.record_failure(run, "lemonde", None, "410", now=T0, next_check_at=later(9), disable=True)
    unchanged = [SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"})]
    store.sync_config([BrandSpec("acme", "acme")], unchanged)
    assert store.load_state("lemonde").etag == '"x"'
    store.sync_config([BrandSpec("acme", "acme")], [SourceSpec("lemonde", "rss", {"url": "new"})])
    assert store.load_state("lemonde") == SourceState()
    assert store.due_sources(T0) == ["lemonde"]


def test_duplicate_names_in_the_config_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="declared twice"):
        store.sync_config([BrandSpec("acme", "a"), BrandSpec("acme", "b")], [])


def test_finish_run_totals_its_sources(store: Store) -> None:
    run = store.begin_run(T0)
    save(store, [make_item("guid:a", brands=("acme", "globex"))], run_id=run)
    save(store, [make_item("guid:b")], source="gnews", brand="acme", run_id=run)
    store.record_failure(run, "hn", None, "timeout", now=T0, next_check_at=later(5))
    store.finish_run(run, later(1), status="partial")
    with store.engine.connect() as connection:
        row = connection.execute(select(run_table).where(run_table.c.id == run)).one()
    assert (row.status, row.sources_total, row.sources_failed, row.new_mentions) == (
        "partial",
        3,
        1,
        3,
    )
    assert row.finished_at == later(1)
    with pytest.raises(ValueError, match="status"):
        store.finish_run(run, later(1), status="done")


def test_timestamps_come_back_timezone_aware_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    published = datetime(2026, 3, 2, 10, 30, tzinfo=paris)
    save(store, [make_item("guid:a", published_at=published)], next_check_at=later(hours=2))
    with store.engine.connect() as connection:
        document = connection.execute(select(document_table.c.published_at)).scalar_one()
        next_check = connection.execute(select(source_state_table.c.next_check_at)).scalar_one()
    assert document == published
    assert document is not None and document.tzinfo is UTC
    assert next_check is not None and next_check.tzinfo is UTC
    assert next_check == later(hours=2)
    assert store.list_mentions(ALL)[0]["published_at"] == "2026-03-02T09:30:00Z"


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        store.begin_run(datetime(2026, 3, 2, 9, 30))


def test_metrics_round_trip_and_no_figures_are_stored_as_null(store: Store) -> None:
    # Counts past 32 bits (views of a popular video) survive too.
    metrics = {"likes": 12, "reposts": 3, "replies": 0, "views": 5_000_000_000}
    items = [
        make_item("guid:counted", metrics=metrics, engagement=15),
        make_item("guid:plain"),
    ]
    assert save(store, items) == SaveCounts(items=2, new_documents=2, new_mentions=2)
    listed = {str(m["url"]).rsplit("/", 1)[-1]: m for m in store.list_mentions(ALL)}
    assert listed["guid:counted"]["metrics"] == metrics
    assert listed["guid:plain"]["metrics"] == {}
    with store.engine.connect() as connection:
        rows = connection.execute(select(document_table.c.identity, document_table.c.metrics)).all()
        stored: dict[str, object] = {identity: value for identity, value in rows}
        # SQL NULL, not the JSON text "null": queries can tell "no figures" with IS NULL.
        nulls = connection.exec_driver_sql(
            "SELECT identity FROM documents WHERE metrics IS NULL"
        ).all()
    assert stored == {"guid:counted": metrics, "guid:plain": None}
    assert [identity for (identity,) in nulls] == ["guid:plain"]


def test_deleting_a_document_deletes_its_mentions(store: Store) -> None:
    save(store, [make_item("guid:a", brands=("acme", "globex")), make_item("guid:b")])
    with store.engine.begin() as connection:
        connection.execute(delete(document_table).where(document_table.c.identity == "guid:a"))
    assert count_rows(store, mention_table) == 1


def test_a_search_per_brand_does_not_rewrite_what_it_gave_before(store: Store) -> None:
    # Another query's hit on the same page comes in other words (a snippet, a cluster of links).
    first = make_item("guid:s1", title="Danone ouvre une usine", brands=("acme", "globex"))
    save(store, [first], source="gnews", brand="acme")
    again = make_item("guid:s1", title="Danone ferme une usine", fingerprint="other")
    save(store, [again], source="gnews", brand="globex", now=later(5))
    assert {str(m["title"]) for m in store.list_mentions(ALL)} == {"Danone ouvre une usine"}
    # Given by the source for every brand at once (a feed), the new wording is an edit.
    save(store, [again], source="gnews", now=later(6))
    assert {str(m["title"]) for m in store.list_mentions(ALL)} == {"Danone ferme une usine"}
