"""Spike alerts: a brand's volume, or its negative mentions, surging over the last hour or day.

``check_alerts`` is the one entry point, for the command line and the scheduler alike; the
detection itself (:mod:`veille.alerts.detect`) is a pure function of mention counts.
"""

from veille.alerts.check import AlertReport, check_alerts, find_spikes, last_checked_at
from veille.alerts.detect import CountSeries, Spike, detect, poisson_tail

__all__ = [
    "AlertReport",
    "CountSeries",
    "Spike",
    "check_alerts",
    "detect",
    "find_spikes",
    "last_checked_at",
    "poisson_tail",
]
