"""The ``bing_news`` collector: one RSS search per language market, a single page each."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from veille.collectors._news_editions import Edition
from veille.collectors.bing_news import search_url

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "bing_news"
FRENCH, ENGLISH = Edition("fr", "FR"), Edition("en", "US")


def recorded(name: str) -> bytes:
    """A recorded Bing News answer."""
    return (RECORDED / name).read_bytes()


def market_path(server: FeedServer, text: str, edition: Edition) -> str:
    """The path and query string the collector asks for one market."""
    return search_url(server.base_url, text, edition).removeprefix(server.base_url)


def _serve(server: FeedServer) -> Mapping[str, Any]:
    server.add(market_path(server, "danone", FRENCH), recorded("danone_fr.xml"))
    server.add(market_path(server, "danone", ENGLISH), recorded("danone_en.xml"))
    return {"base_url": server.base_url}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add("/news/search", recorded("empty.xml"))
    return {"base_url": server.base_url}


SCENARIO = Scenario(
    kind="bing_news",
    query="danone",
    serve=_serve,
    serve_empty=_serve_empty,
    search_path="/news/search",
    paginated=False,
)
