"""Feed dates read without feedparser's date handlers are the ones feedparser reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from feedparser.datetimes import _parse_date
from hypothesis import example, given, settings
from hypothesis import strategies as st

from veille.collectors._feed_dates import parse_feed_date, parse_local_date

_DAYS = ["", "Mon, ", "Sat, ", "sat, ", "Sun,", "Xyz, "]
_MONTHS = ["Jan", "Feb", "Jun", "Nov", "Dec", "nov", "NOV", "Foo"]
_ZONES = ["GMT", "UTC", "UT", "Z", "EST", "CEST", "+0000", "+0100", "-0530", "+1400", "+1459",
          "-2359", "+2400", "+0160", "0100", ""]  # fmt: skip


@settings(max_examples=2000)
@given(
    st.sampled_from(_DAYS),
    st.integers(0, 32),
    st.sampled_from(_MONTHS),
    st.sampled_from(["1899", "1900", "1970", "2026", "2999", "3000", "26", "0001"]),
    st.tuples(st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)),
    st.sampled_from(_ZONES),
    st.booleans(),
)
@example("Sat, ", 31, "Feb", "2026", (10, 0, 0), "GMT", False)
@example("Sat, ", 28, "Nov", "2026", (23, 59, 59), "-1400", False)
@example("Sat, ", 1, "Jan", "1900", (0, 0, 0), "+1400", False)
def test_a_date_reads_as_feedparser_reads_it(
    day_name: str,
    day: int,
    month: str,
    year: str,
    clock: tuple[int, int, int],
    zone: str,
    padded: bool,
) -> None:
    hour, minute, second = clock
    day_text = f"{day:02d}" if padded else str(day)
    value = f"{day_name}{day_text} {month} {year} {hour:02d}:{minute:02d}:{second:02d} {zone}"
    assert parse_feed_date(value) == _parse_date(value), value


@given(st.datetimes(datetime(1900, 1, 2), datetime(2999, 12, 30)), st.integers(-14 * 60, 14 * 60))
def test_every_moment_of_the_common_form_reads_as_feedparser_reads_it(
    moment: datetime, offset_minutes: int
) -> None:
    zone = UTC if offset_minutes == 0 else None
    written = moment.replace(microsecond=0, tzinfo=zone)
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    value = f"{written:%a, %d %b %Y %H:%M:%S} {sign}{hours:02d}{minutes:02d}"
    parsed = parse_feed_date(value)
    assert parsed == _parse_date(value), value
    expected = written.replace(tzinfo=UTC) - timedelta(minutes=offset_minutes)
    assert parsed is not None and parsed[:6] == expected.timetuple()[:6]


def test_other_forms_are_feedparser_s() -> None:
    for value in ("2026-11-28T10:00:00+01:00", "", "not a date", "Sat, 28 Nov 2026 10:00 GMT"):
        assert parse_feed_date(value) == _parse_date(value), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("lun., 24 sept. 2018 19:42:40 +0200", "2018-09-24T17:42:40"),
        ("mardi 1er décembre 2026 08:00:00 +01:00", "2026-12-01T07:00:00"),
        ("24 février 2026 à 19h42", "2026-02-24T19:42:00"),
        ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-24T22:42:40"),  # Portuguese
        ("vie, 05 dic 2025 10:00:00 GMT", "2025-12-05T10:00:00"),  # Spanish
        ("gio, 15 ott 2026 08:30:00 +0200", "2026-10-15T06:30:00"),  # Italian
        ("Mo, 24 Mär 2025 10:00:00 +0100", "2025-03-24T09:00:00"),  # German
        ("ma, 3 mrt 2025 10:00:00 +0100", "2025-03-03T09:00:00"),  # Dutch
        ("Lun, 24 Sep 2018 19:42:40 +0200", "2018-09-24T17:42:40"),  # French day, English month
        # European zones by name, which feedparser read as UTC.
        ("sam., 28 nov. 2026 08:00:00 CET", "2026-11-28T07:00:00"),
        ("Sat, 28 Nov 2026 08:00:00 CET", "2026-11-28T07:00:00"),
        ("Sun, 28 Jun 2026 08:00:00 CEST", "2026-06-28T06:00:00"),
        ("So, 28 Jun 2026 08:00:00 MESZ", "2026-06-28T06:00:00"),
        # In figures, when they can be read one way only.
        ("28/11/2026 08:00", "2026-11-28T08:00:00"),
        ("28.11.2026", "2026-11-28T00:00:00"),
        ("05/05/2026 à 14h30", "2026-05-05T14:30:00"),
        ("11/28/2026 10:30 +0100", "2026-11-28T09:30:00"),  # month first, as in the US
        ("28/11/2026 08:00 CET", "2026-11-28T07:00:00"),
        # English with a day's name and no zone, which feedparser does not read: UTC, as the
        # French « sam., 28 nov. 2026 10:00:00 » and feedparser's « 28 Nov 2026 10:00:00 ».
        ("Sat, 28 Nov 2026 10:00:00", "2026-11-28T10:00:00"),
        ("Saturday, 28 November 2026 10:00", "2026-11-28T10:00:00"),
        ("sam., 28 nov. 2026 10:00:00", "2026-11-28T10:00:00"),
    ],
)
def test_dates_in_the_sites_own_language(value: str, expected: str) -> None:
    parsed = parse_local_date(value)
    assert parsed is not None
    assert datetime(*parsed[:6]).isoformat() == expected


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 24 Sep 2018 19:42:40 +0200",  # English: feedparser's own handlers read it
        "Sat, 28 Nov 2026 08:00:00 EST",
        "24 Sep 2018",
        "31 février 2026",
        "24 brumaire 2026",
        "Fri, 05/03/2019 - 15:21",
        "Sab, 01 Jan 0001 00:00:00 +0100",  # before the first year a date can hold
        "05/11/2026",  # 5 November or 11 May: left undated rather than misdated
        "31/02/2026",
    ],
)
def test_what_is_no_date_in_a_known_language_is_left_to_feedparser(value: str) -> None:
    assert parse_local_date(value) is None


def test_an_english_date_without_a_time_zone_dates_its_item() -> None:
    from veille.collectors.rss import _parse_with_feedparser, parse_feed

    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>https://news.example/a</link>"
        b"<pubDate>Sat, 28 Nov 2026 10:00:00</pubDate></item></channel></rss>"
    )
    for parse in (parse_feed, _parse_with_feedparser):
        [mention] = parse(body, url="https://news.example/", source="s").mentions
        assert mention.published_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_a_feed_of_portuguese_dates_is_dated() -> None:
    from veille.collectors.rss import parse_feed

    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>uol</title>'
        b"<item><title>a</title><link>https://noticias.example/a</link>"
        b"<pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate></item></channel></rss>"
    )
    [mention] = parse_feed(body, url="https://noticias.example/", source="s").mentions
    assert mention.published_at == datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)
