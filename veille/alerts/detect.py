"""Spike detection: pure functions from mention counts per window to the windows that surged.

Four signals per brand: every mention (``volume``) and negative mentions alone (``negative``),
each over two horizons: the last hour against the 12 hours before it (``hour``), and the last
24 hours against the 14 days before them (``day``). Windows slide with the check time ``now``.

A window with ``count`` mentions, whose baseline windows held ``mean`` mentions on average,
alerts when all three hold:

* ``count >= min_mentions`` — a handful of mentions is never a surge;
* ``count >= sensitivity * mean`` — it is several times the usual level;
* ``P(X >= count) < MAX_PROBABILITY`` for ``X ~ Poisson(max(mean, MIN_RATE))`` — it is unlikely
  under the usual rate. The floor ``MIN_RATE`` keeps a brand with no history (mean 0) from
  alerting on its first few mentions: with the floor at 2, it takes 9 in one window.

A baseline holds only the windows veille watched whole since the brand was configured
(:func:`bucket_counts`), and a series without any baseline window is not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from veille.delivery_settings import AlertSettings

Signal = Literal["volume", "negative"]
HorizonName = Literal["hour", "day"]
SIGNALS: tuple[Signal, ...] = ("volume", "negative")

# The rate assumed when the baseline is quieter than this (mentions per window).
MIN_RATE = 2.0
# A window this unlikely under the baseline's rate (or less) is unusual.
MAX_PROBABILITY = 0.001


@dataclass(frozen=True)
class Horizon:
    """A window length and how many windows before it make its baseline."""

    name: HorizonName
    window: timedelta
    baseline_windows: int

    @property
    def span(self) -> timedelta:
        """How far back the window and its baseline reach together."""
        return self.window * (self.baseline_windows + 1)


HORIZONS: tuple[Horizon, ...] = (
    Horizon("hour", timedelta(hours=1), 12),
    Horizon("day", timedelta(days=1), 14),
)
HORIZON_BY_NAME: dict[str, Horizon] = {horizon.name: horizon for horizon in HORIZONS}


@dataclass(frozen=True)
class CountSeries:
    """Counts of one brand's mentions (all, or negative only) per window, oldest first.

    The last count is the current window (ending at the check time); those before it are the
    baseline.
    """

    brand: str
    signal: Signal
    horizon: HorizonName
    counts: tuple[int, ...]

    @property
    def current(self) -> int:
        """The count of the current window."""
        return self.counts[-1] if self.counts else 0

    @property
    def baseline(self) -> tuple[int, ...]:
        """The counts of the windows before the current one."""
        return self.counts[:-1]


@dataclass(frozen=True)
class Spike:
    """A window that surged: how many mentions against how many usually."""

    brand: str
    signal: Signal
    horizon: HorizonName
    count: int
    baseline: float  # mean mentions per baseline window
    probability: float  # P(X >= count) under the (floored) baseline rate
    window_start: datetime
    window_end: datetime

    @property
    def ratio(self) -> float | None:
        """How many times the baseline the window holds (None when the baseline is zero)."""
        return self.count / self.baseline if self.baseline > 0 else None


def poisson_tail(count: int, rate: float) -> float:
    """P(X >= count) for X following a Poisson law of mean ``rate``."""
    if count <= 0:
        return 1.0
    if rate <= 0:
        return 0.0
    if count <= rate:
        # The upper tail is large here: 1 - P(X < count), summed without cancellation trouble.
        term, below = math.exp(-rate), 0.0
        for k in range(count):
            below += term
            term *= rate / (k + 1)
        return max(0.0, 1.0 - below)
    # Past the mean the terms shrink at least geometrically: sum them from ``count`` upwards.
    term = math.exp(-rate + count * math.log(rate) - math.lgamma(count + 1))
    total, k = 0.0, count
    while term > total * 1e-16 and term > 0:
        total += term
        k += 1
        term *= rate / k
    return min(1.0, total)


def is_spike(count: int, mean: float, settings: AlertSettings) -> tuple[bool, float]:
    """Whether ``count`` is a spike over a baseline of ``mean`` per window, and its probability."""
    if count < settings.min_mentions or count < settings.sensitivity * mean:
        return False, 1.0
    probability = poisson_tail(count, max(mean, MIN_RATE))
    return probability < MAX_PROBABILITY, probability


def detect(series: Iterable[CountSeries], settings: AlertSettings, now: datetime) -> list[Spike]:
    """The spikes among the series' current windows (each ending at ``now``)."""
    spikes = []
    for item in series:
        if not item.baseline:
            continue
        horizon = HORIZON_BY_NAME[item.horizon]
        mean = sum(item.baseline) / len(item.baseline)
        surged, probability = is_spike(item.current, mean, settings)
        if surged:
            spikes.append(
                Spike(
                    item.brand,
                    item.signal,
                    item.horizon,
                    item.current,
                    mean,
                    probability,
                    now - horizon.window,
                    now,
                )
            )
    return spikes


def bucket_counts(
    events: Iterable[tuple[str, datetime, bool]],
    brands: Sequence[str],
    now: datetime,
    watched_since: Mapping[str, datetime] | None = None,
) -> list[CountSeries]:
    """Count (brand, time, negative) events into every brand's series, for every horizon.

    An event later than ``now`` (a clock ahead of ours) counts in the current window. With
    ``watched_since`` (when each brand was first configured), a baseline keeps only the windows
    veille watched from start to end: a brand added yesterday has no 14-day history of zeros,
    and its first day of mentions (collected all at once) is not a spike.
    """
    counts: dict[tuple[str, Signal, HorizonName], list[int]] = {
        (brand, signal, horizon.name): [0] * (horizon.baseline_windows + 1)
        for brand in brands
        for signal in SIGNALS
        for horizon in HORIZONS
    }
    for brand, moment, negative in events:
        age = max(now - moment, timedelta(0))
        for horizon in HORIZONS:
            # Window 0 is (now - window, now]; an event exactly at now - window belongs to 1.
            back = age // horizon.window
            if back > horizon.baseline_windows:
                continue
            for signal in SIGNALS if negative else ("volume",):
                row = counts.get((brand, signal, horizon.name))
                if row is not None:
                    row[horizon.baseline_windows - back] += 1
    series = []
    for (brand, signal, name), row in counts.items():
        horizon = HORIZON_BY_NAME[name]
        watched = watched_windows(horizon, now, (watched_since or {}).get(brand))
        row = row[horizon.baseline_windows - watched :]
        series.append(CountSeries(brand, signal, name, tuple(row)))
    return series


def watched_windows(horizon: Horizon, now: datetime, since: datetime | None) -> int:
    """How many of the horizon's baseline windows before ``now`` veille watched whole, from
    ``since`` (when the brand was configured; None: all of them)."""
    if since is None:
        return horizon.baseline_windows
    return max(min((now - since) // horizon.window - 1, horizon.baseline_windows), 0)
