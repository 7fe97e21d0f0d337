"""A name written after an elision: ``loreal`` finds « L’Oréal », as ``l'oréal`` finds « Loréal ».

French elides le, la and de before a vowel or a mute h, and names keep it: « L’Oréal »,
« L’Équipe », « D’Aucy », « d’Artagnan ». People type such names as one word, without the
apostrophe (``loreal``, ``lequipe``). A single-word term whose letters start with l or d, then a
vowel or h, is also found where a text writes that letter, an apostrophe and the rest of the
word, joined exactly equal to the term, the rest written as a name: a capital, then at least
one lower-case letter. The capital tells a name from the common words that read the same way
joined (« d’une » is no ``dune``, « l’une » no ``lune``), the lower-case letter from a text in
capitals (« D’UNE PART »). The other elisions (c’, j’, m’, n’, qu’, s’, t’) come before verbs and
pronouns, not names: « n’est » is never ``nest``, nor « qu’elle » ``quelle``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from veille.match.literal import APOSTROPHES, accent_blind, letter_variants

ELISIONS = ("d", "l")
# What an elision comes before: a vowel or an h (folded: no accents).
_ELIDED_BEFORE = "aeiouyh"


def elided_parts(word: str) -> tuple[str, str] | None:
    """The elision and the rest of a folded word that may be written elided ("loreal" →
    ("l", "oreal")), or None."""
    elision, rest = word[:1], word[1:]
    if elision in ELISIONS and len(rest) >= 2 and rest[0] in _ELIDED_BEFORE and rest.isalpha():
        return elision, rest
    return None


@lru_cache(maxsize=1024)
def elided_pattern(elision: str, rest: str) -> re.Pattern[str]:
    """The pattern finding the word written elided (« L’Oréal » for ("l", "oreal")) in a text:
    the elision in any case, an apostrophe, the rest with a capital first (group ``rest``)."""
    capitals = "".join(sorted({char for char in letter_variants(rest[0]) if char.isupper()}))
    return re.compile(
        rf"(?<![^\W_])(?i:{accent_blind(elision)})[{APOSTROPHES}]"
        rf"(?P<rest>[{re.escape(capitals)}](?i:{accent_blind(rest[1:])}))(?![^\W_])"
    )


def written_as_name(rest: str) -> bool:
    """Whether the rest of an elided word is written as a name: a capital, then some lower
    case (« Oréal », not « ORÉAL » or « oréal »)."""
    return rest[:1].isupper() and any(char.islower() for char in rest[1:])


def written_elided(texts: Iterable[str], elision: str, rest: str) -> bool:
    """Whether any of ``texts`` writes the word elided, its rest as a name (« L’Oréal »)."""
    pattern = elided_pattern(elision, rest)
    for text in texts:
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)  # « Ore\u0301al » is « Oréal »
        if any(written_as_name(found["rest"]) for found in pattern.finditer(text)):
            return True
    return False
