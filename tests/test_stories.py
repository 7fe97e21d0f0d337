"""Near-duplicate signatures: syndication edits stay one story, different stories do not."""

from __future__ import annotations

import subprocess
import sys

import pytest

from veille.normalize.story import (
    BANDS,
    SAME_STORY,
    min_hashes,
    same_story,
    similarity,
    story_features,
    story_signature,
    story_words,
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
    assert len(signature.bands) == BANDS


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
