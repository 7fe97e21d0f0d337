"""The ``bluesky`` collector: a session, then two pages of searchPosts linked by a cursor."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors.api import api_url
from veille.collectors.bluesky import HANDLE_VAR, PASSWORD_VAR, SEARCH_PATH, SESSION_PATH

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "bluesky"
JSON = "application/json; charset=utf-8"


def recorded(name: str) -> bytes:
    """A recorded Bluesky answer."""
    return (RECORDED / name).read_bytes()


def page_path(base_url: str, query: str, cursor: str, **params: Any) -> str:
    """The path and query string the collector asks for the page after ``cursor``."""
    asked = {"q": query, "sort": "latest", **params, "limit": 100, "cursor": cursor}
    url = httpx.URL(api_url(base_url, SEARCH_PATH, asked))
    return url.raw_path.decode()


def serve_search(server: FeedServer, query: str = "danone") -> dict[str, Any]:
    """Session and both result pages; the options pointing the collector at ``server``."""
    server.add(SESSION_PATH, recorded("session.json"), content_type=JSON)
    server.add(SEARCH_PATH, recorded("search_danone_page1.json"), content_type=JSON)
    cursor = json.loads(recorded("search_danone_page1.json"))["cursor"]
    server.add(
        page_path(server.base_url, query, cursor),
        recorded("search_danone_page2.json"),
        content_type=JSON,
    )
    return {"base_url": server.base_url, "auth_url": server.base_url}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(SESSION_PATH, recorded("session.json"), content_type=JSON)
    server.add(SEARCH_PATH, recorded("search_empty.json"), content_type=JSON)
    return {"base_url": server.base_url, "auth_url": server.base_url}


SCENARIO = Scenario(
    kind="bluesky",
    query="danone",
    serve=serve_search,
    serve_empty=_serve_empty,
    search_path=SEARCH_PATH,
    paginated=True,
    env={HANDLE_VAR: "veille-bot.bsky.social", PASSWORD_VAR: "abcd-efgh-ijkl-mnop"},
)
