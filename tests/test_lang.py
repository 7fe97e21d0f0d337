"""Language detection: restriction, short text, empty text, code normalisation."""

from __future__ import annotations

import pytest

from veille.classify.lang import (
    DETECTION_CHARS,
    SHORT_TEXT_WORDS,
    clear_short_text_cache,
    detect_language,
    is_short,
    normalise_language_code,
    supported_languages,
    validate_languages,
    word_count,
)

SEVEN = ["de", "en", "es", "fr", "it", "nl", "pt"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le gouvernement a annoncé de nouvelles mesures pour le climat.", "fr"),
        ("The company announced a new product line this morning.", "en"),
        ("Die Regierung hat neue Maßnahmen angekündigt.", "de"),
        ("El gobierno anunció nuevas medidas para el clima.", "es"),
    ],
)
def test_sentences(text: str, expected: str) -> None:
    assert detect_language(text) == expected
    assert detect_language(text, SEVEN) == expected


def test_short_text_when_restricted() -> None:
    assert detect_language("service client", ["fr", "en"]) in {"fr", "en"}
    assert detect_language("vraiment décevant", SEVEN) == "fr"


def test_restriction_is_honoured() -> None:
    german = "Die Regierung hat neue Maßnahmen angekündigt."
    assert detect_language(german, ["fr", "en"]) in {"fr", "en"}
    assert detect_language(german, ["fr"]) == "fr"


def test_no_letters_has_no_language() -> None:
    assert detect_language("") is None
    assert detect_language("123 !!! 😀") is None


def test_results_are_iso_639_1() -> None:
    assert all(len(code) == 2 for code in supported_languages())
    assert len(detect_language("hello there my friends") or "") == 2


def test_language_codes() -> None:
    assert normalise_language_code("fr-FR") == "fr"
    assert normalise_language_code("EN_us") == "en"
    assert normalise_language_code("french") is None
    assert normalise_language_code(None) is None
    assert validate_languages(["fr-FR", "en", "fr"]) == ("en", "fr")
    with pytest.raises(ValueError, match="xx"):
        validate_languages(["fr", "xx"])
    with pytest.raises(ValueError):
        validate_languages([])


def test_short_text_is_counted_in_words() -> None:
    four = "un deux trois quatre"
    assert word_count(four) == SHORT_TEXT_WORDS - 1 and is_short(four)
    assert not is_short(four + " cinq")
    assert is_short("42 !!! 😀 ok")  # digits and emoji are not words


def test_long_text_is_read_from_its_beginning() -> None:
    french = "Le service client a répondu vite et le produit fonctionne très bien. "
    english = "The rest of this long post is a quoted English review of the same product. "
    text = french * (DETECTION_CHARS // len(french) + 1) + english * 40
    assert len(text) > 3 * DETECTION_CHARS
    assert detect_language(text) == "fr"
    assert detect_language(english * 40) == "en"


def test_remembered_short_texts_give_the_same_answer() -> None:
    clear_short_text_cache()
    first = [detect_language(text, SEVEN) for text in ("merci beaucoup", "vielen dank")]
    again = [detect_language(text, SEVEN) for text in ("merci beaucoup", "vielen dank")]
    assert first == again == ["fr", "de"]


def test_the_configuration_knows_the_languages_of_the_model() -> None:
    # Settings check brand languages against this list without loading the model.
    from veille.languages import DETECTABLE_LANGUAGES

    assert supported_languages() == DETECTABLE_LANGUAGES


def test_short_text_is_weighed_among_the_best_candidates() -> None:
    from veille.classify import lang

    seven = lang._detector(validate_languages(SEVEN))
    candidates = lang._short_text_candidates(seven, "vielen dank")
    assert len(candidates) == lang.SHORT_TEXT_CANDIDATES
    assert set(candidates) <= set(SEVEN) and "de" in candidates
    assert list(candidates) == sorted(candidates)  # one lingua detector per set, whatever order
    # With no more languages than that, lingua weighs them all, without asking py3langid.
    two = lang._detector(validate_languages(["en", "fr"]))
    assert lang._short_text_candidates(two, "vielen dank") == ("en", "fr")


def test_short_texts_of_each_language_among_seven() -> None:
    clear_short_text_cache()
    samples = {
        "de": "vielen dank",
        "en": "thank you",
        "es": "muchas gracias",
        "fr": "vraiment décevant",
        "it": "grazie mille",
        "nl": "heel erg bedankt",
        "pt": "muito obrigado",
    }
    assert {code: detect_language(text, SEVEN) for code, text in samples.items()} == {
        code: code for code in samples
    }
