"""The faster paths of the classifier give exactly what the code they replace gives.

Each is compared with the computation it stands for, run side by side on generated texts
(always) and on the shared evaluation texts (when present): py3langid restricted without its
full model against py3langid's own `set_languages`; the English analyzer against VADER's
own checks; the French tokeniser's quick tests against the patterns they stand for; the
n-gram counts of py3langid's automaton walked with NumPy against py3langid's own walk.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tests.support.evaluation import (
    LANGID_LANGUAGES,
    read_labelled_tsv,
    read_langid,
    read_rated_texts,
    resolve_eval_dir,
)
from veille.classify import lang
from veille.classify.english import EnglishSentimentAnalyzer
from veille.classify.french_tokens import (
    _ELONGATION,
    _EMOTICON_HINT,
    _TRIPLED,
    emoticon_valences,
    fold_text,
    may_hold_emoticon,
)
from veille.classify.langid_restricted import restricted_identifier
from veille.classify.langid_walk import MAX_DEPTH, MIN_WALKED_BYTES, WindowWalk, automaton_depth

EVAL_DIR = resolve_eval_dir(Path(__file__).resolve().parents[2] / "shared" / "eval")
GENERATED_TEXTS = 1500

_WORDS = {
    "en": "the company is not good never so bad but kind of great without doubt least at very "
    "I can't believe how rude they were couldn't be happier sort of the bomb bad ass no "
    "nor or hardly GREAT AWFUL love hate isn't wasn't don't really extremely :) :( 😀 💔 🔥",
    "fr": "le groupe n'est pas bon jamais aussi déçu mais très génial nul vraiment trop peu "
    "un peu moins sans ni rien aucun bien que malgré par contre c'est super GÉNIAL géniaaal "
    "cooool l’équipe qu’il ❤️ ^^ :-) <3 </3 \\o/ ^_^ œuvre",
    "de": "der die das nicht gut sehr schlecht aber wirklich schön Straße über",
    "es": "el la no es bueno muy malo pero realmente bonito señor año",
    "other": "123 4567 ... !!! ??? ,,, ___ 2² ½ ** --- ''' ``` ´ aaa 111 \t\n",
}


def _generated_texts(count: int = GENERATED_TEXTS) -> list[str]:
    rng = random.Random(20261127)
    vocabulary = {code: words.split(" ") for code, words in _WORDS.items()}
    texts = []
    for _ in range(count):
        main = rng.choice(["en", "fr", "de", "es"])
        words = [
            rng.choice(vocabulary[main if rng.random() < 0.8 else rng.choice(list(vocabulary))])
            for _ in range(rng.randint(1, 60))
        ]
        texts.append(rng.choice([" ", " ", "", "!", ", "]).join(words))
    return texts


def _eval_texts() -> list[str]:
    texts: list[str] = []
    if (EVAL_DIR / "langid").is_dir():
        for kind in ("sentences", "word-pairs"):
            texts += [text for _lang, text in read_langid(EVAL_DIR, kind)]
    english = EVAL_DIR / "sentiment_en"
    for name in ("tweets_GroundTruth.txt", "movieReviewSnippets_GroundTruth.txt"):
        if (english / name).is_file():
            texts += [text for _rating, text in read_rated_texts(english / name)]
    french = EVAL_DIR / "sentiment_fr"
    for name in ("allocine_tvseries_reviews_fr.tsv", "deft2017_tweets_fr.tsv"):
        if (french / name).is_file():
            texts += [text for _label, text in read_labelled_tsv(french / name)]
    return texts


TEXTS = _generated_texts()
EVAL_TEXTS = _eval_texts()


# -- py3langid restricted without its full model ---------------------------------------------


def _reference_identifier(languages: Sequence[str]) -> Any:
    """py3langid's own restriction: a copy of the full model narrowed by `set_languages`."""
    reference = copy.copy(lang._py3langid_full())
    reference.set_languages(list(languages))
    return reference


@pytest.mark.parametrize(
    ("languages", "eval_step"),
    [
        (("en", "fr"), 1),
        (LANGID_LANGUAGES, 1),
        (("de", "sr"), 5),  # "sr" is two columns of the model (two scripts), merged
        (tuple(sorted(lang.supported_languages())), 5),  # slower per text: a sample does
    ],
    ids=["en-fr", "eval-7", "with-alias", "all"],
)
def test_restricted_identifier_scores_as_py3langid(
    languages: tuple[str, ...], eval_step: int
) -> None:
    identifier = restricted_identifier(lang._py3langid_full(), languages)
    reference = _reference_identifier(languages)
    assert identifier.nb_classes == reference.nb_classes
    texts = TEXTS + EVAL_TEXTS[::eval_step]
    # The longer texts are counted by the NumPy walk, the others by py3langid's.
    assert identifier.window_walk is not None
    walked = sum(len(text.encode()) >= MIN_WALKED_BYTES for text in texts)
    assert 100 < walked < len(texts) - 100
    for text in texts:
        # Label and confidence, bit for bit: the same columns, priors and automaton.
        assert identifier.classify(text) == reference.classify(text), text
    for text in texts[:200]:
        assert identifier.rank(text) == reference.rank(text), text


def test_restricted_identifier_keeps_only_its_languages() -> None:
    full = lang._py3langid_full()
    identifier = restricted_identifier(full, ("en", "fr"))
    for arrays in (
        (identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes),
        identifier._full_model,
    ):
        ptc, pc, classes = arrays
        assert ptc.shape == (full.nb_ptc.shape[0], 2)
        assert len(pc) == 2
        assert classes == ["en", "fr"]
    # The automaton is shared, not copied.
    assert identifier.tk_nextmove is full.tk_nextmove


# -- py3langid's automaton walked with NumPy --------------------------------------------------


def _random_bytes(count: int) -> list[bytes]:
    rng = random.Random(20261128)
    return [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))) for _ in range(count)]


def test_window_walk_counts_as_py3langid_walks() -> None:
    from py3langid.langid import visit_counts

    full = lang._py3langid_full()
    walk = WindowWalk.of(full)
    assert walk is not None
    assert walk.depth == 6  # the shipped model's longest n-gram, in bytes
    encoded = [full._encode(text) for text in TEXTS + EVAL_TEXTS[::3]]
    for data in encoded + _random_bytes(500) + [b"", b"a", "é".encode()]:
        expected = visit_counts(full.tk_nextmove, full._rowbase, full.tk_output, data)
        found = walk.counts(data)
        if expected is None:
            assert found is None, data
            continue
        assert found is not None, data
        features, counts = found
        # The same features, in the order py3langid meets them, with the same counts.
        assert list(zip(features.tolist(), counts.tolist(), strict=True)) == list(
            expected.items()
        ), data


def _chain_automaton(depth: int) -> tuple[Any, Any, Any]:
    """An automaton counting runs of "a": state i after i of them, at most `depth`."""
    import numpy as np

    states = depth + 1
    moves = np.zeros((states, 256), dtype=np.uint32)
    for state in range(states):
        moves[state, ord("a")] = min(state + 1, depth)
    rowbase = np.arange(states, dtype=np.intp) * 256
    output = np.arange(states, dtype=np.intp) - 1  # state i gives feature i - 1
    return moves.ravel(), rowbase, output


def test_automaton_depth_is_its_longest_string() -> None:
    for depth in (1, 3, MAX_DEPTH):
        moves, rowbase, _output = _chain_automaton(depth)
        assert automaton_depth(moves, rowbase) == depth
    moves, rowbase, _output = _chain_automaton(MAX_DEPTH + 1)
    assert automaton_depth(moves, rowbase) is None  # py3langid's own walk is kept


def test_the_depth_search_lets_pages_go_as_it_reads_and_finds_the_same_depth() -> None:
    moves, rowbase, _output = _chain_automaton(MAX_DEPTH)
    released: list[int] = []
    assert automaton_depth(moves, rowbase, lambda: released.append(1)) == MAX_DEPTH
    # Once per few rows read: here one row per level, and the last one leads nowhere new.
    assert len(released) == MAX_DEPTH + 1


def test_the_shipped_automaton_is_mapped_from_the_kept_copy() -> None:
    lang._detector.cache_clear()
    lang._py3langid_full.cache_clear()
    detector = lang._detector(("en", "fr"))
    # The restricted identifier shares the mapped table: its pages are the kept copy's.
    assert isinstance(detector.long_text.tk_nextmove, memoryview)
    assert lang.detect_language("il fait très beau aujourd'hui en ville", ["en", "fr"]) == "fr"


def test_window_walk_counts_a_small_automaton_by_its_depth() -> None:
    from py3langid.langid import visit_counts

    moves, rowbase, output = _chain_automaton(3)
    walk = WindowWalk(moves, rowbase, output, 3)
    rng = random.Random(7)
    for _ in range(300):
        data = bytes(rng.choice(b"aab") for _ in range(rng.randrange(0, 40)))
        expected = visit_counts(moves.tolist(), rowbase.tolist(), output.tolist(), data)
        found = walk.counts(data)
        pairs = [] if found is None else list(zip(*(part.tolist() for part in found), strict=True))
        assert pairs == list((expected or {}).items()), data


def _batches(items: list[Any], seed: int) -> list[list[Any]]:
    """``items`` cut into batches of random sizes (1 to 40), in order."""
    rng = random.Random(seed)
    batches, start = [], 0
    while start < len(items):
        size = rng.randint(1, 40)
        batches.append(items[start : start + size])
        start += size
    return batches


def _pairs(found: tuple[Any, Any] | None) -> list[tuple[int, float]]:
    return [] if found is None else list(zip(*(part.tolist() for part in found), strict=True))


def test_texts_walked_together_count_as_each_walked_alone() -> None:
    full = lang._py3langid_full()
    walk = WindowWalk.of(full)
    assert walk is not None and walk.gap_resets
    encoded = [full._encode(text) for text in TEXTS + EVAL_TEXTS[::3]]
    # Empty texts, texts without a feature, bytes of any value (the gap byte among them),
    # and a batch over MAX_BATCH_BYTES, which is walked in parts.
    datas = encoded + _random_bytes(300) + [b"", b"\xff" * 10, b"a", b"\xff\xffab\xff"]
    for batch in [*_batches(datas, 1), datas[:2000]]:
        together = walk.counts_many(batch)
        assert len(together) == len(batch)
        for data, found in zip(batch, together, strict=True):
            assert _pairs(found) == _pairs(walk.counts(data)), data


def test_a_small_automaton_s_texts_walked_together_count_as_alone() -> None:
    import numpy as np

    rng = random.Random(8)
    texts = [bytes(rng.choice(b"aab\xff") for _ in range(rng.randrange(0, 40))) for _ in range(300)]
    moves, rowbase, output = _chain_automaton(3)
    resetting = WindowWalk(moves, rowbase, output, 3)
    assert resetting.gap_resets
    # The gap byte leads state 1 on to state 2: texts are walked one by one.
    table = moves.reshape(-1, 256).copy()
    table[1, 0xFF] = 2
    keeping = WindowWalk(table.ravel(), rowbase, output, 3)
    assert not keeping.gap_resets
    assert not WindowWalk(moves, rowbase, np.arange(len(output)), 3).gap_resets  # start: a feature
    for walk in (resetting, keeping):
        for batch in _batches(texts, 2):
            for data, found in zip(batch, walk.counts_many(batch), strict=True):
                assert _pairs(found) == _pairs(walk.counts(data)), data


def test_an_identifier_classifies_a_batch_as_each_text_alone() -> None:
    identifier = restricted_identifier(lang._py3langid_full(), ("de", "en", "fr"))
    texts = TEXTS + EVAL_TEXTS[::7] + ["", "123", "a"]
    for batch in _batches(texts, 3):
        # Label and confidence, bit for bit.
        assert identifier.classify_many(batch) == [identifier.classify(text) for text in batch]
    assert identifier.counted == {}  # the batch's counts were held by a copy


@pytest.mark.parametrize("languages", [("en", "fr"), ("fr",), None], ids=["en-fr", "one", "all"])
def test_languages_detected_together_are_those_detected_one_by_one(
    languages: tuple[str, ...] | None,
) -> None:
    from veille.classify import Classifier

    texts = TEXTS[:600] + EVAL_TEXTS[::11] + ["", "12 34", "merci !", "ok"]
    for batch in _batches(texts, 4):
        assert lang.detect_languages_among(batch, languages) == [
            lang.detect_language_among(text, languages) for text in batch
        ]
    classifier = Classifier(languages)
    hints = [None, "fr", "en-GB", "de", "xx"]
    pairs = [(text, hints[index % len(hints)]) for index, text in enumerate(texts)]
    for batch in _batches(pairs, 5):
        assert classifier.classify_many(batch) == [
            classifier.classify(text, hint) for text, hint in batch
        ]


class _Automaton:
    """The parts of a py3langid identifier that a walk reads."""

    def __init__(self, moves: Any, rowbase: Any, output: Any) -> None:
        from array import array

        self.tk_nextmove = array("I", moves.tolist())
        self._rowbase, self.tk_output = rowbase.tolist(), output.tolist()


def test_a_walk_is_used_only_where_the_window_holds() -> None:
    import numpy as np

    assert WindowWalk.of(_Automaton(*_chain_automaton(3))) is not None
    # Every byte flips the state: found within one byte of the start, yet it depends on every
    # byte read before. The window does not hold, and the search for the depth cannot tell.
    flips = np.zeros((2, 256), dtype=np.uint32)
    flips[0, :] = 1
    rowbase, output = np.array([0, 256]), np.array([-1, 0])
    assert automaton_depth(flips.ravel(), rowbase) == 1
    assert WindowWalk.of(_Automaton(flips.ravel(), rowbase, output)) is None


def test_detector_lets_the_full_model_go() -> None:
    lang._detector.cache_clear()
    assert "en" in lang.supported_languages()  # the labels outlive the model
    lang._detector(("en", "fr"))
    assert lang._py3langid_full.cache_info().currsize == 0
    assert lang.detect_language("the weather is lovely today in the city", ["en", "fr"]) == "en"
    assert lang.detect_language("il fait très beau aujourd'hui en ville", ["de", "fr"]) == "fr"


def test_detection_matches_the_reference_restriction() -> None:
    references = {languages: _reference_identifier(languages) for languages in (("en", "fr"),)}
    for text in TEXTS:
        if lang._HAS_LETTER.search(text) and not lang.is_short(text):
            expected = references[("en", "fr")].classify(text[: lang.DETECTION_CHARS])[0]
            assert lang.detect_language(text, ["en", "fr"]) == expected, text


# -- English: VADER's checks, restated ---------------------------------------------------------


class _VaderChecksAnalyzer(EnglishSentimentAnalyzer):
    """The English analyzer running VADER's own checks and scoring loop, not their restatement."""

    _vader_negation_check = staticmethod(SentimentIntensityAnalyzer._negation_check)
    _special_idioms_check = staticmethod(SentimentIntensityAnalyzer._special_idioms_check)
    polarity_scores = SentimentIntensityAnalyzer.polarity_scores


def test_english_analyzer_scores_as_vader_checks() -> None:
    fast, reference = EnglishSentimentAnalyzer(), _VaderChecksAnalyzer()
    differs_from_vader = 0
    plain_vader = SentimentIntensityAnalyzer()
    for text in TEXTS + EVAL_TEXTS:
        expected = reference.polarity_scores(text)
        assert fast.polarity_scores(text) == expected, text
        differs_from_vader += expected != plain_vader.polarity_scores(text)
    # The reference still carries veille's own readings of negation.
    assert differs_from_vader > 0


@pytest.mark.parametrize(
    "text",
    [
        "this is kind of good",
        "the bomb",
        "it is the shit",
        "bad ass movie without doubt great",
        "never so happy",
        "not the least bit good",
        "at least it isn't horrible",
        "I love it 😀 but 💔",
        "  padded text, good  ",
        "GREAT but AWFUL!!! ???",
        "",
    ],
)
def test_english_analyzer_on_vader_special_cases(text: str) -> None:
    assert EnglishSentimentAnalyzer().polarity_scores(text) == (
        _VaderChecksAnalyzer().polarity_scores(text)
    )


# -- French: words that no rule reads ----------------------------------------------------------


class _EveryWord(frozenset[str]):
    """A set holding every word: each one then goes through every rule of the analyzer."""

    def __contains__(self, word: object) -> bool:
        return True


def test_french_words_no_rule_reads_skip_the_rules_to_the_same_scores() -> None:
    from veille.classify.french import FrenchSentimentAnalyzer

    fast = FrenchSentimentAnalyzer()
    every_rule = FrenchSentimentAnalyzer(fast.lexicon)
    every_rule.notable = _EveryWord()
    negations = [
        "je ne l'ai jamais autant aimé mais rien ne va",
        "elle n'est guère contente, pas du tout ravie",
        "sans doute pas terrible bien que personne ne soit déçu",
    ]
    for text in TEXTS + EVAL_TEXTS + negations:
        assert fast.compound(text) == every_rule.compound(text), text


# -- French tokeniser: the quick tests ----------------------------------------------------------


def test_emoticon_test_matches_its_pattern() -> None:
    samples = TEXTS + EVAL_TEXTS + list(emoticon_valences()) + ["^-", "-^", "< 3", "\\o", "o/"]
    for text in samples:
        assert may_hold_emoticon(text) == bool(_EMOTICON_HINT.search(text)), text


def test_elongation_first_test_never_misses() -> None:
    # `_TRIPLED` only decides whether `_ELONGATION` is tried: it must match wherever it does.
    samples = TEXTS + EVAL_TEXTS + ["géniaaal", "trooop", "ŒŒŒ", "2²²²", "ééé", "a\n\n\nb"]
    for text in samples:
        folded = fold_text(text)
        if _ELONGATION.search(folded):
            assert _TRIPLED.search(folded), text
