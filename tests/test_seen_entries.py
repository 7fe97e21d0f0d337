"""A changed feed's items already processed under the same setup are not processed again."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.feedworld import make_feed
from tests.support.feedserver import FeedServer
from tests.support.project import run, write_config
from veille.process import MentionProcessor, entry_key, processing_setup, unseen
from veille.settings import BrandConfig
from veille.types import RawMention

WORKERS = "\n[collect]\nprocesses = {processes}\n"
NESTLE = '\n[[brands]]\nname = "Nestle"\nquery = "nestle*"\n'


def _stored(database: Path) -> set[tuple[Any, ...]]:
    """Every mention: its document's identity, scores and story, its brand and matched terms."""
    with sqlite3.connect(database) as connection:
        return set(connection.execute(
            "SELECT d.identity, d.lang, d.sentiment, d.tone, d.story_id, b.name, m.matched_terms"
            " FROM documents d JOIN mentions m ON m.document_id = d.id"
            " JOIN brands b ON b.id = m.brand_id"
        ))  # fmt: skip


def test_an_item_key_changes_with_anything_the_item_says() -> None:
    item = RawMention(source="s", url="https://a.example/1", title="Danone", content_html="x")
    assert entry_key(item) == entry_key(replace(item))
    for changed in ({"title": "Danone!"}, {"content_html": "y"}, {"author_name": "Léa"}):
        assert entry_key(replace(item, **changed)) != entry_key(item)
    # Its figures move on every fetch (points, views): the item is the same.
    figures = {"metrics": {"points": 2193, "comments": 4}, "engagement": 2197, "reach": 2197}
    assert entry_key(replace(item, **figures)) == entry_key(item)
    fresh, keys = unseen([item, item], frozenset({entry_key(item)}))
    assert fresh == [] and keys == (entry_key(item),)


def test_the_setup_changes_with_the_brands() -> None:
    danone = BrandConfig(name="Danone", query="danone*")
    setup = processing_setup([danone])
    assert setup == processing_setup([danone.model_copy()])
    assert setup != processing_setup([danone.model_copy(update={"tone": "brand"})])
    assert setup != processing_setup([danone, BrandConfig(name="N", query="n")])


@pytest.mark.parametrize("processes", [0, 1])
def test_a_changed_feed_has_only_its_new_items_processed(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    processed: list[int] = []
    real_process = MentionProcessor.process

    def counted(processor: MentionProcessor, raws: Any) -> Any:
        processed.append(len(raws))
        return real_process(processor, raws)

    monkeypatch.setattr(MentionProcessor, "process", counted)
    route = feed_server.add("/f.xml", make_feed(4, 20, 0.6), content_type="application/rss+xml")
    urls = {"feed": feed_server.url("/f.xml")}
    settings = WORKERS.format(processes=processes)
    config = write_config(tmp_path / "pass", urls, extra=settings)
    assert run(config, "collect", "--quiet").exit_code == 0

    # The feed gains a 21st item (its first 20 unchanged): only that one is processed.
    route.set_body(make_feed(4, 21, 0.6))
    processed.clear()
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    if not processes:  # a worker process counts in its own memory
        assert processed == [1]
    # The pass's record still counts every item the feed gave.
    with sqlite3.connect(config.parent / "veille.db") as connection:
        fetched = [
            n for (n,) in connection.execute("SELECT items_fetched FROM run_sources ORDER BY id")
        ]
    assert fetched == [20, 21]
    # What is stored is what one pass over the 21 items stores into a fresh database.
    fresh = write_config(tmp_path / "fresh", urls, extra=settings)
    assert run(fresh, "collect", "--quiet").exit_code == 0
    assert _stored(config.parent / "veille.db") == _stored(fresh.parent / "veille.db")

    # A new brand: every item is processed again, so its mentions of older items are found.
    route.set_body(make_feed(4, 22, 0.6))
    config.write_text(config.read_text(encoding="utf-8") + NESTLE, encoding="utf-8")
    processed.clear()
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    if not processes:
        assert processed == [22]


def _one_feed_collected(feed_server: FeedServer, folder: Path) -> Path:
    """A configuration of one feed (served at /f.xml), collected once; its path."""
    feed_server.add("/f.xml", make_feed(4, 20, 0.6), content_type="application/rss+xml")
    config = write_config(folder, {"feed": feed_server.url("/f.xml")})
    assert run(config, "collect", "--quiet").exit_code == 0
    return config


def test_a_new_brand_reads_an_unchanged_feed_whole_again(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    config = _one_feed_collected(feed_server, tmp_path)
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    assert feed_server.requests("/f.xml")[-1].status == 304  # nothing changed

    # A brand is added; the feed has not changed. Its items still name the new brand: the
    # pass asks for the feed without its validators and reads it under the new brands.
    config.write_text(config.read_text(encoding="utf-8") + NESTLE, encoding="utf-8")
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    assert feed_server.requests("/f.xml")[-1].status == 200
    brands = {brand for *_, brand, _terms in _stored(config.parent / "veille.db")}
    assert brands == {"Danone", "Nestle"}
    # Then the feed is asked for conditionally again.
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    assert feed_server.requests("/f.xml")[-1].status == 304


def test_a_source_whose_setup_is_not_recorded_is_read_whole_once(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    config = _one_feed_collected(feed_server, tmp_path)
    # As a state saved before revision 0012 is: its validators, but not what it was read for.
    with sqlite3.connect(config.parent / "veille.db") as connection:
        connection.execute("UPDATE source_state SET seen_entries = NULL, seen_for = NULL")
    statuses = []
    for _ in range(2):
        assert run(config, "collect", "--all", "--quiet").exit_code == 0
        statuses.append(feed_server.requests("/f.xml")[-1].status)
    assert statuses == [200, 304]
