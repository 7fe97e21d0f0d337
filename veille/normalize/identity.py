"""Who wrote an item, and which identity makes the same item collected twice one document."""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from veille.normalize.domains import registrable_domain
from veille.normalize.text import body_text, collapse_whitespace, fold_text, html_to_text
from veille.normalize.urls import canonical_url, same_page_key
from veille.types import RawMention

_EMAIL = re.compile(r"[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+")
_HANDLE = re.compile(r"@[\w.-]+")
# "Jean Dupont <jean@x.fr>"
_NAME_THEN_ANGLE = re.compile(r"(?P<name>[^<>]*)<(?P<address>[^<>]+)>")
# "jean@x.fr (Jean Dupont)" (RSS 2.0 style) and "Jean Dupont (@jdupont)"
_PARENTHESISED = re.compile(r"(?P<outer>[^()]*)\((?P<inner>[^()]*)\)")
# "By Jean Dupont", "Par : Jean Dupont", "par Jean Dupont"
_BYLINE = re.compile(r"(?:by|par)\s*:?\s+(?P<name>.+)", re.IGNORECASE)
# Placeholder addresses that say nothing about the author (Blogger, WordPress exports).
_PLACEHOLDER_LOCAL_PARTS = frozenset({"noreply", "no-reply", "nobody", "donotreply", "invalid"})


def _is_contact(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value) or _HANDLE.fullmatch(value))


def _useful_contact(value: str) -> str | None:
    local_part = value.split("@", 1)[0].lower()
    return None if local_part in _PLACEHOLDER_LOCAL_PARTS else value


def _clean_name(value: str) -> str | None:
    name = collapse_whitespace(html.unescape(value)).strip(" \"'")
    byline = _BYLINE.fullmatch(name)
    if byline:
        name = byline.group("name").strip()
    return name or None


def parse_author(value: str | None) -> tuple[str | None, str | None]:
    """Split a feed author string into (name, email or handle), removing "By"/"Par" bylines."""
    if not value or not value.strip():
        return None, None
    text = collapse_whitespace(value)
    angle = _NAME_THEN_ANGLE.fullmatch(text)
    if angle and _is_contact(angle.group("address").strip()):
        return _clean_name(angle.group("name")), _useful_contact(angle.group("address").strip())
    parenthesised = _PARENTHESISED.fullmatch(text)
    if parenthesised:
        outer = parenthesised.group("outer").strip()
        inner = parenthesised.group("inner").strip()
        if _is_contact(outer):
            return _clean_name(inner), _useful_contact(outer)
        if _is_contact(inner):
            return _clean_name(outer), _useful_contact(inner)
    if _is_contact(text):
        return None, _useful_contact(text)
    return _clean_name(text), None


def fingerprint(title: str, text: str) -> str:
    """SHA-1 hex of the case-, accent- and whitespace-folded title and text."""
    folded = fold_text(title) + "\n" + fold_text(text)
    return hashlib.sha1(folded.encode("utf-8", "surrogatepass")).hexdigest()


def dated_identity(source: str, title: str, published: datetime) -> str:
    """The identity of an item with neither link nor GUID: its source, title and date.

    ``title`` is the item's plain title; case, accents and spacing aside. ``published`` is
    aware; it is read in UTC, to the second.
    """
    moment = published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    named = f"{source}\n{fold_text(title)}\n{moment}"
    return "dated:" + hashlib.sha1(named.encode("utf-8", "surrogatepass")).hexdigest()


def document_identity(
    raw: RawMention,
    canonical: str | None,
    *,
    site: str | None = None,
    content_fingerprint: str | None = None,
    title: str | None = None,
) -> str:
    """Stable identity: platform id, else GUID, else canonical URL, else the source, title
    and date (``dated_identity``), else content hash.

    An opaque GUID is scoped by ``site`` (the publisher's domain, when the caller knows it
    better than the link does, e.g. behind an aggregator), else by the link's domain, else
    by the source name. An item with none of them is told by its source, title and date, so
    that its text may change (a forum thread's counts of views and replies) and the item stay
    one; without a title or a date, nothing but its words tell it, and its identity is their
    hash. ``title``: the item's plain title (``readable_text``), when the caller has it.
    """
    platform_id = raw.extra.get("platform_id")
    if platform_id is not None and str(platform_id).strip():
        return f"id:{raw.platform or 'news'}:{str(platform_id).strip()}"
    guid = (raw.guid or "").strip()
    if guid:
        publisher = site or registrable_domain(canonical)
        if guid.lower().startswith(("http://", "https://")):
            guid_url = canonical_url(guid)
            # A GUID on another site than the item's link is no address of the item: feed
            # readers resolve a bare "1001" against the feed's own address, which two
            # publishers' feeds on one host (a feed service) share.
            if guid_url is not None and (
                publisher is None or registrable_domain(guid_url) == publisher
            ):
                return f"url:{guid_url}"
        # An opaque GUID is only unique within its publisher.
        return f"guid:{publisher or raw.source}:{guid}"
    if canonical:
        return f"url:{canonical}"
    if title is None:
        title = html_to_text(raw.title)
    published = raw.published_at
    if published is not None and fold_text(title):
        if published.tzinfo is None or published.utcoffset() is None:
            published = published.replace(tzinfo=UTC)  # as the document's date is read
        return dated_identity(raw.source, title, published)
    if content_fingerprint is None:
        content_fingerprint = fingerprint(title, body_text(title, html_to_text(raw.content_html)))
    return f"hash:{content_fingerprint}"


def _page(raw: RawMention) -> str | None:
    """The page an item links to (``same_page_key`` of its canonical link), or None."""
    canonical = canonical_url(raw.url)
    return same_page_key(canonical) if canonical is not None else None


def without_shared_guids(raws: Sequence[RawMention]) -> tuple[list[RawMention], dict[str, int]]:
    """The items of one answer, those whose GUID it gives to items at other pages without it.

    Such a GUID names no item (a CMS writing the site's address into every ``<guid>``, a
    template's constant): taken as an identity, it would make every item that carries it one
    document. Without it, each is identified by its link, as an item with no GUID is. Items
    sharing a GUID at one page (the same item twice) keep it. Returns the items, in order, and
    the GUIDs set aside with how many items gave each, in the order they first appear.
    """
    guids = [(raw.guid or "").strip() for raw in raws]
    # Most feeds give each GUID once: only repeated ones need their items' links read.
    repeated = {guid: count for guid, count in Counter(guids).items() if guid and count > 1}
    if not repeated:
        return list(raws), {}
    pages: dict[str, set[str | None]] = {}
    for raw, guid in zip(raws, guids, strict=True):
        if guid in repeated:
            pages.setdefault(guid, set()).add(_page(raw))
    shared = {guid: repeated[guid] for guid, linked in pages.items() if len(linked) > 1}
    if not shared:
        return list(raws), {}
    kept = [
        replace(raw, guid=None) if guid in shared else raw
        for raw, guid in zip(raws, guids, strict=True)
    ]
    return kept, shared
