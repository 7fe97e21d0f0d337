"""The ``mastodon`` collector: the #danone hashtag timeline, three pages linked by ``Link``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "mastodon"
TAG_PATH = "/api/v1/timelines/tag/danone"
SEARCH_PATH = "/api/v2/search"
JSON = "application/json; charset=utf-8"
# The max_id each page's rel="next" link carries: the id of its oldest status.
PAGE_2_MAX_ID = "114211800000000001"
PAGE_3_MAX_ID = "114208700000000000"


def recorded(name: str) -> bytes:
    """A recorded Mastodon answer of tests/data/recorded/mastodon."""
    return (RECORDED / name).read_bytes()


def page_query(max_id: str | None = None) -> str:
    """The path and query string the collector asks for one timeline page."""
    return TAG_PATH + "?limit=40" + (f"&max_id={max_id}" if max_id else "")


def link_header(server: FeedServer, max_id: str, newest_id: str) -> str:
    """A Link header as Mastodon writes it: the older page (next) and the newer one (prev)."""
    older = server.url(f"{TAG_PATH}?limit=40&max_id={max_id}")
    newer = server.url(f"{TAG_PATH}?limit=40&min_id={newest_id}")
    return f'<{older}>; rel="next", <{newer}>; rel="prev"'


def serve_timeline(server: FeedServer) -> Mapping[str, Any]:
    """Three pages of #danone: 3 statuses, 2 statuses (one a reblog), then an empty page."""
    server.add(
        TAG_PATH,
        recorded("tag_danone_page1.json"),
        content_type=JSON,
        headers={"Link": link_header(server, PAGE_2_MAX_ID, "114212345678901234")},
    )
    server.add(
        page_query(PAGE_2_MAX_ID),
        recorded("tag_danone_page2.json"),
        content_type=JSON,
        headers={"Link": link_header(server, PAGE_3_MAX_ID, "114209000000000000")},
    )
    server.add(page_query(PAGE_3_MAX_ID), b"[]", content_type=JSON)
    return {"base_url": server.base_url}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(TAG_PATH, b"[]", content_type=JSON)
    return {"base_url": server.base_url}


SCENARIO = Scenario(
    kind="mastodon",
    query="danone",
    serve=serve_timeline,
    serve_empty=_serve_empty,
    search_path=TAG_PATH,
    paginated=True,
)
