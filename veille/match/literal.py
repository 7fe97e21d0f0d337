"""Names whose symbols are part of them: « Canal+ », "C++", "C#", "AT&T".

Words are runs of letters and digits (``tokens.py``), so "Canal+" alone would find every canal.
A term or phrase holding such a symbol after a letter or digit is also looked for as written,
symbols included, ignoring case, accents and the kind of apostrophe as words are (not for
``case:`` terms), somewhere in the scope the words were found in.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from veille.normalize.text import fold_case_and_accents

# Symbols that make a name when they follow a letter or digit: "Canal+", "C#", "AT&T" (a
# leading "#" or "@" is a hashtag or handle, found by its words).
_NAME_SYMBOL = re.compile(r"(?<=[^\W_])[+#&]")
# Apostrophes, typographic or not, are one as everywhere in matching.
APOSTROPHES = "'’ʼ"


def has_name_symbols(text: str) -> bool:
    """Whether a term or phrase holds a symbol that is part of the name it writes."""
    return _NAME_SYMBOL.search(text) is not None


@lru_cache(maxsize=1)
def _letters_by_base() -> dict[str, str]:
    """For each ASCII letter, itself and the Latin letters whose accents fold to it."""
    variants: dict[str, set[str]] = {}
    for code in range(0xC0, 0x250):
        letter = chr(code)
        base = unicodedata.normalize("NFKD", letter.lower())[:1]
        if letter.isalpha() and base.isascii() and base.isalpha() and base != letter.lower():
            variants.setdefault(base, set()).update({letter.lower(), letter.upper()})
    return {base: base + "".join(sorted(found)) for base, found in variants.items()}


def letter_variants(letter: str) -> str:
    """A folded ASCII letter and the Latin letters whose accents fold to it, in both cases."""
    return _letters_by_base().get(letter, letter) + letter.upper()


def accent_blind(word: str) -> str:
    """A pattern for a folded word that also finds it written with accents ("e" → "[eéè…]")."""
    letters = _letters_by_base()
    return "".join(
        f"[{re.escape(letters[char])}]" if char in letters else re.escape(char) for char in word
    )


def _blind(char: str) -> str:
    """The pattern of one character of a name, case, accents and apostrophes aside."""
    if char in APOSTROPHES:
        return f"[{APOSTROPHES}]"
    return accent_blind(fold_case_and_accents(char)) if char.isalpha() else re.escape(char)


@lru_cache(maxsize=1024)
def literal_pattern(text: str, *, exact: bool) -> re.Pattern[str]:
    """The pattern finding ``text`` as written, its symbols included, on word boundaries."""
    pieces = []
    for piece in re.split(r"(\s+)", text.strip()):
        if not piece:
            continue
        if piece.isspace():
            pieces.append(r"\s+")
        elif exact:
            pieces.append(re.escape(piece))
        else:
            pieces.append("".join(_blind(char) for char in piece))
    body = "".join(pieces)
    # Not inside a longer word, nor followed by more of the same symbols ("C++" in "C+++").
    start = r"(?<![^\W_])" if text.strip()[:1].isalnum() else ""
    end = r"(?![^\W_])" if text.strip()[-1:].isalnum() else r"(?![+#&])"
    return re.compile(start + body + end, 0 if exact else re.IGNORECASE)
