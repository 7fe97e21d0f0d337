"""A brand's own name is no opinion: « Super U », « Bonne Maman », « Le Bon Coin » are scored
as names, not as praise.

Before a mention's tone is scored, the terms its brand query matched that name the brand (as
the query writes them: ``"bonne maman"``, ``danon*``; not the context words of an ``AND``, see
``name_labels``) are taken out of the text, found where the digest finds the terms it marks
(``veille/match/spans.py``): as the matcher finds them, case, accents and ligatures aside, a
phrase apart or joined (« #BonneMaman »). The language is still read off the whole text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from veille.match import And, Field, Near, Node, Or, Phrase, Term, positive_terms
from veille.match.spans import term_spans


def without_names(text: str, terms: Sequence[str]) -> str:
    """``text`` with what the matched ``terms`` found in it left out, for scoring its tone."""
    pieces, position = [], 0
    for start, end in term_spans(text, terms):
        pieces.append(text[position:start])
        position = end
    return " ".join([*pieces, text[position:]]) if pieces else text


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
