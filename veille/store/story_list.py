"""Stories of the filtered mentions, as ``veille mentions --group-by story`` lists them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, case, distinct, func

from veille.normalize.domains import readable_host
from veille.store import queries
from veille.store.queries import (
    among_the_newest,
    effective_sentiment,
    effective_tone,
    filtered_query,
    grouping_key,
    iso_utc,
    looks_among_the_newest,
    mention_time,
    page_of,
)
from veille.store.schema import TONES, brand_table, document_table, mention_table
from veille.store.specs import MentionFilter

# Mentions read per round trip while looking for the stories of a page, newest first.
STORY_SCAN_BATCH = 500
# Past this many stories (offset included), a page is taken from every story of the period
# grouped at once: cheaper than reading that many stories apart, and their ids would not fit
# in one statement.
STORY_PAGE_MAX = 1000
# Stories listed at a time, the headlines of each batch read by one statement: on SQLite their
# ids stay well under the parameters a statement may bind (32,766 unless the build says
# otherwise; PostgreSQL's 65,535 is met by one array parameter), besides the filters' own.
STORIES_PER_STATEMENT = 1000
# What a story shows of its headline, its first sighting, and the brand of each sighting.
_HEADLINE_COLUMNS = (
    document_table.c.story_id,
    brand_table.c.name.label("brand"),
    document_table.c.title,
    document_table.c.canonical_url,
    document_table.c.url,
    document_table.c.site,
    document_table.c.platform,
    document_table.c.published_at,
)
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
    return [story for batch in iter_stories(connection, f) for story in batch]


def iter_stories(
    connection: Connection, f: MentionFilter, batch_size: int = STORIES_PER_STATEMENT
) -> Iterator[list[dict[str, object]]]:
    """The stories ``list_stories`` returns, grouped in one query and handed out in batches.

    For exports: the stories of a long period are read as they are written, each batch's
    headlines asked in one statement of its own (the ids of every story would not fit in one).
    """
    query, paged = _groups(connection, f)
    # A page's few stories are read at once; others as they come, without holding them all.
    reading = connection if paged else connection.execution_options(yield_per=batch_size)
    for groups in reading.execute(query).partitions(batch_size):
        headlines, brands = _headlines(connection, f, [group.story_id for group in groups])
        yield [
            _story_record(group, headlines[group.story_id], brands[group.story_id])
            for group in groups
        ]


def _groups(connection: Connection, f: MentionFilter) -> tuple[Select[Any], bool]:
    """The stories of the filtered mentions, their counts and tones, the page's only; and
    whether the page was found from the newest mentions (see ``_page_story_ids``)."""
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
        return page_of(query, f.limit, f.offset), False
    # The page's stories only: their index finds their mentions, however long the period.
    return query.where(document_table.c.story_id.in_(page)), True


def _headlines(
    connection: Connection, f: MentionFilter, story_ids: Sequence[str]
) -> tuple[dict[str, Row[Any]], dict[str, set[str]]]:
    """Each story's first sighting among the filtered mentions, and the brands that saw it."""
    query = filtered_query(connection, f, *_HEADLINE_COLUMNS).query
    query = query.join(brand_table, brand_table.c.id == mention_table.c.brand_id)
    query = query.where(document_table.c.story_id.in_(story_ids))
    headlines: dict[str, Row[Any]] = {}
    brands: dict[str, set[str]] = {}
    for row in connection.execute(query.order_by(mention_time, mention_table.c.id)):
        headlines.setdefault(row.story_id, row)
        brands.setdefault(row.story_id, set()).add(row.brand)
    return headlines, brands


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


def _story_record(group: Row[Any], headline: Row[Any], brands: set[str]) -> dict[str, object]:
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
