"""The ``gdelt`` collector: one artlist answer per search (GDELT has no pagination)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors.gdelt import SEARCH_PATH

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "gdelt"
JSON = "application/json; charset=utf-8"


def recorded(name: str) -> bytes:
    """A recorded GDELT answer."""
    return (RECORDED / name).read_bytes()


def serve_articles(server: FeedServer) -> dict[str, Any]:
    """Four articles in French and English; options without the 5-second spacing."""
    server.add(SEARCH_PATH, recorded("artlist_danone.json"), content_type=JSON)
    return {"base_url": server.base_url, "min_interval": 0}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(SEARCH_PATH, recorded("empty.json"), content_type=JSON)
    return {"base_url": server.base_url, "min_interval": 0}


SCENARIO = Scenario(
    kind="gdelt",
    query="danone",
    serve=serve_articles,
    serve_empty=_serve_empty,
    search_path=SEARCH_PATH,
    paginated=False,
)
