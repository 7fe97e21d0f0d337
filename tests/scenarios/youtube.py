"""The ``youtube`` collector in Data API search mode: two pages of results, then the figures."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors._youtube_api import SEARCH_PATH, VIDEOS_PATH, search_url

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "youtube"
JSON = "application/json; charset=UTF-8"
TEST_KEY = "test-key"


def recorded(name: str) -> bytes:
    """A recorded YouTube Data API answer."""
    return (RECORDED / name).read_bytes()


def page_path(server: FeedServer, page_token: str, *, query: str = "danone") -> str:
    """The exact ``path?query`` the collector asks for a later page (first pass, French first)."""
    url = search_url(
        server.base_url, query=query, key=TEST_KEY, language="fr", page_token=page_token
    )
    return httpx.URL(url).raw_path.decode("ascii")


def _serve(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, recorded("search_page1.json"), content_type=JSON)
    server.add(page_path(server, "CDIQAA"), recorded("search_page2.json"), content_type=JSON)
    server.add(VIDEOS_PATH, recorded("videos.json"), content_type=JSON)
    return {"base_url": server.base_url, "max_pages": 2}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, recorded("search_empty.json"), content_type=JSON)
    return {"base_url": server.base_url}


SCENARIO = Scenario(
    kind="youtube",
    query="danone",
    serve=_serve,
    serve_empty=_serve_empty,
    search_path=SEARCH_PATH,
    paginated=True,
    env={"VEILLE_YOUTUBE_API_KEY": TEST_KEY},
)
