"""The clauses of a sentence, cut at contrast and comparison connectives, for brand-targeted tone.

A comparison is mostly one sentence about two brands: « Orange propose une offre excellente,
mais Bouygues Telecom est décevant », "Acme stumbles while Globex shines". A sentence is cut
before « mais », « alors que », « tandis que », « contrairement à », « à la différence de »,
« en revanche », « par contre », « cependant », « pourtant », « toutefois », « néanmoins »,
"but", "whereas", "while", "whilst", "unlike", "however", and at « ; ». A clause that opens
the sentence with « alors que », « tandis que », "whereas", "while" ends at its first comma
(« Alors que Bouygues déçoit, Orange … »); so does a phrase of « contrairement à », « à la
différence de » or "unlike" wherever it stands (« Orange, contrairement à Bouygues, est … »),
unless a relative pronoun follows the comma (« …, contrairement à Bouygues, qui … »).

`veille.classify.targeted` keeps the clauses naming the brand, and those that name nobody else
(`names_someone`) and go on from a kept one: « …, mais trop cher », "…, but it costs too much"
are still about the brand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CONNECTIVE = re.compile(
    # Subordinating conjunctions: a fronted clause ends at its comma.
    r"(?P<fronted>\b(?:alors|tandis)\s+qu(?:e\b|['’])|\bwhereas\b|\bwhil(?:e|st)\b)"
    # Prepositions of comparison: their phrase ends at its comma wherever it stands.
    r"|(?P<phrase>\bcontrairement\s+(?:à|a|aux?)\b|\bunlike\b"
    r"|\b[àa]\s+la\s+diff[ée]rence\s+d(?:e\b|u\b|es\b|['’]))"
    # Conjunctions and adverbs of contrast, and the semicolon.
    r"|\b(?:mais|cependant|pourtant|toutefois|n[ée]anmoins|but|however)\b"
    r"|\ben\s+revanche\b|\bpar\s+contre\b|;",
    re.IGNORECASE,
)
# What may stand before a fronted clause: opening quotes, brackets, dashes and spaces.
_OPENING = " \t\u00a0\u202f«\"“‘'([-–—"
_COMMA = re.compile(r",\s*")
# After the comma closing « contrairement à Bouygues », these make the phrase go on.
_RELATIVES = _words(
    "qui que qu dont lequel laquelle lesquels lesquelles où which who whom whose that"
)
_WORD = re.compile(r"[^\W\d_]+")
# Short function words that a writer may put in capitals for emphasis ("it IS bad").
_SHOUTED_FUNCTION_WORDS = _words(
    "a an and are as at be but can did do does for has have is it its not of on or so the "
    "this to too was were will with you c ca ce cette de des du elle en est et il ils je la "
    "le les ma mais me mes mon ne ni nous on ou pas que qui sa se ses son sont ta te tes ton "
    "tous tout tu un une vous y"
)


@dataclass(frozen=True, slots=True)
class Clause:
    """A piece of a sentence as written, spaces kept, with the length of its opening connective
    and the index of the clause it goes on from (None for the first, and for the main clause
    after a fronted one).

    A clause goes on from the one before it, except after the comma closing a phrase of
    comparison: « Orange, contrairement à Bouygues, est excellent » goes on from « Orange, ».
    """

    text: str
    connective: int = 0
    resumes: int | None = None

    def body(self) -> str:
        """The clause without its opening connective."""
        return self.text[self.connective :]


def split_clauses(sentence: str) -> list[Clause]:
    """Cut a sentence into clauses before its contrast and comparison connectives."""
    cuts: dict[int, int] = {0: 0}  # where a clause starts → length of its connective
    closings: dict[int, int] = {}  # clause after a phrase's closing comma → the phrase's start
    for found in _CONNECTIVE.finditer(sentence):
        cuts[found.start()] = found.end() - found.start()
        fronted = found.group("fronted") and not sentence[: found.start()].strip(_OPENING)
        if fronted or found.group("phrase"):
            closing = _closing_comma(sentence, found.end())
            if closing is not None:
                cuts.setdefault(closing, 0)
                closings.setdefault(closing, found.start())
    starts = sorted(cuts)
    ends = [*starts[1:], len(sentence)]
    clauses = []
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        resumes: int | None = index - 1 if index else None
        if start in closings:
            phrase = starts.index(closings[start])
            resumes = phrase - 1 if phrase else None
        clauses.append(Clause(sentence[start:end], cuts[start], resumes))
    return clauses


def _closing_comma(sentence: str, start: int) -> int | None:
    """Where the clause after the first comma from `start` begins, unless it is a relative one."""
    comma = _COMMA.search(sentence, start)
    if comma is None or comma.end() == len(sentence):
        return None
    following = _WORD.match(sentence, comma.end())
    if following is not None and following.group().casefold() in _RELATIVES:
        return None
    return comma.end()


def is_headline(sentence: str) -> bool:
    """Whether most words of the sentence are capitalised ("Acme Shares Rise While …").

    In such a sentence a capital says nothing about a word being a name.
    """
    long_words = [word for word in _WORD.findall(sentence) if len(word) >= 4]
    capitalised = sum(1 for word in long_words if word[0].isupper())
    return len(long_words) >= 3 and 2 * capitalised > len(long_words)


def names_someone(text: str) -> bool:
    """Whether `text` holds a name: a capitalised word (« Bouygues », "Globex"), or one in
    capitals that is no word the analyzers know (« SFR », not « NUL », « TROP » or "IS").

    The caller leaves out a sentence's first word, capitalised as such.
    """
    for found in _WORD.finditer(text):
        word = found.group()
        if not word[0].isupper() or len(word) < 2:
            continue  # lower case, or "I"
        if not word.isupper() or _fold(word) not in _known_words():
            return True
    return False


def _fold(word: str) -> str:
    from veille.classify.french_tokens import fold_text

    return fold_text(word)


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Words that both analyzers read, French and English, accent-free and in lower case."""
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE

    from veille.classify import french_words as fw
    from veille.classify.english import english_analyzer
    from veille.classify.french_lexicon import core_words, load_lexicon

    return frozenset().union(
        load_lexicon(),
        core_words(),
        english_analyzer().lexicon,
        BOOSTER_DICT,
        NEGATE,
        _SHOUTED_FUNCTION_WORDS,
        fw.NEGATORS,
        fw.INTENSIFIERS,
        fw.DIMINISHERS,
        fw.CONTRAST_MARKERS,
        fw.SCOPE_TRANSPARENT,
        fw.CLITICS,
    )
