"""Language identification: py3langid for ordinary text, lingua for very short text.

Measured on the lingua test sentences and word pairs (see benchmarks/bench_classify.py),
restricted to 7 European languages: py3langid is the most accurate on sentences and the
fastest, while lingua in high-accuracy mode is clearly better on two-word texts but too slow
for long ones. So texts of fewer than SHORT_TEXT_WORDS words go to lingua when the caller
restricts the languages (lingua's models for all 75 of its languages need about 1 GB of
memory), and everything else goes to py3langid. Both are deterministic.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

SHORT_TEXT_WORDS = 5
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
    # stores ISO 639-1 codes, so only those are offered.
    return frozenset(label for label in _py3langid(None).nb_classes if len(label) == 2)


@lru_cache(maxsize=1)
def _py3langid_full() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


@lru_cache(maxsize=16)
def _py3langid(languages: tuple[str, ...] | None) -> Any:
    # A private identifier per language set: py3langid's module-level one is shared state.
    # The model file is read once; set_languages() rebinds the restricted arrays on the copy
    # and leaves the full model it starts from untouched.
    identifier = _py3langid_full()
    if languages is not None:
        identifier = copy.copy(identifier)
        identifier.set_languages(list(languages))
    return identifier


@lru_cache(maxsize=1)
def _all_iso_639_1() -> tuple[str, ...]:
    return tuple(sorted(_py3langid_labels()))


def _lingua_language(code: str) -> Any:
    from lingua import IsoCode639_1, Language

    return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))


@lru_cache(maxsize=1)
def _lingua_codes() -> frozenset[str]:
    from lingua import Language

    return frozenset(language.iso_code_639_1.name.lower() for language in Language.all())


@lru_cache(maxsize=16)
def _lingua(languages: tuple[str, ...]) -> Any:
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(*map(_lingua_language, languages))
    # Loading every model now costs about a second once; lazy loading would spread that
    # cost over the first short texts of each language instead, in the middle of a run.
    return builder.with_preloaded_language_models().build()


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


def detect_language(text: str, allowed: Sequence[str] | None = None) -> str | None:
    """Return the ISO 639-1 code of the language of `text`, or None when it has no letters."""
    return detect_language_among(text, validate_languages(allowed))


def detect_language_among(text: str, languages: tuple[str, ...] | None) -> str | None:
    """Like `detect_language`, for a restriction already checked by `validate_languages`."""
    if not _HAS_LETTER.search(text):
        return None
    if languages is not None and len(languages) == 1:
        return languages[0]
    if (
        languages is not None
        and word_count(text) < SHORT_TEXT_WORDS
        and all(code in _lingua_codes() for code in languages)
    ):
        found = _lingua(languages).detect_language_of(text)
        if found is not None:
            return str(found.iso_code_639_1.name.lower())
    label, _score = _py3langid(languages or _all_iso_639_1()).classify(text)
    return str(label)
