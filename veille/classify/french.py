"""Rule-based French sentiment analyzer in the manner of VADER (Hutto & Gilbert, 2014).

Each sentiment-bearing word gets its lexicon valence, adjusted by the words around it:
intensifiers and diminishers before it, negation (ne … pas / plus / jamais / rien / aucun /
guère, "pas" alone in informal text, "sans", "ni"), contrast ("mais": the clause after it
counts more), capitals, letter elongation and exclamation marks. The sum is normalised into
a compound score in [-1, 1], exactly as VADER does, so the same ±0.05 tone thresholds apply.
"""

from __future__ import annotations

import math
from functools import lru_cache

from veille.classify.french_lexicon import IDIOM_VALENCES, load_lexicon
from veille.classify.french_tokens import (
    Token,
    emoji_valences,
    emoticon_valences,
    split_sentences,
    tokenize,
)

# VADER's empirically derived constants, kept so French and English scores are comparable.
BOOST = 0.293
SHOUT_BOOST = 0.733
NEGATION_FACTOR = -0.74
EXCLAMATION_BOOST = 0.292
MAX_EXCLAMATIONS = 4
NORMALISATION_ALPHA = 15.0
# "peu intéressant" means "not very interesting": a weak negation.
LITTLE_FACTOR = -0.5
# "un peu décevant": the feeling is there, but softened.
SOFTENED_FACTOR = 0.5
CONTRAST_BEFORE = 0.5
CONTRAST_AFTER = 1.5

INTENSIFIERS = frozenset(
    [
        "tres",
        "trop",
        "vraiment",
        "tellement",
        "super",
        "hyper",
        "ultra",
        "extremement",
        "totalement",
        "completement",
        "absolument",
        "vachement",
        "carrement",
        "franchement",
        "particulierement",
        "tant",
        "si",
        "incroyablement",
        "enormement",
        "hautement",
        "archi",
        "mega",
        "grave",
        "plus",
    ]
)
DIMINISHERS = frozenset(
    ["assez", "plutot", "moyennement", "legerement", "relativement", "presque", "quasiment"]
)
NEGATORS = frozenset(
    [
        "pas",
        "jamais",
        "rien",
        "aucun",
        "aucune",
        "aucuns",
        "aucunes",
        "guere",
        "nullement",
        "ni",
        "sans",
    ]
)
# Words that complete a "ne" into a negation when they follow the verb.
POSTVERBAL_NEGATORS = frozenset(
    ["pas", "plus", "jamais", "rien", "guere", "point", "aucun", "aucune"]
)
NE = frozenset({"ne", "n'"})
# After "jamais", these turn the sentence into a superlative: "jamais été aussi satisfait".
COMPARATIVES = frozenset(["aussi", "autant", "si", "tant", "plus"])
# Pronouns that stand before a verb; "j'aime pas" is negated by the "pas" that follows.
CLITICS = frozenset(
    [
        "je",
        "j'",
        "tu",
        "il",
        "elle",
        "on",
        "nous",
        "vous",
        "ils",
        "elles",
        "ca",
        "cela",
        "c'",
        "l'",
        "le",
        "la",
        "les",
        "m'",
        "t'",
        "me",
        "te",
        "lui",
        "leur",
        "y",
        "en",
        "s'",
        "se",
    ]
)
CONTRAST_MARKERS = frozenset(["mais", "cependant", "pourtant", "toutefois", "neanmoins"])
CONTRAST_PAIRS = frozenset({("par", "contre"), ("en", "revanche")})
LOOKBACK = 3
# Idioms indexed by their first word, longest first, so most tokens cost one dict lookup.
_IDIOMS_BY_FIRST_WORD: dict[str, list[tuple[tuple[str, ...], float]]] = {}
for _idiom, _valence in sorted(IDIOM_VALENCES.items(), key=lambda item: -len(item[0])):
    _IDIOMS_BY_FIRST_WORD.setdefault(_idiom[0], []).append((_idiom, _valence))


def normalise(total: float, alpha: float = NORMALISATION_ALPHA) -> float:
    """Map an unbounded valence sum into [-1, 1] like VADER's compound score."""
    score = total / math.sqrt(total * total + alpha)
    return max(-1.0, min(1.0, score))


def _window(sentence: list[Token], index: int) -> list[str]:
    # Words before `index`, nearest first, stopping at a comma or other clause boundary.
    words: list[str] = []
    for token in reversed(sentence[max(0, index - LOOKBACK) : index]):
        if token.kind == "boundary":
            break
        words.append(token.form)
    return words


def _is_negated(sentence: list[Token], index: int) -> bool:
    before = _window(sentence, index)
    after = [token.form for token in sentence[index + 1 : index + 3]]
    for distance, word in enumerate(before):
        if word in NEGATORS:
            # "je n'ai jamais été aussi satisfait" praises: a comparative follows "jamais".
            between = before[:distance]
            return not (word == "jamais" and any(w in COMPARATIVES for w in between))
        if word == "plus" and any(w in NE for w in before[distance + 1 :]):
            return True
    if after and after[0] in POSTVERBAL_NEGATORS:
        if any(w in NE for w in before[:2]):
            return True  # ne aime pas
        return bool(before) and before[0] in CLITICS  # j'aime pas
    return len(after) > 1 and after[1] in POSTVERBAL_NEGATORS and any(w in NE for w in before[:2])


def _modifier_factor(sentence: list[Token], index: int) -> tuple[float, float]:
    """Return (additive boost, multiplicative factor) from the words just before `index`."""
    boost, factor = 0.0, 1.0
    position = index - 1
    while position >= 0 and sentence[position].kind in ("word", "elision"):
        word = sentence[position].form
        if word in INTENSIFIERS:
            boost += BOOST
        elif word in DIMINISHERS:
            boost -= BOOST
        elif word == "peu":
            preceding = sentence[position - 1].form if position > 0 else ""
            factor *= SOFTENED_FACTOR if preceding == "un" else LITTLE_FACTOR
            position -= 1  # "un" of "un peu" is part of the modifier
        else:
            break
        position -= 1
    return boost, factor


def _match_idiom(sentence: list[Token], index: int) -> tuple[float, int] | None:
    for idiom, valence in _IDIOMS_BY_FIRST_WORD.get(sentence[index].form, ()):
        forms = tuple(token.form for token in sentence[index : index + len(idiom)])
        if forms == idiom:
            return valence, len(idiom)
    return None


def _is_modifier_of_next(sentence: list[Token], index: int, lexicon: dict[str, float]) -> bool:
    # "super bien", "trop bien": the intensifier lends its strength instead of its own valence.
    if sentence[index].form not in INTENSIFIERS or index + 1 >= len(sentence):
        return False
    following = sentence[index + 1].form
    return following in lexicon or following in INTENSIFIERS


def _contrast_weights(sentence: list[Token]) -> list[float]:
    forms = [token.form for token in sentence]
    pivot = -1
    for index, form in enumerate(forms):
        pair = (form, forms[index + 1]) if index + 1 < len(forms) else None
        if form in CONTRAST_MARKERS or pair in CONTRAST_PAIRS:
            pivot = index
    if pivot < 0:
        return [1.0] * len(sentence)
    return [
        CONTRAST_BEFORE if i < pivot else CONTRAST_AFTER if i > pivot else 0.0
        for i in range(len(forms))
    ]


def _sentence_valences(sentence: list[Token], lexicon: dict[str, float]) -> list[float]:
    emojis, emoticons = emoji_valences(), emoticon_valences()
    valences = [0.0] * len(sentence)
    skip_until = 0
    for index, token in enumerate(sentence):
        if index < skip_until:
            continue
        if token.kind == "emoji":
            valences[index] = emojis.get(token.form, 0.0)
            continue
        if token.kind == "emoticon":
            valences[index] = emoticons.get(token.form, 0.0)
            continue
        idiom = _match_idiom(sentence, index)
        if idiom is not None:
            valence, length = idiom
            skip_until = index + length
        elif token.kind == "word" and token.form in lexicon:
            if _is_modifier_of_next(sentence, index, lexicon):
                continue
            valence = lexicon[token.form]
        else:
            continue
        sign = 1.0 if valence > 0 else -1.0
        boost, factor = _modifier_factor(sentence, index)
        emphasis = SHOUT_BOOST if token.shouted else BOOST if token.elongated else 0.0
        valence = (valence + sign * (boost + emphasis)) * factor
        if idiom is None and _is_negated(sentence, index):
            valence *= NEGATION_FACTOR
        valences[index] = valence
    weights = _contrast_weights(sentence)
    return [valence * weight for valence, weight in zip(valences, weights, strict=True)]


class FrenchSentimentAnalyzer:
    """Score French text; one instance per process is enough (see `french_analyzer`)."""

    def __init__(self, lexicon: dict[str, float] | None = None) -> None:
        self.lexicon = lexicon if lexicon is not None else load_lexicon()

    def compound(self, text: str) -> float:
        """Return the compound sentiment of `text` in [-1, 1] (0.0 when nothing is rated)."""
        tokens = tokenize(text, self.lexicon)
        total = 0.0
        for sentence in split_sentences(tokens):
            total += sum(_sentence_valences(sentence, self.lexicon))
        if total == 0.0:
            return 0.0
        exclamations = min(text.count("!"), MAX_EXCLAMATIONS)
        total += math.copysign(exclamations * EXCLAMATION_BOOST, total)
        return round(normalise(total), 4)


@lru_cache(maxsize=1)
def french_analyzer() -> FrenchSentimentAnalyzer:
    """Return the process-wide French analyzer, built on first use."""
    return FrenchSentimentAnalyzer()
