"""Near-duplicate signatures: syndication edits stay one story, different stories do not."""

from __future__ import annotations

import subprocess
import sys

import pytest

from veille.normalize.story import (
    BANDS,
    SAME_STORY,
    TITLE_BANDS,
    min_hashes,
    numbers,
    same_story,
    similarity,
    story_features,
    story_signature,
    story_words,
    title_marks,
)

WIRE_TEXT = (
    "Le groupe agroalimentaire a annoncé mardi la fermeture de son usine de Villefranche, qui "
    "emploie 240 salariés, en invoquant la baisse des ventes de produits laitiers frais en "
    "Europe et la hausse du prix du lait. Les syndicats dénoncent une décision brutale."
)

# (original, syndicated copy): the same story as another site publishes it.
SYNDICATION_EDITS = [
    (  # a prefix, a word changed, the source's name appended
        ("Danone ferme son usine de Villefranche, 240 emplois menacés", WIRE_TEXT),
        (
            "DIRECT - Danone ferme l'usine de Villefranche : 240 emplois menacés - Le Point",
            WIRE_TEXT,
        ),
    ),
    (  # the snippet cut short by the feed
        ("Danone ferme son usine de Villefranche, 240 emplois menacés", WIRE_TEXT),
        ("Danone ferme son usine de Villefranche, 240 emplois menacés", WIRE_TEXT[:120] + "…"),
    ),
    (  # accents, case and punctuation lost on the way
        ("Société Générale : le bénéfice trimestriel recule de 20 %", ""),
        ("SOCIETE GENERALE - Le benefice trimestriel recule de 20%", ""),
    ),
    (  # a wire revision of an English story
        ("EBay rejects Icahn board nominees, asks investors to do same", ""),
        ("UPDATE 1-EBay rejects Carl Icahn board nominees, asks investors to do same", ""),
    ),
]

DIFFERENT_STORIES = [
    (
        ("Danone ferme son usine de Villefranche, 240 emplois menacés", WIRE_TEXT),
        ("Danone lance un yaourt végétal au lait d'avoine en Espagne", ""),
    ),
    (
        ("McDonald's February same-restaurant sales fall 0.3 percent", ""),
        ("Mt. Gox files for US bankruptcy to halt class action", ""),
    ),
    (
        ("Orange : la 5G arrive dans 200 nouvelles communes", ""),
        ("Recette : le cake à l'orange et aux amandes", ""),
    ),
]


@pytest.mark.parametrize(("original", "copy"), SYNDICATION_EDITS)
def test_syndication_edits_stay_one_story(original: tuple[str, str], copy: tuple[str, str]) -> None:
    first, second = story_signature(*original), story_signature(*copy)
    assert same_story(first, second)
    assert set(first.bands) & set(second.bands), "near copies must share a band key"


@pytest.mark.parametrize(("first", "second"), DIFFERENT_STORIES)
def test_different_stories_are_far_apart(first: tuple[str, str], second: tuple[str, str]) -> None:
    one, other = story_signature(*first), story_signature(*second)
    assert similarity(one.features, other.features) < SAME_STORY / 2
    assert not same_story(one, other)


def test_exact_copies_are_identical() -> None:
    signature = story_signature("Danone ferme son usine", WIRE_TEXT)
    assert signature == story_signature("Danone ferme son usine", WIRE_TEXT)
    assert similarity(signature.features, signature.features) == 1.0
    assert len(signature.bands) == BANDS + TITLE_BANDS  # its features' bands, its title's
    assert len(story_signature("Danone ferme son usine", "").bands) == BANDS


def test_words_are_folded_without_punctuation_and_common_words() -> None:
    assert story_words("L'Œuvre de « Société Générale » : UPDATE 2-Le bénéfice") == [
        "oeuvre", "societe", "generale", "2", "benefice",
    ]  # fmt: skip


def test_title_words_weigh_twice_and_long_texts_are_cut() -> None:
    features = story_features("Danone recule", "Danone " + "mot " * 200)
    assert features["danone"] == 3 and features["recule"] == 2
    assert features["mot"] == 59  # the text's first 60 words only


def test_a_document_without_words_has_no_bands() -> None:
    signature = story_signature("", "… — !")
    assert signature.features == {} and signature.bands == ()
    assert min_hashes({}) == ()
    assert similarity({}, {}) == 0.0


def test_keys_are_the_same_in_another_process() -> None:
    # Python's own hash() of strings changes with every process; the keys must not.
    code = (
        "from veille.normalize.story import story_signature;"
        "print(story_signature('Danone ferme son usine', 'texte').bands)"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert other.stdout.strip() == str(story_signature("Danone ferme son usine", "texte").bands)


# The publisher's own feed gives the headline and its description; a news search or Hacker News
# gives the same headline alone.
OIL_TITLE = "Oil prices surge to $100 per barrel after Red Sea attacks"
OIL_TEXT = (
    "Crude oil climbed above $100 a barrel on Monday for the first time in two years, as "
    "traders weighed fresh attacks on tankers in the Red Sea and the risk of longer shipping "
    "routes around Africa. Brent rose more than 6 percent in early trading, while analysts "
    "warned that insurers were already raising premiums for vessels crossing the strait and "
    "that refiners in Europe could face shortages."
)
SOCGEN_TITLE = "Société Générale supprime 900 postes en France"
SOCGEN_TEXT = (
    "La banque a présenté mardi aux syndicats un plan de réorganisation de son réseau de "
    "détail qui prévoit la suppression de 900 postes en France d'ici à la fin de l'année "
    "prochaine, sans licenciement contraint selon la direction, qui met en avant les départs "
    "naturels et la baisse de fréquentation des agences, tandis que les représentants du "
    "personnel dénoncent une nouvelle saignée dans les effectifs."
)
# A Hacker News story as its RSS feed carries it: the description is the links and the counts.
HN_TEXT = (
    "Article URL: https://bun.com/blog/bun-joins-anthropic "
    "Comments URL: https://news.ycombinator.com/item?id=46124267 Points: 2192 # Comments: 1072"
)

HEADLINE_WITHOUT_TEXT = [
    ((OIL_TITLE, ""), (OIL_TITLE, OIL_TEXT)),
    ((SOCGEN_TITLE, ""), (SOCGEN_TITLE, SOCGEN_TEXT)),
    (("Anthropic acquires Bun", ""), ("Anthropic acquires Bun", HN_TEXT)),
    # next to no text is none
    ((OIL_TITLE, "Read more"), (OIL_TITLE, OIL_TEXT)),
    # a headline edited on the way, as two headlines without text group
    (("DIRECT - Société Générale supprime 900 postes en France", ""), (SOCGEN_TITLE, SOCGEN_TEXT)),
]


@pytest.mark.parametrize(("headline", "article"), HEADLINE_WITHOUT_TEXT)
def test_a_headline_without_text_is_the_story_of_its_article(
    headline: tuple[str, str], article: tuple[str, str]
) -> None:
    first, second = story_signature(*headline), story_signature(*article)
    # The description outweighs the headline they share...
    assert similarity(first.features, second.features) < SAME_STORY
    # ... so the two are compared on their titles, and meet on their title-only band keys.
    assert same_story(first, second) and same_story(second, first)
    assert set(first.bands) & set(second.bands)


SHORT_GENERIC_TITLES = ["Résultats", "Live", "Breaking news", "Les résultats en direct"]


@pytest.mark.parametrize("title", SHORT_GENERIC_TITLES)
def test_a_short_generic_headline_does_not_make_a_story(title: str) -> None:
    assert not same_story(story_signature(title, ""), story_signature(title, OIL_TEXT))
    assert not same_story(story_signature(title, ""), story_signature(title, SOCGEN_TEXT))


def test_a_headline_without_text_keeps_apart_from_other_headlines() -> None:
    headline = story_signature("Oil prices fall as Red Sea shipping resumes", "")
    assert not same_story(headline, story_signature(OIL_TITLE, OIL_TEXT))
    assert not same_story(
        story_signature("Danone supprime 900 postes", ""),
        story_signature(SOCGEN_TITLE, SOCGEN_TEXT),
    )


def test_two_articles_with_text_are_still_compared_on_their_texts() -> None:
    # The same headline over two different texts (a live page updated, a recurring column).
    other = (
        "Les marchés européens ont ouvert en baisse mercredi, les investisseurs attendant la "
        "décision de la banque centrale américaine sur ses taux directeurs et les chiffres de "
        "l'inflation en zone euro publiés dans la matinée."
    )
    assert not same_story(
        story_signature(SOCGEN_TITLE, SOCGEN_TEXT), story_signature(SOCGEN_TITLE, other * 2)
    )


def _results(company: str, figures: str) -> tuple[str, str]:
    # A financial site's template: the same headline and text but for the company and figures.
    return (
        f"{company} : résultats du troisième trimestre 2026",
        f"{company} a publié ce matin ses résultats du troisième trimestre 2026. Le produit net "
        f"bancaire ressort à {figures}, conforme aux attentes des analystes, et le groupe confirme "
        "ses objectifs annuels. Le titre évolue en hausse à la Bourse de Paris.",
    )


def _quote(day: int) -> tuple[str, str]:
    # A daily quote page: the day changes, and the figures of the session.
    return (
        f"Danone : cours de l'action du {day} novembre 2026",
        f"L'action Danone a terminé la séance du {day} novembre 2026 à 61,{day + 10} euros, sur "
        "un volume d'échanges proche de sa moyenne, dans un marché parisien hésitant.",
    )


TEMPLATE_HEADLINES = [
    (_results("BNP Paribas", "12,1 milliards"), _results("Société Générale", "6,8 milliards")),
    (_quote(23), _quote(24)),
    (_quote(24), _quote(25)),
    # headlines alone
    ((_quote(23)[0], ""), (_quote(24)[0], "")),
    (("BNP Paribas : résultats du troisième trimestre 2026", ""), _results("Société Générale", "")),
]


@pytest.mark.parametrize(("first", "second"), TEMPLATE_HEADLINES)
def test_template_headlines_of_other_names_or_numbers_stay_apart(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    one, other = story_signature(*first), story_signature(*second)
    # The template's words make them similar...
    assert similarity(one.features, other.features) >= SAME_STORY or not (
        one.document.has_text and other.document.has_text
    )
    # ... but what sets them apart, in the same place of the headline, keeps them apart.
    assert not same_story(one, other) and not same_story(other, one)


REWORDINGS = [
    # The same names and figures, other verbs: one wire story.
    (
        ("Société Générale supprime 900 postes en France", SOCGEN_TEXT),
        ("Société Générale va supprimer 900 postes en France", SOCGEN_TEXT[:200]),
    ),
    # A name or a figure on one side only: a first name, the outlet, a detail.
    (
        ("EBay rejects Icahn board nominees, asks investors to do same", ""),
        ("UPDATE 2-EBay rejects Carl Icahn board nominees, asks investors to do same", ""),
    ),
    (
        ("Danone ferme son usine de Villefranche, 240 emplois menacés", ""),
        ("Danone ferme son usine de Villefranche (Rhône), 240 emplois menacés - Le Point", ""),
    ),
    # An abbreviation in the same place.
    (
        ("Wall Street opens lower after S&P's record close", ""),
        ("Wall St opens lower after S&P's record close", ""),
    ),
    # The other's number is in its text.
    (
        ("Oil prices surge to $100 per barrel after Red Sea attacks", OIL_TEXT),
        ("Oil prices surge 6% after Red Sea attacks", OIL_TEXT),
    ),
]


@pytest.mark.parametrize(("first", "second"), REWORDINGS)
def test_rewordings_keeping_names_and_figures_stay_one_story(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    one, other = story_signature(*first), story_signature(*second)
    assert same_story(one, other) and same_story(other, one)


def test_marks_are_numbers_and_names_where_capitals_tell_names() -> None:
    assert title_marks("BNP Paribas : résultats du troisième trimestre 2026")[1] == {
        "bnp", "paribas", "2026",
    }  # fmt: skip
    assert title_marks("UPDATE 1-EBay rejects Carl Icahn board nominees")[1] == {
        "ebay", "carl", "icahn",
    }  # fmt: skip
    # Title Case and capitals say nothing of names; numbers are kept whole, in one spelling.
    assert title_marks("Metro-North Worker Struck, Killed By Train In Harlem")[1] == frozenset()
    assert title_marks("OIL SURGES TO $1,000 A TONNE")[1] == {"1000"}
    assert numbers("à 61,23 € le 23 novembre, 1 000 euros ou 1.000") == {"61.23", "23", "1000"}
