"""English sentiment: VADER's compound score, with two negation readings corrected.

VADER flips a sentiment word that follows a negation within three words. Two English
constructions put a negation there without negating the feeling, and VADER reads a
complaint as praise (or the reverse):

- disbelief: "I can't believe how rude they were", "couldn't believe how bad it was": the
  negation bears on "believe", and the rudeness is asserted, even stressed;
- impossible comparison: "I couldn't be happier", "could not have been more pleased",
  "never been more disappointed": nothing could go further, so the feeling is at its height.

In both, the word keeps its valence, strengthened by VADER's own factor for "never so".
A service that fails ("doesn't work", "never arrived", "stopped responding") counts as a
negative word: VADER rates none of those words. Business news is read as such
(`veille.classify.english_news`): "shares" as stock is not the verb of sharing, a fall or rise
of shares or sales and a product recall count as rated words. Everything else is VADER 3.3.2
unchanged.
Two of VADER's checks lowercase the whole text for every word they look at, which makes a
long text cost the square of its length; they are restated here reading only the words they
need, and a text without emoji skips VADER's emoji rewriting, with the same results.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
)

from veille.classify.english_news import SHARE_WORDS, names_stock, news_valences

# VADER's factor for "never so …" / "never this …".
NEVER_SO_FACTOR = 1.25
# Negations of possibility, after which "believe" or a comparison does not negate the feeling.
_IMPOSSIBILITY = frozenset(["can't", "cant", "cannot", "couldn't", "couldnt", "never"])
_MODALS = frozenset(["can", "could"])
_BE_FORMS = frozenset(["be", "been", "have", "ever", "felt", "feel", "was", "were", "am"])
_COMPARISON = frozenset(["more", "less", "as", "any"])
_IRREGULAR_COMPARATIVES = frozenset(["better", "worse"])
_NEGATIONS = frozenset(NEGATE)
# A service that fails, in customers' words ("doesn't work", "never arrived", "stopped
# responding"): VADER rates none of these words, so it read the complaint as neutral. Each
# one found adds this valence, as a rated word would.
FAILURE_VALENCE = -1.8
_FAILURE = re.compile(
    r"\b(?:not|never|no longer|stopped|cannot"
    r"|(?:does|do|did|is|was|are|were|has|have|had|wo|ca|could|would)n['’]?t)"
    r"\s+(?:even\s+|yet\s+|been\s+|be\s+)?"
    r"(?:work(?:s|ing|ed)?|arriv(?:e|es|ed|ing)|receiv(?:e|ed)|respond(?:s|ed|ing)?"
    r"|deliver(?:s|ed)?|load(?:s|ing|ed)?)\b",
    re.IGNORECASE,
)
# Every failure names one of these verbs: a text without any skips the longer expression.
_FAILURE_VERB = re.compile("work|arriv|receiv|respond|deliver|load")


def _is_negation(word: str) -> bool:
    """VADER's `negated([word])` for one lowercase word."""
    return word in _NEGATIONS or "n't" in word


def _is_impossibility(negation: str, previous: str) -> bool:
    return negation in _IMPOSSIBILITY or (negation == "not" and previous in _MODALS)


def _is_comparative(word: str) -> bool:
    return word in _IRREGULAR_COMPARATIVES or (len(word) > 4 and word.endswith("ier"))


class EnglishSentimentAnalyzer(SentimentIntensityAnalyzer):
    """VADER with the disbelief and impossible-comparison readings of a negation."""

    def _negation_check(
        self, valence: float, words_and_emoticons: list[str], start_i: int, i: int
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
        return float(self._vader_negation_check(valence, words_and_emoticons, start_i, i))

    def polarity_scores(self, text: str) -> dict[str, float]:
        """VADER's `polarity_scores`; a text without emoji skips its emoji rewriting."""
        # VADER rebuilds the text one character at a time to put descriptions in place of
        # emoji; a text without emoji (most of them) comes out of that loop unchanged.
        if not self.emojis.keys().isdisjoint(text):
            return super().polarity_scores(text)
        text = text.strip()
        sentitext = SentiText(text)
        words = sentitext.words_and_emoticons
        sentiments: list[float] = []
        lexicon = self.lexicon
        # `sentiment_valence` below, with the test for stock inlined: it runs for every word.
        rate = super().sentiment_valence
        for i, item in enumerate(words):
            lowered = item.lower()
            # VADER gives a word outside its lexicon the valence passed in (0), reading nothing
            # around it: most words of an article.
            if lowered not in lexicon:
                sentiments.append(0)
                continue
            if lowered in BOOSTER_DICT or (
                lowered == "kind" and i < len(words) - 1 and words[i + 1].lower() == "of"
            ):
                sentiments.append(0)
                continue
            if lowered in SHARE_WORDS and names_stock(words, i):
                sentiments.append(0)
                continue
            sentiments = rate(0, sentitext, item, i, sentiments)
        sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, text)

    def sentiment_valence(
        self, valence: float, sentitext: Any, item: str, i: int, sentiments: list[float]
    ) -> list[float]:
        """VADER's `sentiment_valence`; "shares" as stock ("Danone shares fall") is unrated."""
        if item.lower() in SHARE_WORDS and names_stock(sentitext.words_and_emoticons, i):
            sentiments.append(0)
            return sentiments
        return list(super().sentiment_valence(valence, sentitext, item, i, sentiments))

    def score_valence(self, sentiments: list[float], text: str) -> dict[str, float]:
        """VADER's `score_valence`, with a valence for each failing service the text reports,
        and for each fall, rise or product recall of business news."""
        lowered = text.lower()
        if _FAILURE_VERB.search(lowered):
            failures = len(_FAILURE.findall(text))
            sentiments = [*sentiments, *[FAILURE_VALENCE] * failures]
        news = news_valences(lowered)
        if news:
            sentiments = [*sentiments, *news]
        return dict(super().score_valence(sentiments, text))

    @staticmethod
    def _vader_negation_check(valence: float, words: list[str], start_i: int, i: int) -> float:
        """VADER's `_negation_check`, lowercasing only the words it reads."""
        if start_i == 0:
            if _is_negation(str(words[i - 1]).lower()):
                valence = valence * N_SCALAR
        elif start_i == 1:
            second, first = str(words[i - 2]).lower(), str(words[i - 1]).lower()
            if second == "never" and (first == "so" or first == "this"):
                valence = valence * 1.25
            elif second == "without" and first == "doubt":
                pass
            elif _is_negation(second):
                valence = valence * N_SCALAR
        elif start_i == 2:
            third = str(words[i - 3]).lower()
            second, first = str(words[i - 2]).lower(), str(words[i - 1]).lower()
            if (third == "never" and (second == "so" or second == "this")) or (
                first == "so" or first == "this"
            ):
                valence = valence * 1.25
            elif third == "without" and (second == "doubt" or first == "doubt"):
                pass
            elif _is_negation(third):
                valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _special_idioms_check(valence: float, words: list[str], i: int) -> float:
        """VADER's `_special_idioms_check`, lowercasing only the words it reads."""
        third, second, first, word = (str(words[k]).lower() for k in (i - 3, i - 2, i - 1, i))
        three_two_one, three_two, two_one = (
            f"{third} {second} {first}",
            f"{third} {second}",
            f"{second} {first}",
        )
        for sequence in (
            f"{first} {word}",
            f"{second} {first} {word}",
            two_one,
            three_two_one,
            three_two,
        ):
            if sequence in SPECIAL_CASES:
                valence = SPECIAL_CASES[sequence]
                break
        if len(words) - 1 > i:
            following = str(words[i + 1]).lower()
            if f"{word} {following}" in SPECIAL_CASES:
                valence = SPECIAL_CASES[f"{word} {following}"]
            if len(words) - 1 > i + 1:
                trigram = f"{word} {following} {str(words[i + 2]).lower()}"
                if trigram in SPECIAL_CASES:
                    valence = SPECIAL_CASES[trigram]
        for n_gram in (three_two_one, three_two, two_one):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence


@lru_cache(maxsize=1)
def english_analyzer() -> Any:
    """Return the process-wide English analyzer (building it reads VADER's lexicon files)."""
    return EnglishSentimentAnalyzer()


def english_compound(text: str) -> float:
    """Return the compound score of `text` in [-1, 1]."""
    return float(english_analyzer().polarity_scores(text)["compound"])
