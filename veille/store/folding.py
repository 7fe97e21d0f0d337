"""Text compared in SQL as veille compares it in Python: case, accents and ligatures aside.

SQLite calls ``fold`` (as ``veille_fold``, installed on every connection). PostgreSQL has no
such function without the ``unaccent`` extension, which a server may not offer: there the
folded needle becomes a regular expression accepting each of its letters however written. The
mapping covers the letters of Latin, Greek and Cyrillic, those of names; a name in another
script is compared in lower case.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, func

SQLITE_FUNCTION = "veille_fold"
# Latin (with its extensions), Greek and Cyrillic: the letters that carry accents in names.
_RANGES = ((0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF))
_SEVERAL_UP_TO = 0x17F


def fold(value: str | None) -> str | None:
    """A text as compared: each letter of ``_RANGES`` as ``fold_case_and_accents`` folds it
    ("É" → "e", "Œ" → "oe"), "’" as "'", the others in lower case."""
    if not isinstance(value, str):
        return value
    if value.isascii():
        return value.lower()
    # Mapped before lower case: "İ".lower() is two characters, "i" and a combining dot.
    return value.translate(_letters()).lower()


@cache
def _letters() -> dict[int, str]:
    """What ``fold`` maps each letter to: the letters whose fold is another, in _RANGES."""
    from veille.normalize.text import fold_case_and_accents

    mapping = {ord("’"): "'"}
    for low, high in _RANGES:
        for code in range(low, high + 1):
            letter = chr(code)
            folded = fold_case_and_accents(letter)
            if folded == letter or not folded:
                continue
            # Letters folding to two: æ, œ, ß, ĳ… (those of Latin-1 and Latin Extended-A).
            if len(folded) == 1 or code <= _SEVERAL_UP_TO:
                mapping[code] = folded
    return mapping


@cache
def _spellings() -> dict[str, list[str]]:
    """Each folded letter (or pair, "oe") and the letters written for it ("é", "É", "œ"…)."""
    spellings: dict[str, set[str]] = {}
    for code, folded in _letters().items():
        spellings.setdefault(folded, set()).add(chr(code))
    return {folded: sorted(letters) for folded, letters in spellings.items()}


def _pattern(needle: str) -> str:
    """A PostgreSQL regular expression finding ``needle`` wherever ``fold`` would find it."""
    import re

    spellings = _spellings()
    folded = fold(needle) or ""
    parts: list[str] = []
    index = 0
    while index < len(folded):
        letter = folded[index]
        written = {letter, letter.upper(), *spellings.get(letter, ())}
        part = "[" + "".join(re.escape(w) for w in sorted(written)) + "]"
        pair = folded[index : index + 2]
        if len(pair) == 2 and pair in spellings:  # "oe" is also "œ"
            second = {pair[1], pair[1].upper(), *spellings.get(pair[1], ())}
            both = part + "[" + "".join(re.escape(w) for w in sorted(second)) + "]"
            parts.append("(?:" + "|".join([both, *map(re.escape, spellings[pair])]) + ")")
            index += 2
            continue
        parts.append(part)
        index += 1
    return "".join(parts)


def contains_folded(connection: Connection, column: Any, needle: str) -> ColumnElement[bool]:
    """``column`` contains ``needle``, both folded as ``fold`` folds them.

    On PostgreSQL, a regular expression accepting every spelling of each letter of the folded
    needle, as fast as ``lower() LIKE`` (folding each row with ``translate()`` was a hundred
    times slower).
    """
    if connection.dialect.name == "sqlite":
        return func.veille_fold(column).contains(fold(needle) or "", autoescape=True)
    if connection.dialect.name == "postgresql":
        return column.regexp_match(_pattern(needle))
    return func.lower(column).contains(needle.lower(), autoescape=True)
