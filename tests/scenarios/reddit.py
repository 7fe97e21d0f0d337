"""The ``reddit`` collector: a token endpoint and a two-page search Listing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors.api import api_url

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "reddit"
JSON = "application/json; charset=UTF-8"
ENV = {
    "VEILLE_REDDIT_CLIENT_ID": "contract-client-id",
    "VEILLE_REDDIT_CLIENT_SECRET": "contract-client-secret",
}
PAGE_TWO_AFTER = "t1_m5k2p1x"  # the "after" of search_page1.json


def recorded(name: str) -> bytes:
    """A recorded Reddit answer from tests/data/recorded/reddit/."""
    return (RECORDED / name).read_bytes()


def search_route(query: str, *, after: str | None = None, subreddit: str | None = None) -> str:
    """The path and query string of a search request as Reddit documents it (default options)."""
    path = f"/r/{subreddit}/search" if subreddit else "/search"
    params = {
        "q": query,
        "restrict_sr": 1 if subreddit else None,
        "sort": "new",
        "type": "link,comment",
        "limit": 100,
        "raw_json": 1,
        "after": after,
    }
    return api_url("http://h", path, params).removeprefix("http://h")


def serve_token(server: FeedServer) -> None:
    """Answer the OAuth token request with a recorded app-only token."""
    server.add("/api/v1/access_token", recorded("token.json"), content_type=JSON)


def options_for(server: FeedServer, **more: Any) -> dict[str, Any]:
    """Source options pointing both the API and the token endpoint at ``server``."""
    base = {"base_url": server.base_url, "auth_url": server.base_url, "username": "veille_ci"}
    return base | more


def _serve(server: FeedServer) -> Mapping[str, Any]:
    serve_token(server)
    server.add("/search", recorded("search_page1.json"), content_type=JSON)
    server.add(
        search_route("danone", after=PAGE_TWO_AFTER),
        recorded("search_page2.json"),
        content_type=JSON,
    )
    return options_for(server)


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    serve_token(server)
    server.add("/search", recorded("empty.json"), content_type=JSON)
    return options_for(server)


SCENARIO = Scenario(
    kind="reddit",
    query="danone",
    serve=_serve,
    serve_empty=_serve_empty,
    search_path="/search",
    paginated=True,
    env=ENV,
)
