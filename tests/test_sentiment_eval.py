"""French sentiment on the shared evaluation sets: veille's analyzer against vaderSentiment-fr.

Allociné reviews are positive or negative: a text counts as right when the sign of its
compound score matches (a score of exactly 0.0 counts as wrong). DEFT 2017 tweets have three
classes, predicted with the ±0.05 tone thresholds and compared by macro-F1. The same rules
score both analyzers, in the same run.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.support.evaluation import resolve_eval_dir, score_french_sets
from veille.classify.french import french_analyzer

EVAL_DIR = resolve_eval_dir(Path(__file__).resolve().parents[2] / "shared" / "eval")
FRENCH_DIR = EVAL_DIR / "sentiment_fr"

pytestmark = pytest.mark.skipif(
    not FRENCH_DIR.is_dir(), reason=f"French sentiment evaluation data not found in {FRENCH_DIR}"
)


def test_french_analyzer_beats_vader_fr() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fuzzywuzzy warns about its slow pure-Python matcher
        vader_fr = pytest.importorskip("vaderSentiment_fr.vaderSentiment")
    baseline = vader_fr.SentimentIntensityAnalyzer()
    theirs = score_french_sets(EVAL_DIR, lambda text: baseline.polarity_scores(text)["compound"])
    ours = score_french_sets(EVAL_DIR, french_analyzer().compound)
    assert ours["allocine_accuracy"] >= theirs["allocine_accuracy"], (ours, theirs)
    assert ours["deft_macro_f1"] >= theirs["deft_macro_f1"], (ours, theirs)
