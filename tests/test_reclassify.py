"""``veille reclassify``: stored documents re-scored after a classifier upgrade, on both engines."""

from __future__ import annotations

import json
import signal
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update

from tests.support.feedserver import FeedServer
from tests.support.project import (
    feed_bytes,
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from tests.support.stores import T0, make_item, store_fixture  # noqa: F401
from veille.classify import CLASSIFIER_VERSION, Classifier
from veille.cli.stopping import sigterm_as_interrupt
from veille.process import classified_text
from veille.reclassify import ReclassifyReport, reclassify
from veille.settings import load_settings
from veille.store import MentionFilter, Store, StoredItem
from veille.store.reclassify import NewScores, Selection, mark_for_rescoring
from veille.store.schema import document_table
from veille.types import Classification, SourceState

CLASSIFIER = Classifier(["fr", "en"])
OLD_VERSION = "lang-old+sent-old-0"
DECU = "Je n'ai jamais été aussi déçu par ce yaourt, une honte absolue et un goût affreux."
LOVE = "I absolutely love this wonderful product, the quality is great and the service excellent."
VOITURES = (
    "Les voitures électriques d'acme se vendent très bien cette année en France et en Europe."
)


def save(store: Store, items: list[StoredItem], now: datetime = T0) -> None:
    """Save items as one collection pass."""
    run_id = store.begin_run(now)
    store.save_collection(
        run_id,
        "lemonde",
        None,
        items,
        SourceState(),
        now=now,
        next_check_at=now + timedelta(hours=1),
        not_modified=False,
        duration=0.1,
    )
    store.finish_run(run_id, now, status="ok")


def scored(
    identity: str, body: str, *, tone: str, lang: str, version: str = OLD_VERSION, **fields: Any
) -> StoredItem:
    """An item stored with ``tone``, ``lang`` and ``version``, whatever its text says."""
    item = make_item(identity, title=identity, text=body, **fields)
    sentiment = {"positive": 0.5, "negative": -0.5, "neutral": 0.0}[tone]
    return replace(item, classification=Classification(lang, sentiment, tone, version))  # type: ignore[arg-type]


def expected(identity: str, body: str, lang: str) -> Classification:
    """What a collecting pass's classifier makes of the document, its stored language as hint."""
    return CLASSIFIER.classify(classified_text(identity, body), lang_hint=lang)


def stored(store: Store) -> dict[str, tuple[str | None, float, str, str]]:
    """identity → (lang, sentiment, tone, classifier version) as stored."""
    columns = (
        document_table.c.identity,
        document_table.c.lang,
        document_table.c.sentiment,
        document_table.c.tone,
        document_table.c.classifier_version,
    )
    with store.engine.connect() as connection:
        return {row[0]: tuple(row[1:]) for row in connection.execute(select(*columns))}  # type: ignore[misc]


def test_outdated_documents_are_rescored_and_current_ones_left(store: Store) -> None:
    save(
        store,
        [
            scored("decu", DECU, tone="positive", lang="fr"),
            scored("love", LOVE, tone="negative", lang="fr"),
            scored("current", DECU, tone="positive", lang="fr", version=CLASSIFIER_VERSION),
        ],
    )
    truth = {"decu": expected("decu", DECU, "fr"), "love": expected("love", LOVE, "fr")}
    # The planted scores are wrong, or the test would prove nothing.
    assert truth["decu"].tone != "positive" and truth["love"].tone != "negative"
    assert truth["love"].lang != "fr"

    report = reclassify(store, CLASSIFIER)

    assert report.rescored == 2
    assert report.tone_changes == {
        ("positive", truth["decu"].tone): 1,
        ("negative", truth["love"].tone): 1,
    }
    assert report.lang_changes == 1
    after = stored(store)
    for identity, classification in truth.items():
        assert after[identity] == (
            classification.lang,
            pytest.approx(classification.sentiment),
            classification.tone,
            CLASSIFIER_VERSION,
        )
    assert after["current"][2:] == ("positive", CLASSIFIER_VERSION)
    # Nothing is left to do; --all redoes every document, the up-to-date one included.
    assert reclassify(store, CLASSIFIER).rescored == 0
    assert reclassify(store, CLASSIFIER, everything=True).rescored == 3
    assert stored(store)["current"][2] == expected("current", DECU, "fr").tone


def test_brand_and_since_limit_the_work(store: Store) -> None:
    save(
        store,
        [
            scored("acme-new", DECU, tone="positive", lang="fr", published_at=T0),
            scored("acme-old", DECU, tone="positive", lang="fr", published_at=T0 - timedelta(30)),
            scored("globex-new", DECU, tone="positive", lang="fr", brands=("globex",)),
        ],
    )
    since = T0 - timedelta(days=1)
    assert reclassify(store, CLASSIFIER, brands=["acme"], since=since).rescored == 1
    versions = {identity: row[3] for identity, row in stored(store).items()}
    assert versions == {
        "acme-new": CLASSIFIER_VERSION,
        "acme-old": OLD_VERSION,
        "globex-new": OLD_VERSION,
    }
    assert reclassify(store, CLASSIFIER, brands=["acme"]).rescored == 1
    assert reclassify(store, CLASSIFIER, since=since).rescored == 1
    assert reclassify(store, CLASSIFIER).rescored == 0


def test_batches_and_a_run_stopped_half_way(store: Store) -> None:
    save(store, [scored(f"d{n}", DECU, tone="positive", lang="fr") for n in range(5)])
    calls: list[tuple[int, int]] = []

    def stop_after_two_batches(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reclassify(store, CLASSIFIER, batch_size=2, progress=stop_after_two_batches)
    assert calls == [(2, 5), (4, 5)]
    # The two finished batches are done; the next run does only the last document.
    versions = [row[3] for row in stored(store).values()]
    assert versions.count(CLASSIFIER_VERSION) == 4
    calls.clear()
    report = reclassify(store, CLASSIFIER, batch_size=2, progress=lambda *a: calls.append(a))
    assert report.rescored == 1 and calls == [(1, 1)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_as_a_batch_commits_stops_the_run_once_that_batch_is_counted(
    store: Store, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    save(store, [scored(f"d{n}", DECU, tone="positive", lang="fr") for n in range(5)])
    save_scores = store.save_scores

    def saved_then_signal(scores: Sequence[NewScores]) -> int:
        saved = save_scores(scores)  # committed
        signal.raise_signal(signum)
        return saved

    monkeypatch.setattr(store, "save_scores", saved_then_signal)
    report = ReclassifyReport()
    with sigterm_as_interrupt(), pytest.raises(KeyboardInterrupt):
        reclassify(store, CLASSIFIER, batch_size=2, report=report)
    versions = [row[3] for row in stored(store).values()]
    assert report.rescored == versions.count(CLASSIFIER_VERSION) == 2


def test_a_run_of_every_document_stopped_half_way_goes_on_with_the_rest(store: Store) -> None:
    save(store, [scored(f"d{n}", DECU, tone="positive", lang="fr") for n in range(5)])
    assert reclassify(store, CLASSIFIER).rescored == 5  # every document up to date

    def stop_after_two_batches(done: int, total: int) -> None:
        if done == 4:
            raise KeyboardInterrupt

    for everything in (True, False):
        with pytest.raises(KeyboardInterrupt):
            reclassify(
                store, CLASSIFIER, everything=True, batch_size=2, progress=stop_after_two_batches
            )
        # The next run, with --all or without, re-scores only the document left.
        assert reclassify(store, CLASSIFIER, everything=everything).rescored == 1
        assert {row[3] for row in stored(store).values()} == {CLASSIFIER_VERSION}
    # Once done, --all re-scores every document again.
    assert reclassify(store, CLASSIFIER, everything=True).rescored == 5


def test_marking_every_document_goes_in_batches_and_on_where_it_stopped(store: Store) -> None:
    save(store, [scored(f"d{n}", DECU, tone="positive", lang="fr") for n in range(5)])
    assert reclassify(store, CLASSIFIER).rescored == 5
    selection = Selection(CLASSIFIER_VERSION)
    with store.engine.begin() as connection:  # a marking stopped after its first batch
        first = mark_for_rescoring(connection, selection, after=0, limit=2)
    assert first is not None and store.count_to_reclassify(selection) == 2
    store.request_rescoring(selection, batch_size=2)  # goes on after it
    assert store.count_to_reclassify(selection) == 5
    assert reclassify(store, CLASSIFIER, everything=True).rescored == 5
    assert reclassify(store, CLASSIFIER).rescored == 0


def _stop_after_first_batch(done: int, total: int) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("stopped_in", ["marking", "re-scoring"])
@pytest.mark.parametrize(
    ("first", "then"), [(("globex",), ()), ((), ("globex",)), (("globex",), ("acme",))]
)
def test_a_run_of_every_document_after_another_selection_stopped_re_scores_all_of_its_own(
    store: Store, stopped_in: str, first: tuple[str, ...], then: tuple[str, ...]
) -> None:
    # Every document mentions acme; those of odd number globex too.
    save(
        store,
        [
            scored(
                f"d{n}", DECU, tone="positive", lang="fr", brands=("acme", "globex")[: 1 + n % 2]
            )
            for n in range(8)
        ],
    )
    assert reclassify(store, CLASSIFIER).rescored == 8  # every document up to date
    if stopped_in == "marking":  # stopped after its first batch: the lowest ids marked
        with store.engine.begin() as connection:
            mark_for_rescoring(connection, Selection(CLASSIFIER_VERSION, first), after=0, limit=2)
    else:
        with pytest.raises(KeyboardInterrupt):
            reclassify(
                store,
                CLASSIFIER,
                brands=first,
                everything=True,
                batch_size=2,
                progress=_stop_after_first_batch,
            )
    selected = 4 if then == ("globex",) else 8
    assert reclassify(store, CLASSIFIER, brands=then, everything=True).rescored == selected


@pytest.mark.parametrize("since_days", [None, 10])
def test_a_run_of_every_document_goes_on_after_the_same_selection_stopped(
    store: Store, since_days: int | None
) -> None:
    save(store, [scored(f"d{n}", DECU, tone="positive", lang="fr") for n in range(6)])
    assert reclassify(store, CLASSIFIER).rescored == 6
    since = None if since_days is None else T0 - timedelta(days=since_days)
    with store.engine.begin() as connection:  # its marking stopped after its first batch
        mark_for_rescoring(connection, Selection(CLASSIFIER_VERSION, (), since), after=0, limit=2)
    # The same selection, or a look-back taken again a moment later, goes on marking after it.
    later_since = None if since is None else since + timedelta(minutes=5)
    assert reclassify(store, CLASSIFIER, since=later_since, everything=True).rescored == 6
    with pytest.raises(KeyboardInterrupt):
        reclassify(
            store,
            CLASSIFIER,
            since=since,
            everything=True,
            batch_size=2,
            progress=_stop_after_first_batch,
        )
    # Stopped after re-scoring its first batch, it goes on with the rest, not over again.
    assert reclassify(store, CLASSIFIER, since=later_since, everything=True).rescored == 4


def test_a_run_of_every_document_after_a_shorter_look_back_stopped_re_scores_all(
    store: Store,
) -> None:
    ages = [30, 0, 30, 0]  # days before T0 each document was published
    save(
        store,
        [
            scored(f"d{n}", DECU, tone="positive", lang="fr", published_at=T0 - timedelta(age))
            for n, age in enumerate(ages)
        ],
    )
    assert reclassify(store, CLASSIFIER).rescored == 4
    recent = Selection(CLASSIFIER_VERSION, since=T0 - timedelta(days=1))
    with store.engine.begin() as connection:  # marked the first recent document, then stopped
        mark_for_rescoring(connection, recent, after=0, limit=1)
    assert (
        reclassify(store, CLASSIFIER, since=T0 - timedelta(days=60), everything=True).rescored == 4
    )


def test_a_run_of_every_document_after_a_look_back_shorter_by_a_fraction_of_a_second_re_scores_all(
    store: Store,
) -> None:
    ages = [0.5, 0.0, 0.5, 0.0]  # seconds before T0 each document was published
    save(
        store,
        [
            scored(f"d{n}", DECU, tone="positive", lang="fr", published_at=T0 - timedelta(0, age))
            for n, age in enumerate(ages)
        ],
    )
    assert reclassify(store, CLASSIFIER).rescored == 4
    recent = Selection(CLASSIFIER_VERSION, since=T0 - timedelta(seconds=0.2))
    with store.engine.begin() as connection:  # marked the first recent document, then stopped
        mark_for_rescoring(connection, recent, after=0, limit=1)
    since = T0 - timedelta(seconds=0.8)  # the same second, yet it takes the older documents in
    assert reclassify(store, CLASSIFIER, since=since, everything=True).rescored == 4


def test_full_text_search_follows_the_new_language(store: Store) -> None:
    save(store, [scored("voitures", VOITURES, tone="neutral", lang="en")])
    assert expected("voitures", VOITURES, "en").lang == "fr"
    reclassify(store, CLASSIFIER)
    assert stored(store)["voitures"][0] == "fr"
    found = store.list_mentions(MentionFilter(search="voitures électriques"))
    assert [mention["title"] for mention in found] == ["voitures"]
    if store.engine.dialect.name == "postgresql":
        # The search vector is built with the French configuration (which drops « les »).
        with store.engine.connect() as connection:
            same = connection.execute(
                text(
                    "SELECT search_vector = setweight(to_tsvector('veille_french', title), 'A')"
                    " || setweight(to_tsvector('veille_french', text), 'B'),"
                    " search_vector = setweight(to_tsvector('veille_english', title), 'A')"
                    " || setweight(to_tsvector('veille_english', text), 'B')"
                    " FROM documents"
                )
            ).one()
        assert tuple(same) == (True, False)


@pytest.mark.usefixtures("project_engine")
@pytest.mark.parametrize("processes", ["0", "2"])
def test_the_command_restores_what_collection_scored(
    feed_server: FeedServer, tmp_path: Path, processes: str
) -> None:
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    feed_server.add("/en.atom", feed_bytes("tech_en.atom"))
    config = write_config(
        tmp_path, {"fr": feed_server.url("/fr.xml"), "en": feed_server.url("/en.atom")}
    )
    assert run(config, "collect", "--quiet").exit_code == 0

    def tones() -> dict[str, str]:
        result = run(config, "mentions", "--format", "json")
        return {str(m["url"]): str(m["tone"]) for m in json.loads(result.stdout)}

    collected = tones()
    store = Store.open(load_settings(config).database_url)
    try:
        # An older classifier scored everything the other way round.
        flipped = {"positive": "negative", "negative": "positive", "neutral": "positive"}
        with store.engine.begin() as connection:
            for old, new in flipped.items():
                connection.execute(
                    update(document_table)
                    .where(
                        document_table.c.tone == old,
                        document_table.c.classifier_version != OLD_VERSION,
                    )
                    .values(tone=new, classifier_version=OLD_VERSION)
                )
        documents = len(stored(store))
        michelin = run(config, "mentions", "--brand", "Michelin", "--format", "json")
        michelin_documents = len({m["url"] for m in json.loads(michelin.stdout)})
    finally:
        store.close()
    assert tones() != collected and 0 < michelin_documents < documents

    # Batches of 2 documents: with workers, several are scored at once and written in order.
    workers = ("--processes", processes)
    first = run(config, "reclassify", "--brand", "michelin", "--batch-size", "2", *workers)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"{michelin_documents} document(s) re-scored in ")
    rest = run(config, "reclassify", "--batch-size", "2", "--quiet", *workers)
    assert rest.stdout.startswith(f"{documents - michelin_documents} document(s) re-scored in ")
    assert "changed tone (" in rest.stdout
    assert tones() == collected
    again = run(config, "reclassify")
    assert again.stdout.startswith("0 document(s) re-scored") and "0 changed tone;" in again.stdout


@pytest.mark.usefixtures("project_engine")
def test_the_command_refuses_an_unknown_brand(tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    result = run(config, "reclassify", "--brand", "Nestle")
    assert result.exit_code == 2
    assert "unknown brand 'Nestle'" in result.output


def test_brand_tone_changes_count_the_tones_mentions_are_listed_in() -> None:
    from veille.reclassify import _brand_tone_changes
    from veille.store.reclassify import MentionScores, NewScores, ScoredDocument, ScoredMention

    def mention(id_: int, tone: str | None) -> ScoredMention:
        return ScoredMention(id_, "b", ("b",), None if tone is None else 0.0, tone)

    before = ScoredDocument(
        1, "t", "x", "fr", -0.5, "negative", "v1",
        mentions=(mention(1, None), mention(2, None), mention(3, "positive"), mention(4, "bad")),
    )  # fmt: skip
    after = NewScores(
        1, "fr", -0.5, "negative", "v2", "v1",
        mentions=(
            MentionScores(1, -0.6, "negative"),  # its own now, the document's tone: as listed
            MentionScores(2, 0.5, "positive"),  # its own now, another tone
            MentionScores(3, None, None),  # back to the document's, another tone
        ),
    )  # fmt: skip
    assert _brand_tone_changes(before, after) == 2
    # A mention following its document is the document's change, counted there.
    assert _brand_tone_changes(replace(before, mentions=(mention(5, None),)), after) == 0
