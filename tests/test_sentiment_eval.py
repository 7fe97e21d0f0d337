"""Sentiment on the shared evaluation sets: floors, and veille's analyzers against their bases.

French: Allociné reviews are positive or negative, and a text counts as right when the sign
of its compound score matches (a score of exactly 0.0 counts as wrong). DEFT 2017 tweets
have three classes, predicted with the ±0.05 tone thresholds and compared by macro-F1.
English: the VADER paper's rated tweets and movie snippets, Pearson r against the mean
human rating and 3-class macro-F1. Each comparison scores both analyzers in the same run.
The floors sit a little under the figures measured by benchmarks/quality.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.support.evaluation import (
    label_of,
    macro_f1,
    pearson,
    read_rated_texts,
    resolve_eval_dir,
    score_french_sets,
)
from veille.classify.english import english_compound
from veille.classify.french import french_analyzer

EVAL_DIR = resolve_eval_dir(Path(__file__).resolve().parents[2] / "shared" / "eval")
FRENCH_DIR = EVAL_DIR / "sentiment_fr"
ENGLISH_DIR = EVAL_DIR / "sentiment_en"

needs_french = pytest.mark.skipif(
    not FRENCH_DIR.is_dir(), reason=f"French sentiment evaluation data not found in {FRENCH_DIR}"
)
needs_english = pytest.mark.skipif(
    not ENGLISH_DIR.is_dir(),
    reason=f"English sentiment evaluation data not found in {ENGLISH_DIR}",
)


@pytest.fixture(scope="module")
def french_figures() -> dict[str, float]:
    return score_french_sets(EVAL_DIR, french_analyzer().compound)


@needs_french
def test_french_floors(french_figures: dict[str, float]) -> None:
    # Measured 0.8185 and 0.6380; vaderSentiment-fr gets 0.6962 and 0.5811.
    assert french_figures["allocine_accuracy"] >= 0.80, french_figures
    assert french_figures["deft_macro_f1"] >= 0.62, french_figures


@needs_french
def test_french_analyzer_beats_vader_fr(french_figures: dict[str, float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fuzzywuzzy warns about its slow pure-Python matcher
        vader_fr = pytest.importorskip("vaderSentiment_fr.vaderSentiment")
    baseline = vader_fr.SentimentIntensityAnalyzer()
    theirs = score_french_sets(EVAL_DIR, lambda text: baseline.polarity_scores(text)["compound"])
    assert french_figures["allocine_accuracy"] > theirs["allocine_accuracy"] + 0.05, theirs
    assert french_figures["deft_macro_f1"] > theirs["deft_macro_f1"] + 0.02, theirs


def _english_figures(file: str) -> tuple[tuple[float, float], tuple[float, float]]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    rated = read_rated_texts(ENGLISH_DIR / f"{file}_GroundTruth.txt")
    ratings = [rating for rating, _text in rated]
    gold = [label_of(rating) for rating in ratings]
    figures = []
    for score in (english_compound, lambda text: vader.polarity_scores(text)["compound"]):
        scores = [score(text) for _rating, text in rated]
        figures.append((pearson(ratings, scores), macro_f1(gold, [label_of(s) for s in scores])))
    return figures[0], figures[1]


@needs_english
@pytest.mark.parametrize(
    ("file", "floor_r", "floor_f1"),
    [("tweets", 0.86, 0.72), ("movieReviewSnippets", 0.41, 0.39)],
)
def test_english_analyzer_keeps_vaders_ground(file: str, floor_r: float, floor_f1: float) -> None:
    # Measured: tweets r 0.872, macro-F1 0.740; movie snippets r 0.428, macro-F1 0.406.
    (ours_r, ours_f1), (vader_r, vader_f1) = _english_figures(file)
    assert ours_r >= floor_r and ours_f1 >= floor_f1, (ours_r, ours_f1)
    assert ours_r >= vader_r - 0.001 and ours_f1 >= vader_f1 - 0.001, (vader_r, vader_f1)
