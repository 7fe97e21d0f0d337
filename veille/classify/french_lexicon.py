"""French sentiment lexicon: valences on VADER's scale (-4 … +4), keyed by accent-free form.

Sources, merged in this order of precedence:

1. ``data/core_fr_lexicon.tsv``: everyday, review and social-media French written for veille
   from ordinary linguistic knowledge (MIT, like the rest of veille). A valence of 0 there
   removes a frequent descriptive word that the other sources rate ("prix", "premier").
2. ``data/pattern_fr_sentiment.xml``: the French adjective subjectivity lexicon of the
   Pattern library (Tom De Smedt, Walter Daelemans, fabelier.org; CLiPS, University of
   Antwerp), as shipped by textblob-fr 0.2.0. Released under the Open Data Commons Public
   Domain Dedication and License (PDDL). Polarities in [-1, 1] are multiplied by 4. Only
   adjectives that its authors rate at least as subjective as objective are kept: the others
   ("premier", "social", "long") describe rather than judge.
3. ``data/vader_fr_lexicon.txt``: the French translation of the VADER lexicon from the
   vaderSentiment-fr package 1.3.4 (DEPREZ Olivier, EK Thomas; derived from VADER,
   Copyright (c) 2016 C.J. Hutto). MIT License; its full text is in
   ``data/LICENSE-vader-fr.txt``.

Where sources 2 and 3 both rate a word, the two independent ratings are averaged; source 1
overrides both. Lookup is accent-insensitive because tweets often drop accents.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
PATTERN_FILE = DATA_DIR / "pattern_fr_sentiment.xml"
VADER_FR_FILE = DATA_DIR / "vader_fr_lexicon.txt"
CORE_FILE = DATA_DIR / "core_fr_lexicon.tsv"

# Pattern polarities live in [-1, 1]; VADER valences in [-4, 4].
PATTERN_SCALE = 4.0

PATTERN_MIN_SUBJECTIVITY = 0.5

_PATTERN_WORD = re.compile(
    r'<word form="([^"]+)" pos="JJ" polarity="(-?[0-9.]+)" subjectivity="(-?[0-9.]+)"'
)

# Multi-word expressions whose meaning is not the sum of their words (accent-free forms).
# They are matched before single words and replace them.
IDIOM_VALENCES: dict[tuple[str, ...], float] = {
    ("pas", "terrible"): -1.8,
    ("pas", "top"): -1.8,
    ("sans", "plus"): -0.8,
    ("au", "top"): 2.6,
    ("coup", "de", "coeur"): 2.9,
    ("a", "chier"): -3.2,
    ("a", "eviter"): -2.6,
    ("a", "fuir"): -3.0,
    ("n'", "importe", "quoi"): -2.2,
    ("perte", "de", "temps"): -2.7,
    ("prise", "de", "tete"): -1.8,
    ("tant", "mieux"): 1.6,
    ("tant", "pis"): -0.9,
    ("vaut", "le", "coup"): 2.2,
    ("vaut", "le", "detour"): 2.2,
    ("mort", "de", "rire"): 2.0,
    ("du", "grand", "n'", "importe", "quoi"): -2.8,
}


@lru_cache(maxsize=65536)
def fold_accents(word: str) -> str:
    """Lowercase a word and drop its diacritics ("Génial" → "genial", "cœur" → "coeur")."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _read_pattern() -> dict[str, float]:
    text = PATTERN_FILE.read_text(encoding="utf-8")
    return {
        form: float(polarity) * PATTERN_SCALE
        for form, polarity, subjectivity in _PATTERN_WORD.findall(text)
        if float(subjectivity) >= PATTERN_MIN_SUBJECTIVITY
    }


def _read_vader_fr() -> dict[str, float]:
    entries: dict[str, float] = {}
    for line in VADER_FR_FILE.read_text(encoding="utf-8").splitlines():
        word, sep, value = line.rpartition("->")
        if sep and word:
            entries[word] = float(value)
    return entries


def _read_core() -> dict[str, float]:
    entries: dict[str, float] = {}
    for line in CORE_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, valence = line.split("\t")
            entries[fold_accents(word)] = float(valence)
    return entries


def _folded_means(*sources: dict[str, float]) -> dict[str, float]:
    # Accent folding makes homographs collide (pêche / péché); their ratings are averaged,
    # as are the ratings of one word by two independent sources.
    collected: defaultdict[str, list[float]] = defaultdict(list)
    for source in sources:
        per_source: defaultdict[str, list[float]] = defaultdict(list)
        for word, valence in source.items():
            per_source[fold_accents(word)].append(valence)
        for key, values in per_source.items():
            collected[key].append(sum(values) / len(values))
    return {key: sum(values) / len(values) for key, values in collected.items()}


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, float]:
    """Return the merged French lexicon (accent-free word → valence), read once per process."""
    lexicon = _folded_means(_read_pattern(), _read_vader_fr())
    lexicon.update(_read_core())
    # A zero carries no sentiment: it only hides a word from the tokens that get scored.
    return {word: valence for word, valence in lexicon.items() if valence != 0.0}
