"""A fast reader for plain RSS 2.0 and Atom 1.0 feeds: feedparser's exact entries, or nothing.

feedparser spends about a millisecond an item in sax callbacks and per-element bookkeeping. Most
feeds are well-formed UTF-8 RSS 2.0 or Atom made of a handful of elements: this module reads
those with the C XML parser into the same feed and entry values feedparser gives veille, and
returns None ("not sure") for anything else — broken XML, a DOCTYPE, another encoding, an
element or attribute it does not know — so that the caller lets feedparser read the body.

Each value goes through the steps feedparser applies to it (strip, URL join, HTML type guess,
relative links in HTML, its mojibake and windows-1252 repairs); where feedparser's own helpers
decide (encoding, dates but the common RFC 822 form, links inside HTML) they are called rather
than copied.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import Any

from feedparser.api import StrictFeedParser
from feedparser.encodings import convert_to_utf8
from feedparser.html import _BaseHTMLProcessor, _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri, resolve_relative_uris

from veille.collectors._entries import MAX_AUTHOR_CHARS, joined_as_is
from veille.collectors._feed_dates import parse_feed_date

_ATOM = "http://www.w3.org/2005/Atom"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
# A DOCTYPE or entity declaration: feedparser rewrites them (entities, RSS 0.91 version).
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_NAMESPACE_DECLARATION = re.compile(rb"xmlns(?::([\w.-]+))?\s*=\s*[\"']([^\"']*)[\"']")
# Whitespace the XML parser would turn into spaces in an attribute value.
_ATTRIBUTE_SPACE = re.compile(r"[\t\n\r]")
# RSS 1.0 and 0.90 namespaces change the version feedparser gives the feed.
_VERSION_NAMESPACES = frozenset(
    {"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"}
)
# HTML that feedparser's relative-link resolver would write back unchanged: text, named entities
# it keeps, and start/end tags without attributes (it re-emits those as they are).
_SIMPLE_HTML = re.compile(r"(?:[^<>&]++|</?[a-z][a-z0-9]*+>|&(?:amp|lt|gt|quot);)*+")
_TAG_NAME = re.compile(r"</?([a-z][a-z0-9]*)>")
_CP1252_RANGE = re.compile("[\x80-\x9f]")
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")
_TEXT_TYPES = {"text": "text/plain", "plain": "text/plain", "html": "text/html"}
# Keys veille reads from feedparser's feed and entries, and their companions: an element
# feedparser would store under one of them is never taken as harmless.
_READ_KEYS = frozenset({
    "source", "yt_videoid", "content", "link", "links", "id", "guidislink", "title",
    "title_detail", "summary", "summary_detail", "author", "authors", "author_detail",
    "media_statistics", "media_starrating", "language", "published", "published_parsed",
    "updated", "updated_parsed", "created", "created_parsed", "href", "ttl", "generator",
    "generator_detail", "subtitle", "image", "feedburner_origlink", "time",
})  # fmt: skip
# Elements with a feedparser handler that this module reads (in some places only).
_KNOWN_KEYS = frozenset({
    "rss", "channel", "feed", "item", "entry", "title", "link", "id", "guid", "description",
    "summary", "content", "content_encoded", "author", "dc_creator", "pubdate", "published",
    "updated", "category", "enclosure", "language", "ttl", "generator", "image", "url", "width",
    "height", "name", "email", "uri", "homepage", "subtitle", "rights", "copyright",
    "lastbuilddate", "webmaster", "managingeditor", "source", "yt_videoid", "media_group",
    "media_title", "media_description", "media_content", "media_thumbnail", "media_starrating",
    "media_statistics", "time",
})  # fmt: skip
# Keys of elements in namespaces feedparser does not know that veille reads, under the prefix
# YouTube's feeds use (feedparser names such elements by the document's own prefix).
_READ_UNKNOWN_KEYS = frozenset({"yt_videoid"})
_AUTHOR_PARTS = {"name": "name", "email": "email", "uri": "href", "url": "href", "homepage": "href"}
_IMAGE_PARTS = frozenset({"title", "url", "link", "width", "height", "description"})
_FEED_IGNORED = frozenset({
    "description", "subtitle", "rights", "copyright", "pubdate", "lastbuilddate", "updated",
    "published", "webmaster", "managingeditor",
})  # fmt: skip


class _Unsure(Exception):
    """The feed leaves the subset this module reproduces exactly."""


@dataclass(slots=True)
class PlainFeed:
    """What feedparser would have given veille for a plain feed: feed values and entries."""

    atom: bool
    feed: dict[str, Any]
    entries: list[dict[str, Any]]


def read_plain_feed(body: bytes, headers: dict[str, str]) -> PlainFeed | None:
    """The feed as feedparser would read it (headers as given to feedparser), or None if unsure.

    None also for a feed without entries: feedparser's path tells empty feeds from non-feeds.
    """
    if "content-language" in headers or (b"<!" in body and _DECLARATION.search(body)):
        return None
    encoding: dict[str, Any] = {}
    data = convert_to_utf8(headers, body, encoding)
    if encoding.get("bozo") or str(encoding.get("encoding", "")).lower() not in _UTF8:
        return None
    try:
        unknown_namespaces = _check_namespaces(data)
        root = ElementTree.fromstring(data)
        base = _base_uri(headers.get("content-location", ""))
        return _Reader(base, unknown_namespaces).read(root)
    except (_Unsure, ElementTree.ParseError, ValueError, UnicodeError):
        return None


def _check_namespaces(data: bytes) -> dict[str, str]:
    """Refuse prefixes feedparser maps in its own way (a known namespace under another name).

    Return the namespaces feedparser does not know, by URI, with the prefix it names their
    elements by: the document's own, lowercased (Bing's ``News:Source`` is ``news_source``).
    """
    declared: dict[bytes, bytes] = {}
    unknown: dict[str, str] = {}
    for prefix, uri in _NAMESPACE_DECLARATION.findall(data):
        if declared.setdefault(prefix, uri) != uri:
            raise _Unsure
        text = uri.decode("utf-8", "replace").lower()
        if text in _VERSION_NAMESPACES or "backend.userland.com/rss" in text:
            raise _Unsure
        standard = _PREFIXES.get(text)
        if prefix and standard not in (None, "", prefix.decode("ascii", "replace")):
            raise _Unsure
        if standard is None:
            # As the XML parser reads the attribute: entities decoded (a search URL's &amp;).
            name = html.unescape(uri.decode("utf-8", "replace"))
            own = prefix.decode("ascii", "replace").lower()
            if not own or _ATTRIBUTE_SPACE.search(name) or unknown.setdefault(name, own) != own:
                raise _Unsure  # unknown default namespace, or one URI under two prefixes
    return unknown


def _base_uri(location: str) -> str:
    """The base URI feedparser resolves against once it has entered the root element."""
    if not location:
        return location
    base = make_safe_absolute_uri(location, location) or location
    if (make_safe_absolute_uri(base, base) or base) != base:
        raise _Unsure
    return base


@functools.lru_cache(maxsize=1024)
def _key_of(tag: str) -> str | None:
    """feedparser's name for an element: lowercase, prefixed by its namespace's usual prefix."""
    if tag[0] != "{":
        return tag.lower()
    uri, _, local = tag[1:].partition("}")
    prefix = _PREFIXES.get(uri.lower())
    if prefix is None:
        return None  # feedparser would use the document's own prefix
    return f"{prefix}_{local.lower()}" if prefix else local.lower()


def _key(tag: str) -> str:
    key = _key_of(tag)
    if key is None:
        raise _Unsure
    return key


@functools.lru_cache(maxsize=1024)
def _never_read(key: str) -> bool:
    """Whether feedparser only stores this element under its own key, one veille never reads."""
    return not (
        key in _READ_KEYS
        or key.endswith(("_detail", "_parsed"))
        or hasattr(StrictFeedParser, f"_start_{key}")
        or hasattr(StrictFeedParser, f"_end_{key}")
    )


def _attributes(element: ElementTree.Element) -> dict[str, str]:
    """Attributes as feedparser sees them (lowercase names; rel and type values lowercased)."""
    result: dict[str, str] = {}
    for name, value in element.attrib.items():
        if name == _XML_LANG:
            name = "xml:lang"
        elif name[0] == "{" or name.lower() in ("base", "xml:base"):
            raise _Unsure
        name = name.lower()
        if name in result:
            raise _Unsure
        result[name] = value.lower() if name in ("rel", "type") else value
    return result


def _finish(text: str) -> str:
    """feedparser's last steps on every text value: undo UTF-8 read as Latin-1, map cp1252."""
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_cp1252) if _CP1252_RANGE.search(text) else text


def _leaf_text(element: ElementTree.Element) -> str:
    if len(element):
        raise _Unsure
    return element.text or ""


@dataclass(slots=True)
class _Scope:
    """One feed or entry being filled, with the parser state feedparser keeps for it."""

    values: dict[str, Any]
    lang: str | None
    has_content: bool = False
    seen: set[str] = field(default_factory=set)


class _Reader:
    """Walks a parsed document the way feedparser's handlers would, for the known elements."""

    def __init__(self, base: str, unknown_namespaces: dict[str, str]) -> None:
        self.base = base
        self.unknown_namespaces = unknown_namespaces
        self.atom = False

    def _key(self, tag: str) -> str:
        """``_key``, with the document's own prefix for a namespace feedparser does not know.

        Such an element is only taken when veille never reads the key it makes: feedparser
        would act on a key such as ``dc_creator`` whatever namespace the prefix stands for.
        """
        key = _key_of(tag)
        if key is not None:
            return key
        uri, _, local = tag[1:].partition("}")
        prefix = self.unknown_namespaces.get(uri)
        if prefix is None:
            raise _Unsure
        key = f"{prefix}_{local.lower()}"
        if not _never_read(key) and key not in _READ_UNKNOWN_KEYS:
            raise _Unsure
        return key

    def read(self, root: ElementTree.Element) -> PlainFeed:
        attributes = _attributes(root)
        lang = self._lang(attributes, None)
        feed: dict[str, Any] = {}
        if lang:
            feed["language"] = lang.replace("_", "-")
        if root.tag == "rss" and attributes.get("version", "").startswith("2."):
            if set(attributes) - {"version", "xml:lang", "lang"} or len(root) != 1:
                raise _Unsure
            channel = root[0]
            if channel.tag != "channel":
                raise _Unsure
            channel_attributes = _attributes(channel)
            if set(channel_attributes) - {"xml:lang", "lang"}:
                raise _Unsure
            lang = self._lang(channel_attributes, lang)
            children = list(channel)
        elif root.tag == f"{{{_ATOM}}}feed":
            if set(attributes) - {"xml:lang", "lang"}:
                raise _Unsure
            self.atom = True
            children = list(root)
        else:
            raise _Unsure
        for element in root.iter():  # a first look, to leave early what feedparser must read
            key = self._key(element.tag)
            if key not in _KNOWN_KEYS and not _never_read(key):
                raise _Unsure
        scope = _Scope(feed, lang)
        entries = []
        for child in children:
            key = self._key(child.tag)
            if key in ("item", "entry"):
                entries.append(self._entry(child, lang))
            else:
                self._feed_element(scope, key, child)
        if not entries:
            raise _Unsure
        return PlainFeed(atom=self.atom, feed=feed, entries=entries)

    @staticmethod
    def _lang(attributes: dict[str, str], inherited: str | None) -> str | None:
        declared = attributes.get("xml:lang", attributes.get("lang"))
        if declared is None:
            return inherited
        return declared or None  # xml:lang="" unsets the language

    def _once(self, scope: _Scope, key: str) -> None:
        if key in scope.seen:
            raise _Unsure  # feedparser's handling of repeated elements is subtle: not ours
        scope.seen.add(key)

    def _feed_element(self, scope: _Scope, key: str, element: ElementTree.Element) -> None:
        attributes = _attributes(element)
        lang = self._lang(attributes, scope.lang)
        if key == "title":
            self._once(scope, key)
            self._title(scope, element, attributes, lang)
        elif key == "link":
            self._link(scope, element, attributes, in_entry=False)
        elif key == "id":
            self._once(scope, key)
            self._guid(scope, element, attributes)
        elif key in ("language", "ttl"):
            self._plain_value(scope, key, element, attributes)
        elif key == "generator":
            self._once(scope, key)
            self._generator(scope, element, attributes)
        elif key == "image" and not attributes:
            self._once(scope, key)
            for part in element:
                if _key(part.tag) not in _IMAGE_PARTS or part.attrib:
                    raise _Unsure
                _leaf_text(part)
        elif key == "category":
            _leaf_text(element)
        elif key in _FEED_IGNORED:
            self._once(scope, key)
            if key in ("webmaster", "managingeditor"):
                if attributes:
                    raise _Unsure
                _leaf_text(element)
            self._ignorable_content(element, attributes)
        elif key == "author" and self.atom:
            # Kept as feedparser keeps it: the entries without an author of their own have it.
            self._atom_author(scope, element, attributes)
        else:
            self._harmless(key, element)

    def _entry(self, element: ElementTree.Element, lang: str | None) -> dict[str, Any]:
        attributes = _attributes(element)
        if set(attributes) - {"xml:lang", "lang"}:
            raise _Unsure
        scope = _Scope({}, self._lang(attributes, lang))
        authors = 0
        for child in element:
            key = self._key(child.tag)
            child_attributes = _attributes(child)
            child_lang = self._lang(child_attributes, scope.lang)
            if key == "title":
                self._once(scope, key)
                self._title(scope, child, child_attributes, child_lang)
            elif key == "link":
                self._link(scope, child, child_attributes, in_entry=True)
            elif key in ("id", "guid"):
                self._once(scope, "id")
                self._guid(scope, child, child_attributes)
            elif key in ("description", "summary"):
                self._once(scope, "summary")
                self._summary(scope, child, child_attributes, child_lang)
            elif key in ("content", "content_encoded"):
                self._once(scope, "content")
                self._content(scope, key, child, child_attributes, child_lang)
            elif key in ("author", "dc_creator"):
                authors += 1
                if self.atom and key == "author":
                    self._atom_author(scope, child, child_attributes)
                elif authors > 1 or self.atom or child_attributes:
                    raise _Unsure  # feedparser merges several RSS authors in its own way
                else:
                    self._rss_author(scope, child)
            elif key in ("pubdate", "published", "updated"):
                kind = "published" if key == "pubdate" else key
                self._once(scope, kind)
                if child_attributes:
                    raise _Unsure
                value = _finish(self._date_text(scope, child).strip())
                scope.values[kind] = value
                scope.values[f"{kind}_parsed"] = parse_feed_date(value)
            elif key == "category":
                _leaf_text(child)
            elif key == "source" and not self.atom:
                self._once(scope, key)
                self._rss_source(scope, child, child_attributes)
            elif key == "yt_videoid":
                self._plain_value(scope, key, child, child_attributes)
            elif key == "media_group":
                self._once(scope, key)
                self._media_group(scope, child, child_attributes, child_lang)
            elif key == "enclosure":
                if _leaf_text(child).strip() or set(child_attributes) - {"url", "length", "type"}:
                    raise _Unsure
            else:
                self._harmless(key, child)
        return scope.values

    def _date_text(self, scope: _Scope, element: ElementTree.Element) -> str:
        """A date element's text, and as feedparser keeps it, the ``datetime`` of an HTML
        ``<time>`` inside it (Drupal writes ``<pubDate><time datetime="…">…</time></pubDate>``)
        under the entry's ``time`` key, its text joining the date's."""
        if not len(element):
            return element.text or ""
        if len(element) > 1 or element[0].tag != "time" or len(element[0]):
            raise _Unsure
        time = element[0]
        attributes = _attributes(time)
        if set(attributes) != {"datetime"}:
            raise _Unsure  # without attributes feedparser keeps the text apart, under "time"
        self._once(scope, "time")
        scope.values["time"] = attributes
        return (element.text or "") + (time.text or "") + (time.tail or "")

    def _plain_value(
        self, scope: _Scope, key: str, element: ElementTree.Element, attributes: dict[str, str]
    ) -> None:
        """A text element feedparser stores under its key as it is, once, with no attributes."""
        self._once(scope, key)
        if attributes:
            raise _Unsure
        scope.values[key] = _finish(_leaf_text(element).strip())

    def _harmless(self, key: str, element: ElementTree.Element) -> None:
        """Accept an element feedparser only stores under its own key, which veille never reads."""
        if len(element) or not _never_read(key):
            raise _Unsure
        _attributes(element)

    def _ignorable_content(self, element: ElementTree.Element, attributes: dict[str, str]) -> None:
        """Feed-level text whose value veille does not read: only its shape has to be plain."""
        _leaf_text(element)
        if set(attributes) - {"type", "xml:lang", "lang"}:
            raise _Unsure
        self._content_type(attributes, "text/plain")

    def _content_type(self, attributes: dict[str, str], default: str) -> str:
        if set(attributes) - {"type", "xml:lang", "lang"}:
            raise _Unsure  # mode="base64", src=…, xml:base…
        declared = attributes.get("type", default).lower()
        content_type = _TEXT_TYPES.get(declared, declared)
        if content_type not in ("text/plain", "text/html"):
            raise _Unsure  # xhtml, base64 types, anything feedparser reads as markup
        return content_type

    def _text_value(self, element: ElementTree.Element, content_type: str) -> tuple[str, str]:
        """A title, summary or content as feedparser stores it, with its final type."""
        output = _leaf_text(element).strip()
        if (
            not self.atom
            and content_type == "text/plain"
            and _FeedParserMixin.looks_like_html(output)
        ):
            content_type = "text/html"
        if content_type == "text/html":
            output = self._resolve_html(output)
        return _finish(output), content_type

    def _resolve_html(self, html: str) -> str:
        if "<" not in html and "&" not in html:
            return html  # plain text: the resolver writes it back as it is
        if _SIMPLE_HTML.fullmatch(html) and not any(
            tag in _BaseHTMLProcessor.elements_no_end_tag for tag in _TAG_NAME.findall(html)
        ):
            return html  # nor does it change tags without attributes
        return str(resolve_relative_uris(html, self.base, "utf-8", "text/html"))

    def _detail(self, content_type: str, lang: str | None, value: str) -> dict[str, Any]:
        language = lang.replace("_", "-") if lang else lang
        return {"type": content_type, "language": language, "base": self.base, "value": value}

    def _title(
        self, scope: _Scope, element: ElementTree.Element, attributes: dict[str, str], lang: Any
    ) -> None:
        content_type = self._content_type(attributes, "text/plain")
        value, content_type = self._text_value(element, content_type)
        scope.values["title"] = value
        scope.values["title_detail"] = self._detail(content_type, lang, value)

    def _summary(
        self, scope: _Scope, element: ElementTree.Element, attributes: dict[str, str], lang: Any
    ) -> None:
        default = "text/html" if _key(element.tag) == "description" else "text/plain"
        content_type = self._content_type(attributes, default)
        value, content_type = self._text_value(element, content_type)
        scope.values["summary"] = value
        scope.values["summary_detail"] = self._detail(content_type, lang, value)

    def _content(
        self,
        scope: _Scope,
        key: str,
        element: ElementTree.Element,
        attributes: dict[str, str],
        lang: Any,
    ) -> None:
        scope.has_content = True
        default = "text/html" if key == "content_encoded" else "text/plain"
        content_type = self._content_type(attributes, default)
        value, content_type = self._text_value(element, content_type)
        scope.values["content"] = [self._detail(content_type, lang, value)]
        scope.values.setdefault("summary", value)  # feedparser copies text content to summary

    def _resolve_uri(self, text: str) -> str:
        """A popped text value made absolute, as feedparser does (not when empty)."""
        return self._join(text) if text else text

    def _join(self, uri: str) -> str:
        """An attribute URI made absolute, as feedparser does (an empty one becomes the base)."""
        return uri if joined_as_is(self.base, uri) else str(_urljoin(self.base, uri))

    def _link(
        self,
        scope: _Scope,
        element: ElementTree.Element,
        attributes: dict[str, str],
        *,
        in_entry: bool,
    ) -> None:
        if set(attributes) - {"href", "rel", "type", "title", "hreflang", "length"}:
            raise _Unsure
        if "href" in attributes:
            if _leaf_text(element).strip():
                raise _Unsure
            rel = attributes.get("rel", "alternate")
            default_type = "application/atom+xml" if rel == "self" else "text/html"
            link_type = _FeedParserMixin.map_content_type(attributes.get("type", default_type))
            if rel == "alternate" and link_type in _FeedParserMixin.html_types:
                scope.values["link"] = self._join(attributes["href"])
            return
        output = _finish(self._resolve_uri(_leaf_text(element).strip()))
        if in_entry:
            output = output.replace("&amp;", "&")
        scope.values["link"] = _LINK_ENTITY.sub(r"&\g<1>", output)

    def _guid(
        self, scope: _Scope, element: ElementTree.Element, attributes: dict[str, str]
    ) -> None:
        if set(attributes) - {"ispermalink"}:
            raise _Unsure
        is_link = attributes.get("ispermalink", "true") == "true"
        output = _leaf_text(element).strip()
        if is_link:
            output = self._resolve_uri(output)
        value = _finish(output)
        scope.values["id"] = value
        if is_link:
            scope.values.setdefault("link", value)

    def _generator(
        self, scope: _Scope, element: ElementTree.Element, attributes: dict[str, str]
    ) -> None:
        if set(attributes) - {"uri", "version"}:
            raise _Unsure
        detail: dict[str, Any] = dict(attributes)
        href = detail.pop("uri", None)
        if href:
            detail["href"] = self._join(href)
        elif href is not None:
            detail["uri"] = href
        value = _finish(_leaf_text(element).strip())
        scope.values["generator"] = value
        detail["name"] = value
        scope.values["generator_detail"] = detail

    def _media_group(
        self, scope: _Scope, element: ElementTree.Element, attributes: dict[str, str], lang: Any
    ) -> None:
        """YouTube's ``<media:group>``: title, content, thumbnail, description, figures.

        feedparser skips a media title after the item's own non-empty title (or only updates
        its detail); a media description becomes the summary when none came before (else
        the content); the figures are stored as their attributes. Other shapes: not ours.
        """
        if attributes or (element.text or "").strip():
            raise _Unsure
        for part in element:
            key = self._key(part.tag)
            part_attributes = _attributes(part)
            part_lang = self._lang(part_attributes, lang)
            if len(part) and key != "media_community":
                raise _Unsure
            if key == "media_title":
                if not scope.values.get("title") or "source" in scope.values:
                    raise _Unsure
                self._content_type(part_attributes, "text/plain")
            elif key == "media_description":
                if "summary" in scope.values:
                    raise _Unsure
                self._once(scope, "summary")
                content_type = self._content_type(part_attributes, "text/html")
                value, content_type = self._text_value(part, content_type)
                scope.values["summary"] = value
                scope.values["summary_detail"] = self._detail(content_type, part_lang, value)
            elif key in ("media_content", "media_thumbnail"):
                if (part.text or "").strip():
                    raise _Unsure
            elif key == "media_community" and not part_attributes:
                if (part.text or "").strip():
                    raise _Unsure
                for figure in part:
                    name = self._key(figure.tag)
                    figure_attributes = _attributes(figure)
                    if (
                        name not in ("media_starrating", "media_statistics")
                        or name in scope.values
                        or not figure_attributes
                        or len(figure)
                        or (figure.text or "").strip()
                    ):
                        raise _Unsure
                    scope.values[name] = figure_attributes
            else:
                raise _Unsure

    @staticmethod
    def _rss_source(
        scope: _Scope, element: ElementTree.Element, attributes: dict[str, str]
    ) -> None:
        """RSS's ``<source url="…">Publisher</source>`` (Google News names the publisher so)."""
        if set(attributes) - {"url"}:
            raise _Unsure
        origin = {"href": attributes["url"]} if "url" in attributes else {}
        title = _finish(_leaf_text(element).strip())
        if title:
            origin["title"] = title
        scope.values["source"] = origin

    def _rss_author(self, scope: _Scope, element: ElementTree.Element) -> None:
        value = _finish(_leaf_text(element).strip())
        if len(value) > MAX_AUTHOR_CHARS:
            raise _Unsure
        scope.values["author"] = value

    def _atom_author(
        self, scope: _Scope, element: ElementTree.Element, attributes: dict[str, str]
    ) -> None:
        if set(attributes) - {"xml:lang", "lang"} or (element.text or "").strip():
            raise _Unsure
        author: dict[str, str] = {}
        for part in element:
            name = _AUTHOR_PARTS.get(_key(part.tag))
            if name is None or name in author or part.attrib or (part.tail or "").strip():
                raise _Unsure
            text = _leaf_text(part).strip()
            # name and email are kept raw; a URI goes through feedparser's text steps
            author[name] = _finish(self._resolve_uri(text)) if name == "href" else text
        scope.values.setdefault("authors", []).append(author)
