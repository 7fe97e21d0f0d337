"""Durations, moments and OPML: the small parsers the configuration and the CLI rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.errors import ConfigError
from veille.opml import OpmlFeed, parse_opml, write_opml
from veille.timeutil import format_duration, isoformat_utc, parse_duration, parse_moment

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


def test_isoformat_utc() -> None:
    assert isoformat_utc(datetime(2026, 1, 1, 9, tzinfo=UTC)) == "2026-01-01T09:00:00Z"
    assert isoformat_utc(None) is None


def test_opml_round_trip_keeps_feeds_and_categories() -> None:
    feeds = [
        OpmlFeed("Le Monde", "https://www.lemonde.fr/rss/une.xml", "https://www.lemonde.fr/", "fr"),
        OpmlFeed("BBC & co <business>", "https://feeds.bbci.co.uk/news/business/rss.xml",
                 category="en"),
        OpmlFeed("Sans catégorie", "https://example.org/feed"),
    ]  # fmt: skip
    assert parse_opml(write_opml(feeds).encode()) == feeds


@pytest.mark.parametrize(
    "document",
    [b"", b"<html><body/></html>", b"<opml><head/></opml>", b"<opml><body><outline"],
)
def test_bad_opml_is_a_config_error(document: bytes) -> None:
    with pytest.raises(ConfigError):
        parse_opml(document, file="feeds.opml")
