"""What ``veille init`` tells of a brand name its default query would read too widely.

The query ``init`` writes is the name as a phrase, case ignored: a name that is a common word
(« Total », « Orange ») also finds every text using the word, and the characters no word is
made of (an emoji, a symbol) are not looked for at all. The query is written all the same: the
user decides, and ``veille query test`` shows what it finds.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from veille.match.literal import has_name_symbols
from veille.match.tokens import query_words

# The words of a name as written: runs of letters and digits.
_WORD = re.compile(r"[^\W_]+")
# Common French and English words, folded, that are also the names of brands or could be.
_COMMON_WORDS_FILE = Path(__file__).resolve().parent / "data" / "common_words.txt"


@cache
def _common_words() -> frozenset[str]:
    """The words of the list, its comments left out."""
    text = _COMMON_WORDS_FILE.read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() for word in line.partition("#")[0].split())


def brand_name_warnings(name: str) -> list[str]:
    """What the name-as-a-phrase query of a brand would find that the user may not expect."""
    query = f'"{name.strip()}"'
    words = [word for word in query_words(name) if any(char.isalnum() for char in word)]
    written = _WORD.findall(unicodedata.normalize("NFC", name))
    warnings: list[str] = []
    if len(words) == 1 and words[0] in _common_words() and not has_name_symbols(name):
        warnings.append(
            f"{name.strip()!r} is also a common word: its query {query} finds « {words[0]} » in "
            f"any text, whatever its case; `case:{written[0]}` finds it only written so, and "
            f"`veille query test '{query}'` shows what a query finds in what is collected"
        )
    unmatched = _unmatched_characters(name)
    if unmatched:
        found = " ".join(words)
        matches = f"« {found} » wherever it is written" if found else "nothing"
        warnings.append(
            f"{name.strip()!r}: {' '.join(unmatched)} can never be matched (only letters, "
            f"digits and the +, # and & of names such as « Canal+ » are looked for): its query "
            f"finds {matches}"
        )
    return warnings


def _unmatched_characters(name: str) -> list[str]:
    """The symbols of a name (emoji, ©, ™…) that matching reads as blanks, in order, once each.

    Punctuation (apostrophes, hyphens, « * ») separates words as it does in texts; the +, # and
    & that end a word (« Canal+ », « AT&T ») are looked for with it.
    """
    unmatched: list[str] = []
    composed = unicodedata.normalize("NFC", name)
    for index, char in enumerate(composed):
        kind = unicodedata.category(char)
        joiner = char in "\u200d\ufe0e\ufe0f" or kind == "Sk"
        if not kind.startswith("S") and not joiner:
            continue
        before = composed[index - 1 : index]
        if char in "+#&" and before.isalnum():
            continue
        if char not in unmatched and not joiner:
            unmatched.append(char)
    return unmatched
