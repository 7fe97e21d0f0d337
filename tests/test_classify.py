"""The classifier's public API: language, tone thresholds, hints, determinism, laziness."""

from __future__ import annotations

import subprocess
import sys

import pytest

from veille.classify import CLASSIFIER_VERSION, Classifier, tone_of
from veille.types import Classification


@pytest.mark.parametrize(
    ("score", "tone"),
    [
        (0.05, "positive"),
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
        (1.0, "positive"),
        (-1.0, "negative"),
    ],
)
def test_tone_thresholds(score: float, tone: str) -> None:
    assert tone_of(score) == tone


def test_french_and_english() -> None:
    classifier = Classifier()
    french = classifier.classify("Franchement, le service client est vraiment nul, je suis déçu.")
    assert french.lang == "fr" and french.tone == "negative"
    english = classifier.classify("I absolutely love the new app, it works great and looks nice.")
    assert english.lang == "en" and english.tone == "positive"
    assert english.version == CLASSIFIER_VERSION
    assert isinstance(english, Classification)


def test_other_languages_are_neutral() -> None:
    result = Classifier(["de", "en", "fr"]).classify("Das war ein schrecklicher Tag für alle.")
    assert result.lang == "de"
    assert result.sentiment == 0.0 and result.tone == "neutral"


def test_short_text_falls_back_to_hint() -> None:
    classifier = Classifier()
    assert classifier.classify("Super produit", lang_hint="fr-FR").lang == "fr"
    assert classifier.classify("Super produit", lang_hint="fr-FR").tone == "positive"
    # An unusable hint is ignored.
    assert classifier.classify("Super produit", lang_hint="xx-YY").lang is not None
    # A long text is detected even when the feed declares another language.
    long_text = "Le nouveau modèle de la marque est sorti hier et les premiers avis sont bons."
    assert classifier.classify(long_text, lang_hint="en-US").lang == "fr"


def test_a_declared_language_outside_the_restriction_is_kept_when_the_text_agrees() -> None:
    classifier = Classifier(["fr", "en"])
    german = "Danone hat heute neue Produkte vorgestellt, die im Frühjahr in die Läden kommen."
    portuguese = "A Danone apresentou hoje novos produtos que chegam às lojas na primavera."
    french = "Danone présente aujourd'hui de nouveaux produits qui arriveront en magasin."
    texts = [(german, "de"), (portuguese, "pt-PT"), (french, "de"), ("Gut gemacht", "de")]
    # Restricted to French and English, the German post read as English and was scored by
    # VADER as if it were; a wrong declaration (the French text) is still detected.
    assert classifier.languages_of(texts) == ["de", "pt", "fr", "de"]
    assert [classifier.language_of(text, hint) for text, hint in texts] == ["de", "pt", "fr", "de"]
    assert classifier.classify(german, lang_hint="de").sentiment == 0.0
    # Undeclared, a text is one of the configured languages.
    assert classifier.classify(german).lang in {"fr", "en"}


def test_text_without_letters() -> None:
    result = Classifier().classify("😍😍")
    assert result.lang is None and result.tone == "positive"
    empty = Classifier().classify("   ")
    assert empty == Classification(None, 0.0, "neutral", CLASSIFIER_VERSION)


def test_unknown_restriction_is_rejected() -> None:
    with pytest.raises(ValueError):
        Classifier(["fr", "zz"])


def test_deterministic_across_processes() -> None:
    texts = ["Ce produit n'est pas terrible.", "Great service, thanks!", "bof", "Muy bueno"]
    script = (
        "from veille.classify import Classifier\n"
        f"c = Classifier()\nprint([tuple(vars_) for vars_ in ((r.lang, r.sentiment, r.tone) "
        f"for r in map(c.classify, {texts!r}))])"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1
    local = Classifier()
    assert [local.classify(t) for t in texts] == [local.classify(t) for t in texts]


def test_import_is_cheap() -> None:
    script = (
        "import sys, veille.classify\n"
        "heavy = {'vaderSentiment.vaderSentiment', 'py3langid.langid', 'lingua', 'numpy'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("text", ["J’adore", "C’est l’équipe", "Aujourd’hui"])
def test_the_typographic_apostrophe_is_read_as_the_plain_one(text: str) -> None:
    # In two words, "’" weighed as a letter of another language: « J’adore » was Catalan.
    classifier = Classifier()
    plain = text.replace("’", "'")
    assert classifier.classify(text).lang == classifier.classify(plain).lang == "fr"
    assert classifier.classify_many([(text, None)])[0].lang == "fr"
