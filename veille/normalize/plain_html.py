"""The readable text of plain feed HTML without an HTML parser.

Most feed items are a few paragraphs with links and emphasis: ``<p>…<a href="…">…</a></p>``.
For such markup an HTML parser keeps every element where it is written, so the text
``html_to_text`` reads is the text between the tags, a blank where a block tag stands, entities
decoded: found here with one regular expression, several times faster than building the tree.
Anything a parser could rearrange or read otherwise (tables, list items inside list items,
stray end tags, comments, raw-text elements, references a parser decodes differently) gets
None, and ``html_to_text`` parses it. ``tests/test_plain_html.py`` checks the two agree.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape

# Elements that only wrap text (phrasing content): their tags add no blank, and however they
# nest, a parser keeps their text in order.
_INLINE = frozenset(
    [
        "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font",
        "i", "ins", "kbd", "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong",
        "sub", "sup", "time", "tt", "u", "var",
    ]
)  # fmt: skip
# Blocks that a parser opens and closes as written when they nest properly (the "special"
# elements that behave as <div> does); each tag of theirs is a blank in the text.
_BLOCKS = frozenset(
    [
        "address", "article", "aside", "blockquote", "details", "div", "figcaption", "figure",
        "footer", "header", "main", "nav", "ol", "pre", "section", "summary", "ul",
    ]
)  # fmt: skip
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
# A <p> start or end tag always stands for a paragraph's edge, whatever is open: a parser
# closes an open one, or makes an empty one of a stray end tag. <br> and </br> are a line break:
# blanks too.
_ALWAYS_BLANK = frozenset(("p", "br"))
# Elements without content: their start tag is a blank, an end tag of theirs is dropped.
_VOID_BLOCKS = frozenset(("hr", "img"))
# Open elements past which an <li> start tag looks no further for an <li> to close (a parser's
# "special" elements but address, div and p).
_LIST_ITEM_STOPS = frozenset(_BLOCKS | _HEADINGS | {"li"}) - {"address", "div"}

# Superscripts and subscripts: footnote calls and trade marks after a name (Danone<sup>1</sup>,
# Danone<sup>TM</sup>), exponents (m<sup>2</sup>), ordinals (1<sup>er</sup>), formulas
# (CO<sub>2</sub>). Written on the line, their text would join the word before it.
RAISED = frozenset(("sup", "sub"))
_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_WORD_CHARACTER = re.compile(r"[^\W_]")


def raised_text(name: str, content: str) -> str:
    """The text of a <sup> or <sub> element (``name``) as the line reads it, apart from the word
    before it where it is no part of that word.

    A number in <sup> becomes superscript digits, which end a word as « Danone¹ » does, and
    read as written (m², 10⁶). Lower-case letters stay joined: French writes ordinals and
    abbreviations so (1er, Mme). A number in <sub> is part of a formula written as one word
    (CO2). Anything else with letters or digits (TM, 1,2, 2+) is set apart by spaces.
    """
    written = content.strip()
    if not written or _WORD_CHARACTER.search(written) is None:
        return content
    if written.isascii() and written.isdigit():
        return content.translate(_SUPERSCRIPT_DIGITS) if name == "sup" else content
    if written.islower() and all(c.isalpha() or unicodedata.combining(c) for c in written):
        return content
    return f" {content} "


# A whole start or end tag as a parser's tokenizer reads it: a name, then attributes whose
# values are quoted (any ">" or "<" inside) or plain words.
_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9]*)"
    r"(?:[\t\n\f\r ]+[A-Za-z_:][-A-Za-z0-9_:.]*"
    r"(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:\"[^\"]*\"|'[^']*'|[^\t\n\f\r \"'=<>`]+))?)*"
    r"[\t\n\f\r ]*/?>"
)
# Markup left in the text between the tags above: only a parser reads it.
_OTHER_MARKUP = re.compile(r"<[A-Za-z/?!]")
_NUMERIC_REFERENCE = re.compile(r"&#(?:[xX][0-9A-Fa-f]+|[0-9]+);?")


def plain_html_text(html: str) -> str | None:
    """The text ``html_to_text`` reads in plain markup, on one line; None unless it is plain."""
    if "\x00" in html:
        return None  # a parser drops or replaces NUL: its way
    pieces: list[str] = []
    open_elements: list[str] = []
    raised: list[tuple[str, int]] = []  # each open <sup> or <sub>, where its text starts
    position = 0
    for tag in _TAG.finditer(html):
        text = _text_between_tags(html[position : tag.start()])
        if text is None:
            return None
        pieces.append(text)
        position = tag.end()
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if raised and not _keeps_raised_open(open_elements, name, closing=closing):
            return None
        if name in _ALWAYS_BLANK:
            pieces.append(" ")
        elif name in _VOID_BLOCKS:
            if closing:
                return None
            pieces.append(" ")
        elif name in _INLINE:
            if not _nests(open_elements, name, closing=closing):
                return None
            if name in RAISED:
                if closing:
                    _close_raised(pieces, raised)
                else:
                    raised.append((name, len(pieces)))
        elif name in _BLOCKS or name in _HEADINGS or name == "li":
            if not closing and not _opens_as_written(open_elements, name):
                return None
            if not _nests(open_elements, name, closing=closing):
                return None
            pieces.append(" ")
        else:
            return None
    text = _text_between_tags(html[position:])
    if text is None:
        return None
    pieces.append(text)
    while raised:  # left open: the text ends them
        _close_raised(pieces, raised)
    return " ".join("".join(pieces).split())


def _keeps_raised_open(open_elements: list[str], name: str, *, closing: bool) -> bool:
    """Whether a parser keeps an open <sup> or <sub> open at this tag, its text still theirs.

    A block or paragraph tag may close an open <p> and what it holds, and an <a> (or <nobr>)
    inside another closes what the first one holds: only a line break, an image and the inline
    tags that nest are certain not to.
    """
    if name in _INLINE:
        return closing or name not in ("a", "nobr") or name not in open_elements
    return name == "br" or (name == "img" and not closing)


def _close_raised(pieces: list[str], raised: list[tuple[str, int]]) -> None:
    """End the innermost open <sup> or <sub>: its text, read by ``raised_text``."""
    name, start = raised.pop()
    pieces[start:] = [raised_text(name, "".join(pieces[start:]))]


def _text_between_tags(text: str) -> str | None:
    """The text between two tags, entities decoded as a parser decodes them (None if not)."""
    if "<" in text and _OTHER_MARKUP.search(text):
        return None
    if "&" not in text:
        return text
    if "&#" in text and not _references_decode_alike(text):
        return None
    return unescape(text)


def _nests(open_elements: list[str], name: str, *, closing: bool) -> bool:
    """Track one tag; False unless it closes the innermost open element it names."""
    if not closing:
        open_elements.append(name)
        return True
    if open_elements and open_elements[-1] == name:
        open_elements.pop()
        return True
    return False


def _opens_as_written(open_elements: list[str], name: str) -> bool:
    """Whether a parser opens this block inside the open elements, closing none of them."""
    if name in _HEADINGS:
        # A heading start tag closes a heading that is the current element.
        return not any(element in _HEADINGS for element in open_elements)
    if name == "li":
        # An <li> closes the nearest open <li> unless a list or another block stands between.
        for element in reversed(open_elements):
            if element == "li":
                return False
            if element in _LIST_ITEM_STOPS:
                return True
    return True


def _references_decode_alike(text: str) -> bool:
    """Whether every numeric reference decodes as a parser decodes it.

    ``html.unescape`` drops references to control characters and noncharacters (``&#1;``,
    ``&#xFFFF;``), which a parser keeps.
    """
    return all(unescape(reference) for reference in _NUMERIC_REFERENCE.findall(text))
