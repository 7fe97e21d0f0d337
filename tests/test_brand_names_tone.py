"""A brand's own name is no opinion: « Super U » or « Bonne Maman » are not praise."""

from __future__ import annotations

import pytest

from veille.classify import Classifier
from veille.classify.names import name_labels, without_names
from veille.match import compile_query
from veille.process import MentionProcessor
from veille.reclassify import brand_names, rescore
from veille.settings import BrandConfig
from veille.store.reclassify import ScoredDocument, ScoredMention
from veille.types import RawMention


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("Super U ouvre à Lyon. #SuperU", ['"Super U"'], "  ouvre à Lyon. # "),
        ("BONNE MAMAN lance une confiture", ['"bonne maman"'], "  lance une confiture"),
        ("Société Générale, societe generale", ['"societe generale"'], " ,  "),
        ("Les Danoneries de Danone", ["danon*"], "Les   de  "),
        ("Le Bon Coin et le bon coin d'à côté", ['"le bon coin"'], "  et   d'à côté"),
        # Only whole words: "Orangina" is not "orange".
        ("Orangina, pas Orange", ["orange"], "Orangina, pas  "),
        ("Rien à enlever", ['"bonne maman"'], "Rien à enlever"),
        # Inside a camel-case hashtag, only the name goes: « #Boycott » is the opinion.
        ("#BoycottDanone et Danone", ["danone"], "#Boycott  et  "),
        # After an elision, where the matcher finds it: as a name, not « d’une ».
        ("L’Oréal, ce n’est pas l’oréal", ["loreal"], " , ce n’est pas l’oréal"),
        ("Dune ? Il s’agit d’une autre Dune", ["dune"], "  ? Il s’agit d’une autre  "),
    ],
)
def test_the_matched_terms_are_left_out(text: str, terms: list[str], expected: str) -> None:
    assert without_names(text, terms) == expected


BRANDS = [
    BrandConfig(name="Super U", query='"Super U"', languages=("fr",)),
    BrandConfig(name="Bonne Maman", query='"Bonne Maman"', languages=("fr",)),
]


def _item(title: str) -> RawMention:
    return RawMention(source="s", url=f"https://a.fr/{len(title)}", guid=title, title=title)


def test_a_factual_news_item_about_a_brand_with_a_word_of_praise_in_its_name_is_neutral() -> None:
    processor = MentionProcessor(BRANDS)
    items = processor.process(
        [
            _item("Super U ouvre un nouveau magasin à Lyon"),
            _item("Bonne Maman lance une nouvelle confiture à la fraise"),
            _item("Super U : des clients très déçus par le service"),
        ]
    )
    tones = [item.classification.tone for item in items]
    assert tones == ["neutral", "neutral", "negative"]
    assert items[0].classification.lang == "fr"


def test_reclassify_scores_as_the_pass_does() -> None:
    [item] = MentionProcessor(BRANDS).process([_item("Bonne Maman lance une confiture")])
    stored = ScoredDocument(
        id=1,
        title=item.document.title,
        text=item.document.text,
        lang="fr",
        sentiment=0.44,
        tone="positive",
        version="old",
        mentions=(ScoredMention(1, "Bonne Maman", ('"Bonne Maman"',), None, None),),
    )
    [scores] = rescore([stored], Classifier(["fr"]), names=brand_names(BRANDS))
    assert (
        (scores.sentiment, scores.tone)
        == (
            item.classification.sentiment,
            item.classification.tone,
        )
        == (0.0, "neutral")
    )


def test_the_context_words_of_a_query_are_the_tone_not_the_name() -> None:
    # « scandale » and « rappel » are what is said of Danone: they stay in its tone.
    crisis = BrandConfig(name="Danone", query="danone AND (scandale OR rappel)")
    assert name_labels(compile_query(crisis.query).node) == {"danone"}
    [item] = MentionProcessor([crisis]).process(
        [_item("Danone : scandale sanitaire, rappel massif de yaourts contaminés")]
    )
    assert item.classification.tone == "negative"
    assert set(item.matches[0][1].terms) == {"danone", "scandale", "rappel"}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ('"Danone" OR danone* NOT "danone cup"', {'"Danone"', "danone*"}),
        ("case:Orange AND (télécom OR fibre)", {"Orange"}),
        ("danone NEAR/5 usine", {"danone"}),
        ("title:danone site:danone.com", {"danone"}),
        ("(danone OR evian) lang:fr", {"danone", "evian"}),
    ],
)
def test_the_names_of_a_brand_are_its_query_s_first_operand(query: str, names: set[str]) -> None:
    assert name_labels(compile_query(query).node) == names
