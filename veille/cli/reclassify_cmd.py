"""``veille reclassify``: re-score stored mentions after a classifier upgrade."""

from __future__ import annotations

from datetime import datetime

import click

from veille.cli.app import App
from veille.cli.render import count_range, moment_callback, progress_bar, time_zone_option
from veille.cli.stopping import exit_stopped, sigterm_as_interrupt


def _process_count(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> int | str | None:
    if value is None or value == "auto":
        return value
    # Here rather than at the top: the settings module (pydantic) would double `veille --help`.
    from veille.settings import MAX_PROCESSES

    if value.isdigit() and int(value) <= MAX_PROCESSES:
        return int(value)
    raise click.BadParameter(f'must be "auto" or a whole number from 0 to {MAX_PROCESSES}')


@click.command()
@click.option("--brand", "brands", multiple=True, help="Only this brand's mentions (repeatable).")
@click.option(
    "--since", callback=moment_callback(), help="Only mentions since: a look-back (7d) or a date."
)
@time_zone_option("The date of --since is a day of this IANA time zone (Europe/Paris).")
@click.option("--all", "everything", is_flag=True, help="Also those the current classifier scored.")
@click.option(
    "--batch-size",
    type=count_range(),
    default=500,
    show_default=True,
    help="Documents re-scored per transaction.",
)
@click.option(
    "--processes",
    callback=_process_count,
    metavar="N|auto",
    help="Worker processes that re-score (0: none) [default: [collect] processes].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def reclassify(
    app: App,
    brands: tuple[str, ...],
    since: datetime | None,
    timezone: str,
    everything: bool,
    batch_size: int,
    processes: int | str | None,
    quiet: bool,
) -> None:
    """Re-score the language and tone of stored mentions scored by another classifier version.

    Uses the classifier of a collecting pass (the languages of every configured brand). Works in
    transactions of --batch-size documents, so collecting can go on meanwhile; a run that stops
    leaves its finished batches done, and the next run goes on with the rest (stopped by Ctrl-C
    or SIGTERM, it says how many it re-scored and exits 130 or 143). Re-scores in worker
    processes as [collect] processes says ("auto": every CPU, at most 4, for 20,000 documents or
    more), unless --processes says otherwise.
    """
    from veille.process import brand_classifier
    from veille.reclassify import ReclassifyReport
    from veille.reclassify import reclassify as reclassify_documents

    names = app.brand_names(brands)
    classifier = brand_classifier(app.settings.brands)
    progress = progress_bar("re-scoring", quiet=quiet)
    report = ReclassifyReport()
    with sigterm_as_interrupt() as terminated:
        try:
            with progress:
                task = progress.add_task("", total=None)
                reclassify_documents(
                    app.store(),
                    classifier,
                    brands=names,
                    since=since,
                    everything=everything,
                    batch_size=batch_size,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                    brand_settings=app.settings.brands,
                    processes=app.settings.collect.processes if processes is None else processes,
                    report=report,
                )
        except KeyboardInterrupt:
            exit_stopped(
                terminated,
                f"{report.rescored} document(s) re-scored in {report.seconds:.1f}s are saved; "
                "run the command again to re-score the rest.",
            )
    changes = ", ".join(
        f"{before} → {after}: {count}"
        for (before, after), count in sorted(report.tone_changes.items())
    )
    tones = f"{report.tones_changed} changed tone" + (f" ({changes})" if changes else "")
    brand_tones = (
        f" {report.mention_tone_changes} mention(s) scored on their brand's sentences changed tone."
        if report.mention_tone_changes
        else ""
    )
    click.echo(
        f"{report.rescored} document(s) re-scored in {report.seconds:.1f}s; {tones}; "
        f"{report.lang_changes} changed language.{brand_tones}"
    )
