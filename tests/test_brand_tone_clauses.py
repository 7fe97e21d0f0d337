"""Brand-targeted tone of comparisons: one sentence about two brands is cut into clauses."""

from __future__ import annotations

import pytest

from veille.classify import sentiment_score, tone_of
from veille.classify.clauses import is_headline, names_someone, split_clauses
from veille.classify.targeted import BrandSentences
from veille.match import compile_query


def kept(query: str, text: str, title: str = "") -> list[str]:
    """What the brand's tone is scored on."""
    brand_query = compile_query(query)
    match = brand_query.match(title=title, text=text)
    assert match.matched
    return BrandSentences(brand_query).sentences(title=title, text=text, matched_terms=match.terms)


def brand_tone(query: str, text: str, lang: str, title: str = "") -> str:
    brand_query = compile_query(query)
    match = brand_query.match(title=title, text=text)
    score = BrandSentences(brand_query).sentiment(
        title=title,
        text=text,
        lang=lang,
        document_sentiment=sentiment_score(f"{title}\n{text}", lang),
        matched_terms=match.terms,
    )
    return tone_of(score)


# Clauses


def test_clauses_start_at_contrast_and_comparison_connectives() -> None:
    sentence = "Orange est bon, mais Bouygues déçoit ; alors qu'SFR, lui, rassure."
    clauses = split_clauses(sentence)
    assert [clause.text for clause in clauses] == [
        "Orange est bon, ",
        "mais Bouygues déçoit ",
        "; ",
        "alors qu'SFR, lui, rassure.",
    ]
    assert [clause.body() for clause in clauses][1:] == [
        " Bouygues déçoit ",
        " ",
        "SFR, lui, rassure.",
    ]
    english = "Acme won, but Globex lost, whereas Initech, however, hesitated."
    assert [clause.text for clause in split_clauses(english)] == [
        "Acme won, ",
        "but Globex lost, ",
        "whereas Initech, ",
        "however, hesitated.",
    ]


def test_a_fronted_clause_and_a_comparison_phrase_end_at_their_comma() -> None:
    assert [c.text for c in split_clauses("Alors que Bouygues déçoit, Orange rassure.")] == [
        "Alors que Bouygues déçoit, ",
        "Orange rassure.",
    ]
    assert [c.text for c in split_clauses("« While Globex lags, Acme leads »")] == [
        "« ",
        "While Globex lags, ",
        "Acme leads »",
    ]
    assert [c.text for c in split_clauses("Orange, contrairement à Bouygues, rassure.")] == [
        "Orange, ",
        "contrairement à Bouygues, ",
        "rassure.",
    ]
    assert [c.text for c in split_clauses("Unlike Globex, Acme leads.")] == [
        "Unlike Globex, ",
        "Acme leads.",
    ]
    # A relative clause after the comma is still about the compared brand.
    assert [
        c.text for c in split_clauses("Orange rassure, contrairement à Bouygues, qui déçoit.")
    ] == [
        "Orange rassure, ",
        "contrairement à Bouygues, qui déçoit.",
    ]
    # In the middle of a sentence, « alors que » runs to its end.
    assert [c.text for c in split_clauses("Orange rassure, alors que Bouygues, lui, déçoit.")] == [
        "Orange rassure, ",
        "alors que Bouygues, lui, déçoit.",
    ]


def test_names_are_capitalised_words_or_unknown_words_in_capitals() -> None:
    assert names_someone(" Bouygues Telecom est nul")
    assert names_someone(" SFR est nul")
    assert not names_someone(" trop cher")
    assert not names_someone(" elle est TROP CHÈRE, NUL")
    assert not names_someone(" IS it worth it? I doubt it")
    assert is_headline("Acme Shares Rise While Globex Stumbles")
    assert not is_headline("Acme shares rise while Globex stumbles")


# What the brand's tone is scored on


@pytest.mark.parametrize(
    ("text", "orange", "bouygues"),
    [
        (
            "Orange propose une offre 5G excellente, mais Bouygues Telecom est catastrophique "
            "et décevant.",
            "positive",
            "negative",
        ),
        (
            "Bouygues Telecom est catastrophique et décevant, alors qu'Orange propose une offre "
            "5G excellente.",
            "positive",
            "negative",
        ),
        (
            "Bouygues Telecom est catastrophique, tandis qu'Orange propose une offre excellente.",
            "positive",
            "negative",
        ),
        (
            "Contrairement à Bouygues Telecom, Orange propose une offre excellente.",
            "positive",
            "neutral",
        ),
        ("Orange, contrairement à Bouygues Telecom, est excellent.", "positive", "neutral"),
        (
            "Orange est excellent ; Bouygues Telecom, en revanche, est décevant.",
            "positive",
            "negative",
        ),
    ],
)
def test_french_comparisons_give_each_brand_its_own_tone(
    text: str, orange: str, bouygues: str
) -> None:
    assert brand_tone("orange", text, "fr") == orange
    assert brand_tone('"bouygues telecom"', text, "fr") == bouygues


@pytest.mark.parametrize(
    ("text", "globex", "acme"),
    [
        (
            "Globex delivered a wonderful quarter, but Acme was a terrible failure.",
            "positive",
            "negative",
        ),
        (
            "Acme was a terrible failure, whereas Globex delivered a wonderful quarter.",
            "positive",
            "negative",
        ),
        (
            "Acme was a terrible failure while Globex delivered a wonderful quarter.",
            "positive",
            "negative",
        ),
        ("Unlike Acme, Globex delivered a wonderful quarter.", "positive", "neutral"),
        ("Globex is wonderful; Acme, however, is a terrible failure.", "positive", "negative"),
    ],
)
def test_english_comparisons_give_each_brand_its_own_tone(
    text: str, globex: str, acme: str
) -> None:
    assert brand_tone("globex", text, "en") == globex
    assert brand_tone("acme", text, "en") == acme


def test_the_title_and_the_text_of_a_comparison() -> None:
    title = "Orange : nouvelle offre 5G excellente"
    text = (
        "Orange propose une offre 5G excellente, mais Bouygues Telecom est catastrophique et "
        "décevant."
    )
    assert brand_tone("orange", text, "fr", title=title) == "positive"
    assert kept("orange", text, title) == [title, "Orange propose une offre 5G excellente,"]


def test_a_clause_naming_nobody_else_goes_on_about_the_brand() -> None:
    # « mais trop chère » says more of Orange: the contrast stays whole.
    for text in (
        "Orange propose une offre excellente, mais trop chère.",
        "Orange propose une offre excellente, mais elle est TROP CHÈRE.",
        "Orange, en revanche, est excellent.",
        "Acme is great, but IS it worth the price?",
    ):
        assert kept("orange OR acme", text) == [text]
    assert (
        brand_tone("orange", "Orange propose une offre excellente, mais hors de prix.", "fr")
        == "negative"
    )
    # A clause before the brand's first one is about something else; its connective goes with it.
    assert kept("orange", "Bouygues déçoit, alors qu'Orange, lui, rassure.") == [
        "Orange, lui, rassure."
    ]
    assert kept("orange", "Orange rassure, mais SFR déçoit.") == ["Orange rassure,"]


def test_after_a_phrase_of_comparison_the_sentence_goes_on_from_before_it() -> None:
    text = "Orange, contrairement à Bouygues, est excellent."
    assert kept("orange", text) == ["Orange, est excellent."]
    assert kept("bouygues", text) == ["Bouygues,"]  # what it contrasted is left out
    # After a fronted clause, the main clause is about another brand, and so is what follows.
    text = "Alors que Bouygues déçoit, Orange rassure, mais reste cher."
    assert kept("bouygues", text) == ["Alors que Bouygues déçoit,"]
    assert kept("orange", text) == ["Orange rassure, mais reste cher."]


def test_the_whole_sentence_stands_when_no_clause_names_the_brand() -> None:
    # The NEAR reaches across the « but »: neither clause holds both words.
    text = "Acme shipped its cars, but a recall followed."
    assert kept("acme NEAR/6 recall", text) == [text]


def test_a_headline_s_capitals_name_nobody() -> None:
    title = "Acme Delivers Great Results But Faces Tough Questions"
    assert kept("acme", "", title) == [title]
