"""``veille collect``: one listening pass with a progress bar and a summary table."""

from __future__ import annotations

from contextlib import ExitStack, nullcontext
from typing import TYPE_CHECKING

import click

from veille.cli.app import App
from veille.cli.render import console, progress_bar, terminal_text, without_source
from veille.cli.stopping import exit_stopped, sigterm_as_interrupt

if TYPE_CHECKING:
    from veille.pipeline import RunReport, SourceOutcome
    from veille.processing_pool import ProcessingPool

# Past this many sources, the summary lists only those with an error or a warning, and the
# MOST_NEW_LISTED with the most new mentions: a first pass over a thousand feeds would
# otherwise print a thousand rows (a third of a second to render, and no one reads them).
FULL_TABLE_SOURCES = 30
MOST_NEW_LISTED = 20
# Of the sources with an error or a warning, at most this many are listed (in name order): with
# the network down, every source fails alike, and `veille sources list` has each one's error.
MOST_TROUBLED_LISTED = 50
# Of the sources an --all pass left alone because their server asked to wait, at most this many
# are named.
MOST_HELD_BACK_LISTED = 10


@click.command()
@click.option("--brand", "brands", multiple=True, help="Search sources: only these brands.")
@click.option("--source", "sources", multiple=True, help="Only these sources (repeatable).")
@click.option(
    "--all",
    "include_not_due",
    is_flag=True,
    help="Every source now, due or not, but those a server asked to wait (a 429 or 503 with"
    " Retry-After, a rate limit) until the wait is over, and disabled ones; with --source, the"
    " sources named, whatever their state.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def collect(
    app: App, brands: tuple[str, ...], sources: tuple[str, ...], include_not_due: bool, quiet: bool
) -> None:
    """Collect every due source once and store the new mentions.

    Exits 0 when the pass ran, even if some sources failed (they are in the summary), and when
    another pass already running on the same SQLite database made this one skip; 130 when
    interrupted (Ctrl-C), 143 when stopped by SIGTERM, what was collected until then kept. Processes
    sharing a PostgreSQL database run together and split the due sources between them (each
    ``--all`` pass fetches every source it takes, not splitting them).
    """
    from veille.processing_pool import pool_for_new_sources
    from veille.settings import new_sqlite_file

    settings = app.settings
    for name in brands:
        settings.brand(name)
    for name in sources:
        settings.source(name)
    with ExitStack() as stopping:
        terminated = stopping.enter_context(sigterm_as_interrupt())
        # Workers for new sources start first: they load their models while the pass's modules
        # are imported. In a database not created yet no source was collected: they then start
        # before the store's modules are imported and its schema is created (a second or so).
        pool = None
        if new_sqlite_file(settings.database_url):
            pool = pool_for_new_sources(settings, None, sources)
            if pool is not None:
                stopping.enter_context(pool)
        try:
            report = _locked_pass(app, pool, stopping, brands, sources, include_not_due, quiet)
        except KeyboardInterrupt:
            exit_stopped(
                terminated,
                "the sources collected until now are saved; the others are due at the next pass.",
            )
    if report is None:
        return
    _print_summary(report, has_sources=bool(settings.sources), named=sources, brands=brands)
    if report.queries_changed:
        click.echo(queries_changed_note(sorted(report.queries_changed)), err=True)


def queries_changed_note(brands: list[str]) -> str:
    """The note on brands whose query changed since some of their stored mentions were found."""
    import shlex

    if len(brands) == 1:
        named, command = f"{brands[0]!r}'s query", f" --brand {shlex.quote(brands[0])}"
        whose = "its"
    else:
        named, command, whose = f"the queries of {', '.join(map(repr, brands))}", "", "their"
    return (
        f"note: {named} changed after some of {whose} stored mentions were found, which stay as "
        f"found: `veille query rematch{command} --dry-run` shows what matching them again "
        "would change."
    )


def _locked_pass(
    app: App,
    pool: ProcessingPool | None,
    stopping: ExitStack,
    brands: tuple[str, ...],
    sources: tuple[str, ...],
    include_not_due: bool,
    quiet: bool,
) -> RunReport | None:
    """The pass of ``collect`` under the database's collect lock (``pool``: workers started).

    None when another pass holds the lock. A pool this starts is stopped with ``stopping``.
    """
    from veille.locks import job_lock
    from veille.processing_pool import pool_for_new_sources

    settings = app.settings
    store = app.store(create=True)
    # SQLite has one writer at a time: a second pass skips. On PostgreSQL each pass claims the
    # due sources it collects (Store.claim_due), so passes run together and split them.
    shared = store.shares_work
    with nullcontext(True) if shared else job_lock(settings.database_url, "collect") as acquired:
        if not acquired:
            # The scheduler or another `veille collect` is passing over this database now.
            click.echo("Another collecting pass is running on this database; skipped.", err=True)
            return None
        if pool is None:
            pool = pool_for_new_sources(settings, store, sources)
            if pool is not None:
                stopping.enter_context(pool)
        with progress_bar("collecting", quiet=quiet, with_description=True) as progress:
            from veille.pipeline import run_once

            task = progress.add_task("", total=None)

            def advance(outcome: SourceOutcome, done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, description=outcome.source)

            return run_once(
                settings,
                store,
                sources=sources,
                brands=brands,
                include_not_due=include_not_due,
                progress=advance,
                pool=pool,
            )


def _not_due_text(named: tuple[str, ...], brands: tuple[str, ...]) -> str:
    """What to type to fetch now the sources named, none of which is due: not every source."""
    import shlex

    options = [
        *(f"--source {shlex.quote(name)}" for name in named),
        *(f"--brand {shlex.quote(name)}" for name in brands),
    ]
    them = "it" if len(named) == 1 else "them"
    return (
        f"Not due now: {', '.join(named)}. `veille collect --all {' '.join(options)}` fetches "
        f"{them} now, due or not (`veille sources list` shows when each is checked next)."
    )


def _print_summary(
    report: RunReport,
    *,
    has_sources: bool,
    named: tuple[str, ...] = (),
    brands: tuple[str, ...] = (),
) -> None:
    """The pass's table: the sources worth a look, and a line of totals (``named``, ``brands``:
    the sources and brands the pass was limited to)."""
    from rich.table import Table

    out = console()
    if not report.outcomes:
        if report.held_back:
            out.print(_held_back_note(report), markup=False)  # type: ignore[attr-defined]
        elif not has_sources:
            out.print(  # type: ignore[attr-defined]
                "No source is configured: add [[sources]] to the configuration, or"
                " `veille sources import FILE.opml`.",
                markup=False,
            )
        elif named:
            click.echo(_not_due_text(named, brands))  # unwrapped: a command to copy
        else:
            out.print(  # type: ignore[attr-defined]
                "No source is due. `veille collect --all` checks every source now, but those"
                " a server asked to wait.",
                markup=False,
            )
        return
    outcomes = sorted(report.outcomes, key=lambda o: (o.source, o.brand or ""))
    unlisted_new = unlisted_troubled = 0
    if len(outcomes) > FULL_TABLE_SOURCES:
        # A thousand rows of "not modified" would bury the few that matter.
        troubled = [o for o in outcomes if o.error or o.warning]
        troubled_ids = {id(o) for o in troubled}
        with_new = [o for o in outcomes if _all_new(o) and id(o) not in troubled_ids]
        most_new = sorted(with_new, key=lambda o: -_all_new(o))[:MOST_NEW_LISTED]
        listed = {id(o) for o in [*troubled[:MOST_TROUBLED_LISTED], *most_new]}
        unlisted_new = len(with_new) - len(most_new)
        unlisted_troubled = len(troubled) - min(len(troubled), MOST_TROUBLED_LISTED)
        outcomes = [o for o in outcomes if id(o) in listed]
    unlisted = len(report.outcomes) - len(outcomes) - unlisted_new - unlisted_troubled
    table = Table(title=f"Run {report.run_id}")
    for column, justify in (
        ("source", "left"),
        ("fetched", "right"),
        ("new mentions", "right"),
        ("not modified", "center"),
        ("error", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for outcome in outcomes:
        label = f"{outcome.source} ({outcome.brand})" if outcome.brand else outcome.source
        name = terminal_text(label)
        error = without_source(outcome.error, outcome.source) if outcome.error else ""
        if outcome.warning and not outcome.error:
            error = f"warning: {outcome.warning}"
        if outcome.disabled:
            error += " [source disabled]"
        table.add_row(
            name,
            "" if outcome.error else str(outcome.items),
            "" if outcome.error else _new_mentions_cell(outcome),
            "yes" if outcome.not_modified else "",
            terminal_text(error),
        )
    if outcomes:
        out.print(table)  # type: ignore[attr-defined]
    notes = [f"{report.new_mentions} new mention(s) from {len(report.outcomes)} source(s); "]
    notes.append(f"{report.failed} failed.")
    if unlisted_troubled:
        notes.append(
            f" {unlisted_troubled} more source(s) with an error or a warning are not listed"
            " (`veille sources list` gives each one's last error)."
        )
    if unlisted_new:
        notes.append(
            f" {unlisted_new} more source(s) with new mentions are not listed"
            " (`veille stats --by site` counts the mentions by site)."
        )
    if unlisted:
        notes.append(f" {unlisted} source(s) with nothing new and no error are not listed.")
    out.print("".join(notes))  # type: ignore[attr-defined]
    if report.held_back:
        out.print(_held_back_note(report), markup=False)  # type: ignore[attr-defined]


def _held_back_note(report: RunReport) -> str:
    """The sources an --all pass did not ask, as their server asked to wait, and until when."""
    from datetime import timedelta

    held = sorted(report.held_back.items(), key=lambda pair: (pair[0][0], pair[0][1] or ""))
    named = []
    for (source, brand), until in held[:MOST_HELD_BACK_LISTED]:
        label = f"{source} ({brand})" if brand else source
        # To the minute, rounded up: not before it is over.
        ends = (until + timedelta(seconds=59)).strftime("%Y-%m-%d %H:%M")
        named.append(f"{terminal_text(label)} until {ends} UTC")
    more = len(held) - len(named)
    if more:
        named.append(f"{more} more (`veille sources list` gives their next check)")
    return (
        f"{len(held)} source(s) not asked, their server having asked to wait: "
        + ", ".join(named)
        + ". `veille collect --all --source NAME` asks one all the same."
    )


def _all_new(outcome: SourceOutcome) -> int:
    """Every mention a source stored first in the pass, of its brand and of the others."""
    return outcome.new_mentions + outcome.new_mentions_other_brands


def _new_mentions_cell(outcome: SourceOutcome) -> str:
    """A row's new mentions: of the brand searched, then apart those of the other brands.

    A search's results are matched against every brand, so one brand's search may be the first
    to store another's mention: credited to the brand searched, it would seem to find what its
    own search does not.
    """
    cell = str(outcome.new_mentions)
    if outcome.new_mentions_other_brands:
        cell += f" (+{outcome.new_mentions_other_brands} for other brands)"
    return cell
