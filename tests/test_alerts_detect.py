"""Spike detection on synthetic count series: a pure function, no database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.alerts.detect import (
    MAX_PROBABILITY,
    CountSeries,
    bucket_counts,
    detect,
    is_spike,
    poisson_tail,
)
from veille.delivery_settings import AlertSettings

NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
SETTINGS = AlertSettings()  # sensitivity 3, min_mentions 5


def hour(counts: list[int], signal: str = "volume", brand: str = "acme") -> CountSeries:
    """An hourly series: 12 baseline hours then the last hour."""
    assert len(counts) == 13
    return CountSeries(brand, signal, "hour", tuple(counts))  # type: ignore[arg-type]


def test_flat_traffic_never_alerts() -> None:
    flat = [hour([6, 5, 7, 6, 4, 6, 5, 8, 6, 5, 7, 6, n]) for n in range(0, 16)]
    assert detect(flat, SETTINGS, NOW) == []


def test_a_surge_gives_one_spike_with_its_figures() -> None:
    [spike] = detect([hour([5, 4, 6, 5, 5, 6, 4, 5, 6, 5, 5, 5, 42])], SETTINGS, NOW)
    assert (spike.brand, spike.signal, spike.horizon, spike.count) == ("acme", "volume", "hour", 42)
    assert spike.baseline == pytest.approx(61 / 12)
    assert spike.ratio == pytest.approx(42 / (61 / 12))
    assert spike.probability < MAX_PROBABILITY
    assert (spike.window_start, spike.window_end) == (NOW - timedelta(hours=1), NOW)


def test_a_surge_of_negatives_alone_is_a_negative_spike() -> None:
    volume = hour([20, 22, 19, 21, 20, 23, 18, 20, 21, 22, 19, 20, 30])
    negative = hour([1, 0, 2, 1, 0, 1, 1, 0, 2, 1, 0, 1, 18], signal="negative")
    [spike] = detect([volume, negative], SETTINGS, NOW)
    assert (spike.signal, spike.count, spike.ratio) == (
        "negative",
        18,
        pytest.approx(18 / 0.833, rel=1e-2),
    )


@pytest.mark.parametrize("count", [1, 3, 5, 8])
def test_a_new_brand_with_a_few_mentions_does_not_alert(count: int) -> None:
    assert detect([hour([0] * 12 + [count])], SETTINGS, NOW) == []


def test_a_new_brand_needs_a_real_burst() -> None:
    [spike] = detect([hour([0] * 12 + [9])], SETTINGS, NOW)
    assert spike.ratio is None and spike.baseline == 0


def test_min_mentions_and_sensitivity_each_hold_a_window_back() -> None:
    quiet = hour([0] * 12 + [12])
    assert detect([quiet], SETTINGS.model_copy(update={"min_mentions": 13}), NOW) == []
    busy = hour([10] * 12 + [29])  # 2.9 times the usual: very unlikely, yet under 3×
    assert poisson_tail(29, 10) < MAX_PROBABILITY
    assert detect([busy], SETTINGS, NOW) == []
    assert len(detect([busy], SETTINGS.model_copy(update={"sensitivity": 2.5}), NOW)) == 1


def test_day_horizon_compares_the_last_day_with_fourteen_days() -> None:
    usual = CountSeries(
        "acme", "volume", "day", (30, 28, 35, 31, 29, 33, 30, 27, 32, 30, 31, 29, 30, 34, 60)
    )
    surge = CountSeries(
        "globex", "volume", "day", (30, 28, 35, 31, 29, 33, 30, 27, 32, 30, 31, 29, 30, 34, 140)
    )
    [spike] = detect([usual, surge], SETTINGS, NOW)
    assert (spike.brand, spike.horizon, spike.window_start) == (
        "globex",
        "day",
        NOW - timedelta(days=1),
    )


def test_a_series_without_baseline_is_skipped() -> None:
    assert detect([CountSeries("acme", "volume", "hour", (50,))], SETTINGS, NOW) == []


@pytest.mark.parametrize(
    ("count", "rate"), [(0, 1.0), (1, 0.5), (3, 5.0), (9, 2.0), (25, 5.1), (40, 12.0)]
)
def test_poisson_tail_matches_the_textbook_sum(count: int, rate: float) -> None:
    below = sum(math.exp(-rate) * rate**k / math.factorial(k) for k in range(count))
    assert poisson_tail(count, rate) == pytest.approx(1 - below, rel=1e-9, abs=1e-15)


@given(st.integers(0, 300), st.floats(0.01, 200))
def test_poisson_tail_is_a_probability_falling_with_the_count(count: int, rate: float) -> None:
    tail = poisson_tail(count, rate)
    assert 0.0 <= tail <= 1.0
    assert poisson_tail(count + 1, rate) <= tail + 1e-12


def test_is_spike_reports_the_probability_it_judged() -> None:
    surged, probability = is_spike(20, 2.0, SETTINGS)
    assert surged and probability == pytest.approx(poisson_tail(20, 2.0))


def test_bucket_counts_puts_each_mention_in_its_sliding_window() -> None:
    events = [
        ("acme", NOW, False),
        ("acme", NOW + timedelta(minutes=20), True),  # a clock ahead of ours: current window
        ("acme", NOW - timedelta(minutes=59), True),
        ("acme", NOW - timedelta(hours=1), False),  # exactly one window back
        ("acme", NOW - timedelta(hours=12, minutes=30), False),  # the oldest baseline hour
        ("acme", NOW - timedelta(hours=13), False),  # beyond the hourly reach, still a day
        ("acme", NOW - timedelta(days=15), False),  # beyond every reach
        ("other", NOW, True),  # not a brand we watch
    ]
    series = {
        (s.brand, s.signal, s.horizon): s.counts for s in bucket_counts(events, ["acme"], NOW)
    }
    assert set(series) == {
        ("acme", sig, hor) for sig in ("volume", "negative") for hor in ("hour", "day")
    }
    assert series["acme", "volume", "hour"] == (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3)
    assert series["acme", "negative", "hour"] == (0,) * 12 + (2,)
    assert series["acme", "volume", "day"] == (0,) * 14 + (6,)
    assert series["acme", "negative", "day"] == (0,) * 14 + (2,)


def test_a_baseline_keeps_only_the_windows_veille_watched() -> None:
    events = [("acme", NOW - timedelta(minutes=5), False)] * 12
    since = {"acme": NOW - timedelta(hours=3, minutes=30)}
    series = {(s.signal, s.horizon): s.counts for s in bucket_counts(events, ["acme"], NOW, since)}
    assert series["volume", "hour"] == (0, 0, 12)  # hours 1 and 2 watched whole, hour 3 not
    assert series["volume", "day"] == (12,)  # no whole day watched: no baseline, no alert
    assert [
        s.horizon for s in detect(bucket_counts(events, ["acme"], NOW, since), SETTINGS, NOW)
    ] == ["hour"]
