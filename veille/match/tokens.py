"""Word tokens of a document, indexed once per document and shared by every brand query."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from veille.normalize.text import fold_case_and_accents

# Positions of the text's words start this far after the title's, so that a phrase or a
# NEAR never spans the end of the title and the start of the text.
TEXT_OFFSET = 1_000_000_000

# The hyphens across which words are also read joined ("coca-cola" as "cocacola").
HYPHENS = "-\u2010\u2011"


def _mark_class_body() -> str:
    """Character-class body of the marks (Unicode category M) of the Basic Multilingual Plane."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x0300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(re.escape(chr(low)) + "-" + re.escape(chr(high)) for low, high in ranges)


# A word is a run of letters and digits; apostrophes and every other character separate
# words. Marks (vowel signs, accents left decomposed) stay inside the word they modify;
# the slower pattern that allows them is only used on texts that contain one.
_ASCII_PATTERNS = {
    False: re.compile(r"[A-Za-z0-9]+"),  # by "group hyphenated words?"
    True: re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"),
}


@cache
def _unicode_patterns() -> tuple[re.Pattern[str], dict[tuple[bool, bool], re.Pattern[str]]]:
    """The pattern finding a mark, and the word patterns by (has a mark?, group hyphenated?).

    Built on first use: listing the marks reads the whole Basic Multilingual Plane, which
    commands that never match a text (most of them) need not pay for at start-up.
    """
    marks = _mark_class_body()
    letter_or_mark = rf"(?:[^\W_]|[{marks}])"
    return re.compile(f"[{marks}]"), {
        (False, False): re.compile(r"[^\W_]+"),
        (False, True): re.compile(rf"[^\W_]+(?:[{HYPHENS}][^\W_]+)*"),
        (True, False): re.compile(rf"{letter_or_mark}+"),
        (True, True): re.compile(rf"{letter_or_mark}+(?:[{HYPHENS}]{letter_or_mark}+)*"),
    }


_HYPHEN_SPLIT = re.compile(f"[{HYPHENS}]")

# A hashtag or handle that joins words ("#BoycottDanone", "@AirFrance", "#COP28") is read as
# those words hyphenated, so that each word is found, and the whole tag too.
_TAG = re.compile(r"(?<![^\W_])[#@]([^\W_]{2,})")


def tag_word_starts(text: str) -> list[int]:
    """Where a word starts inside a camel-case hashtag or handle of ``text``, as offsets into
    ``text``: 8 in "#BoycottDanone", the "D"; ascending."""
    starts: list[int] = []
    if "#" not in text and "@" not in text:
        return starts
    for found in _TAG.finditer(text):
        tag, offset = found.group(1), found.start(1)
        starts += [
            offset + index
            for index in range(1, len(tag))
            if _starts_a_word(tag[index - 1], tag[index], tag[index + 1 : index + 2])
        ]
    return starts


def _starts_a_word(before: str, char: str, after: str) -> bool:
    """Whether a new word of a tag starts at ``char``: "t|D" in "BoycottDanone", "L|Or" in
    "LOreal", between letters and digits ("COP|28")."""
    if char.isdigit() != before.isdigit():
        return True
    return char.isupper() and (before.islower() or (before.isupper() and after.islower()))


def split_tags(text: str) -> str:
    """The text with its camel-case hashtags and handles hyphenated ("#Boycott-Danone")."""
    if "#" not in text and "@" not in text:
        return text
    text = unicodedata.normalize("NFC", text)
    starts = tag_word_starts(text)
    if not starts:
        return text
    ends = [*starts, len(text)]
    return "-".join(text[start:end] for start, end in zip([0, *starts], ends, strict=True))


Index = dict[str, list[int]]


def _comparable(text: str, exact: bool) -> str:
    """The form words are compared in: folded, or (case: terms) exact with composed accents."""
    if exact:
        return text if text.isascii() else unicodedata.normalize("NFC", text)
    return fold_case_and_accents(text)


def _pattern(text: str, hyphenated: bool) -> re.Pattern[str]:
    if text.isascii():
        return _ASCII_PATTERNS[hyphenated]
    any_mark, patterns = _unicode_patterns()
    return patterns[any_mark.search(text) is not None, hyphenated]


def query_words(text: str, *, exact: bool = False) -> list[str]:
    """The words a query term or phrase stands for ("l'Oréal" → ["l", "oreal"])."""
    comparable = _comparable(text, exact)
    return _pattern(comparable, False).findall(comparable)


def index_words(index: Index, text: str, offset: int, *, exact: bool) -> None:
    """Add the words of a text to an index of word → sorted positions, from ``offset`` on."""
    if not text:
        return
    comparable = _comparable(split_tags(text), exact)
    hyphenated = any(hyphen in comparable for hyphen in HYPHENS)
    groups = _pattern(comparable, hyphenated).findall(comparable)
    if hyphenated:
        _index_hyphenated(index, groups, offset)
        return
    get = index.get
    for position, word in enumerate(groups, offset):
        positions = get(word)
        if positions is None:
            index[word] = [position]
        else:
            positions.append(position)


# Joined runs are indexed within this many parts of a compound: a name is a few words long.
MAX_JOINED_PARTS = 6


def _index_hyphenated(index: Index, groups: list[str], offset: int) -> None:
    """Index "coca-cola" as "coca", "cola" and, at the first word's position, "cocacola".

    Every run of consecutive parts is joined too, at its first part's position, so that a
    name written as one word is found inside a longer tag: "totalenergies" in
    "#Boycott-Total-Energies" (as ``split_tags`` reads "#BoycottTotalEnergies").
    """
    position = offset
    for group in groups:
        parts = _HYPHEN_SPLIT.split(group)
        count = len(parts)
        for start, part in enumerate(parts):
            if start == 0 and count > MAX_JOINED_PARTS:
                index.setdefault("".join(parts), []).append(position)  # the whole, always
            for end in range(min(count, start + MAX_JOINED_PARTS), start + 1, -1):
                index.setdefault("".join(parts[start:end]), []).append(position)
            index.setdefault(part, []).append(position)
            position += 1


def _normalize_site(site: str | None) -> str | None:
    if not site:
        return None
    host = site.strip().lower().rstrip(".")
    return host.removeprefix("www.") or None


def normalize_lang(lang: str | None) -> str | None:
    """Lower-case language code with "-" between subtags ("fr_FR" → "fr-fr")."""
    if not lang or not lang.strip():
        return None
    return lang.strip().lower().replace("_", "-")


class PreparedText:
    """A document's fields, with word indexes built on first use and then reused."""

    __slots__ = ("_indexes", "author", "lang", "site", "text", "title")

    def __init__(
        self, title: str, text: str, site: str | None, author: str | None, lang: str | None
    ) -> None:
        self.title = title
        self.text = text
        self.site = _normalize_site(site)
        self.author = author or ""
        self.lang = normalize_lang(lang)
        self._indexes: dict[tuple[str, bool], Index] = {}

    def index(self, scope: str, exact: bool) -> Index:
        """Word → positions for "all" (title + text), "title" or "author", folded or exact."""
        key = (scope, exact)
        index = self._indexes.get(key)
        if index is None:
            index = {}
            if scope == "author":
                index_words(index, self.author, 0, exact=exact)
            else:
                index_words(index, self.title, 0, exact=exact)
                if scope == "all":
                    index_words(index, self.text, TEXT_OFFSET, exact=exact)
            self._indexes[key] = index
        return index


def prepare(
    *,
    title: str,
    text: str,
    site: str | None = None,
    author: str | None = None,
    lang: str | None = None,
) -> PreparedText:
    """Prepare a document once for matching against any number of brand queries."""
    return PreparedText(title, text, site, author, lang)
