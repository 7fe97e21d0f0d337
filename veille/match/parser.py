"""Parse brand queries into a syntax tree, and format a tree back into a canonical query.

Grammar, loosest binding first (operators are recognised in upper case only, so the
French word "or" is an ordinary term)::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := near_expr (["AND"] near_expr)*          adjacent operands are ANDed
    near     := unary ["NEAR/n" unary]                   operands: terms or phrases
    unary    := ("NOT" | "-" | "–") unary | primary            a dash (– — −) as "-"
    primary  := word | word* | "phrase" | "(" or_expr ")" | field: primary | case: (word | "phrase")
"""

from __future__ import annotations

import re

from veille.errors import QueryError
from veille.languages import language_code
from veille.match.ast import (
    CODE_FIELDS,
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    positive_terms,
    requires_evidence,
)
from veille.match.lexer import CASE_MARKER, DASHES, Kind, Token, tokenize_query
from veille.normalize.domains import SectionOfSiteError, whole_site

__all__ = ["format_query", "parse_query", "positive_terms"]

# Deeper nesting than this is not a brand query; refusing it keeps recursion bounded.
MAX_DEPTH = 64
_OPERAND_STARTS = (Kind.WORD, Kind.PHRASE, Kind.LPAREN, Kind.NOT, Kind.FIELD)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize_query(query)
        self.index = 0
        self.depth = 0
        self.field: str | None = None  # the scope being parsed, to refuse nested scopes

    def error(self, message: str, position: int | None) -> QueryError:
        """A QueryError about this query at a position."""
        return QueryError(message, query=self.query, position=position)

    def peek(self) -> Token | None:
        """The next token, or None at the end."""
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def advance(self) -> Token:
        """Consume and return the next token."""
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect_operand(self, after: Token) -> None:
        """Refuse an operator with nothing it could apply to after it."""
        following = self.peek()
        if following is None or following.kind not in _OPERAND_STARTS:
            raise self.error(f"{_written(after)} needs an operand after it", after.position)

    def parse(self) -> Node:
        """Parse the whole query; every token must be used."""
        if not self.tokens:
            raise self.error("the query is empty", 0)
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            if token.kind is Kind.RPAREN:
                raise self.error("')' has no matching '('", token.position)
            raise self.error(f"unexpected {token.value!r}", token.position)
        return node

    def or_expr(self) -> Node:
        """or_expr := and_expr (OR and_expr)*"""
        children = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind is Kind.OR:
            self.advance()
            self.expect_operand(token)
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        """and_expr := near_expr ([AND] near_expr)*"""
        token = self.peek()
        if token is not None and token.kind in (Kind.AND, Kind.OR, Kind.NEAR):
            raise self.error(f"{_written(token)} needs an operand before it", token.position)
        children = [self.near_expr()]
        while (token := self.peek()) is not None and token.kind in (Kind.AND, *_OPERAND_STARTS):
            if token.kind is Kind.AND:
                self.advance()
                self.expect_operand(token)
            children.append(self.near_expr())
        return children[0] if len(children) == 1 else And(tuple(children))

    def near_expr(self) -> Node:
        """near := unary [NEAR/n unary], operands being terms or phrases."""
        start = self.peek()
        left = self.unary()
        token = self.peek()
        if token is None or token.kind is not Kind.NEAR:
            return left
        self.advance()
        if self.field in CODE_FIELDS:
            raise self.error(f"NEAR cannot be used inside {self.field}:", token.position)
        self.expect_operand(token)
        right_start = self.peek()
        right = self.unary()
        for operand, operand_token in ((left, start), (right, right_start)):
            if not isinstance(operand, Term | Phrase):
                position = operand_token.position if operand_token else token.position
                raise self.error(
                    "NEAR operands must be single terms or phrases "
                    "(to scope both, write title:(a NEAR/5 b))",
                    position,
                )
        following = self.peek()
        if following is not None and following.kind is Kind.NEAR:
            raise self.error(
                "NEAR cannot be chained; write (a NEAR/5 b) AND (b NEAR/5 c)",
                following.position,
            )
        assert isinstance(left, Term | Phrase) and isinstance(right, Term | Phrase)
        return Near(left, right, int(token.value))

    def unary(self) -> Node:
        """unary := (NOT | -) unary | primary"""
        token = self.peek()
        if token is not None and token.kind is Kind.NOT:
            self.advance()
            self.expect_operand(token)
            with_depth = self.deeper(token)
            try:
                return Not(self.unary())
            finally:
                self.depth = with_depth
        return self.primary()

    def deeper(self, token: Token) -> int:
        """Enter one nesting level, returning the previous depth to restore."""
        if self.depth >= MAX_DEPTH:
            raise self.error("the query is nested too deeply", token.position)
        self.depth += 1
        return self.depth - 1

    def primary(self) -> Node:
        """primary := word | phrase | group | field: primary | case: leaf"""
        token = self.peek()
        if token is None:
            raise self.error("the query ends where a term was expected", len(self.query))
        self.advance()
        if token.kind is Kind.WORD:
            return self.leaf(Term(token.value, wildcard=token.wildcard), token)
        if token.kind is Kind.PHRASE:
            return self.leaf(Phrase(token.value), token)
        if token.kind is Kind.LPAREN:
            return self.group(token)
        if token.kind is Kind.FIELD:
            return self.scoped(token)
        if token.kind is Kind.RPAREN:
            raise self.error("')' has no matching '('", token.position)
        raise self.error(f"{_written(token)} needs an operand before it", token.position)

    def group(self, opening: Token) -> Node:
        """A parenthesised or_expr."""
        following = self.peek()
        if following is not None and following.kind is Kind.RPAREN:
            raise self.error("empty parentheses", opening.position)
        previous_depth = self.deeper(opening)
        node = self.or_expr()
        self.depth = previous_depth
        closing = self.peek()
        if closing is None or closing.kind is not Kind.RPAREN:
            raise self.error("'(' is never closed", opening.position)
        self.advance()
        return node

    def scoped(self, token: Token) -> Node:
        """A field scope or the case: marker and what it applies to."""
        following = self.peek()
        if token.value == CASE_MARKER:
            if following is None or following.kind not in (Kind.WORD, Kind.PHRASE):
                raise self.error("case: applies to one term or phrase", token.position)
            self.advance()
            if following.kind is Kind.WORD:
                leaf: Term | Phrase = Term(following.value, following.wildcard, True)
            else:
                leaf = Phrase(following.value, case_sensitive=True)
            return self.leaf(leaf, token)
        if self.field is not None:
            raise self.error(f"{token.value}: cannot be used inside {self.field}:", token.position)
        if following is None or following.kind not in (
            Kind.WORD,
            Kind.PHRASE,
            Kind.LPAREN,
            Kind.FIELD,
        ):
            raise self.error(
                f"{token.value}: must be followed by a term, phrase or group", token.position
            )
        self.field = token.value
        try:
            child = self.primary()
        finally:
            self.field = None
        return Field(token.value, child)

    def leaf(self, leaf: Term | Phrase, token: Token) -> Term | Phrase:
        """Refuse what site: and lang: cannot compare: wildcards, case, pages of a site, unknown
        languages."""
        if self.field in CODE_FIELDS and (
            leaf.case_sensitive or (isinstance(leaf, Term) and leaf.wildcard)
        ):
            raise self.error(
                f"{self.field}: compares whole codes; * and case: do not apply", token.position
            )
        if self.field == "site":
            # A page or section would silently stand for the whole site: site:lemonde.fr/economie
            # as site:https://www.lemonde.fr/economie is.
            try:
                whole_site(leaf.text)
            except SectionOfSiteError as exc:
                raise self.error(
                    f"site: compares sites, not pages or sections; write site:{exc.host}",
                    token.position,
                ) from None
        if self.field == "lang":
            # An unknown code would silently keep nothing (or, under NOT, everything); so would a
            # region, as languages are detected, not regions.
            code = language_code(leaf.text)
            if code is None:
                raise self.error(
                    f"lang:{leaf.text}: not a language code; write an ISO 639-1 code such as "
                    "fr, en or de",
                    token.position,
                )
            if code != leaf.text.strip().lower():
                raise self.error(
                    f"lang:{leaf.text}: veille tells languages apart, not their regions; "
                    f"write lang:{code}",
                    token.position,
                )
        return leaf


def parse_query(text: str) -> Node:
    """Parse a brand query into its syntax tree, raising QueryError with the position."""
    node = _Parser(text).parse()
    if not requires_evidence(node):
        start = len(text) - len(text.lstrip())
        if requires_evidence(node, by_language=True):
            raise QueryError(
                "lang: only narrows a query: here it can match a document on its language "
                "alone, so it would keep every document in that language; join it with AND, "
                "e.g. 'danone lang:fr' or '(danone OR evian) lang:fr'",
                query=text,
                position=start,
            )
        raise QueryError(
            "the query can match a document that contains none of its terms (it only "
            "excludes things there), so it would match almost every document; "
            "say what must be present, e.g. 'danone NOT evian'",
            query=text,
            position=start,
        )
    return node


def _quote(text: str) -> str:
    # A * in quotes is refused unless escaped: a phrase holding one keeps it escaped.
    escaped = re.sub(r'([\\*"“”])', r"\\\1", text)
    return f'"{escaped}"'


def format_query(node: Node) -> str:
    """Canonical text of a syntax tree; parsing it gives back the same tree."""
    if isinstance(node, Term):
        return ("case:" if node.case_sensitive else "") + node.label()
    if isinstance(node, Phrase):
        return ("case:" if node.case_sensitive else "") + _quote(node.text)
    if isinstance(node, Not):
        child = node.child
        inner = format_query(child)
        return "NOT " + (f"({inner})" if isinstance(child, And | Or | Near) else inner)
    if isinstance(node, Near):
        return f"{format_query(node.left)} NEAR/{node.distance} {format_query(node.right)}"
    if isinstance(node, Field):
        inner = format_query(node.child)
        simple = isinstance(node.child, Term | Phrase)
        return f"{node.name}:" + (inner if simple else f"({inner})")
    if isinstance(node, And):
        parts = (
            f"({format_query(child)})" if isinstance(child, And | Or) else format_query(child)
            for child in node.children
        )
        return " AND ".join(parts)
    parts = (
        f"({format_query(child)})" if isinstance(child, Or) else format_query(child)
        for child in node.children
    )
    return " OR ".join(parts)


def _written(operator: Token) -> str:
    """An operator as the query writes it, for messages (a NEAR token's value is its distance)."""
    if operator.kind is Kind.NEAR:
        return f"NEAR/{operator.value}"
    return f"'{operator.value}'" if operator.value in DASHES else operator.value
