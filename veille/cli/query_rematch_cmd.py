"""``veille query rematch``: the stored mentions brought in line with the configured queries."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from veille.cli.app import App
from veille.cli.render import (
    count_range,
    json_text,
    moment_callback,
    progress_bar,
    short_time,
    time_zone_option,
)
from veille.cli.stopping import exit_stopped, sigterm_as_interrupt

if TYPE_CHECKING:
    from veille.rematch import RematchReport


@click.command("rematch")
@click.option("--brand", "brands", multiple=True, help="Only this brand (repeatable).")
@click.option(
    "--since",
    callback=moment_callback(),
    help="Only documents since: a look-back (30d) or a date [default: all].",
)
@time_zone_option("The date of --since is a day of this IANA time zone (Europe/Paris).")
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
@click.option(
    "--batch-size",
    type=count_range(),
    default=1000,
    show_default=True,
    help="Documents matched per transaction.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.pass_obj
def query_rematch(
    app: App,
    brands: tuple[str, ...],
    since: datetime | None,
    timezone: str,
    dry_run: bool,
    batch_size: int,
    quiet: bool,
    output_format: str,
) -> None:
    """Make the stored mentions what the configured brand queries find now.

    Matches the stored documents again with each configured brand's query (--brand: those).

    A brand's mentions are found when items are collected and stay as found: after its query
    changed, the mentions it no longer keeps are removed here, those it keeps take the terms it
    finds now, and the stored documents it now keeps get a mention (the next digest sends them).
    This is what `veille query test --brand NAME` with the configured query shows. Documents
    are kept. Works in transactions of --batch-size documents; stopped by Ctrl-C or SIGTERM, it
    says what it saved and exits 130 or 143, and running it again finishes the work.
    """
    from veille.rematch import RematchReport, rematch

    settings = app.settings
    names = [settings.brand(name).name for name in brands]
    report = RematchReport(dry_run, since)
    progress = progress_bar("matching", quiet=quiet)
    with sigterm_as_interrupt() as terminated:
        try:
            with progress:
                task = progress.add_task("", total=None)
                rematch(
                    settings,
                    app.store(),
                    brands=names,
                    since=since,
                    dry_run=dry_run,
                    batch_size=batch_size,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                    report=report,
                )
        except KeyboardInterrupt:
            exit_stopped(
                terminated,
                f"{_saved(report)} are saved ({report.documents} document(s) matched); run the "
                "command again to match the rest.",
            )
    if output_format == "json":
        sys.stdout.write(json_text(_record(report), sys.stdout, indent=2))
        sys.stdout.write("\n")
        return
    for line in _lines(report, timezone):
        click.echo(line)


def _saved(report: RematchReport) -> str:
    return (
        f"{report.removed} mention(s) removed, {report.retermed} rewritten and {report.added} added"
    )


def _lines(report: RematchReport, timezone: str) -> list[str]:
    """One line per brand, as `query test --brand` counts, then what was written."""
    lines = []
    for name, trial in report.trials.items():
        rewritten = report.rewritten[name]
        terms = f" ({rewritten} of them with other terms or tone)" if rewritten else ""
        lines.append(
            f"{name}: of its {trial.brand_mentions} current mention(s), {trial.brand_kept} "
            f"kept{terms} and {trial.brand_dropped} dropped; {trial.added} other document(s) "
            "newly kept."
        )
    period = ""
    if report.since is not None:
        from veille.timeutil import isoformat_utc

        period = f" since {short_time(isoformat_utc(report.since), timezone)} ({timezone})"
    matched = f"{report.documents} document(s){period} matched in {report.seconds:.1f}s"
    if report.dry_run:
        tail = (
            "nothing written (--dry-run)."
            if report.changes
            else "the stored mentions are what the queries find."
        )
        lines.append(f"{matched}; {tail}")
    else:
        lines.append(f"{matched}; {_saved(report)}.")
    return lines


def _record(report: RematchReport) -> dict[str, object]:
    from veille.timeutil import isoformat_utc

    return {
        "dry_run": report.dry_run,
        "since": isoformat_utc(report.since),
        "documents": report.documents,
        "seconds": round(report.seconds, 3),
        "brands": [
            {
                "brand": name,
                "query": trial.query,
                "case_sensitive": trial.case_sensitive,
                "mentions": {
                    "total": trial.brand_mentions,
                    "kept": trial.brand_kept,
                    "dropped": trial.brand_dropped,
                },
                "added": trial.added,
                "rewritten": report.rewritten[name],
            }
            for name, trial in report.trials.items()
        ],
        "saved": {"removed": report.removed, "rewritten": report.retermed, "added": report.added},
    }
