"""English sentiment: VADER's compound score, with one analyzer per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _vader() -> Any:
    # Imported here: building the analyzer reads VADER's lexicon files, which `import
    # veille.classify` must not pay for.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def english_compound(text: str) -> float:
    """Return VADER's compound score of `text` in [-1, 1]."""
    return float(_vader().polarity_scores(text)["compound"])
