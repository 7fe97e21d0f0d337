"""The ASGI application: routes, error answers and the guard, over one read-only Store."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from veille.errors import StoreError
from veille.store import Store
from veille.timeutil import time_zone
from veille.web import api, pages
from veille.web.params import BadParameter, NotFound
from veille.web.render import STATIC
from veille.web.security import Guard

logger = logging.getLogger(__name__)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


# The title of an error page, by status (the labels of veille/web/wording.py).
ERROR_TITLES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 503: "unavailable"}


def _error(
    request: Request,
    status: int,
    code: str,
    message: str,
    name: str | None,
    french: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The same error as JSON for the API (in English) and as a page for people (in the page's
    language, ``french`` for the French pages)."""
    if _wants_json(request):
        body = {"error": code, "message": message, "parameter": name}
        return JSONResponse(body, status_code=status, headers=headers)
    title = ERROR_TITLES.get(status, "error")
    response = pages.error(request, status, title, message, french)
    response.headers.update(headers or {})
    return response


def _bad_parameter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadParameter)
    return _error(request, 400, exc.code, exc.message, exc.name, exc.french)


def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotFound)
    return _error(request, 404, "not_found", exc.message, exc.name, exc.french)


def _store_error(request: Request, exc: Exception) -> Response:
    logger.warning("cannot read the database: %s", exc)
    # The driver's words are English: the French page says what happened, the log says why.
    french = (
        "la base de données ne peut pas être lue pour l'instant (le détail est dans le journal)"
    )
    return _error(request, 503, "database_unavailable", str(exc), None, french)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        path = request.url.path
        return _error(
            request, 404, "not_found", f"no page at {path}", None, f"aucune page à l'adresse {path}"
        )
    if exc.status_code == 405:
        # Every route reads only (GET, HEAD): the Allow header says so, in a steady order.
        listed = (exc.headers or {}).get("Allow", "GET, HEAD").split(",")
        method, allowed = request.method, ", ".join(sorted(m.strip() for m in listed))
        return _error(
            request,
            405,
            "method_not_allowed",
            f"{method} is not allowed here (allowed: {allowed})",
            None,
            f"la méthode {method} n'est pas acceptée ici (acceptées\u00a0: {allowed})",
            headers={**(exc.headers or {}), "Allow": allowed},
        )
    status = exc.status_code
    french = f"erreur HTTP {status}"
    return _error(request, status, "http_error", str(exc.detail), None, french, exc.headers)


def create_app(
    store: Store,
    *,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
    timezone: str = "UTC",
    brands: Sequence[str] = (),
    brand_queries: Sequence[str] = (),
) -> Starlette:
    """The dashboard and JSON API over ``store``.

    ``token``: the access token every request must present (None: no token asked).
    ``allowed_hosts``: the only Host names answered (None: any).
    ``timezone``: the IANA time zone of the dashboard's days, dates and times unless a request
    asks for another (``?timezone=``); the API's are UTC unless asked.
    ``brands``: the configured brand names, known before their first collection stores them.
    ``brand_queries``: the configured brands' queries, whose terms ``?term=`` may name before
    a collection stores them.
    """
    time_zone(timezone)  # an unknown zone is refused now, not at the first request
    routes = [
        Route("/", pages.overview),
        Route("/mentions", pages.mentions),
        Route("/stories", pages.stories),
        Route("/stories/{story_id:path}", pages.story),
        Route("/sources", pages.sources),
        Route("/api/openapi.json", api.openapi),
        Route("/api/overview", api.overview),
        Route("/api/mentions", api.mentions),
        Route("/api/stats", api.stats),
        Route("/api/stories", api.stories),
        Route("/api/stories/{story_id:path}", api.story),
        Route("/api/sources", api.sources),
        Route("/api/brands", api.brands),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                Guard,
                token=token,
                allowed_hosts=allowed_hosts,
                login_page=pages.login,
                wrong_host_page=pages.wrong_host,
            )
        ],
        exception_handlers={
            BadParameter: _bad_parameter,
            NotFound: _not_found,
            StoreError: _store_error,
            HTTPException: _http_error,
        },
    )
    app.state.store = store
    app.state.time_zone = timezone
    app.state.brands = tuple(brands)
    app.state.brand_queries = tuple(brand_queries)
    return app
