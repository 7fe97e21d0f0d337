"""The ``hackernews`` collector: a two-page Algolia ``search_by_date`` answer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors.api import api_url

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "hackernews"
JSON = "application/json; charset=UTF-8"
SEARCH_PATH = "/api/v1/search_by_date"
HITS_PER_PAGE = 2  # the recorded pages hold two hits each


def recorded(name: str) -> bytes:
    """A recorded Algolia answer from tests/data/recorded/hackernews/."""
    return (RECORDED / name).read_bytes()


def search_route(
    query: str, *, page: int, hits_per_page: int = HITS_PER_PAGE, after_ts: int | None = None
) -> str:
    """The path and query string of a search as Algolia HN documents it."""
    params = {
        "query": query,
        "tags": "(story,comment)",
        "numericFilters": f"created_at_i>{after_ts}" if after_ts is not None else None,
        "hitsPerPage": hits_per_page,
        "page": page,
    }
    return api_url("http://h", SEARCH_PATH, params).removeprefix("http://h")


def _serve(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, recorded("search_page0.json"), content_type=JSON)
    server.add(search_route("danone", page=1), recorded("search_page1.json"), content_type=JSON)
    return {"base_url": server.base_url, "hitsPerPage": HITS_PER_PAGE}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, recorded("empty.json"), content_type=JSON)
    return {"base_url": server.base_url}


SCENARIO = Scenario(
    kind="hackernews",
    query="danone",
    serve=_serve,
    serve_empty=_serve_empty,
    search_path=SEARCH_PATH,
    paginated=True,
)
