"""English sentiment: VADER, with the disbelief and impossible-comparison readings corrected."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from veille.classify.english import english_compound

VADER = SentimentIntensityAnalyzer()


def test_negation_and_intensity() -> None:
    assert english_compound("this product is good") > 0
    assert english_compound("this product is not good") < 0
    assert english_compound("this product is very good") > english_compound("this product is good")


def test_contrast_and_emphasis() -> None:
    assert english_compound("the screen is great but the battery is awful") < 0
    assert english_compound("great!!!") > english_compound("great")


def test_neutral_text() -> None:
    assert english_compound("The meeting is on Tuesday at six.") == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "I can't believe how bad this phone is",
        "can't believe how rude the staff was",
        "I cannot believe how awful the service was",
        "I could not believe how terrible the delivery was",
        "I have never been more disappointed",
        "it couldn't be worse",
    ],
)
def test_complaints_that_vader_reads_as_praise(text: str) -> None:
    assert VADER.polarity_scores(text)["compound"] > 0  # the reading being corrected
    assert english_compound(text) < 0


@pytest.mark.parametrize(
    "text",
    ["I can't believe how good this is", "I couldn't be happier", "never felt better"],
)
def test_praise_that_vader_reads_as_complaint(text: str) -> None:
    assert VADER.polarity_scores(text)["compound"] < 0
    assert english_compound(text) > 0


@pytest.mark.parametrize(
    "text",
    [
        "I have never been so disappointed",
        "not even good",
        "the food was not great",
        "it won't be better",
        "I don't like it",
    ],
)
def test_plain_negations_still_negate(text: str) -> None:
    assert english_compound(text) < 0
    assert english_compound(text) == VADER.polarity_scores(text)["compound"]


def test_negated_complaint_stays_mild_praise() -> None:
    assert english_compound("I was never disappointed") > 0
    assert english_compound("not bad at all") > 0


@pytest.mark.parametrize(
    "text",
    [
        "My order never arrived",
        "The app doesn't work since the update",
        "It stopped working after a week",
        "Their chat has not responded in days",
        "Parcel still not delivered",
        "doesnt work lol",
    ],
)
def test_a_failing_service_in_customers_words_is_negative(text: str) -> None:
    # VADER rates none of the failure's words: the complaint reads as neutral, or milder.
    assert english_compound(text) < min(VADER.polarity_scores(text)["compound"], 0.0)


def test_working_and_receiving_alone_carry_no_tone() -> None:
    assert english_compound("I work at Danone") == 0.0
    assert english_compound("Parcel delivered today") == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "Danone shares fall after yoghurt recall",
        "Acme shares tumble",
        "Orange shares slump on profit warning",
        "Share prices fell sharply",
        "Sales plunged in the third quarter",
        "Acme recalls: a product recall of 2 million cars",
    ],
)
def test_bad_business_news_is_negative(text: str) -> None:
    assert english_compound(text) <= -0.05


def test_shares_as_stock_are_no_praise() -> None:
    assert VADER.polarity_scores("Shares of Danone fell")["compound"] > 0  # the reading corrected
    assert english_compound("Shares of Danone fell") == 0.0
    assert english_compound("Its shares were unchanged") == 0.0
    assert english_compound("Acme shares rise after strong results") > english_compound(
        "Acme results were strong"
    )
    # The verb of sharing stays VADER's.
    for text in ("I share your concerns", "Please share this", "Acme shares its recipe"):
        assert english_compound(text) == VADER.polarity_scores(text)["compound"] > 0


def test_recall_as_memory_carries_no_tone() -> None:
    for text in ("I recall the first film", "I can't recall his name", "as you recall"):
        assert english_compound(text) == VADER.polarity_scores(text)["compound"], text
    assert english_compound("The recall was announced today") < 0
