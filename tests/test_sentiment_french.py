"""French sentiment rules: negation, elision, intensifiers, contrast, emphasis, accents."""

from __future__ import annotations

import pytest

from veille.classify.french import FrenchSentimentAnalyzer, french_analyzer, normalise


@pytest.fixture(scope="module")
def score() -> FrenchSentimentAnalyzer:
    return french_analyzer()


@pytest.mark.parametrize(
    "text",
    [
        "ce produit n'est pas terrible",
        "c'est pas top",
        "je n'aime pas ce film",
        "j'aime pas du tout",
        "je ne le recommande pas",
        "ce n'est plus bon",
        "aucun intérêt",
        "un film sans intérêt",
        "rien de bon là-dedans",
        "ce service n'est guère efficace",
        "peu convaincant",
    ],
)
def test_negated_praise_is_negative(score: FrenchSentimentAnalyzer, text: str) -> None:
    assert score.compound(text) <= -0.05


@pytest.mark.parametrize(
    "text",
    [
        "je n'ai jamais été aussi satisfait",
        "j'adore",
        "pas mal du tout",
        "livraison sans problème",
        "c'est génial",
        "un film à ne pas manquer",
    ],
)
def test_positive_sentences(score: FrenchSentimentAnalyzer, text: str) -> None:
    assert score.compound(text) >= 0.05


def test_negation_flips_the_plain_word(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("c'est bon") > 0 > score.compound("ce n'est pas bon")
    assert score.compound("c'est nul") < 0 < score.compound("ce n'est pas nul")


def test_never_as_superlative_is_not_negation(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("je n'ai jamais été aussi déçu") < -0.3
    assert score.compound("je n'ai jamais été déçu") > 0


def test_elision_is_split(score: FrenchSentimentAnalyzer) -> None:
    # "j'adore" and "l'excellent" only score when the elided article is split off.
    assert score.compound("j'adore") == score.compound("j' adore")
    assert score.compound("l'excellent accueil") > 0.3
    assert score.compound("qu’il est beau") > 0  # typographic apostrophe


def test_intensifiers_strengthen_and_diminishers_soften(score: FrenchSentimentAnalyzer) -> None:
    good = score.compound("bon")
    assert score.compound("très bon") > good
    assert score.compound("vraiment très bon") > score.compound("très bon")
    assert score.compound("trop bien") > score.compound("bien")
    assert score.compound("super bien") > score.compound("bien")
    assert 0 < score.compound("assez bon") < good
    assert 0 < score.compound("plutôt bon") < good
    assert score.compound("un peu décevant") > score.compound("décevant")
    assert score.compound("peu intéressant") < 0 < score.compound("intéressant")


def test_contrast_favours_the_clause_after_mais(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("les acteurs sont bons mais le scénario est nul") < 0
    assert score.compound("le scénario est nul mais les acteurs sont excellents") > 0


def test_contrast_stays_inside_its_sentence(score: FrenchSentimentAnalyzer) -> None:
    alone = score.compound("Super service.")
    with_other = score.compound("Super service. Cher mais efficace.")
    assert with_other > alone


def test_emphasis(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("c'est génial !!!") > score.compound("c'est génial")
    assert score.compound("c'est nul !!!") < score.compound("c'est nul")
    assert score.compound("le service est GÉNIAL") > score.compound("le service est génial")
    assert score.compound("géniaaaal") > score.compound("génial")
    assert score.compound("nullll") < 0


def test_emoji_and_emoticons(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("livraison reçue 😍") > 0
    assert score.compound("livraison reçue 😢") < 0
    assert score.compound("livraison reçue :)") > 0
    assert score.compound("livraison reçue :(") < 0


def test_accent_insensitive(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("c'est genial") == score.compound("c'est génial")
    assert score.compound("tres decu") == score.compound("très déçu") < 0


def test_idioms(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("un vrai coup de cœur") > 0.3
    assert score.compound("une perte de temps") < -0.3
    assert score.compound("n'importe quoi") < 0


def test_neutral_text_scores_zero(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("Le conseil municipal se réunit mardi à 18 heures.") == 0.0
    assert score.compound("") == 0.0


def test_scores_are_bounded() -> None:
    assert normalise(1e9) <= 1.0
    assert normalise(-1e9) >= -1.0
    assert normalise(0.0) == 0.0
