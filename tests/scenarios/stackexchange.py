"""The ``stackexchange`` collector: a two-page ``/search/advanced`` answer, served gzipped."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors.api import api_url

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "stackexchange"
JSON = "application/json; charset=utf-8"
SEARCH_PATH = "/2.3/search/advanced"
KEY = "scenario-app-key"


def recorded(name: str) -> bytes:
    """A recorded API answer from tests/data/recorded/stackexchange/."""
    return (RECORDED / name).read_bytes()


def search_route(
    words: str,
    *,
    page: int,
    site: str = "stackoverflow",
    fromdate: int | None = None,
    key: str | None = KEY,
    pagesize: int = 100,
) -> str:
    """The path and query string of one search, parameters in the order the API documents."""
    params = {
        "q": words,
        "site": site,
        "sort": "creation",
        "order": "desc",
        "fromdate": fromdate,
        "pagesize": pagesize,
        "page": page,
        "filter": "withbody",
        "key": key,
    }
    return api_url("http://h", SEARCH_PATH, params).removeprefix("http://h")


def _serve(server: FeedServer) -> Mapping[str, Any]:
    # The API always compresses; any other page than the second falls back to the first.
    server.add(SEARCH_PATH, recorded("search_page1.json"), content_type=JSON, gzip=True)
    server.add(
        search_route("danone", page=2), recorded("search_page2.json"), content_type=JSON, gzip=True
    )
    return {"base_url": server.base_url}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, recorded("search_empty.json"), content_type=JSON, gzip=True)
    return {"base_url": server.base_url}


SCENARIO = Scenario(
    kind="stackexchange",
    query="danone",
    serve=_serve,
    serve_empty=_serve_empty,
    search_path=SEARCH_PATH,
    paginated=True,
    env={"VEILLE_STACKEXCHANGE_KEY": KEY},
)
