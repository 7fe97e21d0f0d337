"""``veille sources``: health of every source, a live check, and OPML in and out."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from veille.cli.app import App
from veille.cli.render import (
    console,
    format_option,
    progress_bar,
    short_time,
    terminal_text,
    without_source,
    write_records,
)

HEALTH_FIELDS = (
    "name", "kind", "brand", "active", "disabled", "last_ok_at", "last_error", "last_error_at",
    "consecutive_failures", "next_check_at", "documents",
)  # fmt: skip


@click.group(invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """Health of every source (default: list), live check, OPML import and export."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_sources)


@sources.command("list")
@format_option()
@click.pass_obj
def list_sources(app: App, output_format: str = "table") -> None:
    """Every source: last success, last error, consecutive failures, next check."""
    from rich.table import Table

    from veille.pipeline import sync_config
    from veille.timeutil import utcnow

    store = app.store()
    sync_config(app.settings, store)
    rows = store.source_health()
    if output_format != "table":
        write_records(rows, output_format, HEALTH_FIELDS, sys.stdout)
        return
    now = utcnow()
    table = Table()
    for column in ("source", "kind", "last ok", "failures", "next check", "last error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        name = f"{row['name']} ({row['brand']})" if row.get("brand") else str(row["name"])
        status = ""
        next_check = short_time(row["next_check_at"]) or "now"
        wait = row["server_wait_until"]
        if wait and datetime.fromisoformat(str(wait).replace("Z", "+00:00")) > now:
            # Not asked before then, even by `veille collect --all`, unless named.
            next_check += " (the server's wait)"
        if not row["active"]:
            status, next_check = " [not in config]", "—"
        elif row["disabled"]:
            # Checked again only when named: `veille collect --all --source NAME`.
            status, next_check = " [disabled]", "— (disabled)"
        table.add_row(
            terminal_text(name + status),
            str(row["kind"]),
            short_time(row["last_ok_at"]) or "never",
            str(row["consecutive_failures"] or 0),
            next_check,
            terminal_text(without_source(str(row["last_error"] or ""), str(row["name"]))),
        )
    out = console()
    out.print(table)  # type: ignore[attr-defined]
    failing = sum(1 for row in rows if row["consecutive_failures"])
    out.print(f"{len(rows)} source(s), {failing} failing.")  # type: ignore[attr-defined]


@sources.command()
@click.argument("names", nargs=-1)
@click.pass_obj
def check(app: App, names: tuple[str, ...]) -> None:
    """Fetch each source now (or the NAMES given) and report what it gives; stores nothing.

    A search source is tried with each brand's query, one row per brand."""
    import asyncio  # only commands that fetch pay for the event loop

    from rich.table import Table

    from veille.check import CheckResult, check_sources

    for name in names:
        app.settings.source(name)  # an unknown name is refused before the bar is drawn
    with progress_bar("checking", quiet=False, with_description=True) as progress:
        task = progress.add_task("", total=None)

        def advance(result: CheckResult, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=result.label)

        results = asyncio.run(check_sources(app.settings, names, progress=advance))
    table = Table()
    for column in ("source", "kind", "status", "items", "message"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(
            terminal_text(result.label),
            result.kind,
            "ok" if result.ok else "FAILED",
            str(result.items),
            terminal_text(without_source(result.message, result.source)),
        )
    out = console()
    out.print(table)  # type: ignore[attr-defined]
    failed = sum(1 for result in results if not result.ok)
    checked = len({result.source for result in results})
    rows = ""
    if len(results) > checked:
        rows = f" ({len(results)} rows: search sources once per brand)"
    out.print(f"{checked} source(s) checked{rows}, {failed} failed.")  # type: ignore[attr-defined]
    if failed:
        raise SystemExit(1)


@sources.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_opml(app: App, opml_file: Path) -> None:
    """Append the feeds of an OPML file to the configuration's sources."""
    from veille.opml import read_opml_outlines
    from veille.project import append_feeds

    config_path = app.settings.config_path
    assert config_path is not None  # settings read from a file always know it
    outlines = read_opml_outlines(opml_file)
    moved = _moved_feeds(app).values()
    result = append_feeds(config_path, outlines.feeds, read_at=moved)  # checked before written
    parts = [
        f"Added {len(result.added)} source(s) to {config_path}",
        f"{len(result.skipped)} already present",
    ]
    if result.repeated:
        parts.append(f"{len(result.repeated)} repeating an address given above in the file")
    if result.not_http:
        parts.append(
            f"{len(result.not_http)} left out, their address not http(s): "
            + ", ".join(result.not_http)
        )
    if outlines.without_address:
        parts.append(
            f"{len(outlines.without_address)} left out, without an address (xmlUrl): "
            + ", ".join(outlines.without_address)
        )
    click.echo("; ".join(parts) + ".")


@sources.command()
@click.pass_obj
def export(app: App) -> None:
    """Print the feed sources as an OPML document (``sources import`` reads it back); a feed
    that moved permanently (301/308) is given at its new address, the one veille reads, and an
    address written with a ``${NAME}`` reference keeps it."""
    from veille.opml import write_opml
    from veille.project import exported_feeds

    feeds = exported_feeds(app.settings, _moved_feeds(app))
    click.echo(write_opml(feeds), nl=False)


def _moved_feeds(app: App) -> dict[str, str]:
    """Where the feeds that moved permanently are read, by source name, as the database knows;
    nothing when there is none yet (nothing collected, nothing moved)."""
    from veille.errors import StoreError
    from veille.settings import new_sqlite_file

    settings = app.settings
    feeds = {s.name: s.options for s in settings.sources if isinstance(s.options.get("url"), str)}
    if not feeds or new_sqlite_file(settings.database_url):
        return {}
    try:
        return app.store().moved_feed_addresses(feeds)
    except StoreError as exc:
        click.echo(
            f"note: {exc.message}; where feeds that moved permanently are read is not known",
            err=True,
        )
        return {}
