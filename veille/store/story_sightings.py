"""One story's sightings, as the dashboard's story page lists them: one row per document.

A document that names two brands is mentioned twice but seen once: the story counts and lists
its documents (as ``veille mentions --group-by story`` counts them), each with its brands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Row, distinct, func, select

from veille.normalize.domains import readable_host
from veille.normalize.text import name_key
from veille.records import SIGHTING_FIELDS
from veille.store.queries import (
    LISTING_COLUMNS,
    filtered_query,
    mention_record,
    mention_time,
    page_of,
    with_names,
)
from veille.store.schema import brand_table, document_table, mention_table
from veille.store.specs import MentionFilter


@dataclass(frozen=True)
class StorySightings:
    """A page of one story's sightings, how many there are, and on which sites.

    ``sightings``: mention records, one per document, newest first; ``brands`` lists the
    document's brands (``brand`` is the first of them, whose mention gives the other fields;
    ``matched`` holds the terms of all). ``sites``: ``{"site", "sightings"}``, most first.
    ``brands``: the brands asked for, or the removed ones it fell back to (none: every
    configured brand).
    """

    story_id: str
    total: int
    sites: list[dict[str, object]]
    sightings: list[dict[str, object]]
    brands: tuple[str, ...]


def story_sightings(
    connection: Connection,
    story_id: str,
    brands: Sequence[str] = (),
    *,
    limit: int | None,
    offset: int = 0,
) -> StorySightings:
    """The sightings of ``story_id`` among the mentions of ``brands``.

    No brands: those of the configured brands, as in every listing; a story only brands removed
    from the configuration saw has theirs, since it is asked for by its id (a link kept from
    before, or listed by ``--brand OLDNAME``).
    """
    f = MentionFilter(story_id=story_id, brands=tuple(brands), limit=None)
    total = _count(connection, f)
    if total == 0 and not brands:
        f = replace(f, brands=tuple(_story_brands(connection, story_id)))
        total = _count(connection, f) if f.brands else 0
    documents = _page_documents(connection, f, limit, offset)
    return StorySightings(
        story_id=story_id,
        total=total,
        sites=_sites(connection, f) if total else [],
        sightings=_sightings(connection, f, documents),
        brands=f.brands,
    )


def _count(connection: Connection, f: MentionFilter) -> int:
    query = filtered_query(connection, f, func.count(distinct(document_table.c.id))).query
    return int(connection.execute(query).scalar_one())


def _story_brands(connection: Connection, story_id: str) -> list[str]:
    """Every brand with a mention of the story's documents, removed ones included."""
    query = (
        select(brand_table.c.name)
        .distinct()
        .select_from(mention_table)
        .join(document_table, document_table.c.id == mention_table.c.document_id)
        .join(brand_table, brand_table.c.id == mention_table.c.brand_id)
        .where(document_table.c.story_id == story_id)
    )
    return sorted(connection.execute(query).scalars(), key=name_key)


def _sites(connection: Connection, f: MentionFilter) -> list[dict[str, object]]:
    count = func.count(distinct(document_table.c.id)).label("sightings")
    query = filtered_query(connection, f, document_table.c.site, count).query
    query = query.group_by(document_table.c.site)
    rows = sorted(connection.execute(query), key=lambda row: (-row.sightings, row.site or ""))
    return [{"site": readable_host(row.site), "sightings": row.sightings} for row in rows]


def _page_documents(
    connection: Connection, f: MentionFilter, limit: int | None, offset: int
) -> list[int]:
    """The ids of the page's documents, newest first."""
    query = filtered_query(connection, f, document_table.c.id, mention_time.label("time")).query
    query = query.distinct().order_by(mention_time.desc(), document_table.c.id.desc())
    return [row.id for row in connection.execute(page_of(query, limit, offset))]


def _sightings(
    connection: Connection, f: MentionFilter, documents: list[int]
) -> list[dict[str, object]]:
    """One record per document of ``documents``, in that order, its mentions merged."""
    if not documents:
        return []
    document_id = document_table.c.id.label("document_id")
    query = with_names(filtered_query(connection, f, *LISTING_COLUMNS, document_id).query)
    query = query.where(document_table.c.id.in_(documents))
    mentions: dict[int, list[Row[Any]]] = {}
    for row in connection.execute(query):
        mentions.setdefault(row.document_id, []).append(row)
    return [_merged(mentions[document]) for document in documents if document in mentions]


def _merged(rows: list[Row[Any]]) -> dict[str, object]:
    """One document's mentions as one record: its brands together, the terms of all."""
    rows = sorted(rows, key=lambda row: (name_key(row.brand), row.mention_id))
    lead = mention_record(rows[0])
    terms = (term for row in rows for term in row.matched_terms or [])
    merged = {
        "brands": [row.brand for row in rows],
        "matched": list(dict.fromkeys(terms)),
    }
    return {name: merged[name] if name in merged else lead[name] for name in SIGHTING_FIELDS}
