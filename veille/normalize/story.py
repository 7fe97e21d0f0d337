"""Near-duplicate signatures: which documents tell the same story, however lightly edited.

The same wire story reaches twenty sites with a word changed in the title, a prefix added
("UPDATE 1-"), a snippet cut short or run longer. Each document becomes a multiset of features,
its words folded as everywhere in veille (case, accents, punctuation gone) without the commonest
words: every title word counts twice, because titles are what syndication edits least and
snippets what it cuts most; the text adds its first ``TEXT_WORDS`` words, so that a longer
snippet does not dilute the shorter one. Two documents are the same story when the weighted
Jaccard similarity of their features reaches ``SAME_STORY`` and they share at least
``MIN_SHARED`` of weight. When one of them has no text (fewer than ``NO_TEXT_WORDS`` words: a
Google News or Hacker News headline, while the publisher's own feed gives the same headline
with its description), the two are compared on their titles alone, as two headlines without
text always are: the other's text would otherwise outweigh the headline they share.

Template headlines ("BNP Paribas : résultats du troisième trimestre 2026", "… : cours de
l'action du 23 novembre 2026") share most of their words with the next company's or the next
day's. What tells them apart is in their marks: the numbers of a title, and its proper names
(capitalised words past the start of a sentence, or a run of them at its start, in a title
whose other words are mostly lower case). Two documents are kept apart when each title has
marks that the other's title and text do not have, in the same place (between the same words:
23 against 24 in "du … novembre", BNP Paribas against Société Générale before "résultats"),
however similar the rest; a mark on one side only (a first name added, the outlet's name, a
figure), different marks in different places (a place named in one title, a detail in the
other) and an abbreviation ("St" for "Street") do not, nor does a rewording that keeps the
names and figures. Marks are read only for pairs similar enough to be grouped.

Candidates are found with MinHash and locality-sensitive hashing: ``BANDS`` band keys of
``ROWS_PER_BAND`` min-hashes (32-bit) each; two documents share at least one key with probability
1 - (1 - s^ROWS_PER_BAND)^BANDS for a similarity s (0.84 at 0.45, 0.97 at 0.6). Every hash is
derived from BLAKE2b, never Python's ``hash()``, so the keys are the same in every process.
A document with text also has the keys of the first ``TITLE_BANDS`` bands of its title alone:
those of a document without text, whose title is all its features, so that the two meet.
"""

from __future__ import annotations

import hashlib
import re
import struct
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from veille.normalize.text import fold_case_and_accents

# Two documents whose features are at least this similar (weighted Jaccard) are one story;
# chosen on benchmarks/data/stories.jsonl (benchmarks/README.md, "Story grouping").
SAME_STORY = 0.45
# ... and share at least this much weight (three title words): short items about one brand
# share the brand's name and little else, which is not a story.
MIN_SHARED = 6
TITLE_WEIGHT = 2
TEXT_WORDS = 60
# A text of fewer words than this ("Read more", a lone link) is no text: see ``has_text``.
NO_TEXT_WORDS = 4
BANDS = 8
ROWS_PER_BAND = 2
# The title-only bands a document with text adds to its keys: identical titles share them,
# titles of similarity s one of them with probability 1 - (1 - s^ROWS_PER_BAND)^TITLE_BANDS
# (0.74 at 0.86, a word added to six), besides what their other keys share. Each band is a
# stored key more per document and a key more to look up: one costs about a tenth of the
# time story grouping takes to save a document, four three times as much
# (benchmarks/bench_ingest.py).
TITLE_BANDS = 1

# Runs of letters and digits: the words left when punctuation and "_" are blanks.
_WORD = re.compile(r"[^\W_]+")
# The same words in ASCII text: every ASCII character but letters and digits made a blank, then
# a split, several times faster than the regular expression.
_ASCII_BLANKS = str.maketrans({chr(code): " " for code in range(128) if not chr(code).isalnum()})
# Words that every story shares, in English and French, and the marks of wire revisions
# ("UPDATE 2-", "RPT-", "REFILE-"), which say nothing of what the story is.
_COMMON_WORDS_TEXT = (
    "a an and are as at be by for from has have in is it its of on or that the this to was "
    "were will with after over new says said update rpt refile corrected "
    "au aux avec ce ces dans de des du elle en est et il ils la le les leur mais ne ou par "
    "pas plus pour qu que qui sa se ses son sur un une"
)
_COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
# Numbers as written: digits not glued to letters, with their decimal or thousands separators.
_NUMBER = re.compile(r"(?<![^\W\d_])\d+(?:[.,]\d+|[\u00a0\u202f ]\d{3}(?!\d))*(?!\w)")
# The same anywhere, for what a text has (a number glued to letters, "5G", counts too): faster.
_ANY_NUMBER = re.compile(r"\d+(?:[.,]\d+|[\u00a0\u202f ]\d{3}(?!\d))*")
_THOUSANDS = re.compile(r"[.,\u00a0\u202f ](?=\d{3}(?!\d))")
_DIGIT = re.compile(r"\d")
# A title's numbers (first group) and words (second), in order.
_TOKEN = re.compile(f"({_NUMBER.pattern})|([^\\W_]+)")
# Where a title's sentences and segments start: a capital there says nothing of a name.
_SEGMENT = re.compile(r"\s[-–—]\s|[:;?!|«»\"“”()\[\]]|\.\s")
# The marks of wire revisions ("UPDATE 2-", "RPT-"), whose numbers are not the story's.
_WIRE_PREFIX = re.compile(r"\b(?:UPDATE|CORRECTED|REFILE|RPT)(?:\s*\d+)?\s*-")
_HASHES = BANDS * ROWS_PER_BAND
# One BLAKE2b digest per feature gives all its min-hash values at once, 32 bits each.
_DIGEST = struct.Struct(f">{_HASHES}I")
_BAND = struct.Struct(f">B{ROWS_PER_BAND}I")
_KEY = struct.Struct(">q")


@dataclass(frozen=True, slots=True)
class StoryDocument:
    """What comparing needs of one document: its features, its title's, whether it has text."""

    features: Mapping[str, int]
    title: Mapping[str, int]  # the title words alone, weighted as in ``features``
    has_text: bool  # at least ``NO_TEXT_WORDS`` words of text
    numbers: frozenset[str] = frozenset()  # the numbers of its title and text (``numbers``)
    headline: str = ""  # the title as written, which ``title_marks`` reads

    @property
    def marks(self) -> frozenset[str]:
        """The numbers and proper names of its title (``title_marks``)."""
        return title_marks(self.headline)[1]

    @property
    def title_words(self) -> tuple[str, ...]:
        """The words and numbers of its title in order (``title_marks``)."""
        return title_marks(self.headline)[0]


@dataclass(frozen=True, slots=True)
class StorySignature:
    """What grouping needs of one document: what comparing needs, and its band keys."""

    document: StoryDocument
    bands: tuple[int, ...]

    @property
    def features(self) -> Mapping[str, int]:
        """The document's weighted features (title words twice, the text's first words)."""
        return self.document.features


def story_words(text: str) -> list[str]:
    """The words of a text that tell its story: folded, without punctuation or common words."""
    folded = fold_case_and_accents(text)
    words = folded.translate(_ASCII_BLANKS).split() if folded.isascii() else _WORD.findall(folded)
    return [
        word for word in words if word not in _COMMON_WORDS and (len(word) > 1 or word.isdigit())
    ]


def story_features(title: str, text: str) -> Counter[str]:
    """Weighted features of a document: each title word twice, the text's first words once."""
    return Counter(story_document(title, text).features)


def story_document(title: str, text: str) -> StoryDocument:
    """What comparing needs of a document: its features, its title's, whether it has text."""
    # Interned: the features of thousands of recent documents are kept (veille/store/
    # stories.py), and they share one copy of each word of their common vocabulary.
    title_features = Counter(map(sys.intern, story_words(title)))
    for word in title_features:
        title_features[word] *= TITLE_WEIGHT
    text_words = story_words(text)[:TEXT_WORDS] if text else []
    title_numbers = numbers(title) if _DIGIT.search(title) else frozenset()
    if not text_words:
        return StoryDocument(title_features, title_features, False, title_numbers, title)
    features: Counter[str] = Counter()
    dict.update(features, title_features)  # a copy without Counter's Python-level update
    features.update(map(sys.intern, text_words))
    all_numbers = title_numbers | numbers(text) if _DIGIT.search(text) else title_numbers
    has_text = len(text_words) >= NO_TEXT_WORDS
    return StoryDocument(features, title_features, has_text, all_numbers, title)


def numbers(text: str) -> frozenset[str]:
    """The numbers written in a text, each whole ("61,23" is not "23") and in one spelling.

    Those glued to letters count too ("5" of "5G"): they only ever keep documents together.
    """
    return frozenset(map(_one_spelling, _ANY_NUMBER.findall(text)))


def _one_spelling(number: str) -> str:
    # "1 000", "1,000" and "1.000" are one thousand; "3,5" and "3.5" one decimal number.
    if not number.isdigit():
        number = _THOUSANDS.sub("", number).replace(",", ".")
    return number.lstrip("0") or "0"


# Read only for documents similar enough to be grouped: a few of each pass's documents.
@lru_cache(maxsize=16384)
def title_marks(title: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """What tells a title apart from the same template's: its words in order, and its marks.

    The words are folded as ``story_words`` folds them, numbers as ``numbers`` writes them.
    Marks are its numbers and its proper names: the words written with a capital past the
    start of a sentence or segment (after ":", " - ", "|"…), a run of capitalised words at its
    start ("Société Générale supprime…"), a word with a capital inside ("EBay") there; names
    only in a title whose other words are mostly lower case, as a title in capitals or in
    Title Case says nothing of which words are names.
    """
    title = _WIRE_PREFIX.sub(" ", title)
    sequence: list[str] = []
    names: set[str] = set()
    marks: set[str] = set()
    lower = upper = 0
    for segment in _SEGMENT.split(title):
        tokens = _TOKEN.findall(segment)
        for index, (number, word) in enumerate(tokens):
            if number:
                sequence.append(_one_spelling(number))
                marks.add(sequence[-1])
                continue
            folded = fold_case_and_accents(word)
            kept = folded not in _COMMON_WORDS and (len(folded) > 1 or folded.isdigit())
            if kept:
                sequence.append(folded)
            if not word[0].isalpha():
                continue
            capital = word[0].isupper()
            if index == 0:
                follows = len(tokens) > 1 and tokens[1][1][:1].isupper()
                inner = not word.isupper() and any(letter.isupper() for letter in word[1:])
                if capital and (follows or inner) and kept:
                    names.add(folded)
                continue
            if capital and kept:
                names.add(folded)
            if len(word) >= 4 and kept:
                if capital:
                    upper += 1
                else:
                    lower += 1
    if lower and 2 * lower >= upper:
        marks.update(names)
    return tuple(sequence), frozenset(marks)


def kept_apart(first: StoryDocument, second: StoryDocument) -> bool:
    """Whether the titles differ in the same slot: marks of each that the other's title and text
    do not have, between the same words of the titles (or at the same end), and not one the
    other's abbreviation ("St" and "Street")."""
    if not first.marks or not second.marks:
        return False
    runs = _unmatched_runs(first, second)
    if not runs:
        return False
    for context, joined in _unmatched_runs(second, first):
        for other_context, other_joined in runs:
            if context != other_context or joined == other_joined:
                continue
            if joined[0].isdigit() or not (
                joined.startswith(other_joined) or other_joined.startswith(joined)
            ):
                return True
    return False


def _unmatched_runs(
    document: StoryDocument, other: StoryDocument
) -> list[tuple[tuple[str | None, str | None], str]]:
    """The runs of a title's marks that ``other`` lacks: (words before and after, the run)."""
    marks, words = document.marks, document.title_words
    features, other_numbers = other.features, other.numbers
    runs: list[tuple[tuple[str | None, str | None], str]] = []
    start = None
    for index in range(len(words) + 1):
        word = words[index] if index < len(words) else None
        unmatched = (
            word is not None
            and word in marks
            and word not in features
            and word not in other_numbers
        )
        if unmatched and start is None:
            start = index
        elif not unmatched and start is not None:
            before = words[start - 1] if start else None
            runs.append(((before, word), "".join(words[start:index])))
            start = None
    return runs


def shared_weight(first: Mapping[str, int], second: Mapping[str, int]) -> int:
    """The weight two feature multisets have in common (weights are positive counts)."""
    shared = 0
    # Only the words of both count: the set intersection runs in C, the sum over few words.
    for word in first.keys() & second.keys():
        one, other = first[word], second[word]
        shared += one if one < other else other
    return shared


def similarity(first: Mapping[str, int], second: Mapping[str, int]) -> float:
    """Weighted Jaccard similarity of two feature multisets, in [0, 1] (0 when both are empty)."""
    return similarity_of_weights(
        shared_weight(first, second), sum(first.values()), sum(second.values())
    )


def similarity_of_weights(shared: int, first_total: int, second_total: int) -> float:
    """Weighted Jaccard similarity from the shared weight and each multiset's total weight."""
    total = first_total + second_total - shared
    return shared / total if total else 0.0


def story_similarity(first: Mapping[str, int], second: Mapping[str, int]) -> float:
    """The similarity of two feature multisets as grouping sees it: 0 below ``MIN_SHARED``."""
    shared = shared_weight(first, second)
    if shared < MIN_SHARED:
        return 0.0
    return similarity_of_weights(shared, sum(first.values()), sum(second.values()))


def compared_features(
    first: StoryDocument, second: StoryDocument
) -> tuple[Mapping[str, int], Mapping[str, int]]:
    """What two documents are compared on: their features, or their titles when one has no text."""
    if first.has_text and second.has_text:
        return first.features, second.features
    return first.title, second.title


def document_similarity(first: StoryDocument, second: StoryDocument) -> float:
    """The similarity of two documents as grouping sees it (``story_similarity`` of what is
    compared: their titles alone when one of them has no text; 0 when ``kept_apart``)."""
    score = story_similarity(*compared_features(first, second))
    return 0.0 if score and kept_apart(first, second) else score


@lru_cache(maxsize=131072)
def _feature_hashes(word: str, copy: int) -> tuple[int, ...]:
    """The values of one feature (the ``copy``-th occurrence of a word) under every hash."""
    data = f"{copy}:{word}".encode("utf-8", "surrogatepass")
    return _DIGEST.unpack(hashlib.blake2b(data, digest_size=_DIGEST.size).digest())


@lru_cache(maxsize=65536)
def _word_min_hashes(word: str, weight: int) -> tuple[int, ...]:
    """The MinHash of ``weight`` copies of one word (words recur: computed once per process)."""
    if weight == 1:
        return _feature_hashes(word, 0)
    return tuple(map(min, *(_feature_hashes(word, copy) for copy in range(weight))))


def min_hashes(features: Mapping[str, int]) -> tuple[int, ...]:
    """The MinHash of a feature multiset: the k-th copy of a word is a feature of its own."""
    words = [_word_min_hashes(word, weight) for word, weight in features.items() if weight > 0]
    if len(words) <= 1:
        return words[0] if words else ()
    return tuple(map(min, *words))


def band_keys(hashes: tuple[int, ...]) -> tuple[int, ...]:
    """One signed 64-bit key per band of min-hashes (empty when there are no features)."""
    keys = []
    for band in range(len(hashes) // ROWS_PER_BAND):
        rows = hashes[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        # The band's number (1 byte) then its rows (4 bytes each), big-endian.
        digest = hashlib.blake2b(_BAND.pack(band, *rows), digest_size=8).digest()
        keys.append(_KEY.unpack(digest)[0])
    return tuple(keys)


def story_signature(title: str, text: str) -> StorySignature:
    """The features and band keys of a document's normalised title and text.

    The keys are the ``BANDS`` of its features, then, when it has any text, the first
    ``TITLE_BANDS`` of its title alone (those a document without text has for that title).
    """
    document = story_document(title, text)
    keys = band_keys(min_hashes(document.features))
    if document.title is not document.features and document.title:
        title_keys = band_keys(_title_min_hashes(document.title))
        keys += tuple(key for key in title_keys if key not in keys)
    return StorySignature(document, keys)


@lru_cache(maxsize=65536)
def _word_title_min_hashes(word: str, weight: int) -> tuple[int, ...]:
    """The first ``TITLE_BANDS`` bands' values of ``_word_min_hashes``."""
    return _word_min_hashes(word, weight)[: TITLE_BANDS * ROWS_PER_BAND]


def _title_min_hashes(title: Mapping[str, int]) -> tuple[int, ...]:
    """The first ``TITLE_BANDS`` bands' values of the MinHash of a title's features."""
    words = [_word_title_min_hashes(word, weight) for word, weight in title.items()]
    return words[0] if len(words) == 1 else tuple(map(min, *words))


def same_story(first: StorySignature, second: StorySignature) -> bool:
    """Whether two documents are near-duplicates of one story."""
    return document_similarity(first.document, second.document) >= SAME_STORY
