"""HTML pages: the Jinja2 environment (the digest's, autoescaped), language and link helpers.

Feed text is only ever escaped; only http(s) URLs become links (the digest's ``link`` filter).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from veille.digest.render import mail_environment
from veille.timeutil import time_zone
from veille.web import wording
from veille.web.params import BadParameter, checked_text, time_zone_name
from veille.web.security import local_path

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
LANGUAGE_COOKIE = "veille_lang"


def environment() -> Environment:
    """The dashboard's Jinja2 environment: ``*.html.j2`` autoescaped, undefined names refused."""
    env = mail_environment(TEMPLATES)
    env.filters["path_part"] = lambda value: quote(str(value), safe="")
    env.filters["time"] = _local_time
    return env


@pass_context
def _local_time(context: Context, iso: object) -> str:
    # Times are shown in the page's time zone (see ``dashboard_time_zone``).
    return wording.format_time(iso, time_zone(context.get("time_zone") or "UTC"))


def dashboard_time_zone(request: Request) -> str:
    """The time zone of the dashboard's days, dates and times: ``?timezone=``, else the one
    the dashboard was started with (the configuration's ``[schedule] timezone``)."""
    return time_zone_name(request.query_params, getattr(request.app.state, "time_zone", "UTC"))


def _shown_time_zone(request: Request) -> str:
    """The page's time zone; the configured one when ``timezone`` is the malformed parameter."""
    try:
        return dashboard_time_zone(request)
    except BadParameter:
        return str(getattr(request.app.state, "time_zone", "UTC"))


def kept_query(request: Request) -> list[tuple[str, str]]:
    """What every link of a page carries over: the time zone the request asked for, if valid."""
    if not request.query_params.get("timezone"):
        return []
    try:
        return [("timezone", dashboard_time_zone(request))]
    except BadParameter:
        return []


def interface_language(request: Request) -> str:
    """``?lang=fr|en``, else the switch's cookie, else Accept-Language, else French."""
    asked = checked_text("lang", request.query_params.get("lang", ""))
    if asked is not None:
        if asked not in wording.LANGUAGES:
            raise BadParameter("lang", "fr or en", asked, attendu="fr ou en")
        return asked
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in wording.LANGUAGES:
        return str(remembered)
    accepted = wording.accepted_language(request.headers.get("accept-language"))
    return accepted or wording.DEFAULT_LANGUAGE


def url(path: str, pairs: Iterable[tuple[str, object]] = ()) -> str:
    """A local link: the path and its query (pairs without a value are left out)."""
    query = urlencode([(name, str(value)) for name, value in pairs if value not in (None, "")])
    return f"{path}?{query}" if query else path


def with_query(request: Request, **changes: object) -> str:
    """The current page's link with some parameters replaced (None removes one), never with
    the access token (``?token=``) in it."""
    changes = {"token": None, **changes}
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    return url(local_path(request), [*kept, *changes.items()])


def page(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    status: int = 200,
    language: str | None = None,
) -> HTMLResponse:
    """Render a page of the dashboard in the request's language."""
    if language is None:
        language = interface_language(request)
    labels = wording.LABELS[language]
    kept = kept_query(request)
    context = {
        "language": language,
        "t": labels,
        "path": local_path(request),
        "switch": {code: with_query(request, lang=code) for code in wording.LANGUAGES},
        "n": lambda value, decimals=0: wording.format_number(value or 0, language, decimals),
        "pct": lambda share: wording.format_percent(float(share or 0), language),
        "sentiment": lambda value: wording.format_sentiment(value, language),
        "tone_label": lambda tone: labels.get(str(tone), str(tone or "")),
        "agreeing": lambda key, count: wording.agreeing(key, count or 0, language),
        "url": url,
        "link": lambda path: url(path, kept),
        "time_zone": _shown_time_zone(request),
        **values,
    }
    html = environment().get_template(template).render(context)
    response = HTMLResponse(html, status_code=status)
    if "lang" in request.query_params and request.query_params["lang"] == language:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, httponly=True, samesite="strict"
        )
    return response
