"""A cheap test that rules out most documents before their words are indexed.

Most collected items name none of the brands. Indexing an item's words for the matcher costs
more than normalising it; a query that needs a word can only match a text holding that word's
letters. So each query gives the *evidence* it needs: a set of folded words, at least one of
which is a substring of every text the query matches (its title and text folded as the matcher
folds them). A text holding none of any query's evidence is dropped unindexed.

Why a substring is enough: the matcher's words are runs of letters and digits of the folded
text, so each is a substring of it; a hyphenated group is also indexed joined ("coca-cola" as
"cocacola"), which the haystack covers by adding the text without its hyphens; a wildcard's word
is a prefix of an indexed word; a word also found after an elision ("loreal" in « L’Oréal »)
has what follows the elision ("oreal") as evidence; a camel-case hashtag is indexed as
hyphenated words ("#BoycottDanone" as "boycott", "danone" and "boycottdanone"), each a substring
of the folded tag. What cannot be told from words gives no evidence (None), and the document
goes on to the matcher: a NOT (matching by absence), ``site:`` and ``lang:`` (codes, not words),
``author:`` (a field the test does not read), and case-sensitive leaves (compared unfolded).
"""

from __future__ import annotations

from collections.abc import Iterable

from veille.match.ast import And, Field, Near, Node, Not, Phrase, Term
from veille.match.elision import elided_parts
from veille.match.tokens import HYPHENS, query_words
from veille.normalize.text import fold_case_and_accents


def _leaf_evidence(leaf: Term | Phrase) -> frozenset[str] | None:
    if leaf.case_sensitive:
        return None
    words = query_words(leaf.text)
    wildcard = isinstance(leaf, Term) and leaf.wildcard
    elided = elided_parts(words[0]) if len(words) == 1 and not wildcard else None
    if elided is not None:
        # "loreal" is also found in « L’Oréal »: both hold "oreal".
        return frozenset({elided[1]})
    # Every word of a phrase is needed: the longest is the rarest in texts.
    return frozenset({max(words, key=len)}) if words else None


def evidence_words(node: Node, *, case_sensitive: bool = False) -> frozenset[str] | None:
    """Folded words of which every text ``node`` matches holds at least one, or None."""
    if case_sensitive:
        return None
    if isinstance(node, Term | Phrase):
        return _leaf_evidence(node)
    if isinstance(node, Field):
        return evidence_words(node.child) if node.name == "title" else None
    if isinstance(node, Not):
        return None
    if isinstance(node, Near):
        return _narrowest([_leaf_evidence(node.left), _leaf_evidence(node.right)])
    children = [evidence_words(child) for child in node.children]
    if isinstance(node, And):
        return _narrowest(children)
    if any(child is None for child in children):
        return None
    return frozenset().union(*(child for child in children if child is not None))


def _narrowest(options: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """Of several sets each needed, the one fewest texts hold: fewest, then longest words."""
    known = [option for option in options if option is not None]
    if not known:
        return None
    return min(known, key=lambda words: (len(words), -min(map(len, words))))


class EvidenceFilter:
    """Tells, from a text's words alone, whether any of several queries may match it.

    ``needed`` holds one evidence set per query; None in it (a query that needs no word) lets
    every text through.
    """

    __slots__ = ("_words",)

    def __init__(self, needed: Iterable[frozenset[str] | None]) -> None:
        needed = list(needed)
        if not needed or any(words is None for words in needed):
            self._words: frozenset[str] | None = None
        else:
            self._words = frozenset().union(*(words for words in needed if words is not None))

    @property
    def active(self) -> bool:
        """Whether the filter can rule anything out."""
        return self._words is not None

    def may_match(self, title: str, text: str) -> bool:
        """Whether a document's title and text (as matched, unfolded) hold any evidence."""
        if self._words is None:
            return True
        haystack = fold_case_and_accents(f"{title}\n{text}")
        if any(hyphen in haystack for hyphen in HYPHENS):
            joined = haystack
            for hyphen in HYPHENS:
                joined = joined.replace(hyphen, "")
            haystack += "\n" + joined
        return any(word in haystack for word in self._words)
