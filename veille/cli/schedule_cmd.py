"""``veille schedule``: the long-running daemon (or, with ``--once``, one catch-up and exit)."""

from __future__ import annotations

import logging
import sys

import click

from veille.cli.app import App


@click.command()
@click.option(
    "--once",
    "--run-pending-and-exit",
    "once",
    is_flag=True,
    help="Run the jobs missed since their last due time (once each), then exit.",
)
@click.pass_obj
def schedule(app: App, once: bool) -> None:
    """Run collect, digest, alerts and prune (when set) on the cron schedules of [schedule].

    Jobs missed while the daemon was down run once at start. The configuration file is read
    again before a job when it changed (while it is invalid, collect waits). SIGTERM or Ctrl-C
    stops it after the running job finishes (a second one stops it at once). Log lines go to
    standard error.
    Exits 1 with --once when a job ended in an error, or its e-mail could not be sent.
    """
    from veille.schedule import Daemon, configure_logging, stop_on_signals

    verbose = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    configure_logging(sys.stderr, level=logging.DEBUG if verbose else logging.INFO)
    settings = app.settings
    daemon = Daemon(settings, app.store(create=True), stopping=stop_on_signals())
    zone = settings.schedule.timezone
    for item in daemon.plans():
        when = (
            item.spec.local(item.next_run).strftime("%Y-%m-%d %H:%M %Z")
            if item.next_run
            else "never"
        )
        catch_up = ", missed: runs now" if item.catch_up else ""
        click.echo(f"{item.spec.name:<8} {item.spec.cron:<16} next run {when} ({zone}){catch_up}")
    for name, note in daemon.notes.items():
        if name not in daemon.jobs:
            click.echo(f"{name:<8} {note}")
    sys.stdout.flush()
    if once:
        results = daemon.run_pending()
        # As each job's own command: an error, or e-mail not sent (digest, alerts), exits 1; a
        # pass whose sources all failed still ran, as `veille collect` says.
        if any(
            result.status == "error" or (result.status == "failed" and result.job != "collect")
            for result in results
        ):
            raise SystemExit(1)
        return
    daemon.serve()
