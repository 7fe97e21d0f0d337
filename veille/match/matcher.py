"""Compile a brand query once, then match it against many documents quickly."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable

from veille.match.ast import And, Field, Near, Node, Not, Or, Phrase, Term
from veille.match.elision import elided_parts, written_elided
from veille.match.literal import has_name_symbols, literal_pattern
from veille.match.parser import parse_query
from veille.match.tokens import (
    Index,
    PreparedText,
    normalize_lang,
    prepare,
    query_words,
)
from veille.normalize.domains import ascii_host, whole_site
from veille.types import MatchResult

# Evaluates a node on a document; appends the labels of the terms found when (and only
# when) it returns True, so that terms of failed branches are never reported.
Evaluator = Callable[[PreparedText, list[str]], bool]
# Where a term or phrase occurs in a document: (first word, word after the last) positions,
# sorted by first word.
Occurrences = list[tuple[int, int]]
Locator = Callable[[PreparedText], Occurrences]

_NO_MATCH = MatchResult(matched=False)


def _locator(leaf: Term | Phrase, scope: str, exact: bool) -> Locator:
    """Find a term or phrase as a sequence of words; a wildcard term's last word is a prefix.

    A phrase is also found written as one word, as hashtags, handles and brand names join its
    words: "Air France" in "#AirFrance", "@airfrance" or "AirFrance". The joined word is
    compared whole, never as a prefix. A word is also found written after an elision
    ("loreal" in « L’Oréal »: see ``elision.py``).
    """
    located = _word_locator(leaf, scope, exact)
    if not has_name_symbols(leaf.text):
        return located
    literal = literal_pattern(leaf.text, exact=exact)

    def locate_as_written(prepared: PreparedText) -> Occurrences:
        # « Canal+ »: the words, and somewhere the name as written, its "+" included.
        found = located(prepared)
        if not found:
            return found
        texts = _scope_texts(prepared, scope)
        return found if any(literal.search(text) for text in texts) else []

    return locate_as_written


def _scope_texts(prepared: PreparedText, scope: str) -> tuple[str, ...]:
    """The texts of a document a scope looks in."""
    if scope == "author":
        return (prepared.author,)
    return (prepared.title, prepared.text) if scope == "all" else (prepared.title,)


def _word_locator(leaf: Term | Phrase, scope: str, exact: bool) -> Locator:
    words = query_words(leaf.text, exact=exact)
    prefix = isinstance(leaf, Term) and leaf.wildcard
    if not words:  # refused by the parser; a tree built by hand may still hold one
        return lambda prepared: []

    def positions_of(index: Index, word: str, is_prefix: bool) -> list[int]:
        if not is_prefix:
            return index.get(word, [])
        return sorted(p for key, found in index.items() if key.startswith(word) for p in found)

    if len(words) == 1:
        word = words[0]
        elided = None if exact or prefix else elided_parts(word)
        if elided is not None:
            return _elided_locator(word, *elided, scope)

        def locate_word(prepared: PreparedText) -> Occurrences:
            return [(p, p + 1) for p in positions_of(prepared.index(scope, exact), word, prefix)]

        return locate_word

    last = len(words) - 1
    joined = None if prefix else "".join(words)

    def locate_phrase(prepared: PreparedText) -> Occurrences:
        index = prepared.index(scope, exact)
        together = [(p, p + 1) for p in index.get(joined, ())] if joined else []
        starts = positions_of(index, words[0], False)
        if not starts:
            return together
        following = []
        for offset, word in enumerate(words[1:], start=1):
            found = positions_of(index, word, prefix and offset == last)
            if not found:
                return together
            following.append((offset, set(found)))
        apart = [
            (s, s + len(words))
            for s in starts
            if all(s + offset in found for offset, found in following)
        ]
        return sorted(apart + together) if together else apart

    return locate_phrase


def _elided_locator(word: str, elision: str, rest: str, scope: str) -> Locator:
    """Find a word ("loreal"), and the elision and rest it joins written apart by an apostrophe,
    the rest as a name (« L’Oréal »: see ``elision.py``)."""

    def locate_word_or_elided(prepared: PreparedText) -> Occurrences:
        index = prepared.index(scope, False)
        found = [(p, p + 1) for p in index.get(word, ())]
        after = index.get(rest)  # most texts do not hold the rest: one look-up
        if not after:
            return found
        before = set(index.get(elision, ()))
        apart = [(p - 1, p + 1) for p in after if p - 1 in before]
        if not apart or not written_elided(_scope_texts(prepared, scope), elision, rest):
            return found
        return sorted(found + apart)

    return locate_word_or_elided


def _within(left: Occurrences, right: Occurrences, distance: int) -> bool:
    """Whether a left and a right occurrence, not overlapping, have <= distance words between."""
    right_starts = [start for start, _end in right]
    longest = max(end - start for start, end in right)
    for start, end in left:
        # Right occurrences that end at most `distance` words before this left one starts…
        index = bisect_left(right_starts, start - distance - longest)
        # …up to those that start at most `distance` words after it ends.
        high = end + distance
        while index < len(right) and right_starts[index] <= high:
            other_start, other_end = right[index]
            if start - distance <= other_end <= start or end <= other_start:
                return True
            index += 1
    return False


class _Compiler:
    def __init__(self, case_sensitive: bool) -> None:
        self.case_sensitive = case_sensitive

    def compile(self, node: Node, scope: str = "all") -> Evaluator:
        """An evaluator for a node whose words are looked for in ``scope``."""
        if isinstance(node, Term | Phrase):
            return self.leaf(node, scope)
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Not):
            child = self.compile(node.child, scope)
            return lambda prepared, found: not child(prepared, [])
        if isinstance(node, And):
            return self.conjunction([self.compile(c, scope) for c in node.children])
        if isinstance(node, Or):
            return self.disjunction([self.compile(c, scope) for c in node.children])
        return self.near(node, scope)

    def exact(self, leaf: Term | Phrase) -> bool:
        """Whether a leaf compares words case- and accent-sensitively."""
        return self.case_sensitive or leaf.case_sensitive

    def leaf(self, leaf: Term | Phrase, scope: str) -> Evaluator:
        """An evaluator for a term or phrase."""
        locate = _locator(leaf, scope, self.exact(leaf))
        label = leaf.label()
        # Author names are a filter, not a keyword the document is about.
        record = scope != "author"

        def evaluate(prepared: PreparedText, found: list[str]) -> bool:
            if not locate(prepared):
                return False
            if record:
                found.append(label)
            return True

        return evaluate

    def near(self, node: Near, scope: str) -> Evaluator:
        """An evaluator for two operands close to each other."""
        locate_left = _locator(node.left, scope, self.exact(node.left))
        locate_right = _locator(node.right, scope, self.exact(node.right))
        labels = [node.left.label(), node.right.label()] if scope != "author" else []
        distance = node.distance

        def evaluate(prepared: PreparedText, found: list[str]) -> bool:
            left = locate_left(prepared)
            if not left:
                return False
            right = locate_right(prepared)
            if not right or not _within(left, right, distance):
                return False
            found.extend(labels)
            return True

        return evaluate

    def field(self, node: Field) -> Evaluator:
        """An evaluator for a title:, author:, site: or lang: scope."""
        if node.name in ("title", "author"):
            return self.compile(node.child, node.name)
        return self.code_field(node.child, node.name)

    def code_field(self, node: Node, name: str) -> Evaluator:
        """site: and lang: compare the document's domain or language code with the values."""
        if isinstance(node, Term | Phrase):
            value = node.text.strip().lower()
            if name == "site":
                # A page or section (refused by the parser) is no site to compare.
                written = whole_site(value).rstrip(".")
                # Sites are compared in their ASCII form: « beauté.fr » is xn--beaut-fsa.fr.
                site = (ascii_host(written) or written).removeprefix("www.")
                suffix = "." + site
                return lambda prepared, found: (
                    prepared.site is not None
                    and (prepared.site == site or prepared.site.endswith(suffix))
                )
            lang = normalize_lang(value) or value
            subtag_prefix = lang + "-"
            return lambda prepared, found: (
                prepared.lang is not None
                and (prepared.lang == lang or prepared.lang.startswith(subtag_prefix))
            )
        if isinstance(node, Not):
            child = self.code_field(node.child, name)
            return lambda prepared, found: not child(prepared, found)
        if isinstance(node, And):
            return self.conjunction([self.code_field(c, name) for c in node.children])
        if isinstance(node, Or):
            return self.disjunction([self.code_field(c, name) for c in node.children])
        raise TypeError(f"{type(node).__name__} cannot be used inside {name}:")

    @staticmethod
    def conjunction(children: list[Evaluator]) -> Evaluator:
        """Every child must match; terms of a failed conjunction are dropped."""

        def evaluate(prepared: PreparedText, found: list[str]) -> bool:
            mark = len(found)
            for child in children:
                if not child(prepared, found):
                    del found[mark:]
                    return False
            return True

        return evaluate

    @staticmethod
    def disjunction(children: list[Evaluator]) -> Evaluator:
        """At least one child must match."""

        def evaluate(prepared: PreparedText, found: list[str]) -> bool:
            # Every branch is tried so that every term found is reported.
            matched = False
            for child in children:
                if child(prepared, found):
                    matched = True
            return matched

        return evaluate


class BrandQuery:
    """A parsed and compiled brand query; ``source`` is the query text."""

    __slots__ = ("_evaluate", "case_sensitive", "node", "source")

    def __init__(self, source: str, node: Node, *, case_sensitive: bool = False) -> None:
        self.source = source
        self.node = node
        self.case_sensitive = case_sensitive
        self._evaluate = _Compiler(case_sensitive).compile(node)

    def __repr__(self) -> str:
        return f"BrandQuery({self.source!r}, case_sensitive={self.case_sensitive})"

    def match_prepared(self, prepared: PreparedText) -> MatchResult:
        """Match a prepared document; the terms found are listed in query order, once each."""
        found: list[str] = []
        if not self._evaluate(prepared, found):
            return _NO_MATCH
        return MatchResult(matched=True, terms=tuple(dict.fromkeys(found)))

    def match(
        self,
        *,
        title: str,
        text: str,
        site: str | None = None,
        author: str | None = None,
        lang: str | None = None,
    ) -> MatchResult:
        """Match one document (prepare several queries' documents once with ``prepare``)."""
        prepared = prepare(title=title, text=text, site=site, author=author, lang=lang)
        return self.match_prepared(prepared)


def compile_query(text: str, *, case_sensitive: bool = False) -> BrandQuery:
    """Parse and compile a brand query; ``case_sensitive`` makes every term case-sensitive."""
    return BrandQuery(text, parse_query(text), case_sensitive=case_sensitive)
