"""Charts drawn on the server as inline SVG: no script, nothing loaded, colours from the CSS.

Every text that goes into a chart is escaped; shapes carry ``tone-*`` classes that the static
stylesheet colours, so the markup holds no ``style`` attribute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

# Bottom to top in a stacked bar, left to right in the split: the worrying part first.
TONE_ORDER = ("negative", "neutral", "positive")
# What one bar of the volume chart counts.
VOLUME_UNITS = ("day", "week", "month")


@dataclass(frozen=True)
class PeriodVolume:
    """The mentions of a span of UTC days (one day, a week, a month), per tone."""

    start: date
    end: date  # the last day, included
    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def total(self) -> int:
        """Every mention of the span."""
        return self.positive + self.neutral + self.negative

    def count(self, tone: str) -> int:
        """The mentions of one tone."""
        return int(getattr(self, tone))


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at least ``value`` (at least 1): the top of an axis."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def volume_chart(
    bars: Sequence[PeriodVolume],
    *,
    title: str,
    tone_count: Callable[[int, str], str],
    number: Callable[[int], str],
    axis_label: Callable[[PeriodVolume], str],
    bar_label: Callable[[PeriodVolume], str],
) -> Markup:
    """Bars of mentions per span of days, stacked by tone, with a value axis and a few labels.

    ``axis_label`` names a bar under the axis, in few characters; ``bar_label`` in its tooltip;
    ``tone_count`` writes a count of one tone there, agreeing with it ("3 positives");
    ``number`` writes the counts of the axis and the tooltips as the page's language does.
    """
    width, height = 720, 240
    left, right, top, bottom = 40, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((bar.total for bar in bars), default=0))
    slot = plot_w / max(len(bars), 1)
    bar_w = max(slot * 0.78, 1.0)
    parts = [
        f'<svg class="chart chart-volume" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    # Mentions are whole: no line halfway up an axis of 1 or 5.
    for value in (0, peak // 2, peak) if peak % 2 == 0 else (0, peak):
        y = top + plot_h - plot_h * value / peak
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_number(y)}" '
            f'y2="{_number(y)}"/><text class="axis" x="{left - 6}" y="{_number(y + 4)}" '
            f'text-anchor="end">{escape(number(value))}</text>'
        )
    label_every = max(1, math.ceil(len(bars) / 8))
    for index, bar in enumerate(bars):
        x = left + index * slot + (slot - bar_w) / 2
        detail = ", ".join(
            tone_count(bar.count(tone), tone) for tone in reversed(TONE_ORDER) if bar.count(tone)
        )
        counts = f" ({detail})" if detail else ""
        parts.append(
            f'<g class="bar" data-start="{bar.start.isoformat()}" '
            f'data-end="{bar.end.isoformat()}" data-total="{bar.total}">'
            f"<title>{escape(bar_label(bar))} — {escape(number(bar.total))}{escape(counts)}</title>"
        )
        base = float(top + plot_h)
        for tone in TONE_ORDER:
            size = plot_h * bar.count(tone) / peak
            if size > 0:
                base -= size
                parts.append(
                    f'<rect class="tone-{tone}" x="{_number(x)}" y="{_number(base)}" '
                    f'width="{_number(bar_w)}" height="{_number(size)}"/>'
                )
        parts.append("</g>")
        # Every few bars a label, and the last bar too when it does not crowd the one before.
        last_apart = index == len(bars) - 1 and index % label_every > label_every // 2
        if index % label_every == 0 or last_apart:
            # A label near the right edge ends there rather than being cut.
            centre = x + bar_w / 2
            at, anchor = (width - right, "end") if centre > width - 48 else (centre, "middle")
            parts.append(
                f'<text class="axis" x="{_number(at)}" y="{height - 8}" '
                f'text-anchor="{anchor}">{escape(axis_label(bar))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def tone_split_chart(
    counts: dict[str, int], *, title: str, legend: Callable[[str, int], str]
) -> Markup:
    """One bar split by tone, with a legend line of counts and shares."""
    width, bar_h = 720, 22
    total = sum(counts.get(tone, 0) for tone in TONE_ORDER)
    parts = [
        f'<svg class="chart chart-tones" viewBox="0 0 {width} 56" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect class="empty" x="0" y="0" width="{width}" height="{bar_h}" rx="3"/>',
    ]
    x = 0.0
    for tone in TONE_ORDER:
        size = width * counts.get(tone, 0) / total if total else 0.0
        if size > 0:
            label = escape(legend(tone, counts.get(tone, 0)))
            parts.append(
                f'<rect class="tone-{tone}" x="{_number(x)}" y="0" width="{_number(size)}" '
                f'height="{bar_h}"><title>{label}</title></rect>'
            )
            x += size
    for index, tone in enumerate(TONE_ORDER):
        x = index * width / 3
        parts.append(
            f'<rect class="tone-{tone}" x="{_number(x)}" y="36" width="12" height="12" rx="2"/>'
            f'<text class="legend" x="{_number(x + 18)}" y="46">'
            f"{escape(legend(tone, counts.get(tone, 0)))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bar(share: float, tone: str | None = None) -> Markup:
    """A small bar filled to ``share`` (in [0, 1]), for a row of a table."""
    filled = max(0.0, min(1.0, float(share))) * 100
    fill_class = f"tone-{tone}" if tone in TONE_ORDER else "fill"
    return Markup(
        '<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<rect class="empty" width="100" height="8"/>'
        f'<rect class="{fill_class}" width="{_number(filled)}" height="8"/></svg>'
    )
