"""The ``veille`` command line: parses options, calls the library, renders the results."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import click

from veille import __version__
from veille.cli import _startup
from veille.cli.app import App, VeilleGroup
from veille.redaction import install_log_redaction


@click.group(cls=VeilleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Configuration file [default: $VEILLE_CONFIG or ./config/veille.toml].",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="veille")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """veille — listen to what is said about your brands, where, and in what tone."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    app = App(config_path)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _register() -> None:
    from veille.cli import (
        alerts_cmd,
        classify_cmd,
        collect_cmd,
        digest_cmd,
        fetch_cmd,
        prune_cmd,
        query_cmd,
        query_rematch_cmd,
        query_test_cmd,
        reclassify_cmd,
        schedule_cmd,
        serve_cmd,
        setup_cmd,
        sources_cmd,
    )

    for command in (
        setup_cmd.init,
        collect_cmd.collect,
        query_cmd.mentions,
        query_cmd.stats,
        sources_cmd.sources,
        classify_cmd.classify,
        fetch_cmd.fetch,
        digest_cmd.digest,
        alerts_cmd.alerts,
        setup_cmd.db,
        schedule_cmd.schedule,
        prune_cmd.prune,
        query_test_cmd.query,
        reclassify_cmd.reclassify,
        serve_cmd.serve,
    ):
        cli.add_command(command)
    query_test_cmd.query.add_command(query_rematch_cmd.query_rematch)


_register()


def main() -> None:
    """Entry point of the ``veille`` console script."""
    _startup.begin()
    _replace_what_the_output_cannot_hold()
    try:
        cli(prog_name="veille")
    finally:
        _startup.exiting()


def _replace_what_the_output_cannot_hold() -> None:
    """On a terminal or pipe that is not UTF-8 (PYTHONIOENCODING=latin-1), write "?" for
    the characters it has none for (’, «, emoji) rather than fail half-way through a table.
    JSON output escapes them instead (render.writes_unicode)."""
    from veille.cli.render import writes_unicode

    stdout = sys.stdout
    if (
        isinstance(stdout, io.TextIOWrapper)
        and stdout.errors == "strict"
        and not writes_unicode(stdout)
    ):
        stdout.reconfigure(errors="replace")
