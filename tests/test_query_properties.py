"""Properties of the query language on generated queries and documents."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from veille.errors import QueryError
from veille.languages import DETECTABLE_LANGUAGES
from veille.match import (
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    compile_query,
    format_query,
    parse_query,
)
from veille.match.ast import requires_evidence
from veille.normalize.text import fold_case_and_accents

_OPERATOR_WORDS = {"AND", "OR", "NOT", "NEAR"}
_WORD = st.from_regex(r"[a-zA-Z0-9éèêàçôûïÉÇŒœ]{1,8}", fullmatch=True)
_TERM_TEXT = st.one_of(
    _WORD,
    st.tuples(_WORD, st.sampled_from(["-", "'", "’"]), _WORD).map("".join),
).filter(lambda text: text not in _OPERATOR_WORDS)
_PHRASE_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
    # The quotes and dashes a phrase may hold: each quote closes a phrase when bare.
    st.text(st.sampled_from('ab "“”„«»‘’-–—−*\\'), min_size=1, max_size=12),
    # A phrase holds a word as the matcher reads it: "²" alone is a footnote mark, no word.
).filter(lambda text: re.search(r"[^\W_]", fold_case_and_accents(text)) is not None)

_TERMS = st.builds(Term, _TERM_TEXT, st.booleans(), st.booleans())
_PHRASES = st.builds(Phrase, _PHRASE_TEXT, st.booleans())
_LEAVES = st.one_of(_TERMS, _PHRASES)
_NEARS = st.builds(Near, _LEAVES, _LEAVES, st.integers(min_value=0, max_value=50))


def _boolean(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    groups = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(groups.map(And), groups.map(Or), children.map(Not))


_UNSCOPED = st.recursive(st.one_of(_LEAVES, _NEARS), _boolean, max_leaves=6)
_SITES = st.recursive(
    st.builds(Term, st.from_regex(r"[a-z]{2}(\.[a-z]{2,4})?", fullmatch=True)),
    _boolean,
    max_leaves=3,
)
_LANGUAGES = st.recursive(
    st.builds(Term, st.sampled_from(sorted(DETECTABLE_LANGUAGES))),
    _boolean,
    max_leaves=3,
)
_SCOPED = st.one_of(
    st.builds(Field, st.sampled_from(["title", "author"]), _UNSCOPED),
    st.builds(Field, st.just("site"), _SITES),
    st.builds(Field, st.just("lang"), _LANGUAGES),
)
QUERIES = st.recursive(st.one_of(_LEAVES, _NEARS, _SCOPED), _boolean, max_leaves=8).filter(
    requires_evidence
)

_QUERY_PIECES = st.sampled_from(
    [
        "danone", "Évian", "l'oréal", "coca-cola", "AND", "OR", "NOT", "NEAR/3", "NEAR",
        "NEAR/", "(", ")", '"', '\\"', "-", "*", "danon*", "title:", "site:", "lang:",
        "author:", "case:", "foo:", ":", " ", " ", "  ", "\t", "or", "12",
        "“", "”", "„", "«", "»", "’", "‘", "–", "—", "−", "l’oréal",
    ]
)  # fmt: skip
QUERY_LIKE_TEXT = st.one_of(st.text(), st.lists(_QUERY_PIECES, max_size=12).map("".join))


@settings(max_examples=300)
@given(QUERIES)
def test_parse_of_format_is_the_same_tree(tree: Node) -> None:
    assert parse_query(format_query(tree)) == tree


@settings(max_examples=500)
@given(QUERY_LIKE_TEXT)
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    try:
        tree = parse_query(text)
    except QueryError as error:
        assert error.position is None or 0 <= error.position <= len(text)
        return
    assert parse_query(format_query(tree)) == tree
    compile_query(text).match(title=text, text=text)


@given(_TERM_TEXT, st.booleans(), st.booleans(), st.booleans())
def test_a_document_made_of_a_term_is_matched_by_it(
    text: str, case_marker: bool, case_sensitive_query: bool, surrounded: bool
) -> None:
    term = Term(text, case_sensitive=case_marker)
    query = compile_query(format_query(term), case_sensitive=case_sensitive_query)
    document = f"avant {text} après" if surrounded else text
    result = query.match(title=document, text="")
    assert result.matched
    assert result.terms == (text,)


@given(st.lists(_TERM_TEXT, min_size=1, max_size=4), st.booleans())
def test_a_document_containing_a_phrase_is_matched_by_it(words: list[str], exact: bool) -> None:
    phrase = Phrase(" ".join(words), case_sensitive=exact)
    result = compile_query(format_query(phrase)).match(title="début", text=f"« {phrase.text} »")
    assert result.matched
    assert result.terms == (phrase.label(),)


@given(_WORD, st.integers(min_value=1, max_value=4))
def test_a_wildcard_matches_longer_words_and_a_term_does_not(word: str, extra: int) -> None:
    longer = word + "x" * extra
    assert compile_query(word + "*").match(title=longer, text="").matched
    assert not compile_query(word).match(title=longer, text="").matched
