"""The ``rss`` collector: one feed, a single page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer
from tests.support.project import feed_bytes

EMPTY_FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Vide</title></channel></rss>'


def _serve(server: FeedServer) -> Mapping[str, Any]:
    server.add("/feed.xml", feed_bytes("economie_fr.xml"))
    return {"url": server.url("/feed.xml")}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add("/feed.xml", EMPTY_FEED)
    return {"url": server.url("/feed.xml")}


SCENARIO = Scenario(
    kind="rss",
    query="danone",
    serve=_serve,
    serve_empty=_serve_empty,
    search_path="/feed.xml",
    paginated=False,
)
