"""The ``github`` collector: a two-page ``/search/issues`` answer (three then two items)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors.api import api_url

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "github"
JSON = "application/json; charset=utf-8"
SEARCH_PATH = "/search/issues"
GRAPHQL_PATH = "/graphql"
PER_PAGE = 3  # the recorded first page holds three of five results


def recorded(name: str) -> bytes:
    """A recorded API answer from tests/data/recorded/github/."""
    return (RECORDED / name).read_bytes()


def search_route(q: str, *, page: int, per_page: int = PER_PAGE) -> str:
    """The path and query string of one issue search as the collector sends it."""
    params = {"q": q, "sort": "created", "order": "desc", "per_page": per_page, "page": page}
    return api_url("http://h", SEARCH_PATH, params).removeprefix("http://h")


def _serve(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, recorded("search_issues_page1.json"), content_type=JSON)
    server.add(
        search_route("danone", page=2), recorded("search_issues_page2.json"), content_type=JSON
    )
    return {"base_url": server.base_url, "per_page": PER_PAGE}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, recorded("search_issues_empty.json"), content_type=JSON)
    return {"base_url": server.base_url}


SCENARIO = Scenario(
    kind="github",
    query="danone",
    serve=_serve,
    serve_empty=_serve_empty,
    search_path=SEARCH_PATH,
    paginated=True,
    env={"VEILLE_GITHUB_TOKEN": "ghp_scenario0000000000000000000000000000"},
)
