"""Plain text out of feed HTML, and the text folding shared by identity and matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html import unescape

from veille.normalize.plain_html import plain_html_text, raised_text

# Elements whose content is never readable text.
_DROPPED_TAGS = ["script", "style", "noscript", "template", "svg", "iframe"]

# Elements that end a line or a block when rendered: their text must not glue to the
# neighbouring text ("<p>a</p><p>b</p>" is "a b", not "ab"). Inline tags such as <b>, <em>
# or <a> are not listed: search engines wrap matched words in them ("<b>Dan</b>one").
_BLOCK_SELECTOR = ",".join(
    [
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details",
        "div", "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "img", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title",
        "tr", "ul",
    ]
)  # fmt: skip

# A <sup> or <sub> start tag (see ``raised_text``): most texts have none, and skip looking.
_RAISED_TAG = re.compile(r"<su[bp][\s/>]", re.IGNORECASE)

# Letters that Unicode does not decompose but that French and other Latin-script texts
# write interchangeably with plain letters ("œuvre" / "oeuvre").
_LIGATURES = (
    ("œ", "oe"), ("æ", "ae"), ("ø", "o"), ("ł", "l"), ("đ", "d"), ("ı", "i"),
    # The modifier letter apostrophe is a letter to Unicode, so « lʼOréal » would be one word:
    # some keyboards and sites type it for the apostrophe.
    ("ʼ", "'"),
)  # fmt: skip


# C0 controls other than whitespace, DEL, C1 controls and lone surrogates (JSON can carry them):
# never readable text. PostgreSQL refuses NUL in text columns, no database can encode a lone
# surrogate, and a terminal would run the escape sequences ESC starts.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")


def strip_control_characters(text: str) -> str:
    """The text without control characters (tabs, line breaks and other whitespace are kept)."""
    return _CONTROL_CHARACTERS.sub("", text)


def has_control_characters(text: str) -> bool:
    """Whether the text holds any character ``strip_control_characters`` removes."""
    return _CONTROL_CHARACTERS.search(text) is not None


def collapse_whitespace(text: str) -> str:
    """Replace every run of whitespace by one space and strip both ends."""
    return " ".join(text.split())


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML fragment on one line, entities decoded once, soft
    hyphens (``&shy;``, invisible but where a word may break) left out."""
    if "<" not in html and "&" not in html:
        text = collapse_whitespace(html)
    else:
        plain = plain_html_text(html)
        text = plain if plain is not None else parsed_html_text(html)
    return text.replace("\xad", "") if "\xad" in text else text


def parsed_html_text(html: str) -> str:
    """``html_to_text`` by an HTML parser: the definition, and the way for any markup."""
    # Imported here: matching and folding (which read commands load) need no HTML parser.
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    tree.strip_tags(_DROPPED_TAGS)
    for block in tree.css(_BLOCK_SELECTOR):
        block.insert_before(" ")
        block.insert_after(" ")
    if _RAISED_TAG.search(html):
        # Innermost first, as their end tags come: an outer one reads the inner one's text.
        for element in reversed(tree.css("sup, sub")):
            content = element.text(deep=True, separator="")
            element.replace_with(raised_text(str(element.tag), content))
    root = tree.root
    if root is None:
        return ""
    return collapse_whitespace(root.text(deep=True, separator=""))


# A tag an HTML parser removes exactly so: a start or end tag, or a processing instruction,
# with no quote inside (a quoted ">" would not end it) and no other "<".
_MARKUP = re.compile(r"<[A-Za-z/?][^<>\"']*>")
_TAG_START = re.compile(r"<[A-Za-z/?!]")
# Where a parser keeps as text what looks like markup (raw-text elements, CDATA in MathML) or
# drops more than a tag (comments, and the elements html_to_text drops with their content, whose
# neighbours then join into one word): only the parser can tell which letters stay.
_PARSER_ONLY = re.compile(
    r"<(?:!|/?(?:title|textarea|xmp|plaintext|noembed|noframes|"
    + "|".join(_DROPPED_TAGS)
    + r")\b)",
    re.I,
)


def rough_text(html: str) -> str | None:
    """The letters ``html_to_text`` would read in an HTML fragment, without parsing it.

    Tags are cut out and the entities of the text between them decoded, as a parser does:
    every word ``html_to_text`` finds is in the result, perhaps glued to a neighbour (block
    tags are not turned into spaces), and the result may hold more (text a parser drops). None
    when only a parser can tell: comments, CDATA, raw-text elements, tags with quotes or left
    open. Cheap enough to rule out most items before they are parsed.
    """
    if "<" not in html:
        return unescape(html) if "&" in html else html
    if _PARSER_ONLY.search(html):
        return None
    between_tags = _MARKUP.split(html)
    if any(_TAG_START.search(text) for text in between_tags):
        return None
    return "".join(map(unescape, between_tags))


@lru_cache(maxsize=1)
def _combining_marks() -> re.Pattern[str]:
    """The combining marks (non-zero combining class) of the BMP, as one character class.

    One regular-expression pass removes the marks instead of a Python loop per character. Built
    on first use: walking the BMP costs about 10 ms, which commands that never fold text skip.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x0300, 0x10000):
        if unicodedata.combining(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    body = "".join(re.escape(chr(low)) + "-" + re.escape(chr(high)) for low, high in ranges)
    return re.compile(f"[{body}]+")


def strip_accents_whole(text: str) -> str:
    """``strip_accents`` by decomposing the whole text: the definition, and the way for any text."""
    return _combining_marks().sub("", unicodedata.normalize("NFKD", text))


# Each non-ASCII character's form without marks, or None where only the whole text's
# decomposition gives the right result (see `_stripped_character`).
_STRIPPED_CHARACTERS: dict[str, str | None] = {}
# Past this many distinct characters (a text of every letter of Unicode), new ones are not kept.
_STRIPPED_CHARACTERS_KEPT = 65536


def _stripped_character(character: str) -> str | None:
    stripped: str | None = strip_accents_whole(character)
    # A mark left over (outside the BMP, which the pattern covers) may be reordered with its
    # neighbours by the whole text's decomposition; such texts take that way.
    if stripped and any(unicodedata.combining(left) for left in stripped):
        stripped = None
    if len(_STRIPPED_CHARACTERS) < _STRIPPED_CHARACTERS_KEPT:
        _STRIPPED_CHARACTERS[character] = stripped
    return stripped


def strip_accents(text: str) -> str:
    """Remove combining marks after compatibility decomposition ("Société" → "Societe")."""
    if text.isascii():
        return text
    # Character by character: the decomposition maps each character apart and only reorders
    # the marks, which all go, so each distinct letter is replaced once over the text (about
    # half the time of decomposing a French article whole).
    stripped_forms = _STRIPPED_CHARACTERS
    for character in set(text):
        if character < "\x80":
            continue
        try:
            stripped = stripped_forms[character]
        except KeyError:
            stripped = _stripped_character(character)
        if stripped is None:
            return strip_accents_whole(text)
        if stripped != character:
            text = text.replace(character, stripped)
    return text


# Marks written after a name, ™ and ℠, and footnote numbers (« Danone¹ », « Orange² ») decompose
# to letters and digits ("tm", "1") that would join the word they follow: they part words.
_WORD_ENDING = re.compile("[™℠¹²³⁰⁴-⁹]")


# An item's title and text are folded by several steps in turn (ruling out items that name no
# brand, the word index, story features, the fingerprint): the last few folds are kept.
@lru_cache(maxsize=8)
def fold_case_and_accents(text: str) -> str:
    """Case-, accent- and ligature-free form of a text, whitespace kept ("Œuvre" → "oeuvre")."""
    if text.isascii():
        return text.lower()
    folded = text.casefold()
    if "\xad" in folded:
        # A soft hyphen (where a word may break, invisible otherwise) is no letter: French
        # sites hyphenate long words with it ("Socié\xadté").
        folded = folded.replace("\xad", "")
    if _WORD_ENDING.search(folded):
        folded = _WORD_ENDING.sub(" ", folded)
    # str.replace per letter is several times faster than str.translate on long texts.
    for letter, replacement in _LIGATURES:
        if letter in folded:
            folded = folded.replace(letter, replacement)
    stripped = strip_accents(folded)
    # Styled letters (« 𝐃𝐚𝐧𝐨𝐧𝐞 », mathematical bold) have no lower case of their own: their
    # compatibility forms, plain capitals, do.
    return stripped if stripped.islower() else stripped.lower()


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """Cached fold_case_and_accents for short strings that recur (query terms, names)."""
    return fold_case_and_accents(word)


def fold_text(text: str) -> str:
    """Case- and accent-insensitive form of a text with whitespace collapsed."""
    return collapse_whitespace(fold_case_and_accents(text))


_NOT_WORD = re.compile(r"[\W_]+")


def _words_key(text: str) -> str:
    return _NOT_WORD.sub(" ", fold_case_and_accents(text)).strip()


# Folding works character by character, so the key of a text's start is the start of its key:
# a content whose first characters already differ from the title's is told apart without
# folding it whole (most contents).
_KEY_PREFIX_CHARACTERS = 64


def body_text(title: str, content: str) -> str:
    """The content of an item, or "" when it only repeats the title's words (many feeds do)."""
    if not content:
        return content
    title_key = _words_key(title)
    if len(content) > _KEY_PREFIX_CHARACTERS:
        # Folded uncached: the cache keeps the folds of whole titles and texts.
        start = fold_case_and_accents.__wrapped__(content[:_KEY_PREFIX_CHARACTERS])
        if not title_key.startswith(_NOT_WORD.sub(" ", start).strip()):
            return content
    if _words_key(content) == title_key:
        return ""
    return content


# A hashtag: "#" after a space or punctuation (not "page#part", "&#39;", "##"), then word
# characters, at least one of them a letter ("#1" and "#2026" are numbers, not tags).
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w*[^\W\d_]\w*)")


def hashtags(text: str) -> list[str]:
    """The hashtags of a text, each once, in order, as written ("#BoycottDanone")."""
    return list(dict.fromkeys(f"#{tag}" for tag in _HASHTAG.findall(text)))


def name_key(name: str) -> str:
    """How a brand name asked for is compared with the configured ones: case, accents, the kind
    of apostrophe and spacing aside ("l’oreal" names « L'Oréal »)."""
    return " ".join(fold_case_and_accents(name.replace("’", "'")).split())
