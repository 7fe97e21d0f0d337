"""Tokenising French social-media text for sentiment scoring: accents, elision, emoji, emoticons.

A text becomes a list of plain strings: accent-free lowercase words ("genial"), elided words
with their apostrophe ("n'", "c'", "qu'"), punctuation runs ("!!!", "?", ","), and one
character per emoji. Emoticons (":)", ";-(", "<3") become a private-use character each, so
that they, like emoji, are single tokens rated from one table. Web and e-mail addresses and
@handles are dropped first.

Emoji and emoticon valences come from the vaderSentiment package (MIT, C.J. Hutto), which is
already a run-time dependency: an emoji is rated by the VADER valences of the words of its
English description, an emoticon by VADER's own rating.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

EMOJI_VALENCE_LIMIT = 3.0
# Elided articles, pronouns and conjunctions become tokens of their own ("c'est" → "c'",
# "est"), also when the text was tokenised with a space after the apostrophe ("n' est").
_TOKEN = re.compile(
    r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])'"
    r"|[^\W\d_]+(?:-(?:d')?[^\W\d_]+)*"
    r"|[,;:.!?…]+"
    r"|[^\s\w\x00-\x7f«»“”„‹›–—·•°€£]"  # emoji, emoticon marks and other symbols
)
# Web and e-mail addresses and @handles name places and people: their words ("bravo-succes.fr",
# "@BonheurDuJour") are not the writer's, their dots and colons not ends of sentences.
_ADDRESS = re.compile(
    r"(?:https?://|www\.)\S+"  # web addresses
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|(?<![\w@])@\w+"  # handles, not an "@" inside a word
)
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
# Any character three times in a row: a cheap first test, as letter classes are slow to match.
_TRIPLED = re.compile(r"(.)\1\1", re.DOTALL)
# Words in capitals, such as "NUL" or "GÉNIAL", in a text that is not all capitals.
_CAPITALS_WORD = re.compile(r"(?<![^\W\d_])[A-ZÀ-ÖØ-ÞŒ]{2,}(?![^\W\d_])")
_CAPITAL_PAIR = re.compile(r"[A-ZÀ-ÖØ-ÞŒ]{2}")
# A chunk that may be an emoticon: it holds one of these (":)", ";-(", "=D", "<3", "\o/").
_EMOTICON_HINT = re.compile(r"[:;=]|<3|</3|\\o/|\^[_-]?\^")
# The same test as plain substring searches, which are several times faster on long text.
_EMOTICON_HINT_STRINGS = (":", ";", "=", "<3", "</3", "\\o/", "^^", "^_^", "^-^")
_EMOTICON_MARK_BASE = 0xE000  # private-use area: never in real text, one code point each
# The smiling eyes "^^" of French (and Japanese) chat, which VADER's table lacks.
EMOTICON_RATINGS = {"^^": 1.5, "^_^": 1.5, "^-^": 1.5}
# veille's ratings of frequent emoji whose description has no rated English word ("thumbs
# up", "clapping hands") or a misleading one ("broken heart" is not about a heart, "pensive"
# is not positive), on VADER's scale.
EMOJI_RATINGS = {
    "👍": 1.8, "👏": 2.0, "🙏": 1.2, "💪": 1.5, "💯": 1.8, "🤩": 2.8, "😉": 1.0, "✅": 1.0,
    "🔥": 1.0, "😡": -2.5, "🤬": -3.0, "🤮": -3.0, "😤": -1.8, "🙄": -1.5, "😒": -1.6,
    "💩": -2.0, "👎": -2.0, "❌": -1.0, "💔": -2.0, "😔": -1.5, "🤦": -1.5, "😑": -1.0,
    "🆘": -1.5,
}  # fmt: skip


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char.lower())
        base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if base != char:
            table[code] = base
    table.update({ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae"})
    for apostrophe in "’‘`´ʼ′":
        table[ord(apostrophe)] = "'"
    table[0xFE0F] = None  # emoji presentation selector: "❤️" is rated as "❤"
    return table


_FOLD = _fold_table()


def fold_text(text: str) -> str:
    """Lowercase `text`, drop the diacritics of Latin letters and unify apostrophes."""
    return text.lower().translate(_FOLD)


@dataclass(frozen=True, slots=True)
class Emphasis:
    """Words written for emphasis in a text: in capitals ("NUL") or elongated ("géniaaal")."""

    shouted: frozenset[str]
    elongated: frozenset[str]


NO_EMPHASIS = Emphasis(frozenset(), frozenset())


@lru_cache(maxsize=1)
def emoticon_valences() -> dict[str, float]:
    """Return the ratings of emoticons such as ":)", ":-(", "<3" and "^^" (VADER's, mostly).

    VADER's table also rates English slang and numbers ("gr8", "143", "fed up"); only the
    punctuation faces are kept, since "143" in a French text is a number.
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    lexicon = SentimentIntensityAnalyzer().lexicon
    faces = {
        key: value
        for key, value in lexicon.items()
        if _EMOTICON_HINT.search(key) and not re.search(r"[a-z0-9]{2}", key, re.IGNORECASE)
    }
    return {**faces, **EMOTICON_RATINGS}


@lru_cache(maxsize=1)
def emoji_valences() -> dict[str, float]:
    """Return a valence per emoji, from the VADER valences of its English description."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    valences: dict[str, float] = {}
    for emoji, description in analyzer.emojis.items():
        total = sum(analyzer.lexicon.get(word, 0.0) for word in description.lower().split())
        key = emoji.replace("\ufe0f", "")
        if total and len(key) == 1:
            valences[key] = max(-EMOJI_VALENCE_LIMIT, min(EMOJI_VALENCE_LIMIT, total))
    valences.update(EMOJI_RATINGS)
    return valences


@lru_cache(maxsize=1)
def _emoticon_marks() -> dict[str, str]:
    return {
        emoticon: chr(_EMOTICON_MARK_BASE + index)
        for index, emoticon in enumerate(sorted(emoticon_valences()))
    }


@lru_cache(maxsize=1)
def symbol_valences() -> dict[str, float]:
    """Return the valence of every single-character symbol token: emoji and emoticon marks."""
    valences = dict(emoji_valences())
    emoticons = emoticon_valences()
    for emoticon, mark in _emoticon_marks().items():
        valences[mark] = emoticons[emoticon]
    return valences


def _mark_emoticons(text: str) -> str:
    marks = _emoticon_marks()
    return " ".join(marks.get(chunk, chunk) for chunk in text.split())


def normalise_elongation(form: str, known: dict[str, float]) -> str:
    """Map "géniaaal" / "cooool" to a known word, else squeeze the repeated letters."""
    for replacement in (r"\1", r"\1\1"):
        candidate = _ELONGATION.sub(replacement, form)
        if candidate in known:
            return candidate
    return _ELONGATION.sub(r"\1", form)


def _shouted_words(text: str) -> frozenset[str]:
    if not _CAPITAL_PAIR.search(text) or text.upper() == text:
        return frozenset()
    return frozenset(fold_text(word) for word in _CAPITALS_WORD.findall(text))


def may_hold_emoticon(text: str) -> bool:
    """Whether `_EMOTICON_HINT` matches somewhere in `text`."""
    return any(hint in text for hint in _EMOTICON_HINT_STRINGS)


def tokenize(text: str, lexicon: dict[str, float]) -> tuple[list[str], Emphasis]:
    """Split French text into tokens, and say which words were written for emphasis."""
    if "@" in text or "://" in text or "www." in text:
        text = _ADDRESS.sub(" ", text)
    if may_hold_emoticon(text):
        text = _mark_emoticons(text)
    shouted = _shouted_words(text)
    folded = fold_text(text)
    tokens = _TOKEN.findall(folded)
    elongated: set[str] = set()
    # Elongations are rare: most texts skip the per-word check.
    if _TRIPLED.search(folded) and _ELONGATION.search(folded):
        for index, token in enumerate(tokens):
            if token not in lexicon and _ELONGATION.search(token):
                tokens[index] = normalise_elongation(token, lexicon)
                elongated.add(tokens[index])
    if not shouted and not elongated:
        return tokens, NO_EMPHASIS
    return tokens, Emphasis(shouted, frozenset(elongated))
