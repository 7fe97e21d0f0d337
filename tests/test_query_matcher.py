"""Matching brand queries against documents, with French text first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.match import compile_query, prepare
from veille.match.matcher import _within
from veille.match.tokens import query_words


def matches(query: str, title: str = "", text: str = "", **fields: str) -> bool:
    return compile_query(query).match(title=title, text=text, **fields).matched


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        ('"societe generale"', "La Société Générale publie ses comptes", True),
        ('"Société Générale"', "la societe generale publie", True),
        ("SOCIÉTÉ", "une société", True),
        ("oreal", "Les ventes de l'Oréal progressent", True),
        ("oreal", "Les ventes de l’Oréal progressent", True),
        ("evian", "Une bouteille d'Evian", True),
        ("l'oréal", "Chez L’Oréal, la beauté", True),
        ('"coca cola"', "Coca-Cola investit", True),
        ("coca-cola", "Coca-Cola investit", True),
        ("coca-cola", "Coca Cola investit", True),
        ("cocacola", "Coca-Cola investit", True),
        ("oeuvre", "Une Œuvre d'art", True),
        ("danone", "danonesque", False),
        ("danone", "Danone.", True),
        ("danon*", "danonesque", True),
        ("danon*", "Danone", True),
        ("danon*", "Dan one", False),
        ("coca-co*", "Coca-Cola investit", True),
        ("orange", "une orange pressée", True),
        ("case:Orange", "une orange pressée", False),
        ("case:Orange", "Orange annonce un bénéfice", True),
        ("case:Orange", "ORANGE ANNONCE", False),
        ('case:"Orange Bank"', "Orange Bank ferme", True),
        ('case:"Orange Bank"', "orange bank ferme", False),
        ("case:Société", "Société Générale", True),
        ("case:Societe", "Société Générale", False),
        ("danone", "", False),
        # Marks after a name and footnote numbers end the word.
        ("orange", "Orange™ lance sa box", True),
        ("evian", "Evian℠ en promotion", True),
        ("danone", "Résultats annuels de Danone¹", True),
        ('"danone france"', "Danone² France", True),
        ("case:Orange", "Orange™ lance sa box", True),
        ("danone", "Danone®", True),
        ("co2", "émissions de CO₂", True),  # subscripts stay part of their formula
    ],
)
def test_words_accents_case_and_elision(query: str, title: str, expected: bool) -> None:
    assert matches(query, title) is expected


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        # A name typed without its elision's apostrophe finds it written with one…
        ("loreal", "Le groupe L’Oréal rachète une marque", True),
        ("loreal", "Le groupe L'Oréal rachète une marque", True),
        ("Loréal", "Le groupe L’Ore\u0301al rachète une marque", True),
        ('"loreal"', "Chez L’Oréal", True),
        ("lequipe", "Selon L’Équipe, le club recrute", True),
        ("lhumanite", "Un éditorial de L’Humanité", True),
        ("dartagnan", "Le retour de d’Artagnan", True),
        ("loreal NEAR/1 rachète", "L’Oréal rachète", True),
        ("loreal", "L’Oréal-Paris lance une gamme", True),
        ("loreal", "Loréal fait un rappel", True),
        # …as a name: a capital, then lower case. Common words joined stay apart.
        ("loreal", "chez l’oréal", False),
        ("loreal", "CHEZ L’ORÉAL", False),
        ("dune", "Il s’agit d’une erreur. D’une part", False),
        ("lune", "C’est l’une des marques", False),
        ("nest", "Ce n’est pas grave. CE N’EST PAS GRAVE", False),
        ("quelle", "Qu’elle vienne", False),
        ("lait", "l’ait", False),
        # Joined exactly, as a term, not a prefix, nor apart by a space.
        ("lore*", "Le groupe L’Oréal", False),
        ("lore", "Le groupe L’Oréal", False),
        ("loreal", "Le groupe L Oréal", False),
        ("case:loreal", "Le groupe L’Oréal", False),
    ],
)
def test_a_word_is_found_written_after_an_elision_as_a_name(
    query: str, title: str, expected: bool
) -> None:
    assert matches(query, title) is expected
    if " " not in query:
        assert matches(f"title:{query}", title) is expected
        assert matches(f"title:{query}", "", title) is False


def test_case_sensitive_query_makes_every_term_case_sensitive() -> None:
    query = compile_query("Free OR Orange", case_sensitive=True)
    assert query.match(title="Free lance une offre", text="").matched
    assert not query.match(title="un forfait free et une orange", text="").matched


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("danone NEAR/3 usine", "Danone ferme une usine", True),
        ("danone NEAR/3 usine", "l'usine de Danone", True),
        ("danone NEAR/1 usine", "Danone ferme une usine", False),
        ("danone NEAR/2 usine", "Danone ferme une usine", True),
        ("danone NEAR/0 usine", "Danone usine", True),
        ('"orange bank" NEAR/2 fermeture', "la fermeture annoncée d'Orange Bank", True),
        ('"orange bank" NEAR/1 fermeture', "la fermeture annoncée d'Orange Bank", False),
        ("danone NEAR/3 danone", "Danone", False),
        ("danone NEAR/3 danone", "Danone et Danone", True),
    ],
)
def test_near(query: str, text: str, expected: bool) -> None:
    assert matches(query, text=text) is expected


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        ('"Air France"', "Grève chez #AirFrance", True),
        ('"Air France"', "@airfrance mon vol est annulé", True),
        ('"Société Générale"', "#SociétéGénérale en bourse", True),
        ('"Société Générale"', "#societegenerale", True),
        ("l'Oréal", "#LOreal lance une gamme", True),
        ('"La Poste"', "suivi sur laposte.fr", True),
        # The joined word is compared whole: neither longer words nor a part of them.
        ('"Air France"', "#airfranceklm", False),
        ('"Air France"', "#volairfrance", False),
        ('"Air France"', "#Air", False),
        # A wildcard phrase is never joined: "l'oré*" would find "lorem" and "lorenzo".
        ("l'oré*", "Lorem ipsum", False),
        ('case:"Air France"', "#AirFrance", True),
        ('case:"Air France"', "#airfrance", False),
        ('"Air France" -grève', "#AirFrance grève", False),
    ],
)
def test_a_phrase_is_found_written_as_one_word(query: str, title: str, expected: bool) -> None:
    assert matches(query, title) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # "#AirFrance" is one word: NEAR counts the words between it and the other term.
        ('"Air France" NEAR/0 grève', "#AirFrance grève", True),
        ('"Air France" NEAR/0 grève', "grève #AirFrance", True),
        ('"Air France" NEAR/0 grève', "#AirFrance en grève", False),
        ('"Air France" NEAR/1 grève', "#AirFrance en grève", True),
        ('"Air France" NEAR/1 grève', "la grève chez #AirFrance", True),
        ('"Air France" NEAR/1 grève', "la grève chez Air France", True),
        ('"Air France" NEAR/0 "Air France"', "#AirFrance Air France", True),
        ('"Air France" NEAR/3 "Air France"', "#AirFrance", False),
        ('grève NEAR/1 "Air France"', "grève chez #AirFrance et chez Air France", True),
    ],
)
def test_near_counts_a_phrase_written_as_one_word_as_one_word(
    query: str, text: str, expected: bool
) -> None:
    assert matches(query, text=text) is expected


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        ("danone", "Appel au #BoycottDanone", True),
        ("danone", "#DanoneFrance recrute", True),
        ("danone", "merci @DanoneFR", True),
        ("danone", "#Danone2024", True),
        ('"Air France"', "#GrèveAirFrance", True),
        ("l'Oréal", "#LOréalParis", True),
        ("cop28", "#COP28 à Dubaï", True),
        ("case:Danone", "#BoycottDanone", True),
        ('"boycott danone"', "#BoycottDanone", True),
        # No word boundaries without case changes, and an e-mail address is not a handle.
        ("danone", "#boycottdanone", False),
        ("danone", "écrire à contact@DanoneFrance.example", False),
        # Outside tags, words in camel case stay one word.
        ("danone", "BoycottDanone", False),
    ],
)
def test_camel_case_hashtags_and_handles_are_read_word_by_word(
    query: str, title: str, expected: bool
) -> None:
    assert matches(query, title) is expected


def test_a_camel_case_tag_counts_its_words_for_near() -> None:
    assert matches('"Air France" NEAR/0 grève', text="#AirFrance grève")
    assert matches("boycott NEAR/1 usine", text="#BoycottDanone usine")
    assert not matches("boycott NEAR/0 usine", text="#BoycottDanone usine")
    assert matches('"Air France" NEAR/0 KLM', text="#AirFranceKLM")


def test_phrases_and_near_do_not_span_title_and_text() -> None:
    assert not matches('"danone usine"', title="Danone", text="Usine fermée")
    assert not matches("danone NEAR/5 usine", title="Danone", text="Usine fermée")
    assert matches("danone usine", title="Danone", text="Usine fermée")


@pytest.mark.parametrize(
    ("query", "fields", "expected"),
    [
        ("title:danone", {"title": "Danone rachète", "text": ""}, True),
        ("title:danone", {"title": "Rachat", "text": "par Danone"}, False),
        ("title:(danone OR evian)", {"title": "Evian", "text": ""}, True),
        ("danone site:lemonde.fr", {"title": "Danone", "text": "", "site": "lemonde.fr"}, True),
        ("danone site:lemonde.fr", {"title": "Danone", "text": "", "site": "www.lemonde.fr"}, True),
        (
            "danone site:lemonde.fr",
            {"title": "Danone", "text": "", "site": "blog.lemonde.fr"},
            True,
        ),
        ("danone site:lemonde.fr", {"title": "Danone", "text": "", "site": "notlemonde.fr"}, False),
        ("danone site:lemonde.fr", {"title": "Danone", "text": ""}, False),
        ("danone -site:lemonde.fr", {"title": "Danone", "text": "", "site": "lemonde.fr"}, False),
        ("danone site:www.LeMonde.fr", {"title": "Danone", "text": "", "site": "lemonde.fr"}, True),
        # A domain is written as read; sites are stored in their ASCII form.
        (
            "danone site:Beauté.fr",
            {"title": "Danone", "text": "", "site": "blog.xn--beaut-fsa.fr"},
            True,
        ),
        (
            "danone site:(lemonde.fr OR lefigaro.fr)",
            {"title": "Danone", "text": "", "site": "lefigaro.fr"},
            True,
        ),
        ("danone lang:fr", {"title": "Danone", "text": "", "lang": "fr"}, True),
        ("danone lang:fr", {"title": "Danone", "text": "", "lang": "fr_CA"}, True),
        ("danone lang:fr", {"title": "Danone", "text": "", "lang": "en"}, False),
        ("danone lang:fr", {"title": "Danone", "text": "", "lang": "fro"}, False),
        ("author:dupont", {"title": "x", "text": "", "author": "Jean Dupont"}, True),
        ('author:"jean dupont"', {"title": "x", "text": "", "author": "Jean Dupont"}, True),
        ("author:dupont", {"title": "Dupont", "text": "Dupont", "author": "Marie"}, False),
    ],
)
def test_field_scopes(query: str, fields: dict[str, str], expected: bool) -> None:
    assert matches(query, **fields) is expected


def test_a_site_scope_built_with_a_page_is_not_widened_to_the_site() -> None:
    from veille.match import And, BrandQuery, Field, Term
    from veille.normalize.domains import SectionOfSiteError

    # The parser refuses it; a tree built otherwise does not quietly keep all of lemonde.fr.
    with pytest.raises(SectionOfSiteError, match=r"write lemonde\.fr"):
        BrandQuery("x", And((Term("danone"), Field("site", Term("lemonde.fr/economie")))))
    address = BrandQuery("x", And((Term("danone"), Field("site", Term("https://lemonde.fr/")))))
    assert address.match(title="Danone", text="", site="lemonde.fr").matched


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        ("danone -evian", "Danone et Evian", False),
        ("danone -evian", "Danone seul", True),
        ("danone NOT (evian OR volvic)", "Danone et Volvic", False),
        ("(danone OR evian) (lait OR eau)", "Evian, une eau", True),
        ("(danone OR evian) (lait OR eau)", "Evian seul", False),
        # "or" is French for gold, not an operator.
        ("prix or", "le prix de l'or", True),
        ("prix or", "le prix du pétrole", False),
    ],
)
def test_boolean_logic(query: str, title: str, expected: bool) -> None:
    assert matches(query, title) is expected


def test_matched_terms_are_positive_found_and_in_query_order() -> None:
    query = compile_query(
        '(evian OR danone OR "société générale" OR (orange NEAR/2 banque) OR absent) -volvic'
    )
    result = query.match(title="Danone et Evian", text="danone, Société Générale")
    assert result.matched
    assert result.terms == ("evian", "danone", '"société générale"')
    assert query.match(title="Danone et Volvic", text="").terms == ()


def test_terms_of_failed_branches_are_not_reported() -> None:
    query = compile_query("(danone usine) OR evian OR (orange NEAR/1 banque)")
    result = query.match(title="Danone et Evian", text="orange et une banque loin")
    assert result.terms == ("evian",)


def test_author_and_site_values_are_not_reported_as_terms() -> None:
    query = compile_query("danone author:dupont site:lemonde.fr")
    result = query.match(title="Danone", text="", author="Jean Dupont", site="lemonde.fr")
    assert result.matched and result.terms == ("danone",)


def test_prepared_text_is_shared_by_several_queries() -> None:
    prepared = prepare(title="Danone et L’Oréal", text="Orange Bank ferme", lang="fr")
    queries = [compile_query(q) for q in ("danone", "oreal lang:fr", "case:orange", "evian")]
    assert [q.match_prepared(prepared).matched for q in queries] == [True, True, False, False]
    assert compile_query("danone").source == "danone"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("l'Oréal", ["l", "oreal"]),
        ("d’Evian", ["d", "evian"]),
        ("Coca-Cola", ["coca", "cola"]),
        ("Socie\u0301te\u0301", ["societe"]),
        # Vowel signs keep a word whole; the virama is folded away like an accent.
        ("हिन्दी भाषा", ["हिनदी", "भाषा"]),
        ("AT&T", ["at", "t"]),
        ("snake_case", ["snake", "case"]),
    ],
)
def test_query_words(text: str, words: list[str]) -> None:
    assert query_words(text) == words


_OCCURRENCES = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 3)).map(lambda pair: (pair[0], sum(pair))),
    min_size=1,
    max_size=6,
).map(sorted)


@given(_OCCURRENCES, _OCCURRENCES, st.integers(0, 5))
def test_near_agrees_with_comparing_every_pair(
    left: list[tuple[int, int]], right: list[tuple[int, int]], distance: int
) -> None:
    def close(one: tuple[int, int], other: tuple[int, int]) -> bool:
        if other[1] <= one[0]:
            return one[0] - other[1] <= distance
        return other[0] >= one[1] and other[0] - one[1] <= distance

    expected = any(close(one, other) for one in left for other in right)
    assert _within(left, right, distance) is expected


def test_styled_letters_and_the_modifier_apostrophe_are_read_as_plain_ones() -> None:
    assert compile_query("oreal").match(title="Lʼoréal lance", text="").matched
    assert compile_query("auchan").match(title="", text="Les magasins dʼAuchan").matched
    assert compile_query("danone").match(title="", text="𝐃𝐚𝐧𝐨𝐧𝐞 recrute").matched


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("totalenergies", "Marée noire #BoycottTotalEnergies"),
        ("totalenergies", "Merci @TotalEnergiesFR"),
        ('"Total Energies"', "Merci @TotalEnergiesFR"),
        ("youtube", "@YouTubeFR"),
        ("blablacar", "#GrèveBlaBlaCar"),
        ("leboncoin", "#ArnaqueLeBonCoin"),
        ("playstation", "#PlayStation5"),
        ("cop28", "#COP28Dubai"),
    ],
)
def test_a_name_written_as_one_word_is_found_inside_a_longer_tag(query: str, text: str) -> None:
    assert compile_query(query).match(title=text, text="").matched


def test_a_joined_name_is_only_found_on_word_boundaries_of_the_tag() -> None:
    assert not compile_query("talener").match(title="#BoycottTotalEnergies", text="").matched
    assert not compile_query("totalenergies").match(title="#boycotttotalenergies", text="").matched


@pytest.mark.parametrize(
    ("query", "text", "matched"),
    [
        ('"Canal+"', "Balade le long du canal Saint-Martin", False),
        ('"Canal+"', "Le match sur Canal+ ce soir", True),
        ("Canal+", "CANAL+ diffuse la finale", True),
        ('"Canal+" NEAR/3 match', "Le match sur Canal+", True),
        ('"C++"', "Vitamine C : les bienfaits", False),
        ('"C++"', "Un cours de C++ moderne", True),
        ("C#", "En do majeur : C", False),
        ("C#", "Du code en C# et en F#", True),
        ("AT&T", "Où est le at t", False),
        ("AT&T", "AT&T annonce", True),
        ("case:Canal+", "canal+ en minuscules", False),
        ('"M&M\'s"', "Les M&M’s sont là", True),  # apostrophes are one
        ("#danone", "#BoycottDanone", True),  # a leading # is a hashtag, found by its words
        ("title:Canal+", "", False),
    ],
)
def test_a_name_with_symbols_is_found_as_written(query: str, text: str, matched: bool) -> None:
    # Words are letters and digits: without its "+", « Canal+ » would find every canal.
    assert compile_query(query).match(title="", text=text).matched is matched
