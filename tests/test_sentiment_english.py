"""English sentiment through VADER, as the classifier uses it."""

from __future__ import annotations

from veille.classify.english import english_compound


def test_negation_and_intensity() -> None:
    assert english_compound("this product is good") > 0
    assert english_compound("this product is not good") < 0
    assert english_compound("this product is very good") > english_compound("this product is good")


def test_contrast_and_emphasis() -> None:
    assert english_compound("the screen is great but the battery is awful") < 0
    assert english_compound("great!!!") > english_compound("great")


def test_neutral_text() -> None:
    assert english_compound("The meeting is on Tuesday at six.") == 0.0
