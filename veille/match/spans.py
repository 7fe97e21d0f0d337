"""Where a text holds the terms a brand query matched, as the matcher found them.

The digest marks them; the tone leaves a brand's name out (``veille/classify/names.py``). The
terms are the labels of the matched terms (``"air france"``, ``danon*``, ``title:danone``), found
in the original text ignoring case, accents and ligatures, a phrase also written as one word, a
word also written after an elision (« L’Oréal » for ``loreal``), on the matcher's word boundaries
(camel-case hashtags included).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from veille.match.elision import elided_parts, written_as_name
from veille.match.literal import APOSTROPHES
from veille.match.tokens import HYPHENS, tag_word_starts
from veille.normalize.text import fold_word

_FIELD_SCOPE = re.compile(r"^[a-z]+:")
_HYPHEN = f"[{HYPHENS}]?"  # the hyphens the matcher reads words joined across


def term_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """The (start, end) of every occurrence of the terms in ``text``, in order, apart."""
    patterns = [p for p in (_term_pattern(term, n) for n, term in enumerate(terms)) if p]
    if not patterns or not text:
        return []
    folded, origin = _folded(text)
    starts, ends = _word_edges(text)
    pattern = re.compile("|".join(f"(?:{p})" for p in patterns))
    spans, search_from = [], 0
    while (found := pattern.search(folded, search_from)) is not None:
        start, end = origin[found.start()], origin[found.end()]
        # Whole characters only ("o" is not marked inside "œ"), and whole words.
        cut = found.start() > 0 and origin[found.start() - 1] == start
        cut = cut or origin[found.end() - 1] == end
        # A word found written after an elision is a name there (« L’Oréal », not « d’une »).
        elided = [found.end(name) for name, value in found.groupdict().items() if value]
        cut = cut or any(not written_as_name(text[origin[at] : end]) for at in elided)
        if start == end or cut or start not in starts or end not in ends:
            # Inside a word: look again from the next character (a later match may be whole).
            search_from = found.start() + 1
            continue
        spans.append((start, end))
        search_from = found.end()
    return spans


def _folded(text: str) -> tuple[str, Sequence[int]]:
    """The text folded as the matcher folds it (case, accents, ligatures: "Œ" → "oe", "ß" →
    "ss"), and for each folded character the position in ``text`` of the one it comes from
    (plus ``len(text)`` at the end)."""
    if text.isascii():
        return text.lower(), range(len(text) + 1)
    # Each distinct character folded once; most texts fold one character to one.
    forms = {char: fold_word(char) for char in set(text)}
    if all(len(form) == 1 for form in forms.values()):
        table: dict[str, str | int | None] = dict(forms)
        return text.translate(str.maketrans(table)), range(len(text) + 1)
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = forms[char]
        pieces.append(folded)
        origin.extend([index] * len(folded))
    origin.append(len(text))
    return "".join(pieces), origin


def _term_pattern(term: str, number: int) -> str | None:
    term = term.removeprefix("case:")
    if _FIELD_SCOPE.match(term) and not term.startswith(("title:", "author:")):
        return None
    term = _FIELD_SCOPE.sub("", term).strip('"')
    wildcard = term.endswith("*")
    words = [fold_word(word) for word in re.findall(r"\w+", term)]
    if not words:
        return None
    elided = None if wildcard or len(words) != 1 else elided_parts(words[0])
    if elided is not None:
        # Also written after an elision, as the matcher finds it: "loreal" in « L’Oréal ».
        elision, rest = (_HYPHEN.join(re.escape(letter) for letter in part) for part in elided)
        body = f"{elision}(?:(?P<elided{number}>[{APOSTROPHES}])|{_HYPHEN}){rest}"
    elif len(words) == 1:
        # The matcher also reads a hyphenated group joined: "cocacola" is found in "Coca-Cola".
        body = _HYPHEN.join(re.escape(letter) for letter in words[0])
    else:
        # A phrase is also found written as one word ("#AirFrance"), as the matcher finds it.
        body = (r"\W+" if wildcard else r"\W*").join(re.escape(word) for word in words)
    # Word boundaries are checked apart (``_word_edges``): a camel-case hashtag has some
    # inside it ("#BoycottDanone").
    return body + (r"\w*" if wildcard else "")


_WORD_RUN = re.compile(r"\w+")  # letters, digits and "_", as the matcher's words are made of


def _word_edges(text: str) -> tuple[set[int], set[int]]:
    """Where words of ``text`` start and end for the matcher: at every change between word and
    non-word characters, and between the words of a camel-case hashtag or handle."""
    starts, ends = {0}, {len(text)}
    for run in _WORD_RUN.finditer(text):
        starts.add(run.start())
        ends.add(run.end())
    cuts = tag_word_starts(text)
    return starts.union(cuts), ends.union(cuts)
