"""html_to_text, folding, body text and hashtags."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from veille.normalize.text import (
    body_text,
    fold_case_and_accents,
    fold_text,
    hashtags,
    html_to_text,
    strip_accents,
    strip_accents_whole,
)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("Danone", "Danone"),
        ("  Danone \n\t annonce  ", "Danone annonce"),
        ("", ""),
        ("<p>Premier.</p><p>Second.</p>", "Premier. Second."),
        ("ligne 1<br>ligne 2<br/>ligne 3", "ligne 1 ligne 2 ligne 3"),
        ("<ul><li>un</li><li>deux</li></ul>", "un deux"),
        ("<h1>Titre</h1><div>corps</div>", "Titre corps"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b c"),
        ("Le groupe <b>Dan</b>one", "Le groupe Danone"),
        ("<b>Danone</b> et <em>Evian</em>", "Danone et Evian"),
        ("<a href='https://x.fr'>lien</a>.", "lien."),
        (
            "R&eacute;sultats de Soci&eacute;t&eacute; G&eacute;n&eacute;rale",
            "Résultats de Société Générale",
        ),
        ("l&#8217;Or&#xE9;al", "l’Oréal"),
        ("AT&amp;T", "AT&T"),
        ("&amp;eacute; reste &amp;eacute;", "&eacute; reste &eacute;"),
        ("a &lt;b&gt; c", "a <b> c"),
        ("1 < 2 et 3 > 2", "1 < 2 et 3 > 2"),
        ("<script>alert('x')</script>visible<style>p{}</style>", "visible"),
        ("<p>a</p><noscript>activez JS</noscript><template><p>t</p></template>ok", "a ok"),
        ("<p>non&nbsp;sécable</p>", "non sécable"),
        ("<html><head><title>Page</title></head><body><p>Corps</p></body></html>", "Page Corps"),
        ("<p>non fermé", "non fermé"),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Société Générale", "Societe Generale"),
        ("ÉLÉPHANT", "ELEPHANT"),
        ("Ça", "Ca"),
        ("ﬁnance", "finance"),
        ("plain", "plain"),
    ],
)
def test_strip_accents(text: str, expected: str) -> None:
    assert strip_accents(text) == expected


# Letters, marks written apart ("e" + U+0301), compatibility forms, Hangul syllables, and marks
# outside the BMP that the whole text's decomposition reorders (U+1D16D, U+1D165).
_ACCENT_ALPHABET = st.sampled_from(
    [*"aeEçÇœŒßﬁ²①ｆ한글 .", "\u0301", "\u0327", "\u0345", "\U0001d16d", "\U0001d165"]
)


@given(st.text(_ACCENT_ALPHABET) | st.text())
@example("e\u0301te\u0301")
@example("a\U0001d16d\U0001d165\u0301")
@example("ǅ ﬃ ½ Ǆ")
def test_strip_accents_character_by_character_is_the_whole_text_s(text: str) -> None:
    assert strip_accents(text) == strip_accents_whole(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Société   GÉNÉRALE ", "societe generale"),
        ("Œuvre cœur", "oeuvre coeur"),
        ("Straße", "strasse"),
        ("l’Oréal", "l’oreal"),
        ("lʼOréal", "l'oreal"),  # the modifier letter apostrophe, a letter to Unicode
        ("𝐃𝐚𝐧𝐨𝐧𝐞 ＤＡＮＯＮＥ", "danone danone"),  # styled letters
    ],
)
def test_fold_text(text: str, expected: str) -> None:
    assert fold_text(text) == expected


@pytest.mark.parametrize(
    ("title", "content", "expected"),
    [
        ("Danone rachète", "Danone rachète", ""),
        ("Danone rachète", "  danone   RACHÈTE ", ""),
        ("Danone rachète", "Danone rachète une start-up", "Danone rachète une start-up"),
        ("", "Texte", "Texte"),
        ("Titre", "", ""),
    ],
)
def test_body_text_drops_a_repeated_title(title: str, content: str, expected: str) -> None:
    assert body_text(title, content) == expected


def _whole_words_key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", fold_case_and_accents(text)).strip()


# Letters that fold to more than one (ß, ligatures, ﬁ), accents precomposed or combining,
# Greek sigmas, punctuation, digits, underscores and whitespace of several kinds.
_TEXT_PIECES = st.sampled_from(
    ["a", "B", "é", "E\u0301", "\u0301", "ß", "Œ", "œ", "ﬁ", "Σ", "ς", "ı", "…", "’", "-",
     "_", " ", "\n", "\u00a0", "!", "2", "Danone", "Société", "GÉNÉRALE"]
)  # fmt: skip
_TEXTS = st.lists(_TEXT_PIECES, max_size=60).map("".join)


@st.composite
def _title_and_content(draw: st.DrawFn) -> tuple[str, str]:
    title = draw(_TEXTS)
    retyped = [
        draw(st.sampled_from([piece, piece.upper(), piece.lower(), f" {piece}", f"{piece}!"]))
        for piece in title
    ]
    # Punctuation and spaces around the words, past the first characters compared alone.
    padding = st.text(" !…-_\n\u00a0\u0301", max_size=80)
    repeated = draw(padding) + "".join(retyped) + draw(padding)
    content = draw(st.sampled_from([repeated, draw(_TEXTS), repeated + title]))
    return title, content


@settings(max_examples=400)
@given(_title_and_content())
@example(("Danone", "Danone" + "!" * 70))
@example(("Société générale", "SOCIETE  Generale" * 5))
@example(("société " * 10, "Société " * 10))
def test_body_text_is_the_content_unless_its_words_are_the_title_s(
    title_and_content: tuple[str, str],
) -> None:
    title, content = title_and_content
    repeats = bool(content) and _whole_words_key(content) == _whole_words_key(title)
    assert body_text(title, content) == ("" if repeats else content)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Grève ! #BoycottDanone et #Yaourt.", ["#BoycottDanone", "#Yaourt"]),
        ("#élu_2026 (#COP28) #BoycottDanone", ["#élu_2026", "#COP28", "#BoycottDanone"]),
        ("#Danone #Danone #danone", ["#Danone", "#danone"]),  # each once; case is kept
        # Numbers, entities, links and doubled signs are not hashtags.
        ("#1 #2026 &#39; https://x.fr/page.html#part ##x a#b", []),
    ],
)
def test_hashtags(text: str, expected: list[str]) -> None:
    assert hashtags(text) == expected


def test_brand_names_are_compared_apart_from_case_accents_apostrophes_and_spaces() -> None:
    from veille.normalize.text import name_key

    assert name_key("L’Oréal") == name_key("l'oreal") == name_key("  L'OREAL ")
    assert name_key("Société  Générale") == name_key("societe generale")
    assert name_key("Danone") != name_key("Danonе")  # a Cyrillic е is another letter
