"""Value objects the store takes and gives: configuration mirrors, items to save, query filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# Defined with the other value objects, so that processing workers need not import the store.
from veille.types import SourceState, StoredItem

__all__ = [
    "BrandSpec",
    "CollectionSave",
    "MentionFilter",
    "SaveCounts",
    "SourceSpec",
    "StoredItem",
]


@dataclass(frozen=True)
class BrandSpec:
    """A brand as the configuration declares it."""

    name: str
    query: str
    languages: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSpec:
    """A source as the configuration declares it."""

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectionSave:
    """One successful collection to save: the arguments of ``Store.save_collection``."""

    run_id: int
    source: str
    brand: str | None
    items: Sequence[StoredItem]
    state: SourceState
    now: datetime
    next_check_at: datetime
    not_modified: bool
    duration: float
    warning: str | None = None
    check_interval: timedelta | None = None
    given: int | None = None  # items the source gave, stored or not (default: len(items))


@dataclass(frozen=True)
class SaveCounts:
    """What one call to ``Store.save_collection`` added.

    ``new_mentions`` counts the new mentions of the brand searched (of every brand for a
    source that is not searched per brand); ``new_mentions_other_brands`` those of the other
    brands its results named, which a search per brand also stores: its results are matched
    against every brand. The two together are every mention the save added.
    """

    items: int
    new_documents: int
    new_mentions: int
    new_mentions_other_brands: int = 0


@dataclass(frozen=True)
class MentionFilter:
    """Which mentions a listing or a statistic covers; ``None`` and empty mean "any".

    ``brands`` are names as stored; one the database does not hold (configured, not collected
    yet) has no mention. Commands and pages check the names asked for against the configured
    and stored ones first.

    ``since``/``until`` bound the publication time (collection time when the item has no date);
    ``author`` is a case-insensitive substring, ``search`` a full-text search (words,
    "phrases", -exclusions: see ``veille/store/search.py``); ``sites`` keeps the mentions of any
    of them, each with its subdomains.
    ``term`` keeps the mentions that one term of their brand's query found, written as the query
    writes it (``"air france"``, ``danon*``; the quotes of a phrase may be left out).
    ``story_id`` keeps the sightings of one story. ``limit`` and ``offset`` page listings;
    statistics cover every filtered mention, but for hashtags, counted in the newest ``limit``
    when set.
    """

    brands: tuple[str, ...] = ()
    platform: str | None = None
    sites: tuple[str, ...] = ()
    author: str | None = None
    tone: str | None = None
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None
    term: str | None = None
    limit: int | None = 100
    offset: int = 0
    story_id: str | None = None
