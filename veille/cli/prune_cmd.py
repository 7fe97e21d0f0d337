"""``veille prune``: remove old mentions, the documents they leave behind and old run records."""

from __future__ import annotations

from datetime import timedelta

import click

from veille.cli.app import App
from veille.cli.render import count_range

MINIMUM_AGE = timedelta(days=1)


def _age(ctx: click.Context, param: click.Parameter, value: str) -> timedelta:
    from veille.timeutil import parse_duration

    try:
        age = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if age < MINIMUM_AGE:
        raise click.BadParameter(
            f"{value!r} is less than a day; prune keeps at least the last day of mentions "
            "(write 365d for a year)"
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
    meanwhile.
    """
    from veille.store.schema import utcnow
    from veille.timeutil import format_duration

    cut = utcnow() - age

    def progress(table: str, removed: int, total: int) -> None:
        click.echo(f"{table}: removed {removed} (total {total})", err=True)

    report = app.store().prune(cut, dry_run=dry_run, batch_size=batch_size, progress=progress)
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"older than {format_duration(age)} ({cut:%Y-%m-%d %H:%M} UTC): {verb} "
        f"{report.mentions} mention(s), {report.documents} document(s), {report.runs} run(s)"
        + (" (dry run, nothing deleted)" if dry_run else "")
    )
