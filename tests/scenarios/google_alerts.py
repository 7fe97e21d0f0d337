"""The ``google_alerts`` collector: one alert's Atom feed, a single page."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.scenarios import Scenario
from tests.support.feedserver import FeedServer

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "google_alerts"
ALERT_PATH = "/alerts/feeds/11702951866371512845/05312872941836452981"


def recorded(name: str) -> bytes:
    """A recorded Google Alerts feed."""
    return (RECORDED / name).read_bytes()


def _serve(server: FeedServer) -> Mapping[str, Any]:
    server.add(ALERT_PATH, recorded("danone_alert.xml"), content_type="application/atom+xml")
    return {"url": server.url(ALERT_PATH)}


def _serve_empty(server: FeedServer) -> Mapping[str, Any]:
    server.add(ALERT_PATH, recorded("empty.xml"), content_type="application/atom+xml")
    return {"url": server.url(ALERT_PATH)}


SCENARIO = Scenario(
    kind="google_alerts",
    query="danone",
    serve=_serve,
    serve_empty=_serve_empty,
    search_path=ALERT_PATH,
    paginated=False,
)
