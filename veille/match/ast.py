"""The syntax tree of a brand query: small immutable nodes."""

from __future__ import annotations

from dataclasses import dataclass

# Scopes a "name:" prefix can give to the term, phrase or group that follows it.
FIELDS = ("title", "site", "author", "lang")
# Scopes whose values are compared as codes (domain, language), not searched as words.
CODE_FIELDS = ("site", "lang")


@dataclass(frozen=True, slots=True)
class Term:
    """One word (or hyphenated/elided compound); ``wildcard`` means it is a word prefix."""

    text: str
    wildcard: bool = False
    case_sensitive: bool = False

    def label(self) -> str:
        """The term as written in a query, without its case marker."""
        return self.text + ("*" if self.wildcard else "")


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear next to each other, in this order."""

    text: str
    case_sensitive: bool = False

    def label(self) -> str:
        """The phrase as written in a query: in double quotes."""
        return '"' + self.text + '"'


@dataclass(frozen=True, slots=True)
class And:
    """Every child matches."""

    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        if len(self.children) < 2:
            raise ValueError("And needs at least two children")


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        if len(self.children) < 2:
            raise ValueError("Or needs at least two children")


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not match."""

    child: Node


@dataclass(frozen=True, slots=True)
class Near:
    """Both operands occur with at most ``distance`` other words between them, either order."""

    left: Term | Phrase
    right: Term | Phrase
    distance: int


@dataclass(frozen=True, slots=True)
class Field:
    """The child is looked for in one field only (title, site, author, lang)."""

    name: str
    child: Node

    def __post_init__(self) -> None:
        if self.name not in FIELDS:
            raise ValueError(f"unknown field {self.name!r}")


Node = Term | Phrase | And | Or | Not | Near | Field


def positive_terms(node: Node) -> list[str]:
    """Labels of the words and phrases looked for in title and text (not under NOT), in order."""
    labels: list[str] = []

    def visit(current: Node) -> None:
        if isinstance(current, Term | Phrase):
            if current.label() not in labels:
                labels.append(current.label())
        elif isinstance(current, And | Or):
            for child in current.children:
                visit(child)
        elif isinstance(current, Near):
            visit(current.left)
            visit(current.right)
        elif isinstance(current, Field) and current.name == "title":
            visit(current.child)

    visit(node)
    return labels


def requires_evidence(node: Node, *, negated: bool = False, by_language: bool = False) -> bool:
    """Whether every document the node matches must contain something (not just lack things).

    A language is no evidence (``lang:fr`` alone keeps every French document) unless
    ``by_language``: with it, the question is whether only exclusions are left.
    """
    if isinstance(node, Term | Phrase | Near):
        return not negated
    if isinstance(node, Field):
        if node.name == "lang" and not by_language:
            return False
        return requires_evidence(node.child, negated=negated, by_language=by_language)
    if isinstance(node, Not):
        return requires_evidence(node.child, negated=not negated, by_language=by_language)
    # De Morgan: NOT (a AND b) is (NOT a) OR (NOT b), NOT (a OR b) is (NOT a) AND (NOT b).
    conjunctive = isinstance(node, And) != negated
    results = (
        requires_evidence(child, negated=negated, by_language=by_language)
        for child in node.children
    )
    return any(results) if conjunctive else all(results)


def scoped_fields(node: Node) -> frozenset[str]:
    """The field scopes (``title``, ``site``, ``author``, ``lang``) a query uses anywhere."""
    if isinstance(node, Field):
        return frozenset({node.name}) | scoped_fields(node.child)
    if isinstance(node, And | Or):
        return frozenset().union(*(scoped_fields(child) for child in node.children))
    if isinstance(node, Not):
        return scoped_fields(node.child)
    if isinstance(node, Near):
        return scoped_fields(node.left) | scoped_fields(node.right)
    return frozenset()
