"""Adaptive polling over a simulated week: requests and freshness against fixed intervals.

A thousand sources change at their own pace (seeded): a tenth are busy search feeds (a change
every 10 minutes on average), a quarter change about hourly, a third about daily, the rest
about weekly. ``veille collect`` runs every 15 minutes and checks the sources that are due,
as ``veille schedule`` would run it. Each source's next check comes from veille's own
``veille.polling`` functions with the default ``[collect]`` settings, adaptive or not, due a
tenth of its wait early as in a pass; a check "finds" a change when the source changed since
the last one. Printed: requests, the share of them that found something new, and how long a
change waited to be seen.

    python -m benchmarks.polling [--sources 1000] [--days 7]
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
from dataclasses import dataclass
from datetime import timedelta

from veille.polling import PollBounds, next_interval, wait_before_next_check, wait_until_due
from veille.settings import CollectSettings

TICK = timedelta(minutes=15)
# (share of sources, mean time between changes)
PACES = (
    (0.10, timedelta(minutes=10)),
    (0.25, timedelta(hours=1)),
    (0.35, timedelta(days=1)),
    (0.30, timedelta(days=7)),
)


@dataclass(frozen=True)
class WeekFigures:
    """One polling strategy over the simulated week."""

    label: str
    requests: int
    useful: int  # checks that found a change
    delays: list[float]  # hours between a change and the check that saw it

    @property
    def median_delay(self) -> float:
        """Median hours a change waited to be seen."""
        return statistics.median(self.delays) if self.delays else 0.0


def change_times(rng: random.Random, pace: timedelta, horizon: float) -> list[float]:
    """Seconds at which one source changes: a Poisson process of the given mean gap."""
    times: list[float] = []
    moment = rng.expovariate(1 / pace.total_seconds())
    while moment < horizon:
        times.append(moment)
        moment += rng.expovariate(1 / pace.total_seconds())
    return times


def simulate(changes: list[list[float]], horizon: float, *, adaptive: bool) -> WeekFigures:
    """Run the week's 15-minute passes over every source; count and time the checks."""
    settings = CollectSettings(adaptive=adaptive)
    bounds = PollBounds(
        start=settings.interval,
        shortest=settings.min_interval,
        longest=settings.max_interval,
        adaptive=settings.adaptive,
    )
    tick = TICK.total_seconds()
    # (due at, source); every source is due at the first pass.
    due = [(0.0, index) for index in range(len(changes))]
    heapq.heapify(due)
    interval: list[timedelta | None] = [None] * len(changes)
    seen = [0] * len(changes)  # how many of a source's changes earlier checks saw
    requests = useful = 0
    delays: list[float] = []
    moment = 0.0
    while moment < horizon:
        while due and due[0][0] <= moment:
            _, index = heapq.heappop(due)
            requests += 1
            times = changes[index]
            new = [t for t in times[seen[index] :] if t <= moment]
            seen[index] += len(new)
            if new:
                useful += 1
                delays += [(moment - t) / 3600 for t in new]
            interval[index] = next_interval(interval[index], changed=bool(new), bounds=bounds)
            wait = wait_before_next_check(interval[index], None, settings.max_backoff)
            heapq.heappush(due, (moment + wait_until_due(wait).total_seconds(), index))
        moment += tick
    label = "adaptive" if adaptive else f"fixed {settings.interval}"
    return WeekFigures(label, requests, useful, delays)


def run_week(sources: int = 1000, days: int = 7, seed: int = 7) -> tuple[WeekFigures, WeekFigures]:
    """The adaptive and the fixed strategy over the same simulated sources."""
    rng = random.Random(seed)
    horizon = timedelta(days=days).total_seconds()
    paces = rng.choices([pace for _, pace in PACES], [share for share, _ in PACES], k=sources)
    changes = [change_times(rng, pace, horizon) for pace in paces]
    return simulate(changes, horizon, adaptive=True), simulate(changes, horizon, adaptive=False)


def main() -> None:
    """Simulate the week and print both strategies side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    adaptive, fixed = run_week(args.sources, args.days)
    for figures in (adaptive, fixed):
        print(
            f"{figures.label:<12} {figures.requests:>8,} requests, "
            f"{figures.useful / figures.requests:6.1%} found a change, "
            f"median wait for a change {figures.median_delay:5.2f} h"
        )
    print(f"requests saved: {1 - adaptive.requests / fixed.requests:.1%}")


if __name__ == "__main__":
    main()
