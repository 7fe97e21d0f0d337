"""Statistics of the filtered mentions: counts, tone and reach per brand, matched term,
hashtag, platform, site, author, tone, language, day, ISO week or month."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    String,
    case,
    extract,
    func,
    literal_column,
    select,
    true,
)

from veille.normalize.domains import readable_host
from veille.store.queries import (
    effective_sentiment,
    effective_tone,
    filtered_query,
    grouping_key,
    mention_time,
)
from veille.store.schema import TONES, brand_table, document_table, hashtag_table, mention_table
from veille.store.specs import MentionFilter
from veille.store.terms import matched_terms
from veille.timeutil import time_zone

# Weeks and months are made of days in Python: ISO weeks are computed alike on every engine.
PERIODS = ("day", "week", "month")
STATS_KEYS = ("brand", "term", "hashtag", "platform", "site", "author", "tone", "lang", *PERIODS)


@dataclass
class _Group:
    """The sums of one group's mentions, before shares and means are taken."""

    key: Any
    mentions: int = 0
    tones: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TONES, 0))
    sentiment: float = 0.0  # the sum, so that days add up into weeks and months
    # Sums of the figures the services gave; None when none gave any for the group's mentions.
    engagement: int | None = None
    reach: int | None = None

    def add(self, other: _Group) -> None:
        self.mentions += other.mentions
        for tone in TONES:
            self.tones[tone] += other.tones[tone]
        self.sentiment += other.sentiment
        self.engagement = _plus(self.engagement, other.engagement)
        self.reach = _plus(self.reach, other.reach)


def _plus(total: int | None, figure: int | None) -> int | None:
    """A sum of figures that stays None (no figure given, not 0) until one is added."""
    if figure is None:
        return total
    return figure if total is None else total + figure


def _figure(value: Any) -> int | None:
    """A summed figure as read: SQL's sum of no figure at all is NULL, kept as None."""
    return None if value is None else int(value)


# Days in a time zone other than UTC are made of quarter hours in Python: every zone's offset
# from UTC is a whole number of quarter hours, and neither engine needs time zone data.
QUARTER_HOUR = 900


def _stats_key(connection: Connection, by: str) -> ColumnElement[Any]:
    if by == "quarter":
        if connection.dialect.name == "postgresql":
            return func.floor(extract("epoch", mention_time) / QUARTER_HOUR).cast(BigInteger)
        return func.cast(func.strftime("%s", mention_time), Integer) / QUARTER_HOUR
    if by == "day":
        # The UTC calendar day, as "YYYY-MM-DD"; literals rather than bound parameters so that
        # PostgreSQL sees the GROUP BY expression as identical to the selected one.
        if connection.dialect.name == "postgresql":
            utc_time = func.timezone(literal_column("'UTC'"), mention_time)
            return func.to_char(utc_time, literal_column("'YYYY-MM-DD'"), type_=String)
        return func.date(mention_time, type_=String)
    if by == "author":
        return func.coalesce(document_table.c.author_name, document_table.c.author_handle)
    if by == "tone":
        return effective_tone
    columns: dict[str, Any] = {
        # The brand's id: named after the query, as the brands table is small.
        "brand": mention_table.c.brand_id,
        "platform": document_table.c.platform,
        "site": document_table.c.site,
        "lang": document_table.c.lang,
    }
    return grouping_key(connection, columns[by])


def _grouped_query(connection: Connection, f: MentionFilter, *keys: Any) -> Any:
    """The filtered mentions' counts, tones, sentiment sum, engagement and reach per ``keys``."""
    tone_counts = [
        func.sum(case((effective_tone == tone, 1), else_=0)).label(tone) for tone in TONES
    ]
    return filtered_query(
        connection,
        f,
        *keys,
        func.count(mention_table.c.id).label("mentions"),
        *tone_counts,
        func.sum(effective_sentiment).label("sentiment"),
        func.sum(document_table.c.engagement).label("engagement"),
        func.sum(document_table.c.reach).label("reach"),
    ).query.group_by(*keys)


def _group_of(row: Any, key: Any) -> _Group:
    return _Group(
        key,
        row.mentions,
        {tone: int(getattr(row, tone)) for tone in TONES},
        float(row.sentiment or 0.0),
        _figure(row.engagement),
        _figure(row.reach),
    )


def _term_groups(connection: Connection, f: MentionFilter) -> list[_Group]:
    terms = matched_terms(connection)
    key = terms.c.value.label("key")
    query = _grouped_query(connection, f, key)
    query = query.join(terms, true())  # a mention counts once for each term it matched
    return [_group_of(row, row.key) for row in connection.execute(query)]


def _base_key(by: str, zone: ZoneInfo) -> str:
    """What the query groups by for ``by``: periods are made of UTC days or quarter hours."""
    if by in PERIODS:
        return "day" if zone.key == "UTC" else "quarter"
    return by


def _groups(
    connection: Connection, f: MentionFilter, keys: Iterable[str], zone: ZoneInfo
) -> dict[str, list[_Group]]:
    """The groups of each key, from one query grouped by all of them (not term nor hashtag).

    Its rows are the mentions' combinations of keys, each added into one group of every key:
    for the several keys a page shows, one reading of the filtered mentions instead of one each.
    """
    wanted = list(dict.fromkeys(keys))
    bases = list(dict.fromkeys(_base_key(by, zone) for by in wanted))
    expressions = [_stats_key(connection, base).label(f"key_{n}") for n, base in enumerate(bases)]
    # Plain lists of sums while reading: the rows are as many as the mentions' combinations
    # of keys (most of the mentions, for an author and a day each), added into every key.
    sums: list[dict[Any, list[Any]]] = [{} for _ in bases]
    width = len(bases)
    for row in connection.execute(_grouped_query(connection, f, *expressions)):
        mentions, positive, neutral, negative, sentiment, engagement, reach = row[width:]
        figures = (
            mentions, positive, neutral, negative,
            float(sentiment or 0.0), _figure(engagement), _figure(reach),
        )  # fmt: skip
        for table, value in zip(sums, row[:width], strict=True):
            total = table.get(value)
            if total is None:
                table[value] = list(figures)
            else:
                for index, figure in enumerate(figures[:5]):
                    total[index] += figure
                total[5] = _plus(total[5], figures[5])
                total[6] = _plus(total[6], figures[6])
    by_base = {
        base: {
            value: _Group(value, total[0], dict(zip(TONES, map(int, total[1:4]), strict=True)),
                          *total[4:])
            for value, total in table.items()
        }
        for base, table in zip(bases, sums, strict=True)
    }  # fmt: skip
    if "brand" in by_base:
        names = dict(connection.execute(select(brand_table.c.id, brand_table.c.name)).all())
        for group in by_base["brand"].values():
            group.key = names.get(group.key)
    grouped: dict[str, list[_Group]] = {}
    for by in wanted:
        groups = list(by_base[_base_key(by, zone)].values())
        if by in PERIODS:
            groups = _local_days(groups, zone) if zone.key != "UTC" else groups
            groups = _by_period(groups, by) if by != "day" else groups
        grouped[by] = groups
    return grouped


def _hashtag_groups(connection: Connection, f: MentionFilter) -> tuple[list[_Group], int]:
    """The hashtags of the filtered mentions, and how many mentions were read.

    Read from the stored hashtags of the mentions' documents (veille/store/hashtags.py), of
    every filtered mention or of the newest ``f.limit`` of them. A tag counts once per mention
    whatever its case, under its most written spelling.
    """
    mention_ids = filtered_query(connection, f, mention_table.c.id).query
    if f.limit is not None:
        newest = mention_ids.order_by(mention_time.desc(), mention_table.c.id.desc())
        mention_ids = newest.limit(f.limit)
    counted = select(func.count()).select_from(mention_ids.subquery())
    listed = int(connection.execute(counted).scalar_one())
    spellings = (hashtag_table.c.hashtag, hashtag_table.c.spelling)
    query = _grouped_query(connection, replace(f, limit=None), *spellings).join(
        hashtag_table, hashtag_table.c.document_id == document_table.c.id
    )
    if f.limit is not None:
        query = query.where(mention_table.c.id.in_(mention_ids.scalar_subquery()))
    groups: dict[str, _Group] = {}
    # Per tag, its most written spelling so far: (-mentions, spelling), the least wins.
    names: dict[str, tuple[int, str]] = {}
    for row in connection.execute(query):
        groups.setdefault(row.hashtag, _Group(row.hashtag)).add(_group_of(row, row.hashtag))
        name = (-row.mentions, row.spelling)
        names[row.hashtag] = min(names.get(row.hashtag, name), name)
    for folded, group in groups.items():
        group.key = names[folded][1]
    return list(groups.values()), listed


def _local_days(quarters: Iterable[_Group], zone: ZoneInfo) -> list[_Group]:
    """Quarter hours (numbered from 1970 UTC) added up into the calendar days of ``zone``."""
    days: dict[str, _Group] = {}
    first = last = 0  # the quarters [first, last) of the local day being filled
    day = _Group("")
    for quarter in sorted(quarters, key=lambda group: int(group.key)):
        number = int(quarter.key)
        if not first <= number < last:
            # Converting is the costly part: once per local day, not once per quarter hour.
            local = datetime.fromtimestamp(number * QUARTER_HOUR, zone).date()
            first = _quarter_of(local, zone)
            last = _quarter_of(local + timedelta(days=1), zone)
            day = days.setdefault(local.isoformat(), _Group(local.isoformat()))
        day.add(quarter)
    return list(days.values())


def _quarter_of(day: date, zone: ZoneInfo) -> int:
    """The quarter hour in which ``day`` starts in ``zone``."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    return int(midnight.timestamp()) // QUARTER_HOUR


def period_key(day: str, by: str) -> str:
    """The ISO week ("2026-W48") or the month ("2026-11") of a "YYYY-MM-DD" day."""
    if by == "month":
        return day[:7]
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def _by_period(days: Iterable[_Group], by: str) -> list[_Group]:
    periods: dict[str, _Group] = {}
    for day in days:
        key = period_key(str(day.key), by)
        periods.setdefault(key, _Group(key)).add(day)
    return list(periods.values())


def stats(
    connection: Connection, f: MentionFilter, by: str, timezone: str = "UTC"
) -> list[dict[str, object]]:
    """Count the filtered mentions per key, with the share of each tone and the mean sentiment.

    ``engagement`` and ``reach`` add up the figures of the group's mentions (an unknown one
    adds nothing; None when no service gave any, not 0): like ``mentions``, a document that
    names two brands counts once per brand when both are listed.
    By ``brand``, the shares are each brand's share of voice among the brands listed. By
    ``term``, each term of the brands' queries that matched (as the query writes it: ``"air
    france"``, ``danon*``) with the share of the listed mentions that matched it: a mention
    that matched two terms counts for both, so the shares may add up to more than 1. By
    ``hashtag``, the hashtags written in the mentions (``#BoycottDanone``), shares likewise of
    the mentions listed (the newest ``f.limit`` when the filter has a limit: the other keys
    count every filtered mention). Days (UTC, or the calendar days of ``timezone``),
    ISO weeks and months come in time order, the other keys most mentioned first.
    """
    if by not in STATS_KEYS:
        raise ValueError(f"stats by must be one of {', '.join(STATS_KEYS)}, not {by!r}")
    zone = time_zone(timezone)
    listed = None
    if by == "hashtag":
        groups, listed = _hashtag_groups(connection, f)
    elif by == "term":
        groups = _term_groups(connection, f)
    else:
        groups = _groups(connection, f, (by,), zone)[by]
    return _rows(connection, f, by, groups, listed)


def stats_of_each(
    connection: Connection, f: MentionFilter, keys: Iterable[str], timezone: str = "UTC"
) -> dict[str, list[dict[str, object]]]:
    """``stats`` by each of ``keys`` (not term nor hashtag), reading the mentions once."""
    keys = list(keys)
    unknown = [by for by in keys if by not in STATS_KEYS or by in ("term", "hashtag")]
    if unknown:
        raise ValueError(f"stats of several keys cannot be by {', '.join(unknown)}")
    grouped = _groups(connection, f, keys, time_zone(timezone))
    return {by: _rows(connection, f, by, grouped[by], None) for by in keys}


def _rows(
    connection: Connection, f: MentionFilter, by: str, groups: list[_Group], listed: int | None
) -> list[dict[str, object]]:
    """The groups in their order, with their shares of the mentions listed and their means."""
    if by in PERIODS:
        groups.sort(key=lambda group: str(group.key))
    else:
        # Most mentioned first; ties by key with unknown (None) keys last, for a stable order.
        groups.sort(key=lambda group: (-group.mentions, group.key is None, group.key or ""))
    total = listed or sum(group.mentions for group in groups)
    if by == "term" and groups:
        # A mention matches one term or several: a term's share is of the mentions listed.
        total = connection.execute(
            filtered_query(connection, f, func.count(mention_table.c.id)).query
        ).scalar_one()
    return [
        {
            "key": readable_host(group.key) if by == "site" else group.key,
            "mentions": group.mentions,
            "share": group.mentions / total,
            **{tone: group.tones[tone] / group.mentions for tone in TONES},
            "avg_sentiment": round(group.sentiment / group.mentions, 4),
            "engagement": group.engagement,
            "reach": group.reach,
        }
        for group in groups
    ]
