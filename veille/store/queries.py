"""Reads: mention listings and stories, for the command line and the dashboard (statistics:
``veille.store.stats``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Row,
    Select,
    String,
    and_,
    func,
    or_,
    select,
)

from veille.errors import FilterError, StoreError
from veille.normalize.domains import readable_host
from veille.store import search
from veille.store.folding import contains_folded
from veille.store.lookups import stored_brand_ids
from veille.store.schema import (
    TONES,
    UtcDateTime,
    brand_table,
    document_table,
    mention_table,
    source_table,
)
from veille.store.specs import MentionFilter
from veille.store.terms import found_by

# When a mention happened: its publication time, else when veille collected it.
mention_time = func.coalesce(
    document_table.c.published_at, document_table.c.collected_at, type_=UtcDateTime
)
# A mention's tone and sentiment: its own when its brand is scored on the sentences naming it
# (``tone = "brand"``), else its document's. Every read of a mention's tone goes through these.
effective_tone = func.coalesce(mention_table.c.tone, document_table.c.tone, type_=String)
effective_sentiment = func.coalesce(
    mention_table.c.sentiment, document_table.c.sentiment, type_=Float
)


def iso_utc(value: datetime | None) -> str | None:
    """Render a timestamp as ISO 8601 UTC ending in "Z" (None stays None)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _site_condition(value: str) -> ColumnElement[bool]:
    """Documents of a site (lemonde.fr) or of one of its hosts (abonnes.lemonde.fr); a page or
    section of one (lemonde.fr/economie) is a FilterError, as it would stand for the whole site."""
    from veille.normalize.domains import (
        SectionOfSiteError,
        host_of,
        registrable_domain,
        whole_site,
    )

    # Sites are stored in their ASCII form: « beauté.fr » is xn--beaut-fsa.fr.
    # A port says nothing of the site: the host alone is compared.
    try:
        written = whole_site(value).lower()
    except SectionOfSiteError as exc:
        raise FilterError("site", f"site {value.strip()!r}: {exc}") from None
    site = host = (host_of(written) or written).removeprefix("www.")
    domain = registrable_domain(host) or host
    in_site = or_(
        document_table.c.site == site,
        document_table.c.site.endswith("." + site, autoescape=True),
    )
    if host == domain:
        return in_site
    # Stored sites are registrable domains: a subdomain is read off the document's address.
    address = func.coalesce(document_table.c.canonical_url, document_table.c.url)
    on_host = or_(
        *(
            address.startswith(f"{scheme}://{prefix}{host}/", autoescape=True)
            for scheme in ("https", "http")
            for prefix in ("", "www.")
        ),
        address.contains(f".{host}/", autoescape=True),
    )
    return or_(in_site, and_(document_table.c.site == domain, on_host))


def tone_condition(
    connection: Connection, tone: str, brand_ids: Sequence[int] | None = None
) -> ColumnElement[bool]:
    """Mentions of this tone (of these brands): their own tone where a brand is scored on its
    sentences, else their document's.

    When no mention of these brands has a tone of its own (no brand opted in, the usual case),
    the condition is on the document's tone alone, which the planner estimates and indexes;
    the coalesced one would make it guess, and pick plans many times slower.
    """
    targeted = select(mention_table.c.id).where(mention_table.c.tone.is_not(None))
    if brand_ids is not None:
        targeted = targeted.where(mention_table.c.brand_id.in_(list(brand_ids)))
    if connection.execute(targeted.limit(1)).first() is None:
        return document_table.c.tone == tone
    return effective_tone == tone


def _retired_brands(connection: Connection) -> list[int]:
    """The ids of the stored brands the configuration no longer declares."""
    query = select(brand_table.c.id).where(brand_table.c.active.is_(False))
    return list(connection.execute(query).scalars())


def filter_conditions(connection: Connection, f: MentionFilter) -> list[ColumnElement[bool]]:
    """Translate a MentionFilter into WHERE conditions over mentions joined to documents."""
    conditions: list[ColumnElement[bool]] = []
    if f.brands:
        brand: ColumnElement[int] = mention_table.c.brand_id
        if connection.dialect.name == "sqlite" and (f.since or f.until):
            # Without value histograms SQLite takes a time bound to keep a quarter of the
            # documents and would rather read every mention of the brand; "+ 0" keeps it off the
            # brand index, so that the period drives (9× faster on a month of a big brand).
            brand = brand + 0
        conditions.append(brand.in_(stored_brand_ids(connection, f.brands)))
    else:
        retired = _retired_brands(connection)
        if retired:
            # A brand removed from the configuration (or renamed: its mentions are collected
            # again under the new name) is left out unless asked for by name.
            conditions.append(mention_table.c.brand_id.not_in(retired))
    if f.platform:  # stored in lower case
        conditions.append(document_table.c.platform == f.platform.strip().lower())
    if f.sites:
        conditions.append(or_(*(_site_condition(site) for site in f.sites)))
    if f.author:
        conditions.append(
            or_(
                # Case, accents and the kind of apostrophe aside, as the query's author: does.
                contains_folded(connection, document_table.c.author_name, f.author),
                contains_folded(connection, document_table.c.author_handle, f.author),
            )
        )
    if f.tone:
        if f.tone not in TONES:
            raise StoreError(f"unknown tone {f.tone!r}", hint=f"use one of {', '.join(TONES)}")
        brand_ids = stored_brand_ids(connection, f.brands) if f.brands else None
        conditions.append(tone_condition(connection, f.tone, brand_ids))
    if f.lang:
        conditions.append(document_table.c.lang == f.lang.lower())
    if f.since is not None:
        conditions.append(mention_time >= f.since)
    if f.until is not None:
        conditions.append(mention_time <= f.until)
    if f.story_id is not None:
        conditions.append(document_table.c.story_id == f.story_id)
    if f.term:
        conditions.append(found_by(connection, f.term))
    return conditions


def grouping_key(connection: Connection, column: Any) -> Any:
    """``column`` as a GROUP BY key of filtered mentions.

    On SQLite, grouping on an indexed column makes the planner read that whole index, to
    group without sorting, before any filter: seconds on a million mentions for one brand's
    month. A no-op on the column (``+ 0``, ``|| ''``) leaves the filters' indexes to drive and
    the rows they keep to be sorted.
    """
    if connection.dialect.name != "sqlite":
        return column
    return column + 0 if isinstance(column.type, Integer) else column.op("||")("")


def filtered_query(
    connection: Connection, f: MentionFilter, *columns: Any, ranked: bool = False
) -> search.Restriction:
    """The filtered query, and with ``ranked`` the relevance score of its search (if any)."""
    query = (
        select(*columns)
        .select_from(mention_table)
        .join(document_table, document_table.c.id == mention_table.c.document_id)
        .where(*filter_conditions(connection, f))
    )
    if not f.search:
        return search.Restriction(query, None, document_table.c.id)
    return search.restrict(query, connection.dialect.name, f.search, rank=ranked)


# What a digest or an alert e-mail shows of a mention's document.
MENTION_CARD_COLUMNS = tuple(
    getattr(document_table.c, name)
    for name in (
        "title",
        "text",
        "canonical_url",
        "url",
        "author_name",
        "author_handle",
        "author_url",
        "site",
        "platform",
    )
)

_DOCUMENT_FIELDS = (
    "platform",
    "site",
    "canonical_url",
    "url",
    "title",
    "text",
    "author_name",
    "author_handle",
    "author_url",
    "published_at",
    "collected_at",
    "lang",
    "reach",
    "engagement",
    "metrics",
    "story_id",
)


LISTING_COLUMNS = (
    mention_table.c.id.label("mention_id"),
    brand_table.c.name.label("brand"),
    source_table.c.name.label("source"),
    mention_table.c.matched_terms,
    *(getattr(document_table.c, name) for name in _DOCUMENT_FIELDS),
    effective_sentiment.label("sentiment"),
    effective_tone.label("tone"),
)


def with_names(query: Select[Any]) -> Select[Any]:
    """Add the brand and source names a listing shows to a query over mentions and documents."""
    return query.join(brand_table, brand_table.c.id == mention_table.c.brand_id).outerjoin(
        source_table, source_table.c.id == mention_table.c.source_id
    )


def page_of(query: Select[Any], limit: int | None, offset: int) -> Select[Any]:
    """The query cut to one page (no limit: to the end)."""
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return query


# How many of the newest mentions of all a page without a period is first looked for in, per
# row of the page (offset included): a brand or platform with at least 1 % of the recent
# mentions fills it from there.
RECENT_LOOK_PER_ROW = 100


def list_mentions(connection: Connection, f: MentionFilter) -> list[dict[str, object]]:
    """Return the filtered mentions as contract dictionaries, most relevant first when searching
    (see ``veille/store/search.py``), else newest first."""
    if f.search and search.parse_search(f.search).required:
        return [mention_record(row) for row in _ranked_rows(connection, f)]
    recent = _from_the_newest(connection, f)
    if recent is not None:
        return [mention_record(row) for row in recent]
    return [mention_record(row) for row in connection.execute(_newest_first(connection, f))]


def looks_among_the_newest(connection: Connection, f: MentionFilter) -> bool:
    """Whether a page of ``f`` is first looked for among the newest mentions of all.

    With no period, SQLite reads a brand's or a platform's mentions through that column's
    index and sorts them all by time (1.5 s for a big brand of a million mentions) rather than
    walk the time index until the page is full. Every filtered mention outside the newest
    mentions of all is older than (or as old as) any inside them, so a page found inside them
    is exact. PostgreSQL plans this well by itself; the other filters are walked by time
    already, or rare.
    """
    if connection.dialect.name != "sqlite" or f.limit is None or f.since or f.until:
        return False
    return bool(f.brands or f.platform)


def among_the_newest(f: MentionFilter) -> ColumnElement[bool]:
    """The condition keeping the newest RECENT_LOOK_PER_ROW × (offset + limit) mentions of all."""
    assert f.limit is not None
    newest = (
        select(mention_table.c.id)
        .select_from(mention_table)
        .join(document_table, document_table.c.id == mention_table.c.document_id)
        .order_by(mention_time.desc(), mention_table.c.id.desc())
        .limit((f.offset + f.limit) * RECENT_LOOK_PER_ROW)
    )
    return mention_table.c.id.in_(newest.scalar_subquery())


def _from_the_newest(connection: Connection, f: MentionFilter) -> list[Row[Any]] | None:
    """The page read among the newest mentions of all, or None when they do not fill it."""
    if not looks_among_the_newest(connection, f):
        return None
    rows = list(connection.execute(_newest_first(connection, f).where(among_the_newest(f))))
    return rows if len(rows) == f.limit else None


def iter_mentions(
    connection: Connection, f: MentionFilter, batch_size: int
) -> Iterator[list[dict[str, object]]]:
    """The mentions ``list_mentions`` returns, read in one query and handed out in batches.

    For exports: paging with offsets would read the listing again up to each page, and would
    repeat or skip rows as mentions arrive meanwhile. A search is ranked once, in memory.
    """
    if f.search and search.parse_search(f.search).required:
        rows = _ranked_rows(connection, f)
        for start in range(0, len(rows), batch_size):
            yield [mention_record(row) for row in rows[start : start + batch_size]]
        return
    result = connection.execution_options(yield_per=batch_size).execute(
        _newest_first(connection, f)
    )
    for partition in result.partitions():
        yield [mention_record(row) for row in partition]


def _newest_first(connection: Connection, f: MentionFilter) -> Select[Any]:
    query = with_names(filtered_query(connection, f, *LISTING_COLUMNS).query)
    query = query.order_by(mention_time.desc(), mention_table.c.id.desc())
    return page_of(query, f.limit, f.offset)


def _ranked_rows(connection: Connection, f: MentionFilter) -> list[Row[Any]]:
    """A page of a ranked search: the newest matches most relevant first, then the older ones
    newest first (see ``veille/store/search.py``)."""
    restriction = filtered_query(
        connection,
        f,
        mention_table.c.id.label("mention_id"),
        mention_table.c.document_id,
        mention_time.label("time"),
        ranked=True,
    )
    if connection.dialect.name == "sqlite" and (f.since or f.until):
        # FTS5 walks the matches by document id, blind to the period: bound the walk by the ids
        # of the period's documents, read through the mention-time index.
        period = filter_conditions(connection, MentionFilter(since=f.since, until=f.until))
        first, last = connection.execute(
            select(func.min(document_table.c.id), func.max(document_table.c.id)).where(*period)
        ).one()
        if first is None:
            return []
        in_period = restriction.document_id.between(first, last)
        restriction = restriction._replace(query=restriction.query.where(in_period))
    # A start of period already bounds the documents to the recent ones.
    bounded = f.since is not None
    candidates, older_from = search.candidates(connection, restriction, bounded=bounded)
    ranked = sorted(candidates, key=lambda row: (row.score, row.time, row.mention_id), reverse=True)
    end = None if f.limit is None else f.offset + f.limit
    page_ids = [row.mention_id for row in ranked[f.offset : end]]
    rows: list[Row[Any]] = []
    if page_ids:
        query = with_names(select(*LISTING_COLUMNS).select_from(mention_table))
        query = query.join(document_table, document_table.c.id == mention_table.c.document_id)
        found = connection.execute(query.where(mention_table.c.id.in_(page_ids)))
        by_id = {row.mention_id: row for row in found}
        rows = [by_id[mention_id] for mention_id in page_ids]
    if older_from is not None and (end is None or end > len(ranked)):
        older = with_names(filtered_query(connection, f, *LISTING_COLUMNS).query)
        older = older.where(document_table.c.id <= older_from)
        older = older.order_by(mention_time.desc(), mention_table.c.id.desc())
        limit = None if f.limit is None else f.limit - len(rows)
        rows += connection.execute(page_of(older, limit, max(0, f.offset - len(ranked))))
    return rows


def mention_record(row: Row[Any]) -> dict[str, object]:
    """A listed mention as the command-line and dashboard contract dictionary."""
    return {
        "id": row.mention_id,
        "brand": row.brand,
        "platform": row.platform,
        "source": row.source,
        "site": readable_host(row.site),
        "url": row.canonical_url or row.url,
        "title": row.title,
        "text": row.text,
        "author": row.author_name or row.author_handle,
        "author_handle": row.author_handle,
        "author_url": row.author_url,
        "published_at": iso_utc(row.published_at),
        "collected_at": iso_utc(row.collected_at),
        "lang": row.lang,
        "sentiment": row.sentiment,
        "tone": row.tone,
        "matched": list(row.matched_terms or []),
        "reach": row.reach,
        "engagement": row.engagement,
        "metrics": dict(row.metrics or {}),
        "story_id": row.story_id,
    }
