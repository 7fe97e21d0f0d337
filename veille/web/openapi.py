"""The OpenAPI 3.0 description of the JSON API, served at ``/api/openapi.json``."""

from __future__ import annotations

from functools import cache
from typing import Any

from veille import __version__
from veille.records import STAT_DIMENSIONS
from veille.store.schema import TONES
from veille.store.story_list import STORY_FIELDS
from veille.web.charts import VOLUME_UNITS
from veille.web.params import MAX_GROUPS, MAX_LIMIT, MAX_OFFSET, MAX_STORY_ID, MAX_TEXT

JsonObject = dict[str, Any]


def _nullable(kind: str, **extra: Any) -> JsonObject:
    return {"type": kind, "nullable": True, **extra}


def _text(name: str, description: str) -> JsonObject:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "string", "maxLength": MAX_TEXT},
    }


PERIOD = "a look-back (7d, 12h, 2w) or a date (2026-01-01)"
FILTERS: list[JsonObject] = [
    {
        "name": "brand",
        "in": "query",
        "description": "Only these brands (repeatable, any case); an unknown one gives 404.",
        "schema": {"type": "array", "items": {"type": "string", "maxLength": MAX_TEXT}},
        "style": "form",
        "explode": True,
    },
    _text("platform", "Only this platform (news, blog, youtube…); an unknown one gives 404."),
    {
        "name": "site",
        "in": "query",
        "description": (
            "Only these sites or their subdomains (lemonde.fr; repeatable: any; a page of it "
            "is refused)."
        ),
        "schema": {"type": "array", "items": {"type": "string", "maxLength": MAX_TEXT}},
        "style": "form",
        "explode": True,
    },
    _text("author", "Authors whose name or handle contains this (any case)."),
    {
        "name": "tone",
        "in": "query",
        "description": "Only this tone.",
        "schema": {"type": "string", "enum": [*TONES, ""]},
    },
    _text(
        "language",
        "Only mentions in this language (fr, en…; fr-FR asks for fr): `--lang` of the CLI.",
    ),
    _text("since", f"Published since: {PERIOD}."),
    _text("until", f"Published until: {PERIOD}, inclusive."),
    _text("search", 'Full-text search of title and text: words, "phrases", -exclusions.'),
    _text(
        "term",
        'Found by this term of the brand query, as written there ("air france", danon*), '
        "case and accents set aside; one no query holds gives 404.",
    ),
]
FORMAT: JsonObject = {
    "name": "format",
    "in": "query",
    "description": "json (default), csv (cells neutralised against spreadsheet formulas), or "
    'excel: that CSV as a spreadsheet in French opens it (";" between cells, decimal comma, '
    "UTF-8 with a byte-order mark).",
    "schema": {"type": "string", "enum": ["json", "csv", "excel", ""]},
}


def _paging(rows: str) -> list[JsonObject]:
    """``limit`` and ``offset`` of a listing of ``rows`` (mentions, stories)."""
    return [
        {
            "name": "limit",
            "in": "query",
            "description": f"At most this many {rows} (default 50; a CSV without it has them all).",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        },
        {
            "name": "offset",
            "in": "query",
            "description": f"Skip this many {rows} first (paging).",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        },
    ]


PAGING = _paging("mentions")
STORY_PAGING = _paging("stories")
MENTION: JsonObject = {
    "type": "object",
    "required": ["id", "brand", "platform", "title", "text", "collected_at", "tone", "matched"],
    "properties": {
        "id": {"type": "integer"},
        "brand": {"type": "string"},
        "platform": {"type": "string"},
        "source": _nullable("string"),
        "site": _nullable("string"),
        "url": _nullable("string"),
        "title": {"type": "string"},
        "text": {"type": "string"},
        "author": _nullable("string"),
        "author_handle": _nullable("string"),
        "author_url": _nullable("string"),
        "published_at": _nullable("string", format="date-time"),
        "collected_at": {"type": "string", "format": "date-time"},
        "lang": _nullable("string"),
        "sentiment": {"type": "number", "minimum": -1, "maximum": 1},
        "tone": {"type": "string", "enum": list(TONES)},
        "matched": {"type": "array", "items": {"type": "string"}},
        "reach": _nullable("integer"),
        "engagement": _nullable("integer"),
        "metrics": {"type": "object", "additionalProperties": {"type": "integer"}},
        "story_id": _nullable("string"),
    },
}
# A story's sighting: a document, once whatever the brands it names (``brand`` is the first).
SIGHTING: JsonObject = {
    "type": "object",
    "required": [*MENTION["required"], "brands"],
    "properties": {
        **{name: kind for name, kind in MENTION["properties"].items() if name in ("id", "brand")},
        "brands": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Every brand the document names, in the order of /api/brands.",
        },
        **{
            name: kind
            for name, kind in MENTION["properties"].items()
            if name not in ("id", "brand")
        },
    },
}
# A story of the filtered mentions: its earliest sighting among them as headline, and counts.
STORY: JsonObject = {
    "type": "object",
    "required": list(STORY_FIELDS),
    "properties": {
        "story_id": {"type": "string"},
        "title": {"type": "string", "description": "The headline: the earliest sighting's."},
        "url": _nullable("string"),
        "site": _nullable("string"),
        "platform": {"type": "string"},
        "published_at": _nullable("string", format="date-time"),
        "first_seen": {"type": "string", "format": "date-time"},
        "last_seen": {"type": "string", "format": "date-time"},
        "sightings": {
            "type": "integer",
            "minimum": 1,
            "description": "How many of its documents the filtered mentions hold.",
        },
        "sites": {"type": "integer", "minimum": 0, "description": "On how many sites."},
        "brands": {"type": "array", "items": {"type": "string"}},
        **{
            tone: {
                "type": "integer",
                "minimum": 0,
                "description": f"How many of its documents are {tone}.",
            }
            for tone in TONES
        },
        "avg_sentiment": {"type": "number", "minimum": -1, "maximum": 1},
    },
}
STAT_GROUP: JsonObject = {
    "type": "object",
    "required": ["key", "mentions", "share", *TONES, "avg_sentiment"],
    "properties": {
        "key": _nullable("string"),
        "mentions": {"type": "integer", "minimum": 1},
        "share": {"type": "number", "minimum": 0, "maximum": 1},
        **{tone: {"type": "number", "minimum": 0, "maximum": 1} for tone in TONES},
        "avg_sentiment": {"type": "number", "minimum": -1, "maximum": 1},
        "engagement": _nullable("integer"),
        "reach": _nullable("integer"),
    },
}
SOURCE: JsonObject = {
    "type": "object",
    "required": ["name", "kind", "active", "disabled", "consecutive_failures", "documents"],
    "properties": {
        "name": {"type": "string"},
        "kind": {"type": "string"},
        "brand": _nullable("string"),
        "active": {"type": "boolean"},
        "disabled": {"type": "boolean"},
        "disabled_reason": _nullable("string"),
        "last_ok_at": _nullable("string", format="date-time"),
        "last_new_at": _nullable("string", format="date-time"),
        "last_error": _nullable("string"),
        "last_error_at": _nullable("string", format="date-time"),
        "consecutive_failures": {"type": "integer", "minimum": 0},
        "next_check_at": _nullable("string", format="date-time"),
        "server_wait_until": _nullable(
            "string",
            format="date-time",
            description="The end of a wait the server asked for with its last failure (a 429 "
            "or 503's Retry-After, a rate limit's reset), which even `veille collect --all` "
            "respects; null when it asked none.",
        ),
        "check_interval": _nullable(
            "number",
            minimum=0,
            description="Seconds between two checks, as polling adapted it (null before a "
            "first success).",
        ),
        "documents": {"type": "integer", "minimum": 0},
    },
}
ERROR: JsonObject = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "parameter": _nullable("string"),
    },
}


def _ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


def _listing(name: str, items: JsonObject, *, paged: bool) -> JsonObject:
    properties: JsonObject = {name: {"type": "array", "items": items}}
    required = [name]
    if paged:
        properties |= {
            "total": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        }
        required += ["total", "limit", "offset"]
    return {"type": "object", "required": required, "properties": properties}


def _operation(
    summary: str, parameters: list[JsonObject], body: JsonObject, *, csv: bool = False
) -> JsonObject:
    content: JsonObject = {"application/json": {"schema": body}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    error = {"application/json": {"schema": _ref("Error")}}
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": content},
                "400": {
                    "description": "A parameter is malformed or unknown (named).",
                    "content": error,
                },
                "401": {"description": "The access token is missing.", "content": error},
                "404": {
                    "description": "An unknown brand, platform, term or story.",
                    "content": error,
                },
                "503": {"description": "The database cannot be read.", "content": error},
            },
        }
    }


def _volume_schema() -> JsonObject:
    """The overview's volume chart: bars of a day, a week or a month of mentions, per tone."""
    counts = {name: {"type": "integer", "minimum": 0} for name in ("mentions", *TONES)}
    bar = {
        "type": "object",
        "required": ["start", "end", *counts],
        "properties": {
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date", "description": "The last day, included."},
            **counts,
        },
    }
    return {
        "type": "object",
        "required": ["unit", "bars"],
        "properties": {
            "unit": {"type": "string", "enum": list(VOLUME_UNITS)},
            "bars": {"type": "array", "items": bar},
        },
    }


@cache
def query_parameters(path: str) -> tuple[str, ...]:
    """The query parameters the description gives the endpoint at ``path`` (as written there:
    ``/api/stories/{story_id}``); the API refuses any other, but the access token."""
    operation = openapi_document()["paths"][path]["get"]
    return tuple(p["name"] for p in operation["parameters"] if p["in"] == "query")


@cache
def openapi_document() -> JsonObject:
    """The OpenAPI description of every endpoint of the JSON API."""
    overview = {
        "type": "object",
        "required": [
            "total",
            "tones",
            "days",
            "volume",
            "timezone",
            "share_of_voice",
            "terms",
            "hashtags",
            "hashtags_read",
            "platforms",
            "sites",
            "authors",
            "negative",
        ],
        "properties": {
            "brands": {"type": "array", "items": {"type": "string"}},
            "since": _nullable("string", format="date-time"),
            "until": _nullable("string", format="date-time"),
            "timezone": {"type": "string", "description": "The IANA time zone of the days."},
            "total": {"type": "integer", "minimum": 0},
            "tones": {
                "type": "object",
                "properties": {tone: {"type": "integer", "minimum": 0} for tone in TONES},
            },
            "avg_sentiment": _nullable("number"),
            "days": {"type": "array", "items": {"type": "object"}},
            "volume": _volume_schema(),
            "share_of_voice": {"type": "array", "items": _ref("StatGroup")},
            "terms": {"type": "array", "items": _ref("StatGroup")},
            "hashtags": {
                "type": "array",
                "items": _ref("StatGroup"),
                "description": "The hashtags written in the period's mentions (shares of those).",
            },
            "hashtags_read": {
                "type": "integer",
                "minimum": 0,
                "description": "How many mentions the hashtags were counted in: all of them, "
                "as `total`.",
            },
            "platforms": {"type": "array", "items": _ref("StatGroup")},
            "sites": {"type": "array", "items": _ref("StatGroup")},
            "authors": {"type": "array", "items": _ref("StatGroup")},
            "negative": {"type": "array", "items": _ref("Mention")},
        },
    }
    story_path = {
        "name": "story_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_STORY_ID},
    }
    by = {
        "name": "by",
        "in": "query",
        "description": "Group by this (platform by default).",
        "schema": {"type": "string", "enum": [*STAT_DIMENSIONS, ""]},
    }
    groups_limit = {
        "name": "limit",
        "in": "query",
        "description": "Only the first N groups.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_GROUPS},
    }
    stats_body = _listing("groups", _ref("StatGroup"), paged=False)
    stats_body["properties"]["by"] = {"type": "string", "enum": list(STAT_DIMENSIONS)}
    story_body = _listing("mentions", _ref("Sighting"), paged=True)
    story_body["properties"]["story_id"] = {"type": "string"}
    story_body["properties"]["brands"] = {
        "type": "array",
        "items": {"type": "string"},
        "description": "The brands whose sightings these are: those asked for, else none (the "
        "configured brands'), or those removed from the configuration when only they saw it.",
    }
    story_brands = {
        **FILTERS[0],
        "description": "Only the sightings of these brands (repeatable, any case), brands "
        "removed from the configuration too; by default the configured brands' (or the removed "
        "ones', when only they saw the story). An unknown one gives 404.",
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "veille",
            "version": __version__,
            "description": "Read-only access to the mentions veille collected. Times are ISO "
            "8601 UTC; an empty text or choice parameter is the same as an absent one, and a "
            "parameter an endpoint does not describe gets a 400 naming it (but `token`); with "
            "VEILLE_WEB_TOKEN set, send `Authorization: Bearer <token>` (or `?token=` once).",
        },
        "paths": {
            "/api/mentions": _operation(
                "Mentions, newest first (most relevant first with search).",
                [
                    *FILTERS,
                    _text(
                        "timezone",
                        "The dates of since and until are days of this IANA time zone (UTC by "
                        "default).",
                    ),
                    *PAGING,
                    FORMAT,
                ],
                _listing("mentions", _ref("Mention"), paged=True),
                csv=True,
            ),
            "/api/stats": _operation(
                "Counts, shares, tones, engagement and reach per group.",
                [
                    *FILTERS,
                    by,
                    _text(
                        "timezone",
                        "Days, weeks and months, and the dates of since and until, in this IANA "
                        "time zone (UTC by default).",
                    ),
                    groups_limit,
                    FORMAT,
                ],
                stats_body,
                csv=True,
            ),
            "/api/overview": _operation(
                "The overview of a brand and period (the last 30 days by default).",
                [
                    *FILTERS,
                    _text(
                        "timezone",
                        "Days and the dates of since and until in this IANA time zone (by "
                        "default the dashboard's: the configuration's [schedule] timezone).",
                    ),
                    {
                        "name": "format",
                        "in": "query",
                        "description": "json only: the overview is not a list (its lists come "
                        "as CSV from /api/mentions and /api/stats).",
                        "schema": {"type": "string", "enum": ["json", ""]},
                    },
                ],
                overview,
            ),
            "/api/stories": _operation(
                "Stories of the filtered mentions, seen most recently first: one each, its "
                "earliest sighting as headline (`veille mentions --group-by story`).",
                [
                    *FILTERS,
                    _text(
                        "timezone",
                        "The dates of since and until are days of this IANA time zone (UTC by "
                        "default).",
                    ),
                    *STORY_PAGING,
                    FORMAT,
                ],
                _listing("stories", _ref("Story"), paged=True),
                csv=True,
            ),
            "/api/stories/{story_id}": _operation(
                "Every sighting of one story: its documents, one each whatever the brands "
                "it names.",
                [story_path, story_brands, *PAGING, FORMAT],
                story_body,
                csv=True,
            ),
            "/api/sources": _operation(
                "The health of every source.",
                [FORMAT],
                _listing("sources", _ref("Source"), paged=False),
                csv=True,
            ),
            "/api/brands": _operation(
                "The brands the database knows.",
                [FORMAT],
                _listing("brands", {"type": "string"}, paged=False),
                csv=True,
            ),
        },
        "components": {
            "schemas": {
                "Mention": MENTION,
                "Sighting": SIGHTING,
                "Story": STORY,
                "StatGroup": STAT_GROUP,
                "Source": SOURCE,
                "Error": ERROR,
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    }
