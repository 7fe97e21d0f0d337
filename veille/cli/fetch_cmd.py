"""``veille fetch``: try a collector once and print what it returns; nothing is stored."""

from __future__ import annotations

import sys

import click

from veille.cli.app import App
from veille.cli.render import json_text, languages_callback


@click.command()
@click.argument("kind")
@click.option("--query", required=True, help="A brand query, as in the configuration.")
@click.option(
    "--base-url",
    help="Another address for the service (self-hosted, tests); also where Bluesky and Reddit "
    "sign in, unless --option auth_url=… says otherwise.",
)
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="A collector option.")
@click.option(
    "--languages",
    default="fr,en",
    show_default=True,
    callback=languages_callback,
    help="Languages searched and detected, comma-separated.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["jsonl"]), default="jsonl", show_default=True
)
@click.pass_obj
def fetch(
    app: App,
    kind: str,
    query: str,
    base_url: str | None,
    options: tuple[str, ...],
    languages: tuple[str, ...],
    output_format: str,
) -> None:
    """Try collector KIND once: print every item it returned as a JSON line.

    Each item is normalised and classified, with whether the full local query keeps it
    ("kept") and the query terms it matched ("matched"; none for a query of scopes alone, such
    as site:lemonde.fr). Nothing is stored.
    """
    from veille.settings import HttpSettings, default_config_path
    from veille.trial import fetch_once, parse_option, trial_options

    validated = trial_options(kind, dict(parse_option(text) for text in options), base_url)
    configured = app.config_path is not None or default_config_path().is_file()
    http = app.settings.http if configured else HttpSettings()
    import asyncio  # only commands that fetch pay for the event loop

    trial = asyncio.run(fetch_once(kind, query, options=validated, http=http, languages=languages))
    records = trial.records
    for record in records:
        sys.stdout.write(json_text(record, sys.stdout) + "\n")
    kept = sum(1 for record in records if record["kept"])
    click.echo(f"{len(records)} item(s) returned, {kept} kept by the query.", err=True)
    if trial.warning:
        click.echo(f"warning: {trial.warning}", err=True)
    from veille.match.notes import operator_words_note

    note = operator_words_note(query)  # the query parsed: the collector was asked with it
    if note is not None:
        click.echo(f"note: {note}", err=True)
