"""A brand's own name is no opinion: « Super U », « Bonne Maman », « Le Bon Coin » are scored
as names, not as praise.

Before a mention's tone is scored, the terms its brand query matched that name the brand (as
the query writes them: ``"bonne maman"``, ``danon*``; not the context words of an ``AND``, see
``name_labels``) are taken out of the text. They are found as
the matcher finds them: ignoring case and accents, the words of a phrase apart or joined
(« #BonneMaman »), the last word of a wildcard term as a prefix. The language is still read
off the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from veille.match import And, Field, Near, Node, Or, Phrase, Term, positive_terms
from veille.match.literal import accent_blind
from veille.match.tokens import query_words


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str] | None:
    """The pattern finding a matched term's words in a text; None when it has none."""
    wildcard = term.endswith("*") and not term.startswith('"')
    words = query_words(term.strip('"').removesuffix("*"))
    if not words:
        return None
    # Apart, or joined as in a hashtag or a handle (« #BonneMaman », « @SuperU »).
    body = r"[\W_]*".join(accent_blind(word) for word in words)
    tail = r"[^\W_]*" if wildcard else ""
    return re.compile(rf"(?<![^\W_]){body}{tail}(?![^\W_])", re.IGNORECASE)


def without_names(text: str, terms: Iterable[str]) -> str:
    """``text`` with what the matched ``terms`` found in it left out, for scoring its tone."""
    for term in terms:
        pattern = _term_pattern(term)
        if pattern is not None:
            text = pattern.sub(" ", text)
    return text


def name_labels(node: Node) -> frozenset[str]:
    """The labels of the terms of a brand query that name the brand, not its context.

    ``"Danone" OR danone*`` names it twice; in ``case:Orange AND (fibre OR 5G)`` only the first
    operand of the AND does (as ``targeted.sentence_node`` reads it), and in ``danone NEAR/5
    usine`` the left operand: « scandale » or « fibre » are what is said of the brand, the very
    words its tone is made of.
    """
    if isinstance(node, Term | Phrase):
        return frozenset({node.label()})
    if isinstance(node, Or):
        return frozenset().union(*(name_labels(child) for child in node.children))
    if isinstance(node, And):
        for child in node.children:
            if positive_terms(child):
                return name_labels(child)
        return frozenset()
    if isinstance(node, Near):
        return name_labels(node.left)
    if isinstance(node, Field) and node.name == "title":
        return name_labels(node.child)
    return frozenset()  # NOT, and site:, lang:, author: scopes name nothing


def names_found(
    matches: Iterable[tuple[str, Sequence[str]]], names: Mapping[str, frozenset[str]]
) -> list[str]:
    """Of each brand's matched terms (brand, terms), those that name it (``names`` by brand)."""
    found = (term for brand, terms in matches for term in terms if term in names.get(brand, ()))
    return list(dict.fromkeys(found))
