"""Feed dates read without feedparser's date handlers are the ones feedparser reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedparser.datetimes import _parse_date
from hypothesis import example, given, settings
from hypothesis import strategies as st

from veille.collectors._feed_dates import parse_feed_date

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
