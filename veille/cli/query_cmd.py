"""``veille mentions`` and ``veille stats``: who talks about the brand, where, in what tone."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from veille.cli.app import App
from veille.cli.render import (
    TONE_STYLES,
    console,
    count_range,
    format_option,
    language_callback,
    moment_callback,
    percent,
    short_time,
    terminal_text,
    time_zone_option,
    write_record_batches,
    write_records,
)
from veille.records import MENTION_FIELDS, STAT_DIMENSIONS, STAT_FIELDS


def _period_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--until",
        callback=moment_callback(end_of_day=True),
        help="Until: a look-back (1d) or a date (inclusive).",
    )(function)
    return click.option(
        "--since", callback=moment_callback(), help="Since: a look-back (7d, 12h) or a date."
    )(function)


def _filter_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        (
            click.option("--brand", "brands", multiple=True, help="Only this brand (repeatable)."),
            click.option("--platform", help="Only this platform (news, blog, youtube…)."),
            click.option(
                "--site", help="Only this site (lemonde.fr) or one of its hosts (blog.lemonde.fr)."
            ),
            click.option("--author", help="Authors whose name or handle contains this."),
            click.option("--tone", type=click.Choice(["positive", "neutral", "negative"])),
            click.option(
                "--lang", callback=language_callback, help="Only this language (fr, en…)."
            ),
            click.option(
                "--search",
                help='Full-text search of title and text: words, "phrases", -exclusions.',
            ),
            click.option(
                "--term",
                help="Only mentions this term of the brand's query found, as written there "
                "('\"air france\"', 'danon*'; a phrase's quotes may be left out).",
            ),
        )
    ):
        function = option(function)
    return _period_options(function)


def _stored_brand_names(app: App, requested: tuple[str, ...]) -> tuple[str, ...]:
    """The requested brands; one no pass has stored yet is told on stderr: it has no mention."""
    names = app.brand_names(requested)
    if names:
        stored = set(app.store().brand_names())
        for name in names:
            if name not in stored:
                click.echo(
                    f"note: no pass has collected {name!r} since it was configured: "
                    "`veille collect` collects its mentions",
                    err=True,
                )
    return names


def _mention_filter(app: App, limit: int | None, **options: Any) -> Any:
    from veille.store import MentionFilter

    return MentionFilter(
        brands=_stored_brand_names(app, options["brands"]),
        platform=options["platform"],
        site=options["site"],
        author=options["author"],
        tone=options["tone"],
        lang=options["lang"],
        since=options["since"],
        until=options["until"],
        search=options["search"],
        term=options["term"],
        limit=limit,
    )


@click.command()
@_filter_options
@click.option("--limit", type=count_range(), default=50, show_default=True)
@click.option(
    "--group-by",
    type=click.Choice(["story"]),
    help="One row per story (its copies on other sites grouped), last seen first.",
)
@time_zone_option(
    "The dates of --since and --until, and the times of the table, in this IANA time zone "
    "(Europe/Paris); JSON and CSV keep UTC times."
)
@format_option()
@click.pass_obj
def mentions(
    app: App,
    limit: int,
    group_by: str | None,
    timezone: str,
    output_format: str,
    **options: Any,
) -> None:
    """List stored mentions, newest first."""
    if group_by == "story":
        _stories(app, _mention_filter(app, limit, **options), output_format, timezone)
        return
    mention_filter = _mention_filter(app, limit, **options)
    if output_format != "table":
        # Written as they are read: a large --limit does not hold every mention in memory.
        batches = app.store().iter_mentions(mention_filter)
        write_record_batches(batches, output_format, MENTION_FIELDS, sys.stdout)
        return
    records = app.store().list_mentions(mention_filter)
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("date", "brand", "tone", "platform", "site", "author"):
        # Long sites and author names are cut short rather than squeezing the title.
        width = 24 if column in ("site", "author") else None
        header = f"date ({timezone})" if column == "date" else column
        table.add_column(header, overflow="ellipsis", no_wrap=True, max_width=width)
    table.add_column("engagement", justify="right", no_wrap=True)
    table.add_column("title", overflow="ellipsis")
    for record in records:
        tone = str(record["tone"])
        engagement = record["engagement"]
        table.add_row(
            short_time(record["published_at"] or record["collected_at"], timezone),
            _escape(str(record["brand"])),
            f"[{TONE_STYLES.get(tone, '')}]{tone} {float(record['sentiment'] or 0):+.2f}[/]",  # type: ignore[arg-type]
            _escape(str(record["platform"] or "")),
            _escape(str(record["site"] or "")),
            _escape(str(record["author"] or "")),
            "" if engagement is None else str(engagement),
            _escape(str(record["title"] or record["url"] or "")),
        )
    out = console()
    if records:
        out.print(table)  # type: ignore[attr-defined]
    out.print(f"{len(records)} mention(s).")  # type: ignore[attr-defined]


def _stories(app: App, f: Any, output_format: str, timezone: str) -> None:
    """``veille mentions --group-by story``: a row per story, its earliest sighting as headline."""
    from veille.store.story_list import STORY_FIELDS

    records = app.store().list_stories(f)
    if output_format != "table":
        write_records(records, output_format, STORY_FIELDS, sys.stdout)
        return
    from rich.table import Table

    table = Table()
    for column in ("last seen", "sightings", "sites", "tone +/=/-", "brand", "site"):
        width = 24 if column in ("brand", "site") else None
        header = f"last seen ({timezone})" if column == "last seen" else column
        table.add_column(header, overflow="ellipsis", no_wrap=True, max_width=width)
    table.add_column("title", overflow="ellipsis")
    for record in records:
        tones = "/".join(str(record[tone]) for tone in ("positive", "neutral", "negative"))
        table.add_row(
            short_time(record["last_seen"], timezone),
            str(record["sightings"]),
            str(record["sites"]),
            tones,
            _escape(", ".join(record["brands"])),  # type: ignore[arg-type]
            _escape(str(record["site"] or "")),
            _escape(str(record["title"] or record["url"] or "")),
        )
    out = console()
    if records:
        out.print(table)  # type: ignore[attr-defined]
    out.print(f"{len(records)} story(ies).")  # type: ignore[attr-defined]


@click.command()
@_filter_options
@click.option(
    "--by",
    type=click.Choice(STAT_DIMENSIONS),
    default="platform",
    show_default=True,
    help="Group mentions by this.",
)
@time_zone_option(
    "Days, weeks and months, and the dates of --since and --until, in this IANA time zone "
    "(Europe/Paris)."
)
@click.option("--limit", type=count_range(), default=None, help="Only the first N groups.")
@format_option()
@click.pass_obj
def stats(
    app: App, by: str, timezone: str, limit: int | None, output_format: str, **options: Any
) -> None:
    """Count mentions by brand, matched term, hashtag, platform, site, author, tone, language,
    day, week or month."""
    rows = app.store().stats(_mention_filter(app, None, **options), by, timezone)
    if limit:
        rows = rows[:limit]
    if output_format != "table":
        write_records(rows, output_format, STAT_FIELDS, sys.stdout)
        return
    from rich.table import Table

    table = Table()
    table.add_column(by)
    for column in (
        "mentions", "share", "positive", "neutral", "negative", "avg tone", "engagement", "reach",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            _escape(str(row["key"] if row["key"] is not None else "(unknown)")),
            str(row["mentions"]),
            percent(row["share"]),
            percent(row["positive"]),
            percent(row["neutral"]),
            percent(row["negative"]),
            f"{float(row['avg_sentiment'] or 0):+.2f}",  # type: ignore[arg-type]
            str(row["engagement"]),
            str(row["reach"]),
        )
    out = console()
    out.print(table)  # type: ignore[attr-defined]
    if by in ("term", "hashtag"):
        # A mention found by two terms, or with two hashtags, counts for both: no total.
        out.print(f"{len(rows)} {by}(s); share is of the mentions listed.")  # type: ignore[attr-defined]
        return
    total = sum(int(row["mentions"]) for row in rows)  # type: ignore[call-overload]
    out.print(f"{total} mention(s) in {len(rows)} group(s).")  # type: ignore[attr-defined]


def _escape(text: str) -> str:
    """Feed text must never be read as rich markup nor reach the terminal as control codes."""
    return terminal_text(text)
