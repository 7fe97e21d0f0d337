"""Story grouping's fast paths give exactly what the plain definitions give.

Each reference below is the definition written the slow, obvious way: similarity over every
word, one BLAKE2b digest per copy of a word, holders ranked by reading every stored band key.
Band keys are stored, so a few are also pinned to the values earlier versions stored.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.support.stores import T0, later, make_item, store_fixture  # noqa: F401
from tests.test_stories_store import save
from veille.normalize import story
from veille.normalize.text import fold_case_and_accents
from veille.store import Store, StoredItem
from veille.store import stories as store_stories
from veille.store.schema import document_table, story_band_table


def reference_similarity(first: Mapping[str, int], second: Mapping[str, int]) -> float:
    shared = sum(min(weight, second.get(word, 0)) for word, weight in first.items())
    total = sum(first.values()) + sum(second.values()) - shared
    return shared / total if total else 0.0


def reference_story_similarity(first: Mapping[str, int], second: Mapping[str, int]) -> float:
    shared = sum(min(weight, second.get(word, 0)) for word, weight in first.items())
    return reference_similarity(first, second) if shared >= story.MIN_SHARED else 0.0


def reference_min_hashes(features: Mapping[str, int]) -> tuple[int, ...]:
    digest = struct.Struct(f">{story.BANDS * story.ROWS_PER_BAND}I")
    values = [
        digest.unpack(
            hashlib.blake2b(
                f"{copy}:{word}".encode("utf-8", "surrogatepass"), digest_size=digest.size
            ).digest()
        )
        for word, weight in features.items()
        for copy in range(weight)
    ]
    return tuple(min(column) for column in zip(*values, strict=True)) if values else ()


def reference_band_keys(hashes: tuple[int, ...]) -> tuple[int, ...]:
    keys = []
    rows_per_band = story.ROWS_PER_BAND
    for band in range(len(hashes) // rows_per_band):
        rows = hashes[band * rows_per_band : (band + 1) * rows_per_band]
        data = band.to_bytes(1, "big") + b"".join(row.to_bytes(4, "big") for row in rows)
        digest = hashlib.blake2b(data, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return tuple(keys)


def reference_story_words(text: str) -> list[str]:
    words = re.sub(r"[\W_]+", " ", fold_case_and_accents(text)).split()
    common = story._COMMON_WORDS
    return [word for word in words if word not in common and (len(word) > 1 or word.isdigit())]


def reference_story_features(title: str, text: str) -> Counter[str]:
    features: Counter[str] = Counter()
    for word in reference_story_words(title):
        features[word] += story.TITLE_WEIGHT
    for word in reference_story_words(text)[: story.TEXT_WORDS]:
        features[word] += 1
    return features


# Few words, so that generated multisets share some; weights as features have them (positive).
WORDS = st.sampled_from(["danone", "usine", "lait", "prix", "240", "2", "oeuvre", "société", "é"])
MULTISETS = st.dictionaries(WORDS | st.text(min_size=1, max_size=6), st.integers(1, 9), max_size=12)
TEXTS = st.text(
    st.characters(codec="utf-8") | st.sampled_from(" _-'’«»\x1c\u00a0œŒßİ\u0301"), max_size=80
) | st.lists(WORDS | st.sampled_from(["the", "UPDATE", "de", ":", "a"]), max_size=90).map(" ".join)


@given(MULTISETS, MULTISETS)
def test_similarity_is_the_weighted_jaccard_of_the_definition(
    first: dict[str, int], second: dict[str, int]
) -> None:
    assert story.similarity(first, second) == reference_similarity(first, second)
    assert story.story_similarity(first, second) == reference_story_similarity(first, second)
    assert story.story_similarity(second, first) == reference_story_similarity(second, first)


@given(MULTISETS)
def test_min_hashes_and_band_keys_are_those_of_one_digest_per_copy(
    features: dict[str, int],
) -> None:
    hashes = story.min_hashes(features)
    assert hashes == reference_min_hashes(features)
    assert story.band_keys(hashes) == reference_band_keys(hashes)


@given(TEXTS, TEXTS)
def test_words_and_features_are_those_of_the_definition(title: str, text: str) -> None:
    assert story.story_words(text) == reference_story_words(text)
    features = story.story_features(title, text)
    expected = reference_story_features(title, text)
    assert list(features.items()) == list(expected.items())
    signature = story.story_signature(title, text)
    assert signature.bands == reference_signature_bands(title, text)


def reference_signature_bands(title: str, text: str) -> tuple[int, ...]:
    # The bands of the features, then, for a document with any text, the first title-only
    # bands that are not among them.
    keys = reference_band_keys(reference_min_hashes(reference_story_features(title, text)))
    title_features = reference_story_features(title, "")
    if reference_story_words(text) and title_features:
        title_hashes = reference_min_hashes(title_features)
        title_keys = reference_band_keys(title_hashes)[: story.TITLE_BANDS]
        keys += tuple(key for key in title_keys if key not in keys)
    return keys


# Computed before the hashing was made faster: stored keys must keep matching new documents.
PINNED_BANDS = [
    (
        (
            "Danone ferme son usine de Villefranche, 240 emplois menacés",
            "Le groupe agroalimentaire a annoncé mardi la fermeture de son usine de "
            "Villefranche, qui emploie 240 salariés.",
        ),
        (
            -5354321347768177188, -7507997970984527013, 7737184089631585180,
            -4091067108376580589, -7247586304118641688, 4382551549329797024,
            -3511571833160652467, 5998851430935711166,
        ),
    ),
    (
        ("UPDATE 1-EBay rejects Carl Icahn board nominees, asks investors to do same", ""),
        (
            7763988928265424654, 2214377593399534402, -8961558275559579954,
            -808828602833161448, -6197878059900420272, -4341393579923217852,
            6207456543012774502, 9093273560370368993,
        ),
    ),
    (
        (
            "Société Générale : le bénéfice trimestriel recule de 20 %",
            "L'Œuvre de « Société Générale » " + "mot " * 70,
        ),
        (
            169233185404067355, -946633093929544611, -4527843707304093229,
            8381852167934675417, 3991338436969526871, 148275727217023225,
            8570119607882178875, -313955933383459312,
        ),
    ),
    (
        ("", "Texte seul, sans titre : 日本語 ελληνικά"),
        (
            1878986062227683959, 2286384645603265631, 4860886847792353309,
            3898942426885330938, -2861174868339654260, 3579706677515319813,
            -1584873509170944606, -6398567111376994149,
        ),
    ),
]  # fmt: skip


def test_band_keys_are_those_stored_by_earlier_versions() -> None:
    # The keys of the features come first; the title-only keys of a document with text follow.
    for (title, text), bands in PINNED_BANDS:
        assert story.story_signature(title, text).bands[: story.BANDS] == bands


def reference_document_similarity(first: story.StoryDocument, second: story.StoryDocument) -> float:
    # Documents are compared on their features, or on their titles when one has no text; 0
    # when their titles differ in the same slot.
    if story.kept_apart(first, second):
        return 0.0
    if first.has_text and second.has_text:
        return reference_story_similarity(first.features, second.features)
    return reference_story_similarity(first.title, second.title)


HEADLINES = st.sampled_from([
    "",
    "Danone : cours de l'action du 23 novembre 2026",
    "Danone : cours de l'action du 24 novembre",
    "Danone ferme son usine de Villefranche, 240 emplois", "Nestlé ferme l'usine de Lait",
])  # fmt: skip
DOCUMENTS = st.builds(
    story.StoryDocument,
    MULTISETS,
    MULTISETS,
    st.booleans(),
    st.frozensets(st.sampled_from(["23", "24", "2026", "240"])),
    HEADLINES,
)
CANDIDATES = st.lists(
    st.tuples(DOCUMENTS, st.booleans(), st.integers(0, 50), st.sampled_from("abcd")), max_size=10
)


@given(DOCUMENTS, CANDIDATES, st.sampled_from([0.0, 0.3, story.SAME_STORY, 0.7, 1.0]))
def test_the_most_similar_candidate_is_the_one_the_definition_picks(
    document: story.StoryDocument,
    drawn: list[tuple[story.StoryDocument, bool, int, str]],
    threshold: float,
) -> None:
    candidates = []
    for position, (candidate_document, in_batch, rank, story_id) in enumerate(drawn):
        order = (1, rank) if in_batch else (0, rank * 100 + position)
        candidates.append(store_stories._candidate(order, story_id, candidate_document))
    # The definition: every candidate scored; the best above the threshold, the earliest among
    # equals (stored before batch, then by order).
    best: tuple[float, int, int] | None = None
    expected = None
    for candidate in candidates:
        assert candidate.document is not None
        score = reference_document_similarity(document, candidate.document)
        rank_key = (score, -candidate.order[0], -candidate.order[1])
        if score >= threshold and (best is None or rank_key > best):
            best, expected = rank_key, candidate.story_id
    saved = store_stories.SAME_STORY
    store_stories.SAME_STORY = threshold
    try:
        new = store_stories._candidate((1, 99), "", document)
        assert store_stories._most_similar(new, candidates) == expected
    finally:
        store_stories.SAME_STORY = saved


def _copy(number: int, when_days: int) -> tuple[StoredItem, datetime]:
    # One title and text with a word changed: every copy shares most band keys with the others.
    title = f"Danone ferme son usine de Villefranche, {number} emplois menacés"
    text = f"Le groupe a annoncé la fermeture de son usine, qui emploie {number} salariés."
    item = make_item(
        f"copy-{number}",
        title=title,
        text=text,
        fingerprint=hashlib.sha1(f"{title}\n{text}".encode()).hexdigest(),
    )
    return item, later(days=when_days, minutes=number)


def test_holders_are_the_most_recent_in_the_window_of_each_key(store: Store) -> None:
    # More copies than a key keeps holders for, some of them older than the window.
    copies = [_copy(number, 0 if number < 12 else 20) for number in range(60)]
    for item, when in copies:
        save(store, "lemonde", when, item)
    now = later(days=21)
    since = now - store_stories.WINDOW
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(
                story_band_table.c.band_key,
                story_band_table.c.document_id,
                document_table.c.collected_at,
            ).join(document_table, document_table.c.id == story_band_table.c.document_id)
        ).all()
        keys = [*sorted({key for key, _, _ in rows}), 12345]  # and a key nobody holds
        holders = store_stories._holders(connection, keys, since)
    recent: dict[int, list[int]] = {}
    for key, document_id, collected_at in rows:
        if collected_at >= since:
            recent.setdefault(key, []).append(document_id)
    expected = {
        key: sorted(ids, reverse=True)[: store_stories.HOLDERS_PER_KEY]
        for key, ids in recent.items()
    }
    assert {key: sorted(ids, reverse=True) for key, ids in holders.items()} == expected
    assert max(len(ids) for ids in recent.values()) > store_stories.HOLDERS_PER_KEY
    assert len(recent) < len(keys) - 1  # some keys are held only by documents out of the window
