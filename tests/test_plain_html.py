"""Plain feed HTML read without a parser gives the parser's text, or is left to the parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from veille.collectors.rss import parse_feed
from veille.normalize.plain_html import plain_html_text
from veille.normalize.text import html_to_text, parsed_html_text

DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parent / "golden" / "rss"

_TAG_NAMES = [
    "p", "br", "img", "a", "b", "strong", "em", "span", "nobr", "div", "blockquote", "ul",
    "ol", "li", "h1", "h2", "section", "address", "table", "td", "form", "dl", "dd", "title",
    "script", "custom", "hr", "wbr", "pre", "body", "sup", "sub", "sup",
]  # fmt: skip
_ATTRIBUTES = ["", " href=x", ' href="a>b<c"', " class='x y'", " async", " a = 1", ' a="1"b=2']


@st.composite
def _tags(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(_TAG_NAMES))
    name = name.upper() if draw(st.booleans()) and len(name) > 2 else name
    closing = draw(st.sampled_from(["", "", "/"]))
    attributes = draw(st.sampled_from(_ATTRIBUTES))
    ending = draw(st.sampled_from([">", ">", "/>", " >", "/ >"]))
    return f"<{closing}{name}{attributes}{ending}"


_TEXT = st.sampled_from(
    [
        "Danone", "une", " ", "\n", "\r\n", "\t", "\xa0", "\ufeff", "l'été", "x", "<", ">", "< 3",
        "&", "&amp;", "&amp", "&lt;", "&eacute;", "&notin;", "&notit;", "&#68;", "&#x44;",
        "&#68b", "&#1;", "&#0;", "&#128;", "&#xFFFF;", "&#x1F600;", "&;", '"', "'", "=",
        "<!--", "-->", "<!x>", "<?php", "</", "<3", "e\u0301", "1", "23", "TM", "er", "®",
    ]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(_tags(), _TEXT), max_size=14).map("".join))
@example("<li>a<li>b</li>c</li>d")
@example("<div>a</li>b</div>")
@example("<ul><li>a<div><li>b</div></li></ul>c")
@example("<h1>a<h2>b</h2>c</h1>d")
@example("<b><div>x</b>y</div>z")
@example("a</img>b")
@example("&am<b></b>p;")
@example("<<b></b>p>x")
@example("a&#1;b")
@example("<p\xa0class=x>y")
def test_the_plain_reading_is_the_parser_s_or_none(html: str) -> None:
    plain = plain_html_text(html)
    if plain is not None:
        assert plain == parsed_html_text(html)


@pytest.mark.parametrize(
    "html",
    [
        "<p>Danone rachète <a href=\"https://x.fr/a?b=1&amp;c=2\" title='a > b'>une start-up</a>"
        " &amp; <strong>lève</strong>&nbsp;10&#8239;M€.</p><p>Suite&#8230;</p>",
        "Premier<br/>second<br>troisième",
        '<div class="entry"><h2>Titre</h2><ul><li>un</li><li>deux <em>trois</em></li></ul></div>',
        "<blockquote><p>Cité</p></blockquote><img src=x.png alt='image'>après",
        "&lt;b&gt; écrit en texte",
    ],
)
def test_the_markup_of_ordinary_items_is_read_without_a_parser(html: str) -> None:
    assert plain_html_text(html) is not None
    assert plain_html_text(html) == parsed_html_text(html)


@pytest.mark.parametrize(
    "html",
    [
        "<div>a</div></div>b",  # a stray end tag: the parser drops it
        "<ul><li>a<li>b</li>c</li></ul>",  # the second <li> closes the first
        "<table><tr><td>a</td></tr>b</table>",  # a parser moves "b" before the table
        "a<!-- b -->c",
        "<p>a&#1;b</p>",  # a parser keeps the control character that html.unescape drops
        "<script>x</script>y",
    ],
)
def test_markup_a_parser_reads_otherwise_is_left_to_it(html: str) -> None:
    assert plain_html_text(html) is None
    assert html_to_text(html) == parsed_html_text(html)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # A footnote call or a mark after a name is no part of it.
        ("Danone<sup>1</sup> annonce", "Danone¹ annonce"),
        ('Danone<sup><a href="#note1">12</a></sup>.', "Danone¹²."),
        ("Danone<sup>&#49;</sup>", "Danone¹"),
        ("Danone<sup>TM</sup> et Evian<SUP>MD</SUP>", "Danone TM et Evian MD"),
        ("Danone<sup>1,2</sup>", "Danone 1,2"),
        ("Danone<sup>®</sup>", "Danone®"),
        ("Danone<sup>TM", "Danone TM"),  # left open: the text ends it
        # Exponents read as written; ordinals, abbreviations and formulas stay one word.
        ("10<sup>6</sup> m<sup>2</sup>", "10⁶ m²"),
        ("le 1<sup>er</sup> janvier, M<sup>me</sup> Dupont, le XXI<sup>e</sup>", "le 1er janvier,"
         " Mme Dupont, le XXIe"),
        ("CO<sub>2</sub> et H<sub>2</sub>O", "CO2 et H2O"),
        ("<p>Danone<sup>1</p>2", "Danone¹ 2"),  # the paragraph's end closes the <sup>
    ],
)  # fmt: skip
def test_a_superscript_or_subscript_is_kept_apart_from_the_word_it_is_no_part_of(
    html: str, text: str
) -> None:
    assert html_to_text(html) == parsed_html_text(html) == text
    assert plain_html_text(html) in (None, text)
    assert plain_html_text(f"<b>{html}</b>") in (None, text)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [text for item in value for text in _strings(item)] if isinstance(value, list) else []


def _recorded_texts() -> list[str]:
    """The titles and contents of the recorded feeds, and every string of the recorded APIs."""
    texts = []
    feeds = [*(DATA / "feeds").iterdir(), *DATA.rglob("recorded/*/*.xml"), *GOLDEN.glob("*.xml")]
    for path in sorted(feeds):
        for mention in parse_feed(path.read_bytes(), url="https://x.org/feed", source="s").mentions:
            texts += [mention.title, mention.content_html]
    for path in sorted(DATA.rglob("recorded/*/*.json")):
        texts += _strings(json.loads(path.read_text()))
    return texts


def test_every_recorded_item_reads_as_the_parser_reads_it() -> None:
    texts = _recorded_texts()
    read_plainly = [html for html in texts if "<" in html and plain_html_text(html) is not None]
    assert len(read_plainly) > 50
    for html in texts:
        assert html_to_text(html) == parsed_html_text(html), html
