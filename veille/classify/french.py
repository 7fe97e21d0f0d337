"""Rule-based French sentiment analyzer in the manner of VADER (Hutto & Gilbert, 2014).

Each sentiment-bearing word gets its lexicon valence, adjusted by the words around it:

- negation: "ne … pas / plus / jamais / rien / aucun / guère / personne", "pas" alone in
  informal text, "sans", "ni", "à personne" after a verb ("je ne le recommande à personne");
  its scope runs over the next three content words of the clause, across articles and degree
  adverbs ("pas un très bon film"); "jamais … aussi" is a superlative, "plus que" a
  comparison ("je l'aime plus que tout");
- refusal: "plus jamais" opening a sentence ("Plus jamais ça"), and verbs of buying negated
  in a simple tense ("N'achetez pas chez …", "je n'y commanderai plus"), though buying alone
  says nothing;
- prices: a rise of prices or rates is bad news for customers and a fall good news ("Orange
  augmente ses tarifs", "hausse des prix", "les prix baissent");
- intensifiers and diminishers before the word ("très", "trop", "vraiment", "assez",
  "peu", "un peu", "moins");
- contrast: after "mais" / "pourtant" / "par contre" the clause counts more and the one
  before less; a concession ("bien que", "même si", "malgré") counts less;
- emphasis: capitals, elongated letters ("géniaaal"), exclamation marks; emoji and emoticons;
- negative weighting (Taboada et al., "Lexicon-Based Methods for Sentiment Analysis",
  Computational Linguistics 37(2), 2011): negative expressions weigh 1.5 times as much,
  offsetting the positive bias of everyday language (people praise by default, so praise
  words are frequent and say less than complaints).

The sum is normalised into a compound score in [-1, 1] exactly as VADER does, so the same
±0.05 tone thresholds apply.
"""

from __future__ import annotations

import math
from functools import lru_cache

from veille.classify import french_words as fw
from veille.classify.french_lexicon import IDIOM_VALENCES, load_lexicon, refusal_valences
from veille.classify.french_tokens import Emphasis, symbol_valences, tokenize

# VADER's empirically derived constants, kept so French and English scores are comparable.
BOOST = 0.293
SHOUT_BOOST = 0.733
NEGATION_FACTOR = -0.74
NEVER_SO_FACTOR = 1.25
EXCLAMATION_BOOST = 0.292
MAX_EXCLAMATIONS = 4
NORMALISATION_ALPHA = 15.0
CONTRAST_BEFORE = 0.5
CONTRAST_AFTER = 1.5
# Taboada et al. (2011): negative expressions count 50 % more.
NEGATIVE_WEIGHT = 1.5
# "peu intéressant" means "not very interesting": a weak negation.
LITTLE_FACTOR = -0.5
# "un peu décevant": the feeling is there, but softened.
SOFTENED_FACTOR = 0.5
# Content words that a negation reaches (VADER looks three words back).
NEGATION_SCOPE = 3
# « Plus jamais ça » opening a sentence: as strong as « à éviter ».
NEVER_AGAIN_VALENCE = -2.6
# « Orange augmente ses tarifs » (negative), « les prix baissent » (positive).
PRICE_MOVE_VALENCE = 1.5
_PUNCTUATION = frozenset(",;:.!?…")
# Idioms indexed by their first word, longest first, so most tokens cost one dict lookup.
_IDIOMS_BY_FIRST_WORD: dict[str, list[tuple[tuple[str, ...], float]]] = {}
for _idiom, _valence in sorted(IDIOM_VALENCES.items(), key=lambda item: -len(item[0])):
    _IDIOMS_BY_FIRST_WORD.setdefault(_idiom[0], []).append((_idiom, _valence))


def normalise(total: float, alpha: float = NORMALISATION_ALPHA) -> float:
    """Map an unbounded valence sum into [-1, 1] like VADER's compound score."""
    score = total / math.sqrt(total * total + alpha)
    return max(-1.0, min(1.0, score))


def _contrast_pivot(words: list[str]) -> int:
    """Index of the last contrast marker ("mais", "par contre"), or -1."""
    if fw.CONTRAST_WORDS.isdisjoint(words):
        return -1
    for index in range(len(words) - 1, -1, -1):
        word = words[index]
        if word in fw.CONTRAST_MARKERS:
            return index
        if index > 0 and (words[index - 1], word) in fw.CONTRAST_PAIRS:
            return index - 1
    return -1


def _contrast_weight(index: int, pivot: int) -> float:
    """Weight of the word at `index` given the contrast marker at `pivot` (-1: none)."""
    if pivot < 0:
        return 1.0
    if index == pivot:
        return 0.0
    return CONTRAST_BEFORE if index < pivot else CONTRAST_AFTER


def _modifiers(words: list[str], index: int) -> tuple[float, float]:
    """Return (additive boost, multiplicative factor) from the degree words before `index`."""
    boost, factor = 0.0, 1.0
    position = index - 1
    while position >= 0:
        word = words[position]
        if word in fw.INTENSIFIERS:
            boost += BOOST
        elif word in fw.DIMINISHERS:
            boost -= BOOST
        elif word in fw.WEAK_NEGATORS:
            preceding = words[position - 1] if position > 0 else ""
            if preceding == "au":  # "au moins" is "at least", not a degree
                break
            factor *= SOFTENED_FACTOR if preceding == "un" else LITTLE_FACTOR
            position -= 1  # "un" of "un peu" is part of the modifier
        else:
            break
        position -= 1
    return boost, factor


def _negated_by_following(words: list[str], index: int, ne_seen: bool) -> bool:
    """Whether a negation after the word negates it: "je n'aime pas", "j'aime pas",
    "je ne le recommande à personne"."""
    count = len(words)
    following = words[index + 1] if index + 1 < count else ""
    if following in fw.POSTVERBAL_NEGATORS:
        if following == "plus" and index + 2 < count and words[index + 2] in fw.THAN:
            return False
        return ne_seen or (index > 0 and words[index - 1] in fw.CLITICS)
    if following == "a" and _to_nobody(words, index + 1):
        return True
    if not ne_seen or index + 2 >= count:
        return False
    return words[index + 2] in fw.POSTVERBAL_NEGATORS or _to_nobody(words, index + 2)


def _to_nobody(words: list[str], index: int) -> bool:
    """Whether « à personne » ("to nobody") stands at `index`."""
    return words[index] == "a" and index + 1 < len(words) and words[index + 1] == "personne"


def _opens_with_never_again(words: list[str]) -> bool:
    """Whether a sentence opens with « plus jamais » not followed by « de » (« plus jamais de
    panne » is "no more breakdowns")."""
    return tuple(words[:2]) in fw.NEVER_AGAIN and words[2:3] not in (["de"], ["d'"])


def _price_move(words: list[str], index: int) -> float:
    """The valence of a rise or fall word with a price near it (0.0 without one)."""
    start = max(0, index - fw.PRICE_WINDOW)
    near = words[start:index] + words[index + 1 : index + 1 + fw.PRICE_WINDOW]
    if fw.PRICE_NOUNS.isdisjoint(near):
        return 0.0
    return -PRICE_MOVE_VALENCE if words[index] in fw.PRICE_RISES else PRICE_MOVE_VALENCE


def _pas_is_a_noun(words: list[str], index: int) -> bool:
    """Whether "pas" is the noun (a step) after a determiner, maybe with an adjective between."""
    before = words[index - 1] if index > 0 else ""
    if before in fw.PAS_DETERMINERS:
        return True
    return before in fw.PAS_ADJECTIVES and index > 1 and words[index - 2] in fw.PAS_DETERMINERS


class FrenchSentimentAnalyzer:
    """Score French text; one instance per process is enough (see `french_analyzer`)."""

    def __init__(self, lexicon: dict[str, float] | None = None) -> None:
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self.symbols = symbol_valences()
        self.refusals = refusal_valences()
        # Every word a rule of `_sentence` reads for itself: any other word only moves the
        # scope of a negation on (most words of an article).
        self.notable = frozenset().union(
            self.lexicon,
            self.symbols,
            _IDIOMS_BY_FIRST_WORD,
            fw.NE,
            fw.CONCESSIVE_MARKERS,
            (first for first, _second in fw.CONCESSIVE_PAIRS),
            fw.NEGATORS,
            fw.NE_COMPLETERS,
            fw.NEGATING_OPENERS,
            fw.PRICE_RISES,
            fw.PRICE_FALLS,
            self.refusals,
        )

    def compound(self, text: str) -> float:
        """Return the compound sentiment of `text` in [-1, 1] (0.0 when nothing is rated)."""
        tokens, emphasis = tokenize(text, self.lexicon)
        total = 0.0
        start = 0
        for index, token in enumerate(tokens):
            if token[0] in _PUNCTUATION and token.strip(",;:"):
                total += self._sentence(tokens[start : index + 1], emphasis)
                start = index + 1
        if start < len(tokens):
            total += self._sentence(tokens[start:], emphasis)
        if total == 0.0:
            return 0.0
        exclamations = min(text.count("!"), MAX_EXCLAMATIONS)
        total += math.copysign(exclamations * EXCLAMATION_BOOST, total)
        return round(normalise(total), 4)

    def _is_modifier_of_next(self, words: list[str], index: int) -> bool:
        # "super bien", "trop bien": the intensifier lends its strength instead of its own valence.
        if words[index] not in fw.INTENSIFIERS or index + 1 >= len(words):
            return False
        following = words[index + 1]
        return following in self.lexicon or following in fw.INTENSIFIERS

    def _sentence(self, words: list[str], emphasis: Emphasis) -> float:
        """Sum the weighted valences of one sentence (its closing punctuation included)."""
        lexicon, symbols, notable = self.lexicon, self.symbols, self.notable
        count = len(words)
        pivot = _contrast_pivot(words)
        total = 0.0
        scope = 0  # content words still inside the scope of a negation
        ne_seen = concession = superlative = False
        skip_until = 0
        for index, word in enumerate(words):
            if index < skip_until:
                continue
            if word[0] in _PUNCTUATION:
                scope, ne_seen, concession, superlative = 0, False, False, False
                continue
            if word not in notable and index != pivot:
                # As the last branch below, reached by such a word after every test fails.
                if scope and word not in fw.SCOPE_TRANSPARENT and word[-1] != "'":
                    scope -= 1
                continue
            weight = _contrast_weight(index, pivot)
            if word in symbols:
                total += symbols[word] * weight
                continue
            following = words[index + 1] if index + 1 < count else ""
            if index == pivot:
                scope, ne_seen, concession = 0, False, False
                continue
            idiom = self._idiom(words, index) if word in _IDIOMS_BY_FIRST_WORD else None
            price = _price_move(words, index) if word in fw.PRICE_MOVES else 0.0
            if index == 0 and _opens_with_never_again(words):
                valence, negated = NEVER_AGAIN_VALENCE, False
                skip_until = 2
            elif idiom is not None:
                valence, length = idiom
                skip_until = index + length
                # "pas au top" is negated; "pas terrible" carries its own negation.
                negated = scope > 0 and word not in fw.NEGATORS and word not in fw.NE
                if scope:
                    scope -= 1
            elif price:
                valence = price
                negated = scope > 0 or _negated_by_following(words, index, ne_seen)
                if scope:
                    scope -= 1
            elif word in fw.NE:
                ne_seen = True
                continue
            elif word in fw.CONCESSIVE_MARKERS or (word, following) in fw.CONCESSIVE_PAIRS:
                concession = True
                skip_until = index + (1 if word in fw.CONCESSIVE_MARKERS else 2)
                continue
            elif word == "pas" and _pas_is_a_noun(words, index):
                # "un grand pas vers le succès": the noun, not the negation.
                if scope:
                    scope -= 1
                continue
            elif (
                word == "loin"
                and following in fw.ELISIONS_OF_DE
                and words[index + 2 : index + 3] == ["etre"]
            ):
                scope = NEGATION_SCOPE  # "loin d'être parfait": not perfect
                skip_until = index + 2
                continue
            elif word == "personne" and following in fw.NE:
                scope = NEGATION_SCOPE  # "personne n'est satisfait": the subject negates
                continue
            elif word in fw.NEGATORS or (ne_seen and word in fw.NE_COMPLETERS):
                # "jamais été aussi déçu" is a superlative; "jamais plus" is "never again".
                if (
                    word == "jamais"
                    and following != "plus"
                    and not fw.COMPARATIVES.isdisjoint(words[index + 1 : index + 4])
                ):
                    superlative = True
                else:
                    scope = NEGATION_SCOPE
                continue
            elif word in self.refusals:
                # « N'achetez pas chez Lidl »: the negation is the warning; « je n'ai pas
                # acheté » reports, and « je l'achète pas cher » negates « cher ».
                if scope and word not in fw.SCOPE_TRANSPARENT:
                    scope -= 1
                if not self._refused(words, index, ne_seen):
                    continue
                valence, negated = self.refusals[word], False
            elif word in lexicon and not self._is_modifier_of_next(words, index):
                if (word == "bien" and following in fw.BIEN_AS_ADVERB_BEFORE) or (
                    index == 0 and word in fw.DISCOURSE_OPENERS and following[:1] in _PUNCTUATION
                ):
                    continue
                valence = lexicon[word]
                negated = scope > 0 or _negated_by_following(words, index, ne_seen)
                if scope and word not in fw.SCOPE_TRANSPARENT:
                    scope -= 1
            else:
                if scope and word not in fw.SCOPE_TRANSPARENT and word[-1] != "'":
                    scope -= 1
                continue
            if valence == 0.0:
                continue
            sign = 1.0 if valence > 0 else -1.0
            boost, factor = _modifiers(words, index)
            if word in emphasis.shouted:
                boost += SHOUT_BOOST
            elif word in emphasis.elongated:
                boost += BOOST
            valence = (valence + sign * boost) * factor
            if superlative:
                valence *= NEVER_SO_FACTOR
                superlative = False
            elif negated:
                valence *= NEGATION_FACTOR
            if valence < 0:
                valence *= NEGATIVE_WEIGHT
            total += valence * weight * (CONTRAST_BEFORE if concession else 1.0)
        return total

    def _refused(self, words: list[str], index: int, ne_seen: bool) -> bool:
        """Whether a negation after a verb of buying negates it, not the word after itself."""
        if not _negated_by_following(words, index, ne_seen):
            return False
        for negator in (index + 1, index + 2):
            if negator < len(words) and words[negator] in fw.POSTVERBAL_NEGATORS:
                after = words[negator + 1] if negator + 1 < len(words) else ""
                return after not in self.lexicon and self._idiom(words, negator) is None
        return True  # « à personne »

    @staticmethod
    def _idiom(words: list[str], index: int) -> tuple[float, int] | None:
        for idiom, valence in _IDIOMS_BY_FIRST_WORD.get(words[index], ()):
            if tuple(words[index : index + len(idiom)]) == idiom:
                return valence, len(idiom)
        return None


@lru_cache(maxsize=1)
def french_analyzer() -> FrenchSentimentAnalyzer:
    """Return the process-wide French analyzer, built on first use."""
    return FrenchSentimentAnalyzer()
