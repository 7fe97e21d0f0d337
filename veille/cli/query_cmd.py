"""``veille mentions`` and ``veille stats``: who talks about the brand, where, in what tone."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
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
from veille.cli.tables import Column, fitted_table
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
            click.option(
                "--platform",
                help="Only this platform (news, blog, youtube…, or one an rss source names).",
            ),
            click.option(
                "--site",
                "sites",
                multiple=True,
                help="Only this site (lemonde.fr) or one of its hosts (blog.lemonde.fr) "
                "(repeatable: any of them).",
            ),
            click.option(
                "--author",
                help="Authors whose name or handle contains this (case and accents aside).",
            ),
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
                "('\"air france\"', 'danon*', 'case:Total'; a phrase's quotes may be left out; "
                "case, accents and the kind of apostrophe aside).",
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
        platform=_known_platform(app, options["platform"]),
        sites=options["sites"],
        author=options["author"],
        tone=options["tone"],
        lang=options["lang"],
        since=options["since"],
        until=options["until"],
        search=options["search"],
        term=_known_term(app, options["term"]),
        limit=limit,
    )


def _known_platform(app: App, platform: str | None) -> str | None:
    """``--platform`` as stored; an unknown one is a usage error, as an unknown ``--brand`` is."""
    if platform is None:
        return None
    from veille.errors import UnknownNameError

    try:
        return app.store().known_platform(platform)
    except UnknownNameError as exc:
        raise click.BadParameter(exc.message, param_hint="'--platform'") from None


def _known_term(app: App, term: str | None) -> str | None:
    """``--term`` as given; one no brand's query holds is a usage error listing the terms."""
    if term is None:
        return None
    from veille.errors import UnknownNameError

    try:
        return app.store().known_term(term, [brand.query for brand in app.settings.brands])
    except UnknownNameError as exc:
        raise click.BadParameter(exc.message, param_hint="'--term'") from None


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
    out = console()
    table = _mentions_table(records, timezone, out.width)  # type: ignore[attr-defined]
    if records:
        out.print(table)  # type: ignore[attr-defined]
    out.print(f"{len(records)} mention(s).")  # type: ignore[attr-defined]


# On a narrow terminal the title keeps its room: these give way first, in this order (the tone
# first loses its score, then goes).
_MENTION_GIVE_WAY = ("engagement", "platform", "author", "tone", "site", "brand", "tone")


def _mentions_table(records: Sequence[Mapping[str, object]], timezone: str, width: int) -> Any:
    """The table of ``veille mentions``, fitted to ``width`` columns."""
    tones = [str(record["tone"]) for record in records]
    styles = [TONE_STYLES.get(tone, "") for tone in tones]
    columns = [
        Column(
            "date",
            f"date ({timezone})",
            [short_time(r["published_at"] or r["collected_at"], timezone) for r in records],
        ),
        Column("brand", "brand", [_escape(str(r["brand"])) for r in records], max_width=24),
        Column(
            "tone",
            "tone",
            [
                f"[{style}]{tone} {float(r['sentiment'] or 0):+.2f}[/]"  # type: ignore[arg-type]
                for style, tone, r in zip(styles, tones, records, strict=True)
            ],
            short_cells=[f"[{s}]{t}[/]" for s, t in zip(styles, tones, strict=True)],
        ),
        Column("platform", "platform", [_escape(str(r["platform"] or "")) for r in records]),
        Column("site", "site", [_escape(str(r["site"] or "")) for r in records], max_width=24),
        Column(
            "author", "author", [_escape(str(r["author"] or "")) for r in records], max_width=24
        ),
        Column(
            "engagement",
            "engagement",
            ["" if r["engagement"] is None else str(r["engagement"]) for r in records],
            justify="right",
        ),
        Column(
            "title",
            "title",
            [_escape(str(r["title"] or r["url"] or "")) for r in records],
            main=True,
        ),
    ]
    return fitted_table(columns, width, _MENTION_GIVE_WAY, show_lines=False)


def _stories(app: App, f: Any, output_format: str, timezone: str) -> None:
    """``veille mentions --group-by story``: a row per story, its earliest sighting as headline."""
    from veille.store.story_list import STORY_FIELDS

    if output_format != "table":
        # Written as they are read: every story of a long period is not held in memory.
        write_record_batches(app.store().iter_stories(f), output_format, STORY_FIELDS, sys.stdout)
        return
    records = app.store().list_stories(f)
    out = console()
    columns = [
        Column(
            "last seen",
            f"last seen ({timezone})",
            [short_time(r["last_seen"], timezone) for r in records],
        ),
        Column("sightings", "sightings", [str(r["sightings"]) for r in records], justify="right"),
        Column("sites", "sites", [str(r["sites"]) for r in records], justify="right"),
        Column(
            "tones",
            "tone +/=/-",
            [
                "/".join(str(r[tone]) for tone in ("positive", "neutral", "negative"))
                for r in records
            ],
        ),
        Column(
            "brand",
            "brand",
            [_escape(", ".join(r["brands"])) for r in records],  # type: ignore[arg-type]
            max_width=24,
        ),
        Column("site", "site", [_escape(str(r["site"] or "")) for r in records], max_width=24),
        Column(
            "title",
            "title",
            [_escape(str(r["title"] or r["url"] or "")) for r in records],
            main=True,
        ),
    ]
    width: int = out.width  # type: ignore[attr-defined]
    table = fitted_table(columns, width, ("sites", "tones", "site", "brand"))
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
    out = console()
    table = _stats_table(rows, by, out.width)  # type: ignore[attr-defined]
    out.print(table)  # type: ignore[attr-defined]
    if by in ("term", "hashtag"):
        # A mention found by two terms, or with two hashtags, counts for both: no total.
        out.print(f"{len(rows)} {by}(s); share is of the mentions listed.")  # type: ignore[attr-defined]
        return
    total = sum(int(row["mentions"]) for row in rows)  # type: ignore[call-overload]
    out.print(f"{total} mention(s) in {len(rows)} group(s).")  # type: ignore[attr-defined]


_STAT_COLUMNS = {
    "mentions": "mentions",
    "share": "share",
    "positive": "positive",
    "neutral": "neutral",
    "negative": "negative",
    "avg tone": "avg_sentiment",
    "engagement": "engagement",
    "reach": "reach",
}
# On a narrow terminal the group's name keeps its room: these figures give way, in this order.
_STAT_GIVE_WAY = ("reach", "engagement", "avg tone", "neutral", "share", "positive", "negative")


def _stats_table(rows: Sequence[Mapping[str, object]], by: str, width: int) -> Any:
    """The table of ``veille stats``, fitted to ``width`` columns."""
    columns = [
        Column(
            "key",
            by,
            [_escape(str(r["key"] if r["key"] is not None else "(unknown)")) for r in rows],
            main=True,
        )
    ]
    for header, field in _STAT_COLUMNS.items():
        if field == "avg_sentiment":
            cells = [f"{float(r[field] or 0):+.2f}" for r in rows]  # type: ignore[arg-type]
        elif field in ("engagement", "reach", "mentions"):
            # Empty, not 0, where no service gave a figure (feeds give none).
            cells = ["" if r[field] is None else str(r[field]) for r in rows]
        else:
            cells = [percent(r[field]) for r in rows]
        columns.append(Column(header, header, cells, justify="right"))
    return fitted_table(columns, width, _STAT_GIVE_WAY)


def _escape(text: str) -> str:
    """Feed text must never be read as rich markup nor reach the terminal as control codes."""
    return terminal_text(text)
