"""Spike detection on synthetic count series: a pure function, no database."""

from __future__ import annotations

import bisect
import math
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.alerts.cycles import same_time_before
from veille.alerts.detect import (
    MAX_PROBABILITY,
    CountSeries,
    bucket_counts,
    detect,
    is_spike,
    poisson_tail,
    reach,
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


PARIS = ZoneInfo("Europe/Paris")
# Two weeks and more of traffic up to the evening of Monday 30 March 2026, Paris time: the
# clocks went forward on Sunday 29 March.
DIURNAL_END = datetime(2026, 3, 30, 21, tzinfo=UTC)


def diurnal_events(
    day: float, night: float, *, weekend: float = 1.0, seed: int = 7
) -> list[tuple[str, datetime, bool]]:
    """Four weeks of Poisson arrivals for acme: ``day`` mentions an hour from 7:00 to 21:00
    (Paris), ``night`` an hour otherwise, times ``weekend`` on Saturdays and Sundays; a fifth
    negative."""
    draw = random.Random(seed)
    events = []
    moment = DIURNAL_END - timedelta(days=28)
    while moment < DIURNAL_END:
        local = moment.astimezone(PARIS)
        rate = day if 7 <= local.hour < 21 else night
        if local.weekday() >= 5:
            rate *= weekend
        if draw.random() < rate / 60:  # one minute at a time
            events.append(("acme", moment, draw.random() < 0.2))
        moment += timedelta(minutes=1)
    return events


def spikes_every_hour(
    events: list[tuple[str, datetime, bool]], *, days: int = 6
) -> list[tuple[str, str, str]]:
    """The spikes found by a check at every hour of the last ``days`` days of the traffic."""
    found = []
    since = {"acme": DIURNAL_END - timedelta(days=60)}
    times = [moment for _, moment, _ in events]
    for hours in range(24 * days, -1, -1):
        now = DIURNAL_END - timedelta(hours=hours)
        # The events the store would give: from the earliest window on, seen by now.
        seen = events[
            bisect.bisect_right(times, reach(now, PARIS)) : bisect.bisect_right(times, now)
        ]
        for spike in detect(bucket_counts(seen, ["acme"], now, since, PARIS), SETTINGS, now):
            found.append((f"{now.astimezone(PARIS):%a %d %H:%M}", spike.signal, spike.horizon))
    return found


@pytest.mark.parametrize(("day", "night"), [(10, 0.5), (25, 1), (2, 0.05)])
def test_a_day_and_night_rhythm_never_alerts(day: float, night: float) -> None:
    # Each morning the last hour holds many times the night before it: not a surge.
    assert spikes_every_hour(diurnal_events(day, night)) == []


@pytest.mark.parametrize("weekend", [0.05, 20])
def test_a_weekly_rhythm_never_alerts(weekend: float) -> None:
    # Quiet weekends (Monday is not a surge), and a brand living at weekends (nor is Saturday).
    assert spikes_every_hour(diurnal_events(2, 0.1, weekend=weekend), days=8) == []


def test_a_surge_in_a_daily_rhythm_still_alerts() -> None:
    events = diurnal_events(10, 0.5)
    morning = datetime(2026, 3, 30, 8, 40, tzinfo=UTC)  # 10:40 in Paris, a busy hour
    surge = [("acme", morning - timedelta(minutes=n), True) for n in range(30)]
    now = morning + timedelta(minutes=5)
    seen = [event for event in events + surge if event[1] <= now]
    since = {"acme": DIURNAL_END - timedelta(days=60)}
    spikes = detect(bucket_counts(seen, ["acme"], now, since, PARIS), SETTINGS, now)
    by_kind = {(s.signal, s.horizon): s for s in spikes}
    assert set(by_kind) >= {("volume", "hour"), ("negative", "hour")}
    # Its baseline is the usual level at that hour, not the quieter night before.
    volume = by_kind["volume", "hour"]
    assert volume.reference == "daily" and 8 < volume.baseline < 12


def test_a_new_surge_at_night_still_alerts() -> None:
    events = diurnal_events(10, 0.5)
    night = datetime(2026, 3, 30, 1, 30, tzinfo=UTC)  # 3:30 in Paris
    seen = [e for e in events if e[1] <= night] + [("acme", night, False)] * 25
    since = {"acme": DIURNAL_END - timedelta(days=60)}
    [spike] = detect(bucket_counts(seen, ["acme"], night, since, PARIS), SETTINGS, night)
    # The evening before, in the recent hours, is busier than the usual night: its baseline.
    assert (spike.horizon, spike.reference) == ("hour", "recent")


def test_a_brand_watched_less_than_a_day_is_judged_on_its_recent_hours() -> None:
    events = [("acme", NOW - timedelta(minutes=5), False)] * 12
    since = {"acme": NOW - timedelta(hours=20)}
    series = {(s.signal, s.horizon): s for s in bucket_counts(events, ["acme"], NOW, since, PARIS)}
    hour = series["volume", "hour"]
    assert (hour.daily, hour.weekly, len(hour.baseline)) == ((), (), 12)
    assert [(s.horizon, s.reference) for s in detect(series.values(), SETTINGS, NOW)] == [
        ("hour", "recent")
    ]


def test_the_same_hour_of_another_day_is_read_on_the_local_clock() -> None:
    # 9:30 in Paris on Monday 30 March (summer time) and on the Saturday before (winter time).
    now = datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    assert same_time_before(now, 2, PARIS) == datetime(2026, 3, 28, 8, 30, tzinfo=UTC)
    events = [("acme", datetime(2026, 3, 28, 8, 10, tzinfo=UTC), False)]  # 9:10 in Paris
    since = {"acme": now - timedelta(days=60)}
    [hour] = [
        s
        for s in bucket_counts(events, ["acme"], now, since, PARIS)
        if (s.signal, s.horizon) == ("volume", "hour")
    ]
    assert hour.daily == (0,) * 12 + (1, 0) and hour.weekly == (0, 0)
