"""The dashboard's pages: overview, mention list, stories, story, sources (and the login and
error pages)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from veille.digest.wording import day_span, short_day, short_month, sightings, tone_count
from veille.timeutil import time_zone
from veille.web import charts, params, wording
from veille.web.api import (
    count_mentions,
    known_brands,
    mention_filter,
    overview_of,
    removed_brands,
    store_of,
    story_sightings,
)
from veille.web.charts import PeriodVolume
from veille.web.render import (
    dashboard_time_zone,
    interface_language,
    kept_query,
    page,
    url,
    with_query,
)
from veille.web.security import TOKEN_ENV

PAGE_SIZE = 50
STORY_PAGE_SIZE = 100
VOLUME_TITLES = {"day": "volume", "week": "volume_week", "month": "volume_month"}


def export_format(language: str) -> str:
    """The CSV a page's export link asks for: as a spreadsheet in French opens it, or plain."""
    return "excel" if language == "fr" else "csv"


def _filter_form(request: Request, default_since: str | None = None) -> dict[str, object]:
    """What the filter form shows: the brands to choose from and the values asked."""
    query = request.query_params
    values = {name: query.get(name, "") for name in params.FILTER_NAMES}
    values["since"] = values["since"] or (default_since or "")
    brands = known_brands(request)
    return {
        "brands": brands,
        # As the filter reads them ("l'oreal" is L'Oréal), so that the form sends them back.
        "chosen_brands": params.brands(query, brands),
        # Several sites asked for: one field each, so that the form sends them all back.
        "chosen_sites": params.sites(query),
        "form": values,
        "tones": charts.TONE_ORDER,
    }


def _story_link(request: Request) -> Callable[[Mapping[str, object]], str]:
    """The link of a listed mention's story: it names the mention's brands that the
    configuration no longer declares, whose sightings the story leaves out unless asked."""
    removed = removed_brands(request)
    kept = kept_query(request)

    def story_link(record: Mapping[str, object]) -> str:
        listed = record.get("brands")
        named = [str(name) for name in listed] if isinstance(listed, list) else [record["brand"]]
        asked = [("brand", brand) for brand in named if brand in removed]
        return url("/stories/" + quote(str(record["story_id"]), safe=""), [*kept, *asked])

    return story_link


def _pager(request: Request, total: int, limit: int, offset: int) -> dict[str, object]:
    """Previous and next links and the range shown."""
    past_end = 0 < total <= offset  # a stale link: "previous" goes to the last page
    previous = max(offset - limit, 0) if offset > 0 else None
    if past_end:
        previous = (total - 1) // limit * limit
    following = offset + limit if offset + limit < total else None
    return {
        "total": total,
        "past_end": past_end,
        "shown": offset < total,  # past the end, the page shows no range
        "start": min(offset + 1, total),
        "end": min(offset + limit, total),
        "previous": None if previous is None else with_query(request, offset=previous or None),
        "next": None if following is None else with_query(request, offset=following),
    }


def overview(request: Request) -> Response:
    """GET /: volume by tone (by day, week or month), tone split, platforms, sites, authors and
    the latest negatives."""
    language = interface_language(request)
    labels = wording.LABELS[language]
    data = overview_of(request)
    unit = data.volume_unit

    def axis_label(bar: PeriodVolume) -> str:
        if unit == "month":
            return short_month(bar.start, language)
        return short_day(bar.start, language) if unit == "day" else f"{bar.start:%d/%m}"

    def bar_label(bar: PeriodVolume) -> str:
        return (
            short_day(bar.start, language)
            if unit == "day"
            else day_span(bar.start, bar.end, language)
        )

    def legend(tone: str, count: int) -> str:
        share = wording.format_percent(count / data.total if data.total else 0, language)
        return f"{labels[tone]} {wording.format_number(count, language)} ({share})"

    # The list behind the overview's links holds what it counted: from its first day on.
    carried = params.filter_query(request.query_params, drop=["since"])
    if data.first_day is not None:
        carried.insert(0, ("since", data.first_day.isoformat()))
    return page(
        request,
        "overview.html.j2",
        {
            **_filter_form(request, default_since="30d"),
            "data": data,
            "volume_title": labels[VOLUME_TITLES[unit]],
            "volume_chart": charts.volume_chart(
                data.volume,
                title=labels[VOLUME_TITLES[unit]],
                tone_count=lambda count, tone: tone_count(count, tone, language),
                number=lambda count: wording.format_number(count, language),
                axis_label=axis_label,
                bar_label=bar_label,
            ),
            "tone_chart": charts.tone_split_chart(
                data.tones, title=labels["tone_split"], legend=legend
            ),
            "share_bar": charts.share_bar,
            "story_link": _story_link(request),
            "carried": carried,
            "mentions_url": lambda *extra: url("/mentions", [*carried, *extra]),
        },
        language=language,
    )


def mentions(request: Request) -> Response:
    """GET /mentions: the mention list with every filter, full-text search and paging."""
    language = interface_language(request)
    store = store_of(request)
    limit, offset = params.paging(request.query_params, PAGE_SIZE)
    timezone = dashboard_time_zone(request)
    f = mention_filter(
        request,
        request.query_params,
        limit=limit,
        offset=offset,
        zone=time_zone(timezone),
    )
    total = count_mentions(store, f)
    # The API's dates are UTC days unless told: the exports name the page's other time zone.
    carried = params.filter_query(request.query_params, drop=["timezone"])
    if timezone != "UTC":
        carried.append(("timezone", timezone))
    return page(
        request,
        "mentions.html.j2",
        {
            **_filter_form(request),
            "records": store.list_mentions(f),
            "story_link": _story_link(request),
            "pager": _pager(request, total, limit, offset),
            "csv_url": url("/api/mentions", [*carried, ("format", export_format(language))]),
            "json_url": url("/api/mentions", [*carried, ("limit", limit), ("offset", offset)]),
            "stories_url": url("/stories", params.filter_query(request.query_params)),
        },
        language=language,
    )


def stories(request: Request) -> Response:
    """GET /stories: the filtered mentions grouped by story, seen most recently first, with
    every filter of the mention list and paging."""
    language = interface_language(request)
    store = store_of(request)
    limit, offset = params.paging(request.query_params, PAGE_SIZE)
    timezone = dashboard_time_zone(request)
    f = mention_filter(
        request, request.query_params, limit=limit, offset=offset, zone=time_zone(timezone)
    )
    total = store.count_stories(f)
    # As on the mention list: the exports name the page's time zone unless it is UTC.
    carried = params.filter_query(request.query_params, drop=["timezone"])
    if timezone != "UTC":
        carried.append(("timezone", timezone))
    return page(
        request,
        "stories.html.j2",
        {
            **_filter_form(request),
            "records": store.list_stories(f),
            "story_link": _story_link(request),
            "pager": _pager(request, total, limit, offset),
            "csv_url": url("/api/stories", [*carried, ("format", export_format(language))]),
            "json_url": url("/api/stories", [*carried, ("limit", limit), ("offset", offset)]),
            "mentions_url": url("/mentions", params.filter_query(request.query_params)),
        },
        language=language,
    )


def story(request: Request) -> Response:
    """GET /stories/{story_id}: every sighting of one story (documents sharing its id, a
    document that names several brands once)."""
    language = interface_language(request)
    limit, offset = params.paging(request.query_params, STORY_PAGE_SIZE)
    found = story_sightings(request, limit, offset)
    api_path = "/api/stories/" + quote(found.story_id, safe="")
    asked = [
        ("brand", brand) for brand in params.brands(request.query_params, known_brands(request))
    ]
    return page(
        request,
        "story.html.j2",
        {
            "story_id": found.story_id,
            "sightings": lambda count: sightings(count, language),
            "records": found.sightings,
            "story_link": _story_link(request),
            "brands": found.brands,
            "sites": found.sites,
            "pager": _pager(request, found.total, limit, offset),
            "csv_url": url(api_path, [*asked, ("format", export_format(language))]),
            "json_url": url(api_path, [*asked, ("limit", limit), ("offset", offset)]),
        },
        language=language,
    )


def sources(request: Request) -> Response:
    """GET /sources: last success, last error, failures and next check of every source."""
    language = interface_language(request)
    return page(
        request,
        "sources.html.j2",
        {
            "rows": store_of(request).source_health(),
            "csv_url": url("/api/sources", [("format", export_format(language))]),
            "json_url": "/api/sources",
        },
        language=language,
    )


def safe_language(request: Request) -> str:
    """The request's interface language, French when its ``lang`` is the malformed parameter."""
    try:
        return interface_language(request)
    except params.BadParameter:
        return wording.DEFAULT_LANGUAGE


def error(
    request: Request, status: int, title_key: str, message: str, french: str | None = None
) -> Response:
    """An error page: what went wrong (``french`` on a French page), and a way back."""
    language = safe_language(request)
    shown = french if language == "fr" and french else message
    values = {"status": status, "title_key": title_key, "message": shown}
    return page(request, "error.html.j2", values, status=status, language=language)


def wrong_host(request: Request, name: str, answered: Sequence[str]) -> Response:
    """The page refusing a request addressed to a name the server does not answer for: the
    names it answers for, and that an access token lifts that."""
    listed = ", ".join(answered)
    message = (
        f"This server does not answer for {name!r}, only for {listed}: open it under one of "
        f"these names, or start it with {TOKEN_ENV} set (see the README, Access token) to "
        "answer for any name."
    )
    french = (
        f"Ce serveur ne répond pas à l'adresse {name!r}, seulement à {listed}\u00a0: ouvrez-le "
        f"sous l'un de ces noms, ou lancez-le avec {TOKEN_ENV} (voir le README, Access token) "
        "pour qu'il réponde à tout nom."
    )
    return error(request, 400, "bad_host", message, french)


def login(request: Request, wrong: bool) -> Response:
    """The page asking for the access token; the form sends the page's parameters again, so
    that the page comes back as asked once signed in."""
    language = safe_language(request)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    values = {"wrong": wrong, "kept": kept}
    return page(request, "login.html.j2", values, status=401, language=language)
