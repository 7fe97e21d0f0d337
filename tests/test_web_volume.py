"""The overview's volume chart on long periods: days added up by ISO week or by month."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.digest.wording import day_span, short_day, short_month, tone_count
from veille.numbers import format_number
from veille.web.charts import TONE_ORDER, PeriodVolume, volume_chart
from veille.web.overview import DAYS_UP_TO, WEEKS_UP_TO, fold_days, volume_unit


def days_from(start: date, counts: list[tuple[int, int, int]]) -> list[PeriodVolume]:
    return [
        PeriodVolume(day, day, positive=p, neutral=u, negative=n)
        for day, (p, u, n) in ((start + timedelta(k), c) for k, c in enumerate(counts))
    ]


def test_the_unit_grows_with_the_period() -> None:
    assert volume_unit(1) == volume_unit(DAYS_UP_TO) == "day"
    assert volume_unit(DAYS_UP_TO + 1) == volume_unit(WEEKS_UP_TO) == "week"
    assert volume_unit(WEEKS_UP_TO + 1) == "month"


def test_weeks_start_on_monday_and_cross_the_new_year() -> None:
    # Thursday 25 December 2025 to Wednesday 7 January 2026: ISO week 1 of 2026 starts on
    # Monday 29 December 2025.
    days = days_from(date(2025, 12, 25), [(1, 0, 0)] * 14)
    weeks = fold_days(days, "week")
    assert [(w.start, w.end, w.total) for w in weeks] == [
        (date(2025, 12, 25), date(2025, 12, 28), 4),
        (date(2025, 12, 29), date(2026, 1, 4), 7),
        (date(2026, 1, 5), date(2026, 1, 7), 3),
    ]


def test_months_add_up_each_tone() -> None:
    days = days_from(date(2024, 2, 27), [(1, 2, 3)] * 5)  # 27, 28, 29 Feb (leap year), 1, 2 Mar
    months = fold_days(days, "month")
    assert [(m.start, m.end) for m in months] == [
        (date(2024, 2, 27), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 2)),
    ]
    assert [(m.positive, m.neutral, m.negative) for m in months] == [(3, 6, 9), (2, 4, 6)]
    assert fold_days(days, "day") == days


def test_an_unknown_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="day, week, month"):
        fold_days([], "year")


@given(
    st.dates(date(1990, 1, 1), date(2090, 1, 1)),
    st.lists(st.tuples(*[st.integers(0, 5)] * 3), min_size=1, max_size=900),
    st.sampled_from(["day", "week", "month"]),
)
def test_folding_keeps_every_mention_and_every_day(
    start: date, counts: list[tuple[int, int, int]], unit: str
) -> None:
    days = days_from(start, counts)
    bars = fold_days(days, unit)
    for tone in TONE_ORDER:
        assert sum(bar.count(tone) for bar in bars) == sum(day.count(tone) for day in days)
    # Bars follow each other without a gap, from the first day to the last.
    assert bars[0].start == days[0].start and bars[-1].end == days[-1].end
    assert all(b.start == a.end + timedelta(1) for a, b in pairwise(bars))
    for bar in bars:
        if unit == "week":
            assert bar.start.isocalendar()[:2] == bar.end.isocalendar()[:2]
        if unit == "month":
            assert (bar.start.year, bar.start.month) == (bar.end.year, bar.end.month)


@pytest.mark.parametrize(
    ("start", "end", "fr", "en"),
    [
        (date(2026, 11, 2), date(2026, 11, 8), "2–8 nov. 2026", "2–8 Nov 2026"),
        (date(2026, 11, 1), date(2026, 11, 30), "novembre 2026", "November 2026"),
        (date(2026, 2, 1), date(2026, 2, 28), "février 2026", "February 2026"),
        (date(2026, 11, 30), date(2026, 12, 6), "30 nov. – 6 déc. 2026", "30 Nov – 6 Dec 2026"),
        (
            date(2025, 12, 29), date(2026, 1, 4),
            "29 déc. 2025 – 4 janv. 2026", "29 Dec 2025 – 4 Jan 2026",
        ),
        (date(2026, 3, 9), date(2026, 3, 9), "9 mars 2026", "9 Mar 2026"),
        (date(2026, 3, 2), date(2026, 3, 31), "2–31 mars 2026", "2–31 Mar 2026"),
    ],
)  # fmt: skip
def test_spans_of_days_are_named_in_few_words(start: date, end: date, fr: str, en: str) -> None:
    assert day_span(start, end, "fr") == fr
    assert day_span(start, end, "en") == en


def test_months_on_the_axis() -> None:
    assert short_month(date(2026, 9, 14), "fr") == "sept. 2026"
    assert short_month(date(2026, 9, 14), "en") == "Sep 2026"


def chart_texts(bars: list[PeriodVolume], language: str) -> tuple[list[str], list[str]]:
    """The value axis's labels and the bars' tooltips of a volume chart."""
    chart = volume_chart(
        bars,
        title="volume",
        tone_count=lambda count, tone: tone_count(count, tone, language),
        number=lambda count: format_number(count, language),
        axis_label=lambda bar: short_day(bar.start, language),
        bar_label=lambda bar: short_day(bar.start, language),
    )
    axis = re.findall(r'<text class="axis" x="34"[^>]*>([^<]*)</text>', chart)
    return axis, re.findall(r'<g class="bar"[^>]*><title>([^<]*)</title>', chart)


def test_the_volume_axis_counts_in_whole_numbers_written_as_the_page_writes_them() -> None:
    day = date(2026, 3, 2)
    busy = [PeriodVolume(day, day, positive=1234, negative=1)]
    axis, tips = chart_texts(busy, "fr")
    assert axis == ["0", "1\u202f000", "2\u202f000"]
    assert tips == ["lun. 02/03 — 1\u202f235 (1\u202f234 positives, 1 négative)"]
    assert chart_texts(busy, "en")[0] == ["0", "1,000", "2,000"]
    # One mention at most, or five: no tick at half a mention.
    assert chart_texts([PeriodVolume(day, day, neutral=1)], "fr")[0] == ["0", "1"]
    assert chart_texts([PeriodVolume(day, day, neutral=4)], "fr")[0] == ["0", "5"]
    assert chart_texts([PeriodVolume(day, day, neutral=7)], "fr")[0] == ["0", "5", "10"]
