"""Operators written as words: a query that reads them so is valid, but seldom what was meant.

``orange or free`` looks for the three words (« or » is French for gold); ``orange OU free``
too, as the operators are English. Such a query is not refused, as the word may be meant, but
told: with how it reads and how to write the operator.
"""

from __future__ import annotations

import re

from veille.match.lexer import Kind, Token, tokenize_query
from veille.match.parser import format_query, parse_query

# and, or, not and near/5 in lower (or mixed) case are words to the parser.
_OPERATOR_WORD = re.compile(r"and|or|not|near(/\d*)?", re.IGNORECASE)
# The French operators a French writer may type, in capitals, and the operator each stands for.
FRENCH_OPERATORS = {"ET": "AND", "OU": "OR", "SAUF": "NOT"}
# A French operator stands between two operands: after a term, a phrase or a group…
_ENDS_AN_OPERAND = (Kind.WORD, Kind.PHRASE, Kind.RPAREN)
# …and before a term, a phrase, a group, a scope or an exclusion.
_STARTS_AN_OPERAND = (Kind.WORD, Kind.PHRASE, Kind.LPAREN, Kind.FIELD, Kind.NOT)


def _plain_word(token: Token) -> bool:
    return token.kind is Kind.WORD and not token.wildcard


def _lower_case_operators(tokens: list[Token]) -> list[str]:
    return [
        token.value
        for token in tokens
        if _plain_word(token)
        and _OPERATOR_WORD.fullmatch(token.value)
        and token.value.upper() != token.value
    ]


def _french_operators(tokens: list[Token]) -> list[str]:
    return [
        token.value
        for before, token, after in zip(tokens, tokens[1:], tokens[2:], strict=False)
        if _plain_word(token)
        and token.value in FRENCH_OPERATORS
        and before.kind in _ENDS_AN_OPERAND
        and after.kind in _STARTS_AN_OPERAND
    ]


def operator_words_note(query: str) -> str | None:
    """How a query (one that parses) reads when it writes operators as words: and, or, not or
    near/5 in lower case, or ET, OU or SAUF between two terms; None when it writes none."""
    tokens = tokenize_query(query)
    lower = list(dict.fromkeys(_lower_case_operators(tokens)))
    french = list(dict.fromkeys(_french_operators(tokens)))
    if not lower and not french:
        return None
    said = []
    if lower:
        said.append(
            f"{', '.join(lower)}: operators are written in capitals (AND, OR, NOT, NEAR/5); in "
            "lower case they are words"
        )
    if french:
        instead = ", ".join(f"{FRENCH_OPERATORS[word]} for {word}" for word in french)
        said.append(
            f"{', '.join(french)}: operators are written in English ({instead}); in French "
            "they are words"
        )
    # A word in quotes is looked for as it is, and told no more (near/5 is no word to look for).
    words = [word for word in (*lower, *french) if word.isalpha()]
    if words:
        said.append(f'write "{words[0]}" in quotes when the word is meant')
    return f"{'; '.join(said)}, and the query reads as: {format_query(parse_query(query))}"
