"""English sentiment: VADER's compound score, with two negation readings corrected.

VADER flips a sentiment word that follows a negation within three words. Two English
constructions put a negation there without negating the feeling, and VADER reads a
complaint as praise (or the reverse):

- disbelief: "I can't believe how rude they were", "couldn't believe how bad it was": the
  negation bears on "believe", and the rudeness is asserted, even stressed;
- impossible comparison: "I couldn't be happier", "could not have been more pleased",
  "never been more disappointed": nothing could go further, so the feeling is at its height.

In both, the word keeps its valence, strengthened by VADER's own factor for "never so".
Everything else is VADER 3.3.2 unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's factor for "never so …" / "never this …".
NEVER_SO_FACTOR = 1.25
# Negations of possibility, after which "believe" or a comparison does not negate the feeling.
_IMPOSSIBILITY = frozenset(["can't", "cant", "cannot", "couldn't", "couldnt", "never"])
_MODALS = frozenset(["can", "could"])
_BE_FORMS = frozenset(["be", "been", "have", "ever", "felt", "feel", "was", "were", "am"])
_COMPARISON = frozenset(["more", "less", "as", "any"])
_IRREGULAR_COMPARATIVES = frozenset(["better", "worse"])


def _is_impossibility(negation: str, previous: str) -> bool:
    return negation in _IMPOSSIBILITY or (negation == "not" and previous in _MODALS)


def _is_comparative(word: str) -> bool:
    return word in _IRREGULAR_COMPARATIVES or (len(word) > 4 and word.endswith("ier"))


class EnglishSentimentAnalyzer(SentimentIntensityAnalyzer):
    """VADER with the disbelief and impossible-comparison readings of a negation."""

    @staticmethod
    def _negation_check(
        valence: float, words_and_emoticons: list[str], start_i: int, i: int
    ) -> float:
        negator = i - (start_i + 1)
        negation = str(words_and_emoticons[negator]).lower()
        previous = str(words_and_emoticons[negator - 1]).lower() if negator > 0 else ""
        if _is_impossibility(negation, previous):
            between = [str(word).lower() for word in words_and_emoticons[negator + 1 : i]]
            if between[:1] == ["believe"]:
                return valence * NEVER_SO_FACTOR
            target = str(words_and_emoticons[i]).lower()
            compares = not _COMPARISON.isdisjoint(between) or _is_comparative(target)
            if compares and (negation == "never" or (between[:1] and between[0] in _BE_FORMS)):
                return valence * NEVER_SO_FACTOR
        return float(
            SentimentIntensityAnalyzer._negation_check(valence, words_and_emoticons, start_i, i)
        )


@lru_cache(maxsize=1)
def english_analyzer() -> Any:
    """Return the process-wide English analyzer (building it reads VADER's lexicon files)."""
    return EnglishSentimentAnalyzer()


def english_compound(text: str) -> float:
    """Return the compound score of `text` in [-1, 1]."""
    return float(english_analyzer().polarity_scores(text)["compound"])
