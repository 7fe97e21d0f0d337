"""``veille prune``: remove old mentions, the documents they leave behind and old run records."""

from __future__ import annotations

from datetime import timedelta

import click

from veille.cli.app import App
from veille.cli.render import count_range
from veille.cli.stopping import exit_stopped, sigterm_as_interrupt
from veille.timeutil import MINIMUM_RETENTION as MINIMUM_AGE


def _spelled(age: timedelta) -> str:
    """A duration under a day in words: 365 seconds, 12 minutes, 3 hours."""
    seconds = int(age.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _age(ctx: click.Context, param: click.Parameter, value: str) -> timedelta:
    from veille.timeutil import parse_duration

    try:
        age = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if age < MINIMUM_AGE:
        # A number alone counts seconds and m minutes, as everywhere in veille: "365" or "12m"
        # meant days or months here.
        raise click.BadParameter(
            f"{value!r} is {_spelled(age)}, less than a day (a number alone counts "
            "seconds, m minutes); prune keeps at least the last day of mentions: write 365d "
            "or 52w for a year"
        )
    return age


@click.command()
@click.option(
    "--older-than",
    "age",
    required=True,
    callback=_age,
    help="Remove what is older than this (365d, 52w); at least 1d.",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@click.option(
    "--batch-size",
    type=count_range(),
    default=1000,
    show_default=True,
    help="Rows deleted per transaction.",
)
@click.pass_obj
def prune(app: App, age: timedelta, dry_run: bool, batch_size: int) -> None:
    """Remove mentions and collection runs older than a duration, and documents left orphaned.

    A mention's time is its publication time, else when veille first saw it. A document named
    by a recent mention is kept, and so is the mention stored last, whatever its date (digests
    count from it). Deletes in short transactions of --batch-size rows, so collecting can go on
    meanwhile; stopped by Ctrl-C or SIGTERM, it finishes the batch in hand, says what it removed
    and exits 130 or 143.
    """
    from veille.store.schema import utcnow
    from veille.timeutil import format_duration

    cut = utcnow() - age
    removed_from = {"mentions": 0, "documents": 0, "runs": 0}

    def progress(table: str, removed: int, total: int) -> None:
        removed_from[table] = total
        click.echo(f"{table}: removed {removed} (total {total})", err=True)

    with sigterm_as_interrupt() as terminated:
        try:
            report = app.store().prune(
                cut, dry_run=dry_run, batch_size=batch_size, progress=progress
            )
        except KeyboardInterrupt:
            exit_stopped(
                terminated,
                "nothing deleted (dry run)."
                if dry_run
                else f"removed {removed_from['mentions']} mention(s), "
                f"{removed_from['documents']} document(s), {removed_from['runs']} run(s); "
                "run the command again to remove the rest.",
            )
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"older than {format_duration(age)} ({cut:%Y-%m-%d %H:%M} UTC): {verb} "
        f"{report.mentions} mention(s), {report.documents} document(s), {report.runs} run(s)"
        + (" (dry run, nothing deleted)" if dry_run else "")
    )
