"""Spike detection: pure functions from mention counts per window to the windows that surged.

Four signals per brand: every mention (``volume``) and negative mentions alone (``negative``),
each over two horizons: the last hour (``hour``) and the last 24 hours (``day``). Windows slide
with the check time ``now``.

A window's baseline is the usual number of mentions per window, the highest of its references
(:mod:`veille.alerts.cycles`), each the mean of the windows it holds:

* ``recent`` — the windows right before it: the 12 hours before the last hour, the 14 days
  before the last 24 hours;
* ``daily`` (hour horizon) — the same hour of the day on each of the 14 previous days, so that
  the morning rise of a brand quiet at night is not a surge against the night;
* ``weekly`` — the same time of the same weekday, one and two weeks before, so that the
  Saturday of a brand busy at weekends is not a surge against its weekdays.

The highest: a surge must stand out of the brand's recent level and out of its usual level at
that time of the day and of the week; a surge out of the ordinary stands out of all of them.

A window with ``count`` mentions, whose baseline is ``mean`` mentions per window, alerts when
all three hold:

* ``count >= min_mentions`` — a handful of mentions is never a surge;
* ``count >= sensitivity * mean`` — it is several times the usual level;
* ``P(X >= count) < MAX_PROBABILITY`` for ``X ~ Poisson(max(mean, MIN_RATE))`` — it is unlikely
  under the usual rate. The floor ``MIN_RATE`` keeps a brand with no history (mean 0) from
  alerting on its first few mentions: with the floor at 2, it takes 9 in one window.

A reference holds only the windows veille watched whole since the brand was configured
(:func:`bucket_counts`): one with none is left out, and a series without any recent window is
not judged.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from veille.alerts.cycles import CycleReference, Reference, cycle_windows
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
    """A window length, how many windows right before it make its recent baseline, and over
    how many previous days and weeks its daily and weekly references reach (0: none)."""

    name: HorizonName
    window: timedelta
    baseline_windows: int
    days: int = 0
    weeks: int = 0

    @property
    def span(self) -> timedelta:
        """How far back the window and its recent baseline reach together."""
        return self.window * (self.baseline_windows + 1)

    def references(self) -> tuple[CycleReference, ...]:
        """Its cycle references: a day-long window holds the daily cycle whole."""
        daily: tuple[CycleReference, ...] = ("daily",) if self.days else ()
        weekly: tuple[CycleReference, ...] = ("weekly",) if self.weeks else ()
        return daily + weekly

    def windows(
        self,
        reference: CycleReference,
        now: datetime,
        zone: tzinfo,
        since: datetime | None = None,
    ) -> list[tuple[datetime, datetime]]:
        """The (start, end] windows of one of its cycle references at ``now``, oldest first,
        those veille watched whole from ``since`` (None: all of them)."""
        return cycle_windows(
            reference,
            window=self.window,
            days=self.days,
            weeks=self.weeks,
            now=now,
            zone=zone,
            since=since,
        )


HORIZONS: tuple[Horizon, ...] = (
    Horizon("hour", timedelta(hours=1), 12, days=14, weeks=2),
    Horizon("day", timedelta(days=1), 14, weeks=2),
)
HORIZON_BY_NAME: dict[str, Horizon] = {horizon.name: horizon for horizon in HORIZONS}


@dataclass(frozen=True)
class CountSeries:
    """Counts of one brand's mentions (all, or negative only) per window, oldest first.

    The last count of ``counts`` is the current window (ending at the check time); those before
    it are the recent baseline. ``daily`` and ``weekly`` count the windows of the cycle
    references (empty: none watched, or none for this horizon).
    """

    brand: str
    signal: Signal
    horizon: HorizonName
    counts: tuple[int, ...]
    daily: tuple[int, ...] = ()
    weekly: tuple[int, ...] = ()

    @property
    def current(self) -> int:
        """The count of the current window."""
        return self.counts[-1] if self.counts else 0

    @property
    def baseline(self) -> tuple[int, ...]:
        """The counts of the windows before the current one."""
        return self.counts[:-1]

    def usual(self) -> tuple[Reference, float]:
        """The baseline: the highest mean per window among the references holding a window,
        and which reference it is (the recent windows when means tie)."""
        references: tuple[tuple[Reference, tuple[int, ...]], ...] = (
            ("recent", self.baseline),
            ("daily", self.daily),
            ("weekly", self.weekly),
        )
        means = [(name, sum(counts) / len(counts)) for name, counts in references if counts]
        return max(means, key=lambda pair: pair[1])


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
    reference: Reference = "recent"  # which windows the baseline is the mean of

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
        reference, mean = item.usual()
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
                    reference,
                )
            )
    return spikes


def bucket_counts(
    events: Iterable[tuple[str, datetime, bool]],
    brands: Sequence[str],
    now: datetime,
    watched_since: Mapping[str, datetime] | None = None,
    zone: tzinfo = UTC,
) -> list[CountSeries]:
    """Count (brand, time, negative) events into every brand's series, for every horizon.

    An event later than ``now`` (a clock ahead of ours) counts in the current window. With
    ``watched_since`` (when each brand was first configured), a reference keeps only the windows
    veille watched from start to end: a brand added yesterday has no 14-day history of zeros,
    and its first day of mentions (collected all at once) is not a spike. ``zone`` is the one
    whose clock says what "the same time" of another day is.
    """
    counts: dict[tuple[str, Signal, HorizonName], list[int]] = {
        (brand, signal, horizon.name): [0] * (horizon.baseline_windows + 1)
        for brand in brands
        for signal in SIGNALS
        for horizon in HORIZONS
    }
    cycles = {horizon.name: _cycle_ends(horizon, now, zone) for horizon in HORIZONS}
    in_cycles: dict[tuple[str, Signal, HorizonName, datetime], int] = {}
    for brand, moment, negative in events:
        age = max(now - moment, timedelta(0))
        signals = SIGNALS if negative else ("volume",)
        for horizon in HORIZONS:
            # Window 0 is (now - window, now]; an event exactly at now - window belongs to 1.
            back = age // horizon.window
            if back <= horizon.baseline_windows:
                for signal in signals:
                    row = counts.get((brand, signal, horizon.name))
                    if row is not None:
                        row[horizon.baseline_windows - back] += 1
            end = _window_end(cycles[horizon.name], horizon.window, moment)
            if end is not None:
                for signal in signals:
                    key = (brand, signal, horizon.name, end)
                    in_cycles[key] = in_cycles.get(key, 0) + 1
    series = []
    for (brand, signal, name), row in counts.items():
        horizon = HORIZON_BY_NAME[name]
        since = (watched_since or {}).get(brand)
        watched = watched_windows(horizon, now, since)
        row = row[horizon.baseline_windows - watched :]
        cycle = {
            reference: tuple(
                in_cycles.get((brand, signal, name, end), 0)
                for _, end in horizon.windows(reference, now, zone, since)
            )
            for reference in horizon.references()
        }
        series.append(CountSeries(brand, signal, name, tuple(row), **cycle))
    return series


def _cycle_ends(horizon: Horizon, now: datetime, zone: tzinfo) -> list[datetime]:
    """The ends of the horizon's cycle windows, in order (a window may serve two references)."""
    return sorted(
        {
            end
            for reference in horizon.references()
            for _, end in horizon.windows(reference, now, zone)
        }
    )


def _window_end(ends: Sequence[datetime], window: timedelta, moment: datetime) -> datetime | None:
    """The end of the (end - window, end] window holding ``moment``, or None."""
    at = bisect.bisect_left(ends, moment)
    if at < len(ends) and ends[at] - window < moment:
        return ends[at]
    return None


def reference_windows(
    horizon: Horizon,
    reference: str,
    now: datetime,
    since: datetime | None,
    zone: tzinfo = UTC,
) -> int:
    """How many windows one of the horizon's references (recent, daily, weekly) held at
    ``now`` for a brand watched from ``since`` (None: every window)."""
    for cycle in horizon.references():
        if cycle == reference:
            return len(horizon.windows(cycle, now, zone, since))
    return watched_windows(horizon, now, since)


def watched_windows(horizon: Horizon, now: datetime, since: datetime | None) -> int:
    """How many of the horizon's recent baseline windows before ``now`` veille watched whole,
    from ``since`` (when the brand was configured; None: all of them)."""
    if since is None:
        return horizon.baseline_windows
    return max(min((now - since) // horizon.window - 1, horizon.baseline_windows), 0)


def reach(now: datetime, zone: tzinfo) -> datetime:
    """The earliest moment any window of any horizon at ``now`` starts."""
    starts = [now - horizon.span for horizon in HORIZONS]
    for horizon in HORIZONS:
        for reference in horizon.references():
            starts += [start for start, _ in horizon.windows(reference, now, zone)]
    return min(starts)
