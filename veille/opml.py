"""OPML in and out: the usual way feed lists move between readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from veille.errors import ConfigError

# veille's own outline attributes, for what OPML has no attribute for: the source's name (so
# that an exported list imported again keeps its sources' names, and their state), its kind
# when not rss, and its settings. Other readers ignore them.
VEILLE_NS = "urn:x-veille:opml"
SETTINGS = ("name", "kind", "language", "platform", "interval")
ET.register_namespace("veille", VEILLE_NS)


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline: its title, feed URL, optional site URL, the folders it is in (outer
    first) and the source settings veille's own attributes give."""

    title: str
    xml_url: str
    html_url: str | None = None
    category: tuple[str, ...] = ()
    name: str | None = None
    kind: str | None = None
    language: str | None = None
    platform: str | None = None
    interval: str | None = None


# The outline types of a feed: one of these without an xmlUrl is a feed without an address.
FEED_TYPES = ("rss", "atom")


@dataclass(frozen=True, slots=True)
class OpmlOutlines:
    """The feeds of an OPML document, and the titles of its feed outlines without an address."""

    feeds: list[OpmlFeed]
    without_address: list[str]


def parse_opml(data: bytes, *, file: str = "<opml>") -> list[OpmlFeed]:
    """Every outline with an ``xmlUrl`` in document order, categories taken from parent outlines."""
    return parse_opml_outlines(data, file=file).feeds


def parse_opml_outlines(data: bytes, *, file: str = "<opml>") -> OpmlOutlines:
    """The feeds of :func:`parse_opml`, and the feed outlines (``type="rss"``, no outline in
    them) that have no ``xmlUrl``: neither a feed nor a folder."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ConfigError(f"not a valid OPML document ({exc})", file=file) from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError("not an OPML document (expected <opml><body>…)", file=file)
    feeds: list[OpmlFeed] = []
    without_address: list[str] = []

    def walk(element: ET.Element, category: tuple[str, ...]) -> None:
        for outline in element.findall("outline"):
            title = (outline.get("title") or outline.get("text") or "").strip()
            xml_url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            if xml_url:
                settings = {
                    setting: (outline.get(f"{{{VEILLE_NS}}}{setting}") or "").strip() or None
                    for setting in SETTINGS
                }
                feeds.append(
                    OpmlFeed(
                        title=title or xml_url,
                        xml_url=xml_url,
                        html_url=(outline.get("htmlUrl") or "").strip() or None,
                        category=category,
                        **settings,
                    )
                )
            elif is_feed_type(outline) and outline.find("outline") is None:
                without_address.append(title or "(untitled)")
            walk(outline, (*category, title) if title and not xml_url else category)

    walk(body, ())
    return OpmlOutlines(feeds, without_address)


def is_feed_type(outline: ET.Element) -> bool:
    """Whether an outline says it is a feed (``type="rss"``)."""
    return (outline.get("type") or "").strip().lower() in FEED_TYPES


def http_address(xml_url: str) -> str | None:
    """The http(s) address of a feed outline, None for any other (javascript:, ftp:…).

    ``feed://host/…``, the scheme readers and browsers gave feeds, is read as ``http://host/…``
    and ``feed:https://…`` as ``https://…``.
    """
    address = xml_url.strip()
    if address[:5].lower() == "feed:":
        rest = address[5:]
        address = rest if rest.lower().startswith(("http://", "https://")) else f"http:{rest}"
    try:
        parts = urlsplit(address)
    except ValueError:  # an IPv6 host left open
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return address


def http_feed(feed: OpmlFeed) -> OpmlFeed | None:
    """The feed with its http(s) address (see :func:`http_address`), None when it has none."""
    address = http_address(feed.xml_url)
    if address is None or address == feed.xml_url:
        return None if address is None else feed
    # An outline without a title is titled by its address: the one read.
    title = address if feed.title == feed.xml_url else feed.title
    return replace(feed, xml_url=address, title=title)


def read_opml(path: Path) -> list[OpmlFeed]:
    """Read an OPML file's feeds; a missing or unreadable file is a ConfigError naming it."""
    return read_opml_outlines(path).feeds


def read_opml_outlines(path: Path) -> OpmlOutlines:
    """Read an OPML file's feeds and its feed outlines without an address (see ``read_opml``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read OPML file ({exc.strerror})", file=str(path)) from None
    return parse_opml_outlines(data, file=str(path))


def write_opml(feeds: Iterable[OpmlFeed], *, title: str = "veille sources") -> str:
    """An OPML 2.0 document listing the feeds in their folders, with veille's own attributes."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[tuple[str, ...], ET.Element] = {(): body}

    def folder(path: tuple[str, ...]) -> ET.Element:
        found = folders.get(path)
        if found is None:
            found = ET.SubElement(folder(path[:-1]), "outline", text=path[-1], title=path[-1])
            folders[path] = found
        return found

    for feed in feeds:
        attributes = {
            "type": "rss",
            "text": feed.title,
            "title": feed.title,
            "xmlUrl": feed.xml_url,
        }
        if feed.html_url:
            attributes["htmlUrl"] = feed.html_url
        for setting in SETTINGS:
            value = getattr(feed, setting)
            if value:
                attributes[f"{{{VEILLE_NS}}}{setting}"] = value
        ET.SubElement(folder(feed.category), "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
