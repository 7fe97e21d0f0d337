"""``veille digest``: send the emailed digests of new mentions (or preview them)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from veille.cli.app import App
from veille.cli.render import moment_callback, time_zone_option

DEFAULT_PREVIEW_DIR = "digest-preview"


def _addresses(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    for address in value:
        if "@" not in address or any(ch.isspace() for ch in address) or "," in address:
            raise click.BadParameter(f"expected one e-mail address, got {address!r}")
    return value


@click.command()
@click.option("--name", "names", multiple=True, help="Only this configured digest (repeatable).")
@click.option("--brand", "brands", multiple=True, help="Only these brands (repeatable).")
@click.option(
    "--since", callback=moment_callback(), help="Only mentions since: a look-back (7d) or a date."
)
@time_zone_option("The date of --since is a day of this IANA time zone (Europe/Paris).")
@click.option(
    "--to",
    "to",
    multiple=True,
    callback=_addresses,
    help="Send to this address instead of the configured recipients (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Write the e-mail and an HTML preview; send nothing.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Folder of the --dry-run files [default: ./{DEFAULT_PREVIEW_DIR}].",
)
@click.pass_obj
def digest(
    app: App,
    names: tuple[str, ...],
    brands: tuple[str, ...],
    since: datetime | None,
    timezone: str,
    to: tuple[str, ...],
    dry_run: bool,
    out: Path | None,
) -> None:
    """Send each digest: the mentions new since its last accepted send, negative first.

    Safe to run from cron: a digest is sent once, and its mentions move on only once the mail
    server accepted it. Exits 1 when every digest failed, 2 on a configuration error.
    """
    from veille.digest import send_digests
    from veille.digest.send import plan_digests

    if out is not None and not dry_run:
        raise click.UsageError("--out only goes with --dry-run")
    settings = app.settings
    plan_digests(settings, only=names, to=to)  # what is asked is checked before the database
    chosen_brands = app.brand_names(brands)
    report = send_digests(
        settings,
        app.store(),
        only=names,
        to=to,
        dry_run_dir=(out or Path(DEFAULT_PREVIEW_DIR)) if dry_run else None,
        brands=chosen_brands,
        since=since,
    )
    for outcome in report.outcomes:
        count = f"{outcome.mentions} mention(s)"
        if outcome.status == "sent":
            total = len(outcome.recipients)
            sent_to = f"{total - len(outcome.refused)} of {total}" if outcome.refused else total
            line = f"{outcome.name}: sent to {sent_to} recipient(s), {count}"
            if outcome.error:
                line += f"; warning: {outcome.error}"
        elif outcome.status == "dry-run":
            files = " and ".join(str(path) for path in outcome.files)
            line = f"{outcome.name}: preview written to {files} ({count}, nothing sent)"
        elif outcome.status == "failed":
            line = f"{outcome.name}: FAILED: {outcome.error}"
            if outcome.hint:
                line += f"\n  Hint: {outcome.hint}"
        else:
            line = f"{outcome.name}: {outcome.error or 'skipped'}"
        click.echo(line)
    if report.all_failed:
        raise SystemExit(1)
