"""Brand queries: a boolean query language matched on the words of a document.

``compile_query("danone OR \\"société générale\\"").match(title=…, text=…)`` tells whether a
document is kept and which terms made it match. Several queries can share one
``prepare(...)``-d document so that its words are indexed once.
"""

from veille.match.ast import (
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    positive_terms,
    scoped_fields,
)
from veille.match.matcher import BrandQuery, compile_query
from veille.match.parser import format_query, parse_query
from veille.match.tokens import PreparedText, prepare

__all__ = [
    "And",
    "BrandQuery",
    "Field",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "PreparedText",
    "Term",
    "compile_query",
    "format_query",
    "parse_query",
    "positive_terms",
    "prepare",
    "scoped_fields",
]
