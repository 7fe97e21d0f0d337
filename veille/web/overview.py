"""The overview of a brand over a period, computed from the store's statistics and listings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo

from veille.store import MentionFilter, Store
from veille.store.queries import iso_utc
from veille.store.stats import period_key
from veille.timeutil import parse_moment, time_zone, utcnow
from veille.web.charts import TONE_ORDER, VOLUME_UNITS, PeriodVolume

TOP = 10
# Beyond this many days (five years, sixty bars of a month), the volume chart starts at the first
# mention rather than the period's start, so that "since 2000-01-01" draws no empty decades.
MAX_EMPTY_SPAN = 1827
# The volume chart draws a bar a day over up to this many days, a bar a week up to
# WEEKS_UP_TO days, and a bar a month beyond: a year by day would be bars thinner than a pixel.
DAYS_UP_TO = 92
WEEKS_UP_TO = 731


@dataclass(frozen=True)
class Overview:
    """Volume by day and tone (and by week or month for the chart, on long periods), tone
    split, share of voice, matched terms, hashtags, platforms, sites, authors and the latest
    negatives."""

    filter: MentionFilter
    timezone: str  # the IANA time zone whose calendar days are counted
    total: int
    tones: dict[str, int]
    avg_sentiment: float | None
    days: list[PeriodVolume]  # one per day, days without mentions included
    voice: list[dict[str, object]]  # by brand: each brand's share of the mentions
    terms: list[dict[str, object]]  # the query terms that matched, most frequent first
    hashtags: list[dict[str, object]]
    hashtags_read: int  # the mentions whose hashtags were counted: every one of the period
    platforms: list[dict[str, object]]
    sites: list[dict[str, object]]
    authors: list[dict[str, object]]
    negative: list[dict[str, object]]

    @property
    def first_day(self) -> date | None:
        """The period's first day (of the overview's time zone), None without a start."""
        if self.filter.since is None:
            return None
        return _local_day(self.filter.since, time_zone(self.timezone))

    @property
    def volume_unit(self) -> str:
        """What one bar of the volume chart counts: a day, a week or a month."""
        return volume_unit(len(self.days))

    @property
    def volume(self) -> list[PeriodVolume]:
        """The volume chart's bars: the days, or the days added up by week or by month."""
        return fold_days(self.days, self.volume_unit)

    def as_json(self) -> dict[str, object]:
        """The overview as the API gives it."""
        return {
            "brands": list(self.filter.brands),
            "since": iso_utc(self.filter.since),
            "until": iso_utc(self.filter.until),
            "timezone": self.timezone,
            "total": self.total,
            "tones": self.tones,
            "avg_sentiment": self.avg_sentiment,
            "days": [
                {"day": day.start.isoformat(), "mentions": day.total}
                | {tone: day.count(tone) for tone in TONE_ORDER}
                for day in self.days
            ],
            "volume": {
                "unit": self.volume_unit,
                "bars": [
                    {"start": bar.start.isoformat(), "end": bar.end.isoformat()}
                    | {"mentions": bar.total}
                    | {tone: bar.count(tone) for tone in TONE_ORDER}
                    for bar in self.volume
                ],
            },
            "share_of_voice": self.voice,
            "terms": self.terms,
            "hashtags": self.hashtags,
            "hashtags_read": self.hashtags_read,
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


def _local_day(moment: datetime, zone: tzinfo) -> date:
    try:
        return moment.astimezone(zone).date()
    except OverflowError:  # the first or last hours of year 1 or 9999, east or west of UTC
        return moment.date()


def from_midnight(f: MentionFilter, zone: tzinfo) -> MentionFilter:
    """The filter starting at the midnight (of ``zone``) that begins the day of its start: a
    look-back of 30 days starts with a whole day, as every bar of the volume chart is one."""
    if f.since is None:
        return f
    return replace(f, since=parse_moment(_local_day(f.since, zone).isoformat(), zone=zone))


def _days(f: MentionFilter, rows: list[dict[str, object]], zone: tzinfo) -> list[PeriodVolume]:
    """One PeriodVolume per day of the period (days of ``zone``), days without mentions
    included."""
    counted: dict[date, PeriodVolume] = {}
    for row in rows:
        day = date.fromisoformat(str(row["key"]))
        counted[day] = PeriodVolume(day, day, **{tone: _count(row, tone) for tone in TONE_ORDER})
    if not counted:
        return []
    first, last = min(counted), max(counted)
    start = _local_day(f.since, zone) if f.since is not None else first
    until = f.until - timedelta(microseconds=1) if f.until is not None else utcnow()
    end = _local_day(until, zone)
    start, end = min(start, first), max(end, last)
    if (end - start).days > MAX_EMPTY_SPAN:
        start, end = first, last
    span = (end - start).days + 1
    return [
        counted.get(day, PeriodVolume(day, day))
        for day in (start + timedelta(n) for n in range(span))
    ]


def volume_unit(days: int) -> str:
    """The span of one bar of the volume chart over so many days: day, week or month."""
    if days <= DAYS_UP_TO:
        return "day"
    return "week" if days <= WEEKS_UP_TO else "month"


def fold_days(days: list[PeriodVolume], unit: str) -> list[PeriodVolume]:
    """Consecutive days added up by ISO week or calendar month (``day`` keeps them as they are).

    A bar spans only the days given: the first and last weeks or months of a period that does
    not start or end on their bounds are partial, and say so by their ``start`` and ``end``.
    """
    if unit not in VOLUME_UNITS:
        raise ValueError(f"a volume unit is one of {', '.join(VOLUME_UNITS)}, not {unit!r}")
    if unit == "day":
        return list(days)
    bars: list[PeriodVolume] = []
    bar_key = None
    for day in days:
        # The same weeks and months as ``veille stats --by week|month`` ("2026-W48", "2026-11").
        key = period_key(day.start.isoformat(), unit)
        if key == bar_key:
            bar = bars[-1]
            counts = {tone: bar.count(tone) + day.count(tone) for tone in TONE_ORDER}
            bars[-1] = PeriodVolume(bar.start, day.end, **counts)
        else:
            bars.append(day)
            bar_key = key
    return bars


def build_overview(
    store: Store, f: MentionFilter, timezone: str = "UTC", top: int = TOP
) -> Overview:
    """Compute the overview of the mentions a filter keeps, by the days of ``timezone``."""
    everything = replace(f, limit=None, offset=0)
    # One reading of the period's mentions for every plain key; terms and hashtags apart.
    of_each = store.stats_of_each(
        everything, ("tone", "author", "day", "brand", "platform", "site"), timezone
    )
    tone_rows = {str(row["key"]): row for row in of_each["tone"]}
    tones = {
        tone: int(_number(tone_rows[tone], "mentions")) if tone in tone_rows else 0
        for tone in TONE_ORDER
    }
    total = sum(tones.values())
    weighted = sum(
        _number(row, "avg_sentiment") * _number(row, "mentions") for row in tone_rows.values()
    )
    authors = [row for row in of_each["author"] if row["key"] is not None]
    negative: list[dict[str, object]] = []
    if f.tone in (None, "negative"):
        negative = store.list_mentions(replace(everything, tone="negative", limit=top))
    return Overview(
        filter=f,
        timezone=timezone,
        total=total,
        tones=tones,
        avg_sentiment=round(weighted / total, 4) if total else None,
        days=_days(f, of_each["day"], time_zone(timezone)),
        voice=of_each["brand"],
        terms=store.stats(everything, "term")[:top],
        hashtags=store.stats(everything, "hashtag")[:top],
        hashtags_read=total,
        platforms=of_each["platform"][:top],
        sites=of_each["site"][:top],
        authors=authors[:top],
        negative=negative,
    )
