"""The ``lemmy`` collector: posts about "danone", two pages of three and two posts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors.api import api_url

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "lemmy"
SEARCH_PATH = "/api/v3/search"
JSON = "application/json"
PAGE_SIZE = 3  # the recorded first page is full at this limit, the second is not
EMPTY = b'{"type_":"Posts","comments":[],"posts":[],"communities":[],"users":[]}'


def recorded(name: str) -> bytes:
    """A recorded Lemmy answer of tests/data/recorded/lemmy."""
    return (RECORDED / name).read_bytes()


def search_query(
    page: int, *, q: str = "danone", type_: str = "Posts", limit: int = PAGE_SIZE
) -> str:
    """The path and query string the collector asks for one page of a search."""
    params = {
        "q": q,
        "type_": type_,
        "sort": "New",
        "listing_type": "All",
        "limit": limit,
        "page": page,
    }
    return api_url("", SEARCH_PATH, params)


def serve_posts(server: FeedServer) -> Mapping[str, Any]:
    """Page 1: three posts (a full page); page 2: two older posts; later pages: empty."""
    server.add(SEARCH_PATH, EMPTY, content_type=JSON)
    server.add(search_query(1), recorded("search_posts_page1.json"), content_type=JSON)
    server.add(search_query(2), recorded("search_posts_page2.json"), content_type=JSON)
    return {"base_url": server.base_url, "limit": PAGE_SIZE}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, EMPTY, content_type=JSON)
    return {"base_url": server.base_url, "limit": PAGE_SIZE}


SCENARIO = Scenario(
    kind="lemmy",
    query="danone",
    serve=serve_posts,
    serve_empty=_serve_empty,
    search_path=SEARCH_PATH,
    paginated=True,
)
