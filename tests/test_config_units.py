"""Durations, moments and OPML: the small parsers the configuration and the CLI rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.errors import ConfigError
from veille.opml import OpmlFeed, parse_opml, write_opml
from veille.timeutil import (
    TooLong,
    format_duration,
    isoformat_utc,
    parse_duration,
    parse_moment,
    time_zone,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90", 90), ("30m", 1800), ("1h", 3600), ("7d", 604800), ("2w", 1209600), ("1.5h", 5400)],
)
def test_parse_duration(text: str, expected: int) -> None:
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize("text", ["", "soon", "-1h", "1y", "h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**7))
def test_format_duration_round_trips(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


def test_parse_moment() -> None:
    assert parse_moment("7d", now=NOW) == NOW - timedelta(days=7)
    assert parse_moment("2026-01-01") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_moment("2026-01-01", end_of_day=True) == datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_moment("2026-01-01T10:00:00+02:00") == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert parse_moment("2026-01-01T10:00") == datetime(2026, 1, 1, 10, tzinfo=UTC)
    for bad in ("yesterday", "2026-13-01", "12"):
        with pytest.raises(ValueError):
            parse_moment(bad)
    # A capital M reads as a month as often as a minute: refused, the way out said.
    assert (
        parse_moment("90m", now=NOW) == parse_moment("90MIN", now=NOW) == NOW - timedelta(hours=1.5)
    )
    for ambiguous in ("1M", " 6M "):
        with pytest.raises(ValueError, match="write 30d for a month, 365d or 52w for a year"):
            parse_moment(ambiguous, now=NOW)


def test_parse_moment_in_a_time_zone() -> None:
    paris = time_zone("Europe/Paris")
    # A date is that zone's calendar day: Paris is UTC+1 in winter, UTC+2 in summer, and
    # 29 March 2026 (the clocks go forward) lasts 23 hours.
    assert parse_moment("2026-01-01", zone=paris) == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert parse_moment("2026-03-29", zone=paris) == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert parse_moment("2026-03-29", zone=paris, end_of_day=True) == datetime(
        2026, 3, 29, 22, tzinfo=UTC
    )
    assert parse_moment("2026-07-14T10:00", zone=paris) == datetime(2026, 7, 14, 8, tzinfo=UTC)
    # An explicit offset, and a look-back, do not depend on the zone.
    assert parse_moment("2026-07-14T10:00Z", zone=paris) == datetime(2026, 7, 14, 10, tzinfo=UTC)
    assert parse_moment("7d", now=NOW, zone=paris) == NOW - timedelta(days=7)
    # Year 1 starts in Paris before UTC's calendar does: the earliest time there is.
    assert parse_moment("0001-01-01", zone=paris) == datetime.min.replace(tzinfo=UTC)
    new_york = time_zone("America/New_York")
    assert parse_moment("0001-01-01", zone=new_york) > datetime.min.replace(tzinfo=UTC)
    # The end of the calendar's last day, or a time past it in UTC: the latest time there is.
    latest = datetime.max.replace(tzinfo=UTC)
    assert parse_moment("9999-12-31", zone=paris, end_of_day=True) == latest
    assert parse_moment("9999-12-31T23:00-05:00") == latest
    assert parse_moment("0001-01-01T00:00+05:00") == datetime.min.replace(tzinfo=UTC)
    with pytest.raises(TooLong, match="at most 100 years"):
        parse_moment("99999d")


def test_isoformat_utc() -> None:
    assert isoformat_utc(datetime(2026, 1, 1, 9, tzinfo=UTC)) == "2026-01-01T09:00:00Z"
    assert isoformat_utc(None) is None


def test_opml_round_trip_keeps_feeds_folders_and_settings() -> None:
    feeds = [
        OpmlFeed("Le Monde", "https://www.lemonde.fr/rss/une.xml", "https://www.lemonde.fr/",
                 ("Presse", "Économie & Société")),
        OpmlFeed("Canal+", "https://canalplus.example/feed", category=("Presse",)),
        OpmlFeed("BBC & co <business>", "https://feeds.bbci.co.uk/news/business/rss.xml",
                 category=("en",), name="bbc", language="en", platform="news", interval="30m"),
        OpmlFeed("Alerte", "https://www.google.com/alerts/feeds/1/2", kind="google_alerts"),
        OpmlFeed("Sans catégorie", "https://example.org/feed"),
    ]  # fmt: skip
    document = write_opml(feeds)
    assert parse_opml(document.encode()) == feeds
    # Nested as they were: the folder "Presse" holds both of its feeds, one in a subfolder.
    assert document.count('<outline text="Presse"') == 1


@pytest.mark.parametrize(
    "document",
    [b"", b"<html><body/></html>", b"<opml><head/></opml>", b"<opml><body><outline"],
)
def test_bad_opml_is_a_config_error(document: bytes) -> None:
    with pytest.raises(ConfigError):
        parse_opml(document, file="feeds.opml")
