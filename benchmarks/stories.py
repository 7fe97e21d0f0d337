"""Story grouping on real syndicated feed items: veille's grouping against two baselines.

Reads benchmarks/data/stories.jsonl (labelled by reading; see benchmarks/data/README.md), stores
the items through ``Store.save_collection`` into a fresh SQLite file, 20 items per batch in the
order the aggregator saw them, and reads back each document's ``story_id``. Baselines in the same
run: exact fingerprint (every story id before near-duplicate grouping) and title-only matching
(the same title words). Scores are pairwise and B-cubed precision, recall and F1 against the
``story`` labels (and the narrower ``copy`` labels); "same event" is the share of grouped pairs
that at least cover the same event. Several similarity thresholds are tried; the one in
veille/normalize/story.py is the highest B-cubed F1 among those keeping pairwise precision at
0.95 or more (a wrong merge hides a story from the digest; a missed one only repeats a line).

    .venv/bin/python benchmarks/stories.py [--thresholds 0.3,0.4,0.5,0.6,0.7]
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from veille.normalize import normalize
from veille.normalize import story as story_signatures
from veille.store import BrandSpec, SourceSpec, Store, StoredItem
from veille.store import stories as store_stories
from veille.store.schema import document_table
from veille.types import Classification, MatchResult, RawMention, SourceState

DATA = Path(__file__).resolve().parent / "data" / "stories.jsonl"
BATCH = 20
START = datetime(2014, 3, 10, 12, tzinfo=UTC)


def load(path: Path = DATA) -> list[dict[str, str]]:
    """The labelled items, in the order the aggregator saw them."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _stored_item(item: dict[str, str]) -> StoredItem:
    raw = RawMention(
        source="feeds", url=item["link"], title=item["title"], content_html=item["text"]
    )
    return StoredItem(
        normalize(raw),
        Classification("en", 0.0, "neutral", "bench"),
        (("bench", MatchResult(True, ("bench",))),),
    )


def veille_groups(items: Sequence[dict[str, str]], threshold: float) -> list[str]:
    """Each item's story id as veille stores it, with ``threshold`` as the similarity bound."""
    saved = store_stories.SAME_STORY
    store_stories.SAME_STORY = threshold
    try:
        with tempfile.TemporaryDirectory() as directory:
            store = Store.open(f"sqlite:///{directory}/stories.db")
            try:
                return _store_all(store, items)
            finally:
                store.close()
    finally:
        store_stories.SAME_STORY = saved


def _store_all(store: Store, items: Sequence[dict[str, str]]) -> list[str]:
    store.sync_config([BrandSpec("bench", "bench")], [SourceSpec("feeds", "rss")])
    run = store.begin_run(START)
    stored = [_stored_item(item) for item in items]
    for start in range(0, len(stored), BATCH):
        now = START + timedelta(minutes=start)
        store.save_collection(
            run, "feeds", None, stored[start : start + BATCH], SourceState(),
            now=now, next_check_at=now, not_modified=False, duration=0.0,
        )  # fmt: skip
    with store.engine.connect() as connection:
        rows = connection.execute(select(document_table.c.canonical_url, document_table.c.story_id))
        story_by_url = {url: story for url, story in rows}
    return [story_by_url[item.document.canonical_url] for item in stored]


def fingerprint_groups(items: Sequence[dict[str, str]]) -> list[str]:
    """Exact copies only: the story id every document had before near-duplicate grouping."""
    return [_stored_item(item).document.fingerprint for item in items]


def title_groups(items: Sequence[dict[str, str]]) -> list[str]:
    """Items with the same title words (folded, without punctuation or common words)."""
    return [" ".join(story_signatures.story_words(item["title"])) or item["id"] for item in items]


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def scores(predicted: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """Pairwise and B-cubed precision, recall and F1 of a grouping against labels."""
    both_same = gold_same = predicted_same = 0
    for first, second in itertools.combinations(range(len(gold)), 2):
        same_gold, same_predicted = (
            gold[first] == gold[second],
            predicted[first] == predicted[second],
        )
        both_same += same_gold and same_predicted
        gold_same += same_gold
        predicted_same += same_predicted
    precision = both_same / predicted_same if predicted_same else 1.0
    recall = both_same / gold_same if gold_same else 1.0
    members: dict[tuple[str, str], set[int]] = defaultdict(set)
    for index, (label, group) in enumerate(zip(gold, predicted, strict=True)):
        members[("gold", label)].add(index)
        members[("predicted", group)].add(index)
    b3_precision = b3_recall = 0.0
    for label, group in zip(gold, predicted, strict=True):
        both = len(members[("gold", label)] & members[("predicted", group)])
        b3_precision += both / len(members[("predicted", group)])
        b3_recall += both / len(members[("gold", label)])
    b3_precision, b3_recall = b3_precision / len(gold), b3_recall / len(gold)
    return {
        "P": precision, "R": recall, "F1": _f1(precision, recall),
        "B3 P": b3_precision, "B3 R": b3_recall, "B3 F1": _f1(b3_precision, b3_recall),
    }  # fmt: skip


def same_event(predicted: Sequence[str], events: Sequence[str]) -> float:
    """The share of grouped pairs whose items cover the same event."""
    grouped = [
        events[first] == events[second]
        for first, second in itertools.combinations(range(len(events)), 2)
        if predicted[first] == predicted[second]
    ]
    return sum(grouped) / len(grouped) if grouped else 1.0


def signatures_per_second(items: Sequence[dict[str, str]], repeat: int = 20) -> tuple[float, float]:
    """Signatures per second of CPU on the items as they are, and with a 60-word text each."""
    titles = [item["title"] for item in items]
    texts = [" ".join(titles[index : index + 6]) for index in range(len(titles))]

    def rate(pairs: Sequence[tuple[str, str]]) -> float:
        started = time.process_time()
        for _ in range(repeat):
            for title, text in pairs:
                story_signatures.story_signature(title, text)
        return repeat * len(pairs) / (time.process_time() - started)

    return rate([(title, "") for title in titles]), rate(list(zip(titles, texts, strict=True)))


def _row(name: str, predicted: Sequence[str], items: Sequence[dict[str, str]]) -> str:
    story = scores(predicted, [item["story"] for item in items])
    copy = scores(predicted, [item["copy"] for item in items])
    event = same_event(predicted, [item["event"] for item in items])
    groups = len(set(predicted))
    cells = [story[key] for key in ("P", "R", "F1", "B3 P", "B3 R", "B3 F1")] + [copy["F1"], event]
    return f"| {name} | {groups} | " + " | ".join(f"{value:.3f}" for value in cells) + " |"


def main(argv: Sequence[str] | None = None) -> None:
    """Print the table of benchmarks/README.md, "Story grouping"."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", default="0.3,0.4,0.45,0.5,0.6,0.7")
    args = parser.parse_args(argv)
    items = load()
    stories = {item["story"] for item in items}
    multi = sum(1 for label in stories if sum(item["story"] == label for item in items) > 1)
    print(f"{len(items)} items, {len(stories)} stories ({multi} with several items)")
    print(
        "| grouping | groups | pair P | pair R | pair F1 | B³ P | B³ R | B³ F1 "
        "| copy pair F1 | same event |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    baselines: list[tuple[str, Callable[[Sequence[dict[str, str]]], list[str]]]] = [
        ("exact fingerprint (before)", fingerprint_groups),
        ("title-only matching", title_groups),
    ]
    for name, grouping in baselines:
        print(_row(name, grouping(items), items))
    chosen = story_signatures.SAME_STORY
    for threshold in sorted({float(value) for value in args.thresholds.split(",")} | {chosen}):
        mark = " (default)" if threshold == chosen else ""
        name = f"veille, similarity ≥ {threshold:g}{mark}"
        print(_row(name, veille_groups(items, threshold), items))
    bare, with_text = signatures_per_second(items)
    print(f"signatures/s (one core): {bare:,.0f} titles only, {with_text:,.0f} with a 60-word text")


if __name__ == "__main__":
    main()
