"""``veille alerts``: run one spike-alert check (or preview it)."""

from __future__ import annotations

from pathlib import Path

import click

from veille.cli.app import App

DEFAULT_PREVIEW_DIR = "alerts-preview"


@click.command()
@click.option(
    "--dry-run", is_flag=True, help="Write the e-mail and an HTML preview; record and send nothing."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Folder of the --dry-run files [default: ./{DEFAULT_PREVIEW_DIR}].",
)
@click.pass_obj
def alerts(app: App, dry_run: bool, out: Path | None) -> None:
    """Check every brand for a spike of mentions (or of negative ones), e-mail the new ones.

    Safe to run from cron, hourly: a surge alerts once per cooldown, and an alert the mail server
    did not accept is sent again by the next check. Exits 1 when the e-mail could not be sent.
    """
    from veille.alerts import check_alerts
    from veille.alerts.wording import headline
    from veille.locks import job_lock

    if out is not None and not dry_run:
        raise click.UsageError("--out only goes with --dry-run")
    settings = app.settings
    store = app.store()
    if dry_run:
        report = check_alerts(settings, store, dry_run_dir=out or Path(DEFAULT_PREVIEW_DIR))
    else:
        with job_lock(settings.database_url, "alerts") as acquired:
            if not acquired:
                click.echo("another veille process is checking alerts; nothing done")
                return
            report = check_alerts(settings, store)
    if not report.alerts and not report.spikes:
        click.echo("no spike")
    for record in report.alerts:
        late = record.fired_at < report.checked_at
        click.echo(headline(record, "en") + (" — detected earlier, not sent yet" if late else ""))
    if report.status == "dry-run" and report.files:
        click.echo(f"preview written to {' and '.join(map(str, report.files))} (nothing sent)")
    elif report.status == "recorded":
        click.echo("no recipient in [alerts] to: recorded, not sent")
    elif report.status == "sent":
        recipients = len(settings.alerts.to)
        line = f"alert e-mail sent to {recipients} recipient(s)"
        click.echo(line + (f"; warning: {report.error}" if report.error else ""))
    elif report.status == "failed":
        click.echo(f"alert e-mail NOT sent: {report.error}")
        if report.hint:
            click.echo(f"  Hint: {report.hint}")
        raise SystemExit(1)
