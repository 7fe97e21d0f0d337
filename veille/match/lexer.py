"""Split a brand query into tokens, each with its position in the query text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from veille.errors import QueryError
from veille.match.ast import FIELDS
from veille.normalize.text import fold_case_and_accents

CASE_MARKER = "case"
OPERATORS = ("AND", "OR", "NOT")
_NEAR = re.compile(r"NEAR(?:/(?P<distance>\S*))?")
_WORD_CHAR = re.compile(r"[^\W_]")
_MAX_NEAR_DIGITS = 6
# A site: scope written as an address, as copied from a browser's address bar.
_SITE_ADDRESS = re.compile(r"https?://(?P<host>[^\s/()?#:]+)(?::\d*)?(?P<rest>[^\s()]*)", re.I)


class Kind(Enum):
    """What a token is."""

    WORD = "word"
    PHRASE = "phrase"
    LPAREN = "("
    RPAREN = ")"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"  # also the "-" prefix (and a dash: –, —, −)
    NEAR = "NEAR"
    FIELD = "field"  # "title:", …, and the "case:" marker


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its value (text, field name or NEAR distance) and its position."""

    kind: Kind
    value: str
    position: int
    wildcard: bool = False


# French quotation marks mark a phrase as double quotes do: « Société Générale »; so do the
# curly double quotes a word processor or a phone types, “English”, „German“ or ”Swedish”, a
# phrase opened by any of them closing at the first one (an autocorrected "danone rappelle”).
# Single quotes, straight or curly, are apostrophes (l’Oréal), never phrase quotes.
_DOUBLE_QUOTES = '"“”„'
_CLOSING_QUOTES = {**dict.fromkeys(_DOUBLE_QUOTES, '"“”'), "«": "»"}
# Before a term, phrase or group, a hyphen excludes it (-evian), and so does the dash or minus
# sign autocorrect or a copied text puts there (–evian, —evian, −evian).
DASHES = "-‐‑–—−"


def _is_boundary(char: str) -> bool:
    return char.isspace() or char in "()«»" or char in _DOUBLE_QUOTES


def _has_word(text: str) -> bool:
    """Whether a term or phrase holds a word once folded as texts are ("ʼ" alone is none)."""
    return _WORD_CHAR.search(fold_case_and_accents(text)) is not None


def _read_phrase(query: str, start: int) -> tuple[Token, int]:
    """Read a phrase in double quotes (straight or curly) or in « »; a backslash escapes the next
    character."""
    closing = _CLOSING_QUOTES[query[start]]
    chars: list[str] = []
    index = start + 1
    while index < len(query):
        char = query[index]
        if char == "\\" and index + 1 < len(query):
            chars.append(query[index + 1])
            index += 2
            continue
        if char == "*":
            # Ignored inside quotes, a * would silently make "groupe danon*" ask for "danon".
            raise QueryError(
                "* does not apply inside a phrase, which matches its words whole; write the "
                "words without quotes, side by side with NEAR/0 (groupe NEAR/0 danon*)",
                query=query,
                position=index,
            )
        if char in closing:
            # The spaces French typography puts inside « » (often no-break ones) are no part of it.
            text = "".join(chars).strip() if closing == "»" else "".join(chars)
            if not _has_word(text):
                raise QueryError("a phrase needs letters or digits", query=query, position=start)
            return Token(Kind.PHRASE, text, start), index + 1
        chars.append(char)
        index += 1
    what = "« (no »)" if closing == "»" else "double quote"
    raise QueryError(f"unclosed {what}", query=query, position=start)


def _starts_something(query: str, index: int) -> bool:
    """Whether a term, phrase or group can start at ``index`` (what a "-" before it excludes)."""
    return index < len(query) and not query[index].isspace() and query[index] != ")"


def _word_token(query: str, word: str, position: int) -> Token:
    """Classify a bare word: operator, NEAR/n, or a (possibly wildcard) term."""
    if word in OPERATORS:
        return Token(Kind[word], word, position)
    near = _NEAR.fullmatch(word)
    if near:
        distance = near.group("distance")
        if not distance or not distance.isdigit() or not distance.isascii():
            raise QueryError(
                "NEAR needs a number of words, e.g. NEAR/5", query=query, position=position
            )
        if len(distance) > _MAX_NEAR_DIGITS:
            raise QueryError("NEAR distance is too large", query=query, position=position)
        return Token(Kind.NEAR, str(int(distance)), position)
    wildcard = word.endswith("*")
    text = word[:-1] if wildcard else word
    if "*" in text:
        star = position + text.index("*")
        raise QueryError(
            "* is only allowed at the end of a word (danon*)", query=query, position=star
        )
    if not _has_word(text):
        raise QueryError(
            f"{word!r} has no letters or digits to look for", query=query, position=position
        )
    return Token(Kind.WORD, text, position, wildcard=wildcard)


def _site_address(query: str, start: int) -> tuple[Token, int] | None:
    """The host of an address written after ``site:`` (site:https://www.lemonde.fr/)."""
    address = _SITE_ADDRESS.match(query, start)
    if address is None:
        return None
    host = address.group("host")
    if address.group("rest") not in ("", "/"):
        raise QueryError(
            f"site: compares sites, not pages or sections; write site:{host}",
            query=query,
            position=start,
        )
    return Token(Kind.WORD, host, start), address.end()


def tokenize_query(query: str) -> list[Token]:
    """Split a query into tokens, raising QueryError with the position of what is wrong."""
    tokens: list[Token] = []
    index = 0
    length = len(query)
    while index < length:
        char = query[index]
        if char.isspace():
            index += 1
        elif char in "()":
            tokens.append(Token(Kind.LPAREN if char == "(" else Kind.RPAREN, char, index))
            index += 1
        elif char in _CLOSING_QUOTES:
            token, index = _read_phrase(query, index)
            tokens.append(token)
        elif char == "»":
            raise QueryError("» without an opening «", query=query, position=index)
        elif char == "-" or (char in DASHES and _starts_something(query, index + 1)):
            # "-" (or a dash) directly before a term, phrase or group negates it.
            if not _starts_something(query, index + 1):
                raise QueryError(
                    "'-' must be directly followed by what it excludes",
                    query=query,
                    position=index,
                )
            tokens.append(Token(Kind.NOT, char, index))
            index += 1
        else:
            end = index
            while end < length and not _is_boundary(query[end]) and query[end] != ":":
                end += 1
            if end < length and query[end] == ":":
                name = query[index:end]
                if name not in (*FIELDS, CASE_MARKER):
                    known = ", ".join(f"{field}:" for field in (*FIELDS, CASE_MARKER))
                    raise QueryError(
                        f"unknown field {name + ':'!r} (known: {known}); "
                        'quote the text to search for a colon: "12:30"',
                        query=query,
                        position=index,
                    )
                if end + 1 >= length or query[end + 1].isspace() or query[end + 1] == ")":
                    raise QueryError(
                        f"{name}: must be directly followed by a term, phrase or group",
                        query=query,
                        position=index,
                    )
                tokens.append(Token(Kind.FIELD, name, index))
                index = end + 1
                address = _site_address(query, index) if name == "site" else None
                if address is not None:
                    token, index = address
                    tokens.append(token)
                continue
            tokens.append(_word_token(query, query[index:end], index))
            index = end
    return tokens
