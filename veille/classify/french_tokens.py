"""Tokenising French social-media text for sentiment scoring: elision, emoji, emoticons.

Emoji and emoticon valences come from the vaderSentiment package (MIT, C.J. Hutto), which is
already a run-time dependency: an emoji is rated by the VADER valences of the words of its
English description, an emoticon by VADER's own rating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from veille.classify.french_lexicon import fold_accents

# Elided articles, pronouns and conjunctions become tokens of their own ("c'est" → "c'", "est"),
# so that the word after the apostrophe is looked up and "n'" is seen as a negation marker.
_TOKEN = re.compile(
    r"(?P<elision>(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])')(?=[^\W\d_])"
    r"|(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*)"
    r"|(?P<boundary>[,;:.!?…]+)"
    r"|(?P<other>[^\s\w])",
    re.IGNORECASE,
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'"})
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
EMOJI_VALENCE_LIMIT = 3.0


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its accent-free lowercase form and the surface cues that add emphasis."""

    form: str
    kind: str  # "word", "elision", "boundary", "emoji", "emoticon", "other"
    shouted: bool = False  # written in capitals inside a text that is not all capitals
    elongated: bool = False  # letters repeated for emphasis ("géniaaal")


@lru_cache(maxsize=1)
def emoticon_valences() -> dict[str, float]:
    """Return VADER's ratings of emoticons such as ":)", ":-(" and "<3"."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    lexicon = SentimentIntensityAnalyzer().lexicon
    return {key: value for key, value in lexicon.items() if not key.isalpha() and key != "-"}


@lru_cache(maxsize=1)
def emoji_valences() -> dict[str, float]:
    """Return a valence per emoji, from the VADER valences of its English description."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    valences: dict[str, float] = {}
    for emoji, description in analyzer.emojis.items():
        total = sum(analyzer.lexicon.get(word, 0.0) for word in description.lower().split())
        if total:
            valences[emoji] = max(-EMOJI_VALENCE_LIMIT, min(EMOJI_VALENCE_LIMIT, total))
    return valences


def normalise_elongation(form: str, known: dict[str, float]) -> tuple[str, bool]:
    """Map "géniaaal" / "cooool" to a known word; return the form and whether it was elongated."""
    if not _ELONGATION.search(form):
        return form, False
    for replacement in (r"\1", r"\1\1"):
        candidate = _ELONGATION.sub(replacement, form)
        if candidate in known:
            return candidate, True
    return _ELONGATION.sub(r"\1", form), True


def tokenize(text: str, lexicon: dict[str, float]) -> list[Token]:
    """Split French text into tokens; emoticons are recognised on whitespace-separated chunks."""
    emoticons = emoticon_valences()
    emojis = emoji_valences()
    text = text.translate(_APOSTROPHES)
    letters = [ch for ch in text if ch.isalpha()]
    all_caps = bool(letters) and all(ch.isupper() for ch in letters)
    tokens: list[Token] = []
    for chunk in text.split():
        if chunk in emoticons and not chunk.isalpha():
            tokens.append(Token(chunk, "emoticon"))
            continue
        for match in _TOKEN.finditer(chunk):
            kind = match.lastgroup or "other"
            surface = match.group()
            if kind == "other":
                if surface in emojis:
                    tokens.append(Token(surface, "emoji"))
                continue
            form = fold_accents(surface)
            elongated = False
            if kind == "word" and form not in lexicon:
                form, elongated = normalise_elongation(form, lexicon)
            shouted = kind == "word" and not all_caps and len(surface) > 1 and surface.isupper()
            tokens.append(Token(form, kind, shouted, elongated))
    return tokens


def split_sentences(tokens: list[Token]) -> list[list[Token]]:
    """Group tokens into sentences at full stops, question and exclamation marks."""
    sentences: list[list[Token]] = [[]]
    for token in tokens:
        sentences[-1].append(token)
        if token.kind == "boundary" and any(mark in token.form for mark in ".!?…"):
            sentences.append([])
    return [sentence for sentence in sentences if sentence]
