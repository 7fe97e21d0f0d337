"""The dashboard's time zone: its days, the dates of its filters and the times it shows.

``veille serve`` starts the dashboard in the configuration's ``[schedule] timezone``; a request
may ask for another with ``?timezone=``. The API keeps UTC unless asked, as the CLI does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser import TestClient, read_only_twin, save_items
from tests.support.stores import make_item, store_fixture  # noqa: F401
from veille.store import Store
from veille.web import create_app

# 23:30 UTC on Monday 2 March 2026 is 00:30 on Tuesday 3 March in Paris (UTC+1).
LATE = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
# 10:00 UTC on 2 March is 11:00 on 2 March in Paris.
MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PERIOD = "since=2026-03-01&until=2026-03-04"


@pytest.fixture
def reader(store: Store) -> Iterator[Store]:
    """Two mentions on the same UTC day, on two days in Paris."""
    save_items(
        store,
        [make_item("late", published_at=LATE), make_item("morning", published_at=MORNING)],
    )
    opened = read_only_twin(store)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def paris(reader: Store) -> Iterator[TestClient]:
    """The dashboard as ``veille serve`` starts it with the default configuration."""
    with TestClient(create_app(reader, timezone="Europe/Paris")) as client:
        yield client


def days(body: dict[str, object]) -> dict[str, int]:
    listed = body["days"]
    assert isinstance(listed, list)
    return {day["day"]: day["mentions"] for day in listed if day["mentions"]}


def test_the_overview_counts_the_days_of_the_dashboard_time_zone(paris: TestClient) -> None:
    body = paris.get(f"/api/overview?{PERIOD}").json()
    assert body["timezone"] == "Europe/Paris"
    assert days(body) == {"2026-03-02": 1, "2026-03-03": 1}
    # The period's dates are Paris days too: 1 March starts at 23:00 UTC on 28 February.
    assert body["since"] == "2026-02-28T23:00:00Z" and body["until"] == "2026-03-04T23:00:00Z"
    utc = paris.get(f"/api/overview?{PERIOD}&timezone=UTC").json()
    assert utc["timezone"] == "UTC" and days(utc) == {"2026-03-02": 2}


def test_a_date_bounds_the_day_of_the_time_zone(paris: TestClient) -> None:
    # The page's filter: only Tuesday 3 March in Paris, which holds the late mention.
    page = paris.get("/mentions?since=2026-03-03&until=2026-03-03").text
    assert "late" in page and "Title morning" not in page
    # The API reads its dates as UTC days unless told otherwise, as the CLI does.
    api = paris.get("/api/mentions?since=2026-03-03&until=2026-03-03").json()
    assert api["total"] == 0
    asked = paris.get("/api/mentions?since=2026-03-03&until=2026-03-03&timezone=Europe/Paris")
    assert [m["title"] for m in asked.json()["mentions"]] == ["Title late"]
    stats = paris.get("/api/stats?by=day&since=2026-03-03&timezone=Europe/Paris").json()
    assert [(g["key"], g["mentions"]) for g in stats["groups"]] == [("2026-03-03", 1)]


def test_pages_show_times_in_their_time_zone_and_say_which(paris: TestClient) -> None:
    page = paris.get(f"/mentions?{PERIOD}").text
    assert "Date (Europe/Paris)" in page
    assert re.search(r'class="when">2026-03-03 00:30<', page)  # 23:30 UTC
    assert "fuseau horaire Europe/Paris" in page
    # The exports of the list name the page's time zone, whose days the API would not assume.
    assert "/api/mentions?since=2026-03-01&amp;until=2026-03-04&amp;timezone=Europe%2FParis" in page
    utc = paris.get(f"/mentions?{PERIOD}&timezone=UTC&lang=en").text
    assert "Date (UTC)" in utc and re.search(r'class="when">2026-03-02 23:30<', utc)
    assert "time zone UTC" in utc
    # The filter form keeps the zone asked for.
    assert '<input type="hidden" name="timezone" value="UTC">' in utc


def test_an_unknown_time_zone_is_a_clean_400(paris: TestClient) -> None:
    page = paris.get("/mentions?timezone=Mars/Olympus")
    assert page.status_code == 400 and "timezone" in page.text
    assert "fuseau horaire Europe/Paris" in page.text  # shown in the configured one
    api = paris.get("/api/overview?timezone=Mars/Olympus")
    assert api.status_code == 400 and api.json()["parameter"] == "timezone"


def test_the_dashboard_refuses_an_unknown_time_zone_at_start(reader: Store) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        create_app(reader, timezone="Mars/Olympus")


def test_the_overview_starts_at_the_midnight_of_its_first_day(paris: TestClient) -> None:
    # From noon on 2 March in Paris: the whole of 2 March is counted, the morning mention too.
    body = paris.get("/api/overview?since=2026-03-02T12:00&until=2026-03-04").json()
    assert body["since"] == "2026-03-01T23:00:00Z"
    assert days(body) == {"2026-03-02": 1, "2026-03-03": 1} and body["total"] == 2
    # The default look-back of 30 days starts at a Paris midnight too, that of its first bar.
    default = paris.get("/api/overview").json()
    start = datetime.fromisoformat(default["since"]).astimezone(ZoneInfo("Europe/Paris"))
    assert (start.hour, start.minute, start.second, start.microsecond) == (0, 0, 0, 0)
    assert default["days"] == [] or default["days"][0]["day"] == start.date().isoformat()
    # The page's links list what the overview counted: from that first day on.
    page = paris.get("/?since=2026-03-02T12:00&until=2026-03-04").text
    assert 'href="/mentions?since=2026-03-02&amp;until=2026-03-04"' in page


def test_every_link_keeps_the_time_zone_asked_for(paris: TestClient) -> None:
    def local_links(url: str) -> list[str]:
        html = paris.get(url).text
        hrefs = [unescape(href) for href in re.findall(r'href="([^"]*)"', html)]
        return [href for href in hrefs if href.startswith("/") and not href.startswith("/static/")]

    listing = local_links(f"/mentions?{PERIOD}&timezone=Asia/Tokyo")
    assert {"/?timezone=Asia%2FTokyo", "/mentions?timezone=Asia%2FTokyo"} <= set(listing)
    assert "/sources?timezone=Asia%2FTokyo" in listing
    stories = [href for href in listing if href.startswith("/stories/")]
    assert stories and all(href.endswith("?timezone=Asia%2FTokyo") for href in stories)
    for url in (*stories[:1], "/sources?timezone=Asia/Tokyo", "/nowhere?timezone=Asia/Tokyo"):
        pages = [href for href in local_links(url) if not href.startswith("/api/")]
        assert pages and all("timezone=Asia%2FTokyo" in href for href in pages), url
    # Without ?timezone=, links stay as they were: the dashboard's own zone is the default.
    assert "/mentions" in local_links(f"/mentions?{PERIOD}")
