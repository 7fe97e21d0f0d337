"""``veille query test``: what a brand query would keep and drop among the stored documents."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from veille.cli.app import App
from veille.cli.render import (
    console,
    count_range,
    format_option,
    json_text,
    moment_callback,
    progress_bar,
    short_time,
    time_zone_option,
    write_records,
)

if TYPE_CHECKING:
    from veille.query_trial import TrialReport

DEFAULT_SINCE = "30d"
# Table titles of the listed verdicts, without and with a brand.
_TITLES = {
    (False, "kept"): "kept",
    (False, "dropped"): "dropped",
    (True, "dropped"): "current mentions it would drop",
    (True, "added"): "other documents it would newly keep",
    (True, "kept"): "current mentions it still keeps",
}


@click.group()
def query() -> None:
    """Try brand queries on the stored documents, and apply the configured ones to the stored
    mentions."""


class _QueryFirst(click.Command):
    """A command whose argument may start with "-" (-recette orange): its only short option is
    -q, so any other word starting with one "-" is the query; "--x" stays an option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Move a query starting with "-" after "--", where click reads it as the argument."""
        taking_values = {
            name for param in self.params if isinstance(param, click.Option) and not param.is_flag
            for name in param.opts
        }  # fmt: skip
        for index, arg in enumerate(args):
            if arg == "--":
                break
            a_value = index > 0 and args[index - 1] in taking_values
            short_option = arg in ("-", "-q", "-h") or arg.startswith("--")
            if arg.startswith("-") and not short_option and not a_value:
                args = [*args[:index], *args[index + 1 :], "--", arg]
                break
        return super().parse_args(ctx, args)


@query.command("test", cls=_QueryFirst)
@click.argument("query_text", metavar="QUERY")
@click.option("--brand", help="Compare with this brand's current mentions.")
@click.option(
    "--case-sensitive/--no-case-sensitive",
    default=None,
    help="Every term case-sensitive [default: as the brand, else no].",
)
@click.option(
    "--since",
    callback=moment_callback(),
    default=DEFAULT_SINCE,
    show_default=True,
    help="Documents since: a look-back (30d) or a date.",
)
@time_zone_option(
    "The date of --since, and the times shown, in this IANA time zone (Europe/Paris); JSON and "
    "CSV keep UTC times."
)
@click.option(
    "--limit",
    type=count_range(0),
    default=20,
    show_default=True,
    help="Documents listed per verdict, newest first.",
)
@click.option(
    "--batch-size",
    type=count_range(),
    default=1000,
    show_default=True,
    help="Documents read per transaction.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@format_option()
@click.pass_obj
def query_test(
    app: App,
    query_text: str,
    brand: str | None,
    case_sensitive: bool | None,
    since: datetime,
    timezone: str,
    limit: int,
    batch_size: int,
    quiet: bool,
    output_format: str,
) -> None:
    """Show what QUERY would keep and drop among the documents stored since --since.

    With --brand, the brand's current mentions are split into those QUERY still keeps and those
    it would drop, and the other stored documents it would keep are listed as added. Documents
    are matched exactly as a collecting pass matches them. Nothing is written: once the query
    is in the configuration, `veille query rematch --brand NAME` makes the stored mentions what
    it finds (a note on stderr says so). A query that does not parse exits 2; one holding and,
    or, not or near in lower case, or ET, OU or SAUF between terms (words, not operators), is
    read as such, with a note on stderr. A query may start with "-" (-danone evian), or follow
    "--".
    """
    from veille.match import compile_query
    from veille.match.notes import operator_words_note
    from veille.query_trial import TRIAL_FIELDS, entry_record, report_record, try_query

    brand_name = app.brand_names((brand,))[0] if brand is not None else None
    configured = {b.name: b for b in app.settings.brands}
    if case_sensitive is None:
        case_sensitive = brand_name in configured and configured[brand_name].case_sensitive
    compiled = compile_query(query_text, case_sensitive=case_sensitive)
    # A configured brand's query was told of when the configuration was read.
    note = operator_words_note(query_text)
    if note is not None and query_text not in {b.query for b in app.settings.brands}:
        click.echo(f"note: {note}", err=True)
    progress = progress_bar("matching", quiet=quiet)
    with progress:
        task = progress.add_task("", total=None)
        report = try_query(
            app.store(),
            compiled,
            brand=brand_name,
            since=since,
            limit=limit,
            batch_size=batch_size,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if report.brand is not None and (report.brand_dropped or report.added):
        brand_config = configured.get(report.brand)
        as_configured = brand_config is not None and (
            brand_config.query,
            brand_config.case_sensitive,
        ) == (query_text, case_sensitive)
        click.echo(_stored_mentions_note(report.brand, as_configured=as_configured), err=True)
    if output_format == "json":
        sys.stdout.write(json_text(report_record(report), sys.stdout, indent=2))
        sys.stdout.write("\n")
    elif output_format != "table":
        records = [entry_record(entry) for entry in report.entries()]
        write_records(records, output_format, TRIAL_FIELDS, sys.stdout)
        click.echo(_summary(report, timezone), err=True)
    else:
        _print_table(report, timezone)


def _stored_mentions_note(brand: str, *, as_configured: bool) -> str:
    """What becomes of the stored mentions a query would drop or add: nothing, until asked."""
    import shlex

    command = f"`veille query rematch --brand {shlex.quote(brand)}`"
    if as_configured:
        return (
            f"note: this is {brand}'s configured query: its stored mentions stay as they were "
            f"found until {command} makes these changes (to every stored document; --since "
            "limits it)."
        )
    return (
        "note: nothing is changed: the stored mentions stay as they were found. Once this query "
        f"is in the configuration, {command} makes these changes."
    )


def _summary(report: TrialReport, timezone: str) -> str:
    """The counts in a sentence or two."""
    since = f"since {short_time(_iso(report.since), timezone)} ({timezone})"
    overall = (
        f"{report.documents} document(s) {since}: {report.kept} kept, {report.dropped} dropped."
    )
    if report.brand is None:
        return overall
    return (
        f"{report.brand}: of its {report.brand_mentions} current mention(s), "
        f"{report.brand_kept} kept and {report.brand_dropped} dropped; "
        f"{report.added} other document(s) newly kept.\n{overall}"
    )


def _iso(moment: datetime | None) -> str | None:
    from veille.timeutil import isoformat_utc

    return isoformat_utc(moment)


def _print_table(report: TrialReport, timezone: str) -> None:
    from rich.table import Table

    from veille.cli.render import terminal_text as escape
    from veille.query_trial import VERDICTS

    out = console()
    with_brand = report.brand is not None
    for verdict in VERDICTS:
        entries = report.listed.get(verdict, [])
        if not entries:
            continue
        table = Table(title=_TITLES[with_brand, verdict], title_justify="left")
        table.add_column(f"date ({timezone})", no_wrap=True)
        table.add_column("site", overflow="ellipsis", no_wrap=True, max_width=24)
        table.add_column("title", overflow="ellipsis")
        if verdict != "dropped":
            table.add_column("matched", overflow="fold", max_width=30)
        for entry in entries:
            row = [
                short_time(_iso(entry.time), timezone),
                escape(entry.site or ""),
                escape(entry.title or entry.url or ""),
            ]
            if verdict != "dropped":
                row.append(escape(", ".join(entry.matched)))
            table.add_row(*row)
        out.print(table)  # type: ignore[attr-defined]
    case = " (case-sensitive)" if report.case_sensitive else ""
    out.print(escape(f"Query {report.query!r}{case}"))  # type: ignore[attr-defined]
    out.print(escape(_summary(report, timezone)))  # type: ignore[attr-defined]
