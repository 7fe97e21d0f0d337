"""OPML in and out: the usual way feed lists move between readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from veille.errors import ConfigError


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline: its title, feed URL, optional site URL and category."""

    title: str
    xml_url: str
    html_url: str | None = None
    category: str | None = None


def parse_opml(data: bytes, *, file: str = "<opml>") -> list[OpmlFeed]:
    """Every outline with an ``xmlUrl`` in document order, categories taken from parent outlines."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ConfigError(f"not a valid OPML document ({exc})", file=file) from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError("not an OPML document (expected <opml><body>…)", file=file)
    feeds: list[OpmlFeed] = []

    def walk(element: ET.Element, category: str | None) -> None:
        for outline in element.findall("outline"):
            title = (outline.get("title") or outline.get("text") or "").strip()
            xml_url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            if xml_url:
                feeds.append(
                    OpmlFeed(
                        title=title or xml_url,
                        xml_url=xml_url,
                        html_url=(outline.get("htmlUrl") or "").strip() or None,
                        category=category,
                    )
                )
            walk(outline, title or category if not xml_url else category)

    walk(body, None)
    return feeds


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
    """Read an OPML file; a missing or unreadable file is a ConfigError naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read OPML file ({exc.strerror})", file=str(path)) from None
    return parse_opml(data, file=str(path))


def write_opml(feeds: Iterable[OpmlFeed], *, title: str = "veille sources") -> str:
    """An OPML 2.0 document listing the feeds, grouped by category."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    groups: dict[str | None, ET.Element] = {None: body}
    for feed in feeds:
        parent = groups.get(feed.category)
        if parent is None:
            parent = ET.SubElement(
                body, "outline", text=feed.category or "", title=feed.category or ""
            )
            groups[feed.category] = parent
        attributes = {
            "type": "rss",
            "text": feed.title,
            "title": feed.title,
            "xmlUrl": feed.xml_url,
        }
        if feed.html_url:
            attributes["htmlUrl"] = feed.html_url
        ET.SubElement(parent, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
