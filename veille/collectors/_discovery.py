"""Feed autodiscovery: the feeds a web page names, for a source configured with the page's
address instead of its feed's (the commonest mistake in setting up a feed)."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

_ALTERNATE_LINK = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_FEED_TYPES = (b"application/rss+xml", b"application/atom+xml")


def advertised_feeds(page: bytes, url: str) -> list[str]:
    """The feeds a web page names in its head (<link rel="alternate" type="…rss+xml">)."""
    found = []
    for tag in _ALTERNATE_LINK.findall(page[:262144]):
        attributes = {
            name.lower(): next((value for value in values if value), b"")
            for name, *values in _ATTRIBUTE.findall(tag)
        }
        rel = attributes.get(b"rel", b"").lower().split()
        kind = attributes.get(b"type", b"").lower().strip()
        href = attributes.get(b"href", b"").strip()
        if b"alternate" in rel and kind in _FEED_TYPES and href:
            address = urljoin(url, html.unescape(href.decode("utf-8", "replace")))
            if address.startswith(("http://", "https://")) and address not in found:
                found.append(address)
    return found
