"""Stories of the filtered mentions, as ``veille mentions --group-by story`` lists them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, case, distinct, func

from veille.normalize.domains import readable_host
from veille.store import queries
from veille.store.queries import (
    LISTING_COLUMNS,
    among_the_newest,
    effective_sentiment,
    effective_tone,
    filtered_query,
    grouping_key,
    iso_utc,
    looks_among_the_newest,
    mention_time,
    page_of,
    with_names,
)
from veille.store.schema import TONES, document_table, mention_table
from veille.store.specs import MentionFilter

# Mentions read per round trip while looking for the stories of a page, newest first.
STORY_SCAN_BATCH = 500
# Past this many stories (offset included), a page is taken from every story of the period
# grouped at once: cheaper than reading that many stories apart, and their ids would not fit
# in one statement.
STORY_PAGE_MAX = 1000
# One story as ``veille mentions --group-by story`` and list_stories give it.
STORY_FIELDS = (
    "story_id", "title", "url", "site", "platform", "published_at", "first_seen", "last_seen",
    "sightings", "sites", "brands", "positive", "neutral", "negative", "avg_sentiment",
)  # fmt: skip


def list_stories(connection: Connection, f: MentionFilter) -> list[dict[str, object]]:
    """The filtered mentions grouped by story, the story seen most recently first.

    A story's headline is its earliest sighting among the filtered mentions; ``sightings`` and
    ``sites`` count its distinct documents and sites, the tone counts its documents of each tone
    (a mention's own tone when its brand is scored on its sentences: a document two brands see
    differently counts under both tones).
    ``limit`` and ``offset`` page the stories.
    """
    last_seen = func.max(mention_time).label("last_seen")
    tone_counts = [
        func.count(distinct(case((effective_tone == tone, document_table.c.id)))).label(tone)
        for tone in TONES
    ]
    story_id = grouping_key(connection, document_table.c.story_id).label("story_id")
    query = filtered_query(
        connection,
        f,
        story_id,
        func.min(mention_time).label("first_seen"),
        last_seen,
        func.count(distinct(document_table.c.id)).label("sightings"),
        func.count(distinct(document_table.c.site)).label("sites"),
        *tone_counts,
        func.avg(effective_sentiment).label("avg_sentiment"),
    ).query
    query = query.group_by(story_id).order_by(last_seen.desc(), story_id.desc())
    page = _page_story_ids(connection, f)
    if page is None:
        query = page_of(query, f.limit, f.offset)
    else:
        # The page's stories only: their index finds their mentions, however long the period.
        query = query.where(document_table.c.story_id.in_(page))
    groups = list(connection.execute(query))
    if not groups:
        return []
    sightings = filtered_query(connection, f, *LISTING_COLUMNS).query
    sightings = with_names(sightings).where(
        document_table.c.story_id.in_([g.story_id for g in groups])
    )
    sightings = sightings.order_by(mention_time, mention_table.c.id)
    headlines: dict[str, Row[Any]] = {}
    brands: dict[str, list[str]] = {}
    for row in connection.execute(sightings):
        headlines.setdefault(row.story_id, row)
        names = brands.setdefault(row.story_id, [])
        if row.brand not in names:
            names.append(row.brand)
    return [
        _story_record(group, headlines[group.story_id], brands[group.story_id]) for group in groups
    ]


def count_stories(connection: Connection, f: MentionFilter) -> int:
    """How many stories the filtered mentions belong to (``limit`` and ``offset`` aside)."""
    story_id = grouping_key(connection, document_table.c.story_id)
    query = filtered_query(connection, f, func.count(distinct(story_id))).query
    return int(connection.execute(query).scalar_one())


def _page_story_ids(connection: Connection, f: MentionFilter) -> list[str] | None:
    """The ids of the stories of the page, in order; None past STORY_PAGE_MAX stories.

    Stories come seen most recently first: the page's are the first ``offset + limit``
    distinct stories of the filtered mentions read newest first, which the time index gives
    without grouping the whole period (and stories seen at the same moment as the last of
    them, which the story id orders).
    """
    wanted = None if f.limit is None else f.offset + f.limit
    if wanted is None or wanted > STORY_PAGE_MAX:
        return None
    query = filtered_query(connection, f, mention_time, document_table.c.story_id).query
    query = query.order_by(mention_time.desc(), mention_table.c.id.desc())
    # First among some of the newest mentions: exact when one older than the page's last story
    # shows up among them. A limit also keeps PostgreSQL from sorting every mention first.
    parts = [query.limit(wanted * queries.RECENT_LOOK_PER_ROW)]
    if looks_among_the_newest(connection, f):
        parts.insert(0, query.where(among_the_newest(f)))
    for part in parts:
        seen_last = _first_stories(connection, part, wanted, every_mention=False)
        if seen_last is not None:
            break
    else:
        seen_last = _first_stories(connection, query, wanted, every_mention=True)
    assert seen_last is not None
    ranked = sorted(seen_last, key=lambda story: (seen_last[story], story), reverse=True)
    return ranked[f.offset : wanted]


def _first_stories(
    connection: Connection, query: Select[Any], wanted: int, *, every_mention: bool
) -> dict[str, datetime] | None:
    """The first ``wanted`` stories of ``query`` (newest first) and when each was seen last.

    A story seen at the same moment as the last of them comes too. ``every_mention``: the
    query reads every filtered mention, so running out of rows ends the stories; otherwise it
    reads some of them, and running out before a mention older than the last story: None.
    """
    seen_last: dict[str, datetime] = {}
    bound: datetime | None = None
    rows = connection.execution_options(yield_per=STORY_SCAN_BATCH).execute(query)
    try:
        for seen, story in rows:
            if bound is not None and seen < bound:
                return seen_last
            if story not in seen_last:
                seen_last[story] = seen
                if len(seen_last) == wanted:
                    bound = seen
    finally:
        rows.close()
    return seen_last if every_mention else None


def _story_record(group: Row[Any], headline: Row[Any], brands: list[str]) -> dict[str, object]:
    """A story as the command-line and dashboard contract dictionary."""
    return {
        "story_id": group.story_id,
        "title": headline.title,
        "url": headline.canonical_url or headline.url,
        "site": readable_host(headline.site),
        "platform": headline.platform,
        "published_at": iso_utc(headline.published_at),
        "first_seen": iso_utc(group.first_seen),
        "last_seen": iso_utc(group.last_seen),
        "sightings": group.sightings,
        "sites": group.sites,
        "brands": sorted(brands),
        **{tone: int(getattr(group, tone)) for tone in TONES},
        "avg_sentiment": round(float(group.avg_sentiment), 4),
    }
