"""What a digest says: the new mentions per brand, grouped by story, with the period's figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from veille.delivery_settings import DigestConfig
from veille.normalize.text import name_key
from veille.settings import Settings
from veille.store import MentionFilter, Store

if TYPE_CHECKING:
    from veille.schedule.planner import JobSpec

# The chart shows at least a week, so that a daily digest still shows a trend.
MIN_CHART_DAYS = 7
TOP_SIZE = 5
_TONE_ORDER = {"negative": 0, "positive": 1, "neutral": 2}


@dataclass(frozen=True)
class StoryLine:
    """One story: its most telling mention, and how many other sites carried it."""

    title: str
    text: str
    url: str | None
    author: str | None
    author_url: str | None
    site: str | None
    platform: str
    tone: str
    sentiment: float
    time: datetime  # the lead mention's own
    matched: tuple[str, ...]
    other_sites: tuple[str, ...] = ()
    others: int = 0
    sightings: int = 1  # its mentions in the digest, copies on the lead's site included
    latest: datetime | None = None  # when it was last seen, for the order of the stories


@dataclass(frozen=True)
class DayBar:
    """One day of the volume chart; ``width`` is a percentage of the busiest day."""

    day: date
    count: int
    width: int


@dataclass
class BrandSection:
    """Everything the digest says about one brand."""

    name: str
    total: int = 0
    tones: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TONE_ORDER, 0))
    stories: list[StoryLine] = field(default_factory=list)
    hidden: int = 0
    days: list[DayBar] = field(default_factory=list)
    top_authors: list[tuple[str, int]] = field(default_factory=list)
    top_sites: list[tuple[str, int]] = field(default_factory=list)
    top_platforms: list[tuple[str, int]] = field(default_factory=list)
    top_hashtags: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class HealthIssue:
    """A source that fails, is disabled or has been silent too long."""

    source: str
    brand: str | None
    state: str  # failing | disabled | silent
    last_ok_at: datetime | None
    failures: int = 0
    error: str | None = None


@dataclass
class DigestContent:
    """A digest ready to render: its sections, health footer and the watermark it reaches."""

    config: DigestConfig
    generated_at: datetime
    sections: list[BrandSection]
    health: list[HealthIssue]
    watermark: int | None

    @property
    def total(self) -> int:
        """New mentions across the brands."""
        return sum(section.total for section in self.sections)

    @property
    def negatives(self) -> int:
        """New negative mentions across the brands."""
        return sum(section.tones["negative"] for section in self.sections)


def group_stories(mentions: Sequence[dict[str, object]], limit: int) -> tuple[list[StoryLine], int]:
    """One line per story, negative first, then newest; return at most ``limit`` and the rest."""
    stories: dict[object, list[dict[str, object]]] = defaultdict(list)
    for mention in mentions:
        stories[mention["story_id"]].append(mention)
    lines = []
    for members in stories.values():
        members.sort(key=lambda m: (_TONE_ORDER[str(m["tone"])], -_int(m["engagement"]), m["id"]))
        lead = members[0]
        # The other sites that carried the story, each once (copies on the lead's own site, or
        # on no known site, are not other sites).
        sites = dict.fromkeys(
            str(m["site"]) for m in members[1:] if m["site"] and m["site"] != lead["site"]
        )
        lines.append(
            StoryLine(
                title=str(lead["title"] or ""),
                text=str(lead["text"] or ""),
                url=lead["url"] if isinstance(lead["url"], str) else None,
                author=lead["author"] if isinstance(lead["author"], str) else None,
                author_url=lead["author_url"] if isinstance(lead["author_url"], str) else None,
                site=lead["site"] if isinstance(lead["site"], str) else None,
                platform=str(lead["platform"]),
                tone=str(lead["tone"]),
                sentiment=float(lead["sentiment"]),  # type: ignore[arg-type]
                time=_when(lead),
                matched=tuple(str(term) for term in lead["matched"]),  # type: ignore[attr-defined]
                other_sites=tuple(sites),
                others=len(sites),
                sightings=len(members),
                latest=max(_when(m) for m in members),
            )
        )
    lines.sort(key=lambda line: (line.tone != "negative", -(line.latest or line.time).timestamp()))
    return lines[:limit], max(0, len(lines) - limit)


def _when(mention: dict[str, object]) -> datetime:
    value = mention["time"]
    assert isinstance(value, datetime)
    return value


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def build_section(
    store: Store,
    brand: str,
    mentions: Sequence[dict[str, object]],
    *,
    config: DigestConfig,
    now: datetime,
    stored: bool = True,
    timezone: str = "UTC",
) -> BrandSection:
    """The brand's new mentions as story lines, with its tone split, chart and top lists.

    The chart's days are the calendar days of ``timezone``, in which the digest gives its times.

    ``stored`` is false for a configured brand the database does not know yet (never collected).
    """
    section = BrandSection(brand, total=len(mentions))
    for mention in mentions:
        section.tones[str(mention["tone"])] += 1
    section.stories, section.hidden = group_stories(mentions, config.max_mentions)
    if not stored:
        return section
    period = MentionFilter(brands=(brand,), since=now - config.period, until=now, limit=None)
    tops = store.stats_of_each(period, ("author", "site", "platform"))
    section.top_authors = _top(tops["author"])
    section.top_sites = _top(tops["site"])
    section.top_platforms = _top(tops["platform"])
    section.top_hashtags = _top(store.stats(period, "hashtag"))
    days = max(MIN_CHART_DAYS, -(-config.period // timedelta(days=1)))
    zone = ZoneInfo(timezone)
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    window = MentionFilter(brands=(brand,), since=start, until=now, limit=None)
    rows = store.stats(window, "day", timezone)
    counts = {str(row["key"]): int(row["mentions"]) for row in rows}  # type: ignore[call-overload]
    busiest = max(counts.values(), default=0)
    for offset in range(days):
        day = first + timedelta(days=offset)
        count = counts.get(day.isoformat(), 0)
        width = round(100 * count / busiest) if busiest else 0
        section.days.append(DayBar(day, count, max(width, 1) if count else 0))
    return section


def _top(rows: Sequence[dict[str, object]]) -> list[tuple[str, int]]:
    return [(str(row["key"]), int(row["mentions"])) for row in rows if row["key"]][:TOP_SIZE]  # type: ignore[call-overload]


def collector_health(
    settings: Settings, store: Store, now: datetime, brands: Sequence[str]
) -> list[HealthIssue]:
    """Sources failing or disabled, and those silent: not checked when their rhythm said.

    Only those serving ``brands``: every shared feed, and the searches run for one of them.
    """
    intervals = {s.name: s.interval or settings.collect.interval for s in settings.sources}
    passes = _collect_passes(settings)
    covered = {name_key(brand) for brand in brands}
    issues = []
    for row in store.source_health():
        name = str(row["name"])
        if not row["active"] or name not in intervals:
            continue
        last_ok = _moment(row["last_ok_at"])
        brand = row["brand"] if isinstance(row["brand"], str) else None
        if brand is not None and name_key(brand) not in covered:
            continue
        failures = _int(row["consecutive_failures"])
        if row["disabled"]:
            reason = row["disabled_reason"] or row["last_error"]
            issues.append(
                HealthIssue(name, brand, "disabled", last_ok, failures, _text(reason, name))
            )
        elif failures > 0:
            error = _text(row["last_error"], name)
            issues.append(HealthIssue(name, brand, "failing", last_ok, failures, error))
        elif last_ok is not None and _silent(row, last_ok, intervals[name], passes, now):
            issues.append(HealthIssue(name, brand, "silent", last_ok))
    return issues


def _collect_passes(settings: Settings) -> JobSpec | None:
    from veille.schedule.planner import JobSpec  # the scheduler's cron, read only here

    try:
        return JobSpec("collect", settings.schedule.collect, settings.schedule.timezone)
    except ValueError:  # veille schedule refuses it, and says why
        return None


def _silent(
    row: dict[str, object],
    last_ok: datetime,
    configured: timedelta,
    passes: JobSpec | None,
    now: datetime,
) -> bool:
    """Whether the source missed its checks: the first scheduled collect once it was due, then
    one more of its intervals (as polling adapted it), went by without a success.

    A source whose interval is shorter than the time between passes waits for the next pass (an
    hourly source under the default daily collect is checked once a day): that is not silence.
    """
    from veille.schedule.planner import next_fire

    stored = row["check_interval"]
    interval = configured
    if isinstance(stored, float | int) and stored:
        interval = timedelta(seconds=stored)
    due = _moment(row["next_check_at"]) or last_ok + interval
    if passes is not None:
        due = next_fire(passes, due - timedelta(microseconds=1)) or due
    return now > due + interval


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _text(value: object, source: str) -> str | None:
    # Errors start with the source's name, which the footer already shows.
    return value.removeprefix(f"{source}: ") if isinstance(value, str) else None
