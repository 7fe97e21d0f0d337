"""French sentiment lexicon: valences on VADER's scale (-4 … +4), keyed by accent-free form.

Sources, merged in this order of precedence:

1. ``data/core_fr_lexicon.tsv``: everyday, review and social-media French, and the press's
   words of a brand's reputation, written for veille from ordinary linguistic knowledge
   (MIT, like the rest of veille). A valence of 0 there
   removes a frequent word that the other sources rate wrongly for French: a descriptive word
   ("prix", "premier"), or a mistranslation in which accent folding or an English sense took
   over ("mur" is a wall, not "mûr"; "fois" is "time", not "faith"; "cher" is mostly "dear" or
   "expensive").
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
overrides both. The sources often list one form of a word only, so the feminine and plural
forms of adjectives, their -ment adverbs, the present, past-participle, imperfect, future and
conditional forms of -er verbs, and the future and conditional of -ir and -re verbs are
derived by French spelling rules and fill the gaps (`inflections`, `adverb`, `verb_forms`,
`future_forms`). Lookup is accent-insensitive because tweets often drop accents.
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
# Verb forms are derived only from clearly rated infinitives: a weakly rated verb is more
# often a mistranslation than a feeling.
VERB_MIN_VALENCE = 1.0

_PATTERN_WORD = re.compile(
    r'<word form="([^"]+)" pos="JJ" polarity="(-?[0-9.]+)" subjectivity="(-?[0-9.]+)"'
)
_SIMPLE_WORD = re.compile(r"[a-z]{3,}")

# Multi-word expressions whose meaning is not the sum of their words (accent-free forms,
# elisions written with their apostrophe). They are matched before single words and replace
# them; a valence of 0 marks a fixed phrase whose words carry no feeling ("bien sûr").
IDIOM_VALENCES: dict[tuple[str, ...], float] = {
    ("pas", "terrible"): -1.8,
    ("pas", "top"): -1.8,
    ("pas", "ouf"): -1.6,
    ("pas", "fou"): -1.4,
    ("pas", "cher"): 1.2,
    ("pas", "chere"): 1.2,
    ("trop", "cher"): -1.6,
    ("trop", "chere"): -1.6,
    ("trop", "long"): -1.4,
    ("trop", "longue"): -1.4,
    ("trop", "court"): -1.0,
    ("trop", "courte"): -1.0,
    ("trop", "tard"): -1.2,
    ("hors", "de", "prix"): -1.6,
    ("bonne", "nouvelle"): 2.4,
    ("bonnes", "nouvelles"): 2.4,
    ("mauvaise", "nouvelle"): -2.4,
    ("mauvaises", "nouvelles"): -2.4,
    ("sans", "plus"): -0.8,
    ("sans", "doute"): 0.0,
    ("sans", "aucun", "doute"): 0.0,
    ("au", "top"): 2.6,
    ("coup", "de", "coeur"): 2.9,
    ("en", "forme"): 1.4,
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
    ("rien", "a", "redire"): 2.0,
    ("en", "avoir", "marre"): -2.4,
    ("j'", "en", "ai", "marre"): -2.4,
    ("ras", "le", "bol"): -2.4,
    ("merci", "de"): 0.0,  # "merci de me rembourser": a request, not thanks
    ("merci", "d'"): 0.0,
    ("aussi", "bien", "que"): 0.0,
    ("ah", "bon"): 0.0,
    ("bon", "bah"): 0.0,
    ("bon", "ben"): 0.0,
    ("bah", "bon"): 0.0,
    ("bien", "sur"): 0.0,
    ("bien", "entendu"): 0.0,
    ("eh", "bien"): 0.0,
    ("ou", "bien"): 0.0,
    ("si", "bien", "que"): 0.0,
    ("tant", "bien", "que", "mal"): 0.0,
    ("pas", "mal", "de"): 0.0,
    ("bon", "nombre"): 0.0,
    ("bon", "marche"): 1.0,
    ("a", "bientot"): 0.0,
    ("tout", "a", "fait"): 0.0,
    # A service that fails, in customers' words: the verbs are neutral, their negation is not.
    ("pas", "recu"): -1.6,
    ("pas", "recue"): -1.6,
    ("jamais", "recu"): -2.0,
    ("jamais", "recue"): -2.0,
    ("pas", "livre"): -1.6,
    ("pas", "livree"): -1.6,
    ("jamais", "livre"): -2.0,
    ("jamais", "livree"): -2.0,
    ("pas", "arrive"): -1.6,
    ("pas", "arrivee"): -1.6,
    ("jamais", "arrive"): -2.0,
    ("jamais", "arrivee"): -2.0,
    ("pas", "encore", "recu"): -1.2,
    ("pas", "encore", "recue"): -1.2,
    ("pas", "encore", "livre"): -1.2,
    ("pas", "encore", "livree"): -1.2,
    ("pas", "encore", "arrive"): -1.2,
    ("pas", "encore", "arrivee"): -1.2,
    ("rien", "recu"): -1.6,
    ("pas", "de", "reponse"): -1.8,
    ("aucune", "reponse"): -1.8,
    ("sans", "reponse"): -1.6,
    ("pas", "rembourse"): -1.8,
    ("pas", "remboursee"): -1.8,
    ("jamais", "rembourse"): -2.0,
    ("jamais", "remboursee"): -2.0,
    ("pas", "a", "pas"): 0.0,  # step by step
    ("rien", "ne", "va"): -2.0,
    ("rien", "ne", "marche"): -2.0,
    ("rien", "ne", "fonctionne"): -2.0,
    ("marche", "pas"): -1.8,
    ("marche", "plus"): -1.8,
    ("marche", "pas", "mal"): 1.2,
    ("fonctionne", "pas"): -1.8,
    ("fonctionne", "plus"): -1.8,
    ("fonctionne", "pas", "mal"): 1.2,
    ("repond", "pas"): -1.6,
    ("repond", "plus"): -1.6,
    ("repond", "jamais"): -2.0,
    ("personne", "ne", "repond"): -1.6,
    ("personne", "ne", "decroche"): -1.6,
    ("pas", "de", "remboursement"): -1.6,
    ("aucun", "remboursement"): -1.6,
    ("aucune", "nouvelle", "de"): -1.2,  # "aucune nouvelle taxe" is no new tax
    ("attend", "toujours"): -1.0,
    ("attendons", "toujours"): -1.0,
    ("toujours", "en", "attente"): -1.0,
}

# Accent-free: "é", "ée", "és", "ées" of the past participle fold into "e", "ee", "es", "ees".
_VERB_ENDINGS = ["e", "es", "ent", "ons", "ez", "ee", "ees", "ais", "ait", "aient", "ions"]
_VERB_ENDINGS += ["iez", "ant"]
# Future and conditional endings, written after the infinitive of a regular verb.
_FUTURE_ENDINGS = ["ai", "as", "a", "ons", "ez", "ont", "ais", "ait", "ions", "iez", "aient"]
# Verbs of buying: saying nothing alone (« j'achète », « Danone rachète une usine »), they warn
# others off when negated in a simple tense: « N'achetez pas chez Lidl », « je n'y commanderai
# plus jamais », « je ne le rachèterai pas » (see `refusal_valences`).
REFUSED_VERBS = ("acheter", "racheter", "commander")
REFUSAL_VALENCE = -2.0


@lru_cache(maxsize=65536)
def fold_accents(word: str) -> str:
    """Lowercase a word and drop its diacritics ("Génial" → "genial", "cœur" → "coeur")."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def inflections(word: str) -> list[str]:
    """Return the feminine / plural (and, for an -er verb, conjugated) forms of `word`.

    `word` is an accent-free masculine singular or infinitive; the rules are those of French
    spelling ("heureux" → "heureuse", "actif" → "active", "cruel" → "cruelle", "normal" →
    "normaux", "déçu" → "déçue", "déçus", "déçues").
    """
    if not _SIMPLE_WORD.fullmatch(word):
        return []
    forms: list[str] = []
    if word.endswith("eux"):
        forms += [word[:-1] + "se", word[:-1] + "ses"]
    elif word.endswith(("s", "x")):
        forms += [word + "e", word + "es"]
    elif word.endswith("e"):
        forms.append(word + "s")
    elif word.endswith("if"):
        forms += [word[:-1] + "ve", word[:-1] + "ves", word + "s"]
    elif word.endswith(("el", "eil", "ien", "on")) and not word.endswith("ion"):
        forms += [word + word[-1] + "e", word + word[-1] + "es", word + "s"]
    elif word.endswith("al") and len(word) > 3:
        forms += [word + "e", word + "es", word[:-1] + "ux"]
    elif word.endswith("er"):
        forms += [word[:-2] + "ere", word[:-2] + "eres", word + "s"]
    elif word.endswith("eau"):
        forms += [word + "x"]
    else:
        forms += [word + "e", word + "s", word + "es"]
    return forms


def adverb(adjective: str) -> str | None:
    """Return the -ment adverb of an adjective form ("heureuse" → "heureusement"), or None.

    Built from the feminine (or invariable) form in -e, and "-ant" / "-ent" → "-amment" /
    "-emment" ("brillant" → "brillamment").
    """
    if len(adjective) < 5 or not _SIMPLE_WORD.fullmatch(adjective):
        return None
    if adjective.endswith("e"):
        return adjective + "ment"
    if adjective.endswith(("ant", "ent")):
        return adjective[:-2] + "mment"
    return None


def _derived_forms(word: str) -> list[str]:
    forms = inflections(word)
    adverbs = [adverb(form) for form in [word, *forms]]
    return forms + [form for form in adverbs if form is not None]


def verb_forms(infinitive: str) -> list[str]:
    """Return the indicative present, imperfect, future, past-participle and conditional forms
    of an -er verb ("recommander" → "recommande", "recommandait", "recommanderais")."""
    if len(infinitive) < 5 or not infinitive.endswith("er"):
        return []
    if not _SIMPLE_WORD.fullmatch(infinitive):
        return []
    stem = infinitive[:-2]
    return [stem + ending for ending in _VERB_ENDINGS] + future_forms(infinitive)


def future_forms(infinitive: str) -> list[str]:
    """Return the future and conditional forms of a regular verb in -er, -ir or -re: its
    infinitive, without the final e of -re, and the endings ("réussir" → "réussira",
    "plaire" → "plairait")."""
    if len(infinitive) < 4 or not infinitive.endswith(("er", "ir", "re")):
        return []
    if not _SIMPLE_WORD.fullmatch(infinitive):
        return []
    base = infinitive[:-1] if infinitive.endswith("re") else infinitive
    return [base + ending for ending in _FUTURE_ENDINGS]


def _is_verb_in_ir_or_re(word: str, lexicon: dict[str, float]) -> bool:
    """Whether an -ir or -re word is taken for a verb: the lexicon also has its present in -t
    ("réussir" with "réussit", "plaire" with "plaît", "détruire" with "détruit")."""
    if word.endswith("ir"):
        return word[:-2] + "it" in lexicon
    return word.endswith("re") and word[:-2] + "t" in lexicon


def refusal_valences() -> dict[str, float]:
    """The forms of `REFUSED_VERBS`, each with the valence of its negation."""
    return {form: REFUSAL_VALENCE for verb in REFUSED_VERBS for form in [verb, *verb_forms(verb)]}


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


def _with_inflections(lexicon: dict[str, float]) -> dict[str, float]:
    # Derived forms only fill gaps: a form that any source rates keeps its own rating, and a
    # form derived from two words (rare) takes the first in alphabetical order.
    derived: dict[str, float] = {}
    for word in sorted(lexicon):
        valence = lexicon[word]
        if valence == 0.0:
            continue
        forms = _derived_forms(word)
        # An -er word is taken for a verb only when the lexicon also has one of its
        # conjugated forms: "aimer" (with "aime") is a verb, "enfer" is not ("enfant"!).
        if abs(valence) >= VERB_MIN_VALENCE and word[:-2] + "e" in lexicon:
            forms += verb_forms(word)
        elif abs(valence) >= VERB_MIN_VALENCE and _is_verb_in_ir_or_re(word, lexicon):
            forms += future_forms(word)
        for form in forms:
            if form not in lexicon:
                derived.setdefault(form, valence)
    return {**derived, **lexicon}


@lru_cache(maxsize=1)
def core_words() -> frozenset[str]:
    """Every word of ``core_fr_lexicon.tsv``, rated or neutral: frequent words of French."""
    return frozenset(_read_core())


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, float]:
    """Return the merged French lexicon (accent-free word → valence), read once per process."""
    lexicon = _folded_means(_read_pattern(), _read_vader_fr())
    core = _read_core()
    lexicon.update(core)
    # A word marked neutral is neutral in all its forms ("cher" and "chère", "jouer" and "joue").
    for word, valence in core.items():
        if valence == 0.0:
            for form in _derived_forms(word) + verb_forms(word) + future_forms(word):
                if form not in core:
                    lexicon[form] = 0.0
    lexicon = _with_inflections(lexicon)
    # A zero carries no sentiment: it only hides a word from the tokens that get scored.
    return {word: valence for word, valence in lexicon.items() if valence != 0.0}
