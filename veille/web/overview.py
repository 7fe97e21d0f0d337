"""The overview of a brand over a period, computed from the store's statistics and listings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from veille.store import MentionFilter, Store
from veille.store.queries import iso_utc
from veille.timeutil import utcnow
from veille.web.charts import TONE_ORDER, DayVolume

TOP = 10
# Beyond this many days, the volume chart starts at the first mention rather than the period's
# start, so that "since 2000-01-01" does not draw thousands of empty days.
MAX_EMPTY_SPAN = 400


@dataclass(frozen=True)
class Overview:
    """Volume by day and tone, tone split, share of voice, platforms, sites, authors and the
    latest negatives."""

    filter: MentionFilter
    total: int
    tones: dict[str, int]
    avg_sentiment: float | None
    days: list[DayVolume]
    voice: list[dict[str, object]]  # by brand: each brand's share of the mentions
    platforms: list[dict[str, object]]
    sites: list[dict[str, object]]
    authors: list[dict[str, object]]
    negative: list[dict[str, object]]

    def as_json(self) -> dict[str, object]:
        """The overview as the API gives it."""
        return {
            "brands": list(self.filter.brands),
            "since": iso_utc(self.filter.since),
            "until": iso_utc(self.filter.until),
            "total": self.total,
            "tones": self.tones,
            "avg_sentiment": self.avg_sentiment,
            "days": [
                {"day": day.day.isoformat(), "mentions": day.total}
                | {tone: day.count(tone) for tone in TONE_ORDER}
                for day in self.days
            ],
            "share_of_voice": self.voice,
            "platforms": self.platforms,
            "sites": self.sites,
            "authors": self.authors,
            "negative": self.negative,
        }


def _number(row: dict[str, object], key: str) -> float:
    value = row[key]
    return float(value) if isinstance(value, int | float) else 0.0


def _count(row: dict[str, object], tone: str) -> int:
    # Stats give each tone as a share of the group; shares of whole counts round back exactly.
    return round(_number(row, tone) * _number(row, "mentions"))


def _days(f: MentionFilter, rows: list[dict[str, object]]) -> list[DayVolume]:
    """One DayVolume per day of the period, days without mentions included."""
    counted = {
        date.fromisoformat(str(row["key"])): DayVolume(
            date.fromisoformat(str(row["key"])),
            **{tone: _count(row, tone) for tone in TONE_ORDER},
        )
        for row in rows
    }
    if not counted:
        return []
    first, last = min(counted), max(counted)
    start = f.since.date() if f.since is not None else first
    end = (f.until - timedelta(microseconds=1)).date() if f.until is not None else utcnow().date()
    start, end = min(start, first), max(end, last)
    if (end - start).days > MAX_EMPTY_SPAN:
        start, end = first, last
    span = (end - start).days + 1
    return [counted.get(day, DayVolume(day)) for day in (start + timedelta(n) for n in range(span))]


def build_overview(store: Store, f: MentionFilter, top: int = TOP) -> Overview:
    """Compute the overview of the mentions a filter keeps."""
    everything = replace(f, limit=None, offset=0)
    tone_rows = {str(row["key"]): row for row in store.stats(everything, "tone")}
    tones = {
        tone: int(_number(tone_rows[tone], "mentions")) if tone in tone_rows else 0
        for tone in TONE_ORDER
    }
    total = sum(tones.values())
    weighted = sum(
        _number(row, "avg_sentiment") * _number(row, "mentions") for row in tone_rows.values()
    )
    authors = [row for row in store.stats(everything, "author") if row["key"] is not None]
    negative: list[dict[str, object]] = []
    if f.tone in (None, "negative"):
        negative = store.list_mentions(replace(everything, tone="negative", limit=top))
    return Overview(
        filter=f,
        total=total,
        tones=tones,
        avg_sentiment=round(weighted / total, 4) if total else None,
        days=_days(f, store.stats(everything, "day")),
        voice=store.stats(everything, "brand"),
        platforms=store.stats(everything, "platform")[:top],
        sites=store.stats(everything, "site")[:top],
        authors=authors[:top],
        negative=negative,
    )
