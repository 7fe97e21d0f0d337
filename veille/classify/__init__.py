"""Classify a mention: its language, and its tone scored by an analyzer for that language.

French text is scored by veille's own French analyzer (`veille.classify.french`), English
text by VADER with two negation readings corrected (`veille.classify.english`). Other
languages get 0.0 (neutral): VADER reads a German "war" ("was") or a
Spanish "no" as English, so using it outside English would invent tones rather than
measure them. A text without letters (emoji, emoticons only) is scored by VADER, which
rates emoji whatever the language.

Models are loaded on first use and kept for the life of the process, so importing this
package stays cheap. Everything is deterministic: nothing random is involved.
"""

from __future__ import annotations

from collections.abc import Sequence

from veille.classify.lang import (
    detect_language,
    detect_languages_among,
    is_short,
    normalise_language_code,
    validate_languages,
)
from veille.types import Classification, Tone

__all__ = [
    "CLASSIFIER_VERSION",
    "TONE_THRESHOLD",
    "Classifier",
    "detect_language",
    "sentiment_score",
    "tone_of",
]

# Bump a part when its behaviour changes, so `veille reclassify` knows what to redo.
CLASSIFIER_VERSION = "lang-py3langid+lingua-3+sent-veilleen-3+veillefr-7+names-1+clauses-1"
TONE_THRESHOLD = 0.05


def tone_of(score: float) -> Tone:
    """Return the tone of a compound score: positive ≥ 0.05, negative ≤ -0.05, else neutral."""
    if score >= TONE_THRESHOLD:
        return "positive"
    if score <= -TONE_THRESHOLD:
        return "negative"
    return "neutral"


def sentiment_score(text: str, lang: str | None) -> float:
    """Return the compound sentiment of `text` in [-1, 1] with the analyzer for `lang`."""
    if lang == "fr":
        from veille.classify.french import french_analyzer

        return french_analyzer().compound(text)
    if lang == "en" or lang is None:
        from veille.classify.english import english_compound

        return english_compound(text)
    return 0.0


class Classifier:
    """Detect language and score sentiment; restricted to `languages` when they are given."""

    def __init__(self, languages: Sequence[str] | None = None) -> None:
        self.languages = validate_languages(languages)

    def _valid_hint(self, lang_hint: str | None) -> str | None:
        """The declared language as a code veille knows, whether configured or not."""
        hint = normalise_language_code(lang_hint)
        if hint is None:
            return None
        try:
            validate_languages([hint])
        except ValueError:
            return None
        return hint

    def _usable_hint(self, lang_hint: str | None) -> str | None:
        hint = self._valid_hint(lang_hint)
        if hint is None or (self.languages is not None and hint not in self.languages):
            return None
        return hint

    def _outside(self, lang_hint: str | None) -> str | None:
        """A declared language outside the configured ones (a Portuguese feed, a German post)."""
        hint = self._valid_hint(lang_hint)
        return hint if self.languages is not None and hint not in self.languages else None

    def language_of(self, text: str, lang_hint: str | None = None) -> str | None:
        """Return the language of `text`; a short text trusts a valid declared language."""
        return self.languages_of([(text, lang_hint)])[0]

    def languages_of(self, texts: Sequence[tuple[str, str | None]]) -> list[str | None]:
        """The language of each (text, declared language), detected together.

        Two or three words say little about their language: a short text takes a valid
        declaration. Longer text is detected, as feeds often declare wrongly. Detection picks
        among the configured languages; a longer text declared in another one is first checked
        against every language, and keeps its declaration when that agrees: restricted to
        French and English, a German post would read as one of them.
        """
        hints = [self._usable_hint(lang_hint) for _text, lang_hint in texts]
        found = list(hints)
        outside = []
        for index, (text, lang_hint) in enumerate(texts):
            hint = self._outside(lang_hint)
            if hint is not None and is_short(text):
                found[index] = hint
            elif hint is not None:
                outside.append((index, hint))
        if outside:
            confirmed = detect_languages_among([texts[index][0] for index, _ in outside], None)
            for (index, hint), language in zip(outside, confirmed, strict=True):
                if language == hint:
                    found[index] = hint
        detected = [
            index
            for index, (text, _lang_hint) in enumerate(texts)
            if found[index] is None or (hints[index] is not None and not is_short(text))
        ]
        languages = detect_languages_among([texts[index][0] for index in detected], self.languages)
        for index, language in zip(detected, languages, strict=True):
            if language is not None:
                found[index] = language
        return found

    def classify(self, text: str, lang_hint: str | None = None) -> Classification:
        """Return the language, compound sentiment, tone and classifier version of `text`."""
        return _classification(text, self.language_of(text, lang_hint))

    def classify_many(
        self,
        texts: Sequence[tuple[str, str | None]],
        languages: Sequence[str | None] | None = None,
    ) -> list[Classification]:
        """`classify` of each (text, declared language): the same, languages found together.

        ``languages``: theirs, already found by `languages_of`.
        """
        if languages is None:
            languages = self.languages_of(texts)
        return [
            _classification(text, lang)
            for (text, _lang_hint), lang in zip(texts, languages, strict=True)
        ]


def _classification(text: str, lang: str | None) -> Classification:
    score = sentiment_score(text, lang) if text.strip() else 0.0
    return Classification(lang, score, tone_of(score), CLASSIFIER_VERSION)
