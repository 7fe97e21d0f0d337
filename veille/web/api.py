"""The JSON API: the pages' data as JSON, every list also as CSV (``?format=csv``).

Each endpoint reads its parameters into a MentionFilter, asks the Store and shapes the answer;
mentions and statistics have the fields of ``veille mentions`` and ``veille stats``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import chain
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from veille.records import (
    MENTION_FIELDS,
    SIGHTING_FIELDS,
    SPREADSHEET_START,
    STAT_FIELDS,
    csv_text,
)
from veille.store import MentionFilter, Store
from veille.store.story_list import STORY_FIELDS
from veille.store.story_sightings import StorySightings
from veille.timeutil import time_zone
from veille.web import params
from veille.web.openapi import openapi_document, query_parameters
from veille.web.overview import Overview, build_overview, from_midnight
from veille.web.render import dashboard_time_zone

SOURCE_FIELDS = (
    "name", "kind", "brand", "active", "disabled", "disabled_reason", "last_ok_at", "last_new_at",
    "last_error", "last_error_at", "consecutive_failures", "next_check_at", "server_wait_until",
    "check_interval", "documents",
)  # fmt: skip
BRAND_FIELDS = ("brand",)
DEFAULT_LIMIT = 50
# A CSV export without a limit covers every filtered mention, read this many at a time.
EXPORT_BATCH = 1000


def checked_query(request: Request, path: str) -> QueryParams:
    """The request's query, every parameter one the endpoint at ``path`` (as the OpenAPI
    description writes it) takes, or the access token; another is an UnknownParameter."""
    params.refuse_unknown(request.query_params, query_parameters(path))
    return request.query_params


def store_of(request: Request) -> Store:
    """The read-only store the application serves."""
    store: Store = request.app.state.store
    return store


def known_brands(request: Request) -> list[str]:
    """The brands a request may name: the database's, and the configured ones not collected
    yet (a brand is stored at its first collection), as the command line knows them."""
    # Read once per request: a page's filter and its form both need them.
    cached: list[str] | None = getattr(request.state, "known_brands", None)
    if cached is not None:
        return cached
    from veille.normalize.text import name_key

    stored = store_of(request).brand_names()
    seen = {name_key(name) for name in stored}
    configured = [name for name in request.app.state.brands if name_key(name) not in seen]
    request.state.known_brands = known = sorted([*stored, *configured], key=name_key)
    return known


def mention_filter(request: Request, query: QueryParams, **options: Any) -> MentionFilter:
    """The MentionFilter of ``query``'s filter parameters, its brands, platform and term known
    to the database or the configuration."""
    return params.mention_filter(
        query,
        known_brands(request),
        store=store_of(request),
        configured_queries=request.app.state.brand_queries,
        **options,
    )


def count_mentions(store: Store, f: MentionFilter) -> int:
    """How many mentions a filter keeps (its limit and offset aside)."""
    rows = store.stats(replace(f, limit=None, offset=0), "tone")
    return sum(int(str(row["mentions"])) for row in rows)


def csv_response(
    records: Sequence[Mapping[str, object]],
    fields: Sequence[str],
    name: str,
    output: str = "csv",
) -> Response:
    """Records as a CSV download (cells neutralised against spreadsheet formulas); ``output``
    "excel" writes it as a spreadsheet in French opens it."""
    spreadsheet = output == "excel"
    return Response(
        (SPREADSHEET_START if spreadsheet else "")
        + csv_text(records, fields, spreadsheet=spreadsheet),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )


def _streamed_csv(
    batches: Iterator[Sequence[Mapping[str, object]]],
    fields: Sequence[str],
    name: str,
    output: str,
) -> Response:
    """Every record of ``batches`` (each mention or story a filter keeps), as CSV written batch
    by batch."""
    spreadsheet = output == "excel"
    # Read before the answer starts: a database that cannot be read then answers 503, where a
    # download already begun could only be cut short.
    first = next(batches, None)

    def rows() -> Iterator[str]:
        yield (SPREADSHEET_START if spreadsheet else "") + csv_text(
            [], fields, spreadsheet=spreadsheet
        )
        for batch in () if first is None else chain([first], batches):
            yield csv_text(batch, fields, spreadsheet=spreadsheet).split("\n", 1)[1]

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )


def mentions(request: Request) -> Response:
    """GET /api/mentions: the filtered mentions, newest (or most relevant) first, as JSON with
    their count and paging, or as CSV."""
    store, query = store_of(request), checked_query(request, "/api/mentions")
    output = params.output_format(query)
    limit = params.integer(query, "limit", 1, params.MAX_LIMIT)
    offset = params.integer(query, "offset", 0, params.MAX_OFFSET) or 0
    zone = time_zone(params.time_zone_name(query))
    f = mention_filter(request, query, limit=limit, offset=offset, zone=zone)
    total = count_mentions(store, f)
    if output != "json":
        if limit is None:
            batches = store.iter_mentions(f, EXPORT_BATCH)
            return _streamed_csv(batches, MENTION_FIELDS, "mentions", output)
        return csv_response(store.list_mentions(f), MENTION_FIELDS, "mentions", output)
    f = replace(f, limit=limit or DEFAULT_LIMIT)
    body = {"total": total, "limit": f.limit, "offset": offset, "mentions": store.list_mentions(f)}
    return JSONResponse(body)


def stories(request: Request) -> Response:
    """GET /api/stories: the filtered mentions grouped by story, the story seen most recently
    first (as ``veille mentions --group-by story``), as JSON with their count and paging, or as
    CSV."""
    store, query = store_of(request), checked_query(request, "/api/stories")
    output = params.output_format(query)
    limit = params.integer(query, "limit", 1, params.MAX_LIMIT)
    offset = params.integer(query, "offset", 0, params.MAX_OFFSET) or 0
    zone = time_zone(params.time_zone_name(query))
    f = mention_filter(request, query, limit=limit, offset=offset, zone=zone)
    if output != "json":
        return _streamed_csv(store.iter_stories(f), STORY_FIELDS, "stories", output)
    f = replace(f, limit=limit or DEFAULT_LIMIT)
    total = store.count_stories(f)
    body = {"total": total, "limit": f.limit, "offset": offset, "stories": store.list_stories(f)}
    return JSONResponse(body)


def removed_brands(request: Request) -> frozenset[str]:
    """The stored brands the configuration no longer declares, whose mentions listings leave
    out unless asked for by name."""
    cached: frozenset[str] | None = getattr(request.state, "removed_brands", None)
    if cached is None:
        store = store_of(request)
        active = store.brand_names(active_only=True)
        cached = frozenset(store.brand_names()) - frozenset(active)
        request.state.removed_brands = cached
    return cached


def story_sightings(request: Request, limit: int | None, offset: int) -> StorySightings:
    """A page of the sightings of the story the path names (of the brands ``?brand=`` names,
    removed ones too); an unknown story is a NotFound."""
    story_id = params.story_id(request.path_params["story_id"])
    brands = params.brands(request.query_params, known_brands(request))
    found = store_of(request).story_sightings(story_id, brands, limit=limit, offset=offset)
    if found.total == 0:
        among = f" among the mentions of {', '.join(brands)}" if brands else ""
        parmi = f" parmi les mentions de {', '.join(brands)}" if brands else ""
        raise params.NotFound(
            f"unknown story {story_id!r}{among}",
            "story_id",
            french=f"récit inconnu {story_id!r}{parmi}",
        )
    return found


def story(request: Request) -> Response:
    """GET /api/stories/{story_id}: every sighting of one story, one per document (its brands
    together), as JSON with their count and paging, or as CSV."""
    query = checked_query(request, "/api/stories/{story_id}")
    output = params.output_format(query)
    limit = params.integer(query, "limit", 1, params.MAX_LIMIT)
    offset = params.integer(query, "offset", 0, params.MAX_OFFSET) or 0
    if output != "json":
        found = story_sightings(request, limit, offset)
        return csv_response(found.sightings, SIGHTING_FIELDS, "story", output)
    found = story_sightings(request, limit or DEFAULT_LIMIT, offset)
    body = {
        "total": found.total,
        "limit": limit or DEFAULT_LIMIT,
        "offset": offset,
        "story_id": found.story_id,
        "brands": list(found.brands),
        "mentions": found.sightings,
    }
    return JSONResponse(body)


def stats(request: Request) -> Response:
    """GET /api/stats: counts, shares and tones per platform, site, author, tone, language, day."""
    store, query = store_of(request), checked_query(request, "/api/stats")
    output = params.output_format(query)
    by = params.stats_dimension(query)
    limit = params.integer(query, "limit", 1, params.MAX_GROUPS)
    timezone = params.time_zone_name(query)
    f = mention_filter(request, query, limit=None, zone=time_zone(timezone))
    rows = store.stats(f, by, timezone)
    rows = rows[:limit] if limit else rows
    if output != "json":
        return csv_response(rows, STAT_FIELDS, f"stats-by-{by}", output)
    return JSONResponse({"by": by, "groups": rows})


def overview_of(request: Request) -> Overview:
    """The overview a request asks for (the last 30 days by default), in the dashboard's zone,
    from the midnight that starts its first day."""
    store = store_of(request)
    timezone = dashboard_time_zone(request)
    zone = time_zone(timezone)
    f = mention_filter(request, request.query_params, limit=None, default_since="30d", zone=zone)
    return build_overview(store, from_midnight(f, zone), timezone)


def overview(request: Request) -> Response:
    """GET /api/overview: what the overview page shows, for a brand and a period (JSON only:
    it is not one list)."""
    if params.output_format(checked_query(request, "/api/overview")) != "json":
        raise params.BadParameter(
            "format",
            "json: the overview is not a list (/api/mentions and /api/stats give CSV)",
            request.query_params.getlist("format")[-1],
            attendu="json : la vue d'ensemble n'est pas une liste "
            "(/api/mentions et /api/stats donnent du CSV)",
        )
    return JSONResponse(overview_of(request).as_json())


def sources(request: Request) -> Response:
    """GET /api/sources: the health of every source."""
    output = params.output_format(checked_query(request, "/api/sources"))
    rows = store_of(request).source_health()
    if output != "json":
        return csv_response(rows, SOURCE_FIELDS, "sources", output)
    return JSONResponse({"sources": rows})


def brands(request: Request) -> Response:
    """GET /api/brands: the brand names the database knows, and the configured ones."""
    output = params.output_format(checked_query(request, "/api/brands"))
    names = known_brands(request)
    if output != "json":
        return csv_response([{"brand": name} for name in names], BRAND_FIELDS, "brands", output)
    return JSONResponse({"brands": names})


def openapi(request: Request) -> Response:
    """GET /api/openapi.json: the OpenAPI description of this API."""
    params.refuse_unknown(request.query_params, ())
    return JSONResponse(openapi_document())
