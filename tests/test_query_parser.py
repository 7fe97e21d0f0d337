"""Parsing and formatting brand queries."""

from __future__ import annotations

import pytest

from veille.errors import QueryError
from veille.match import And, Field, Near, Not, Or, Phrase, Term, format_query, parse_query
from veille.match.parser import positive_terms


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("danone", Term("danone")),
        ("  Danone  ", Term("Danone")),
        ('"société générale"', Phrase("société générale")),
        (r'"il a dit \"non\""', Phrase('il a dit "non"')),
        ("danone AND evian", And((Term("danone"), Term("evian")))),
        ("danone evian", And((Term("danone"), Term("evian")))),
        ("danone OR evian", Or((Term("danone"), Term("evian")))),
        ("a OR b OR c", Or((Term("a"), Term("b"), Term("c")))),
        ("danone NOT evian", And((Term("danone"), Not(Term("evian"))))),
        ("danone -evian", And((Term("danone"), Not(Term("evian"))))),
        ('danone -"eau minérale"', And((Term("danone"), Not(Phrase("eau minérale"))))),
        ("danone -(a OR b)", And((Term("danone"), Not(Or((Term("a"), Term("b"))))))),
        ("danone AND NOT NOT evian", And((Term("danone"), Not(Not(Term("evian")))))),
        ("coca-cola", Term("coca-cola")),
        ("l'oréal", Term("l'oréal")),
        ("danon*", Term("danon", wildcard=True)),
        ("danone NEAR/5 usine", Near(Term("danone"), Term("usine"), 5)),
        ('"orange bank" NEAR/0 fermeture', Near(Phrase("orange bank"), Term("fermeture"), 0)),
        ("title:danone", Field("title", Term("danone"))),
        ('author:"jean dupont"', Field("author", Phrase("jean dupont"))),
        ("site:lemonde.fr", Field("site", Term("lemonde.fr"))),
        ("danone lang:fr", And((Term("danone"), Field("lang", Term("fr"))))),
        ("title:(danone OR evian)", Field("title", Or((Term("danone"), Term("evian"))))),
        ("case:Orange", Term("Orange", case_sensitive=True)),
        ('case:"Orange Bank"', Phrase("Orange Bank", case_sensitive=True)),
        ("title:case:Orange", Field("title", Term("Orange", case_sensitive=True))),
        ("(danone)", Term("danone")),
        # French quotation marks make a phrase too, the spaces inside them (no-break ones too)
        # left out.
        ("« Société Générale »", Phrase("Société Générale")),
        ("«\u00a0eau minérale\u202f» OR évian", Or((Phrase("eau minérale"), Term("évian")))),
        ("title:«Danone»", Field("title", Phrase("Danone"))),
        # So do the curly quotes a word processor or a phone types, English, German or Swedish,
        # and a straight quote closed by a curly one, as autocorrect leaves it.
        ("“Société Générale”", Phrase("Société Générale")),
        ("„Société Générale“", Phrase("Société Générale")),
        ("”Société Générale”", Phrase("Société Générale")),
        ('"danone rappelle”', Phrase("danone rappelle")),
        ("danone NOT “danone rappelle”", And((Term("danone"), Not(Phrase("danone rappelle"))))),
        ("title:“Danone”", Field("title", Phrase("Danone"))),
        ("danone“eau”", And((Term("danone"), Phrase("eau")))),
        # Single quotes are apostrophes, curly ones too: never phrase quotes.
        ("l’Oréal", Term("l’Oréal")),
        ("‘danone rappelle’", And((Term("‘danone"), Term("rappelle’")))),
        # A dash or a minus sign before a term excludes it as "-" does (autocorrect's en dash);
        # within a word it is part of it.
        ("danone –evian", And((Term("danone"), Not(Term("evian"))))),
        ("danone —evian", And((Term("danone"), Not(Term("evian"))))),
        ("danone −evian", And((Term("danone"), Not(Term("evian"))))),
        ("danone –“eau minérale”", And((Term("danone"), Not(Phrase("eau minérale"))))),
        ("Saint–Martin", Term("Saint–Martin")),
        # Lower-case operators are ordinary words: "or" is French for gold.
        ("danone or evian", And((Term("danone"), Term("or"), Term("evian")))),
        ("and not", And((Term("and"), Term("not")))),
        ("NEARBY", Term("NEARBY")),
    ],
)
def test_parse_constructs(query: str, tree: object) -> None:
    assert parse_query(query) == tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        # NOT binds tighter than NEAR, NEAR tighter than AND, AND tighter than OR.
        (
            "a b OR c",
            Or((And((Term("a"), Term("b"))), Term("c"))),
        ),
        (
            "a OR b AND c",
            Or((Term("a"), And((Term("b"), Term("c"))))),
        ),
        (
            "a NEAR/2 b c",
            And((Near(Term("a"), Term("b"), 2), Term("c"))),
        ),
        (
            "x OR a NEAR/2 b",
            Or((Term("x"), Near(Term("a"), Term("b"), 2))),
        ),
        (
            "NOT a b",
            And((Not(Term("a")), Term("b"))),
        ),
        (
            "(a OR b) (c OR d)",
            And((Or((Term("a"), Term("b"))), Or((Term("c"), Term("d"))))),
        ),
        (
            "a AND (b AND c)",
            And((Term("a"), And((Term("b"), Term("c"))))),
        ),
    ],
)
def test_precedence(query: str, tree: object) -> None:
    assert parse_query(query) == tree


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("(danone", 0, "never closed"),
        ("danone (evian OR (lait)", 7, "never closed"),
        ("danone)", 6, "no matching"),
        ('danone "eau', 7, "unclosed double quote"),
        ("danone « eau", 7, "unclosed « (no »)"),
        ("danone “eau", 7, "unclosed double quote"),
        ("danone „eau", 7, "unclosed double quote"),
        ("“ ”", 0, "a phrase needs letters or digits"),
        ("danone – evian", 7, "'–' has no letters or digits to look for"),
        ("danone eau»", 10, "» without an opening «"),
        ("« »", 0, "a phrase needs letters or digits"),
        ("danone AND", 7, "AND needs an operand after it"),
        ("danone OR", 7, "OR needs an operand after it"),
        ("OR danone", 0, "OR needs an operand before it"),
        ("danone AND OR evian", 7, "AND needs an operand after it"),
        ("danone NOT", 7, "NOT needs an operand after it"),
        ("danone -", 7, "'-' must be directly followed"),
        ("danone - evian", 7, "'-' must be directly followed"),
        ("danone NEAR/3", 7, "NEAR/3 needs an operand after it"),
        ("NEAR/3 danone", 0, "NEAR/3 needs an operand before it"),
        ("danone NEAR usine", 7, "NEAR needs a number"),
        ("danone NEAR/x usine", 7, "NEAR needs a number"),
        ("danone NEAR/1234567 usine", 7, "too large"),
        ("a NEAR/2 b NEAR/2 c", 11, "cannot be chained"),
        ("(a OR b) NEAR/2 c", 0, "NEAR operands"),
        ("a NEAR/2 -b", 9, "NEAR operands"),
        ("title:a NEAR/3 b", 0, "NEAR operands"),
        ("site:(a NEAR/2 b)", 8, "NEAR cannot be used inside site:"),
        ("danone source:x", 7, "unknown field 'source:'"),
        ("Title:danone", 0, "unknown field"),
        ("danone 12:30", 7, "unknown field '12:'"),
        ("danone site:https://www.lemonde.fr/economie", 12, "write site:www.lemonde.fr"),
        ("danone site:http://x.fr/?id=1", 12, "not pages or sections"),
        ("danone site:lemonde.fr/economie", 12, "pages or sections; write site:lemonde.fr"),
        ('danone site:"lemonde.fr/economie"', 12, "write site:lemonde.fr"),
        ("danone site:(x.fr OR beauté.fr/soins)", 21, "write site:beauté.fr"),
        ("danone site:x.fr?id=1", 12, "not pages or sections"),
        ("title: danone", 0, "directly followed"),
        ("title:", 0, "directly followed"),
        ("title:-danone", 0, "must be followed by a term, phrase or group"),
        ("title:author:x", 6, "cannot be used inside title:"),
        ("title:(a OR site:b)", 12, "cannot be used inside title:"),
        ("case:(a OR b)", 0, "case: applies to one term or phrase"),
        ("site:case:x", 5, "compares whole codes"),
        ("lang:f*", 5, "compares whole codes"),
        ("lang:fr", 0, "lang: only narrows a query"),
        ("  danone OR lang:fr", 2, "would keep every document in that language"),
        ("lang:(fr OR en)", 0, "lang: only narrows a query"),
        ("danone lang:zz", 12, "lang:zz: not a language code"),
        ("danone lang:french", 12, "not a language code"),
        ("danone lang:fr-CA", 12, "not their regions; write lang:fr"),
        ("danone lang:(fr OR xx)", 19, "lang:xx: not a language code"),
        ("dan*one", 3, "only allowed at the end"),
        ("*", 0, "no letters or digits"),
        ("danone !!", 7, "no letters or digits"),
        ("danone ʼ", 7, "no letters or digits"),  # an apostrophe, though Unicode says letter
        ('danone ""', 7, "a phrase needs letters or digits"),
        ('"groupe danon*"', 13, "* does not apply inside a phrase"),
        ('"danone *"', 8, "groupe NEAR/0 danon*"),
        ("danone ()", 7, "empty parentheses"),
        ("NOT danone", 0, "only excludes"),
        ("  -danone", 2, "only excludes"),
        ("danone OR NOT evian", 0, "only excludes"),
        ("NOT (a AND b)", 0, "only excludes"),
        ("(" * 100 + "a" + ")" * 100, 64, "nested too deeply"),
    ],
)
def test_errors_name_the_position(query: str, position: int, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(query)
    assert raised.value.position == position
    assert message in str(raised.value)
    assert raised.value.query == query


def test_only_negative_error_explains_why() -> None:
    with pytest.raises(QueryError, match="would match almost every document"):
        parse_query("NOT evian")


@pytest.mark.parametrize(
    "query",
    [
        "NOT NOT danone",
        "NOT (NOT a OR NOT b)",
        "danone NOT evian",
        "site:lemonde.fr",
        "a OR (b -c)",
    ],
)
def test_queries_that_require_something_are_accepted(query: str) -> None:
    parse_query(query)


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("danone evian", "danone AND evian"),
        ("danone -evian", "danone AND NOT evian"),
        ("(a OR b) c", "(a OR b) AND c"),
        ("a OR (b OR c)", "a OR (b OR c)"),
        ("a (b c)", "a AND (b AND c)"),
        ("NOT (a OR b) c", "NOT (a OR b) AND c"),
        ('title:(danone OR "eau minérale")', 'title:(danone OR "eau minérale")'),
        ("title:case:Orange danon*", "title:case:Orange AND danon*"),
        (r'"dit \"non\" \\ ok"', r'"dit \"non\" \\ ok"'),
        ('case:"Orange Bank" NEAR/3 clients', 'case:"Orange Bank" NEAR/3 clients'),
        ("author:(NOT x) y", "author:(NOT x) AND y"),
        ("« Société Générale » danone", '"Société Générale" AND danone'),
        ("“Société Générale” –danone", '"Société Générale" AND NOT danone'),
        # Curly double quotes in a phrase close it when written bare: they are escaped.
        (r'"dit \“non\” ok"', r'"dit \“non\” ok"'),
        # An address copied from the browser is its host.
        ("danone site:https://www.lemonde.fr/", "danone AND site:www.lemonde.fr"),
        ("danone site:lemonde.fr/", "danone AND site:lemonde.fr/"),
        ("danone (site:HTTP://blog.danone.com:8080)", "danone AND site:blog.danone.com"),
        ("site:https://beauté.fr danone", "site:beauté.fr AND danone"),
    ],
)
def test_format_query_is_canonical_and_reparses(query: str, canonical: str) -> None:
    tree = parse_query(query)
    assert format_query(tree) == canonical
    assert parse_query(format_query(tree)) == tree


def test_positive_terms_skip_negations_and_code_scopes() -> None:
    tree = parse_query(
        'danone OR "société générale" -evian title:danon* site:lemonde.fr author:dupont '
        "(orange NEAR/3 banque) lang:fr danone"
    )
    assert positive_terms(tree) == ["danone", '"société générale"', "danon*", "orange", "banque"]


def test_scoped_fields_lists_every_scope_used() -> None:
    from veille.match import scoped_fields

    assert scoped_fields(parse_query("danone")) == frozenset()
    query = "title:danone OR (evian NOT lang:en) OR site:x.fr OR author:(a NEAR/2 b)"
    assert scoped_fields(parse_query(query)) == {"title", "lang", "site", "author"}


@pytest.mark.parametrize(
    ("query", "words", "reads_as"),
    [
        ("orange or free", "or: operators are written in capitals", "orange AND or AND free"),
        ("orange Not recette", "Not: operators", "orange AND Not AND recette"),
        ("orange OU free", "OU: operators are written in English (OR for OU)", None),
        (
            "orange ET (fibre OR 5G) SAUF jus",
            "ET, SAUF: operators are written in English (AND for ET, NOT for SAUF)",
            "orange AND ET AND (fibre OR 5G) AND SAUF AND jus",
        ),
        ('orange ET "Xavier Niel"', "ET: operators", 'orange AND ET AND "Xavier Niel"'),
        ("title:orange OU -jus", "OU: operators", "title:orange AND OU AND NOT jus"),
    ],
)
def test_operators_written_as_words_are_told_with_how_the_query_reads(
    query: str, words: str, reads_as: str | None
) -> None:
    from veille.match.notes import operator_words_note

    note = operator_words_note(query)
    assert note is not None and note.startswith(words)
    assert note.endswith(f"the query reads as: {reads_as or format_query(parse_query(query))}")


@pytest.mark.parametrize(
    "query",
    [
        "orange OR free",
        "orange AND NOT jus NEAR/3 x",
        '"or" orange',  # quoted: the word is meant
        "Orange OU",  # not between two terms: a name ending so (« Radio OU »)
        "OU Orange",
        "case:ET",
        "orange et fibre",  # « et » in lower case is the French word
        "or*",
    ],
)
def test_operators_and_words_not_taken_for_operators_are_not_told(query: str) -> None:
    from veille.match.notes import operator_words_note

    assert operator_words_note(query) is None
