"""``veille init`` and ``veille db``."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from veille.cli.app import App


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to set up (the config goes in DIR/config/veille.toml).",
)
@click.option("--brand", "brands", multiple=True, help="A brand to listen for (repeatable).")
@click.option(
    "--opml",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Make exactly the feeds of this OPML file the sources.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
@click.pass_context
def init(
    ctx: click.Context, directory: Path, brands: tuple[str, ...], opml: Path | None, force: bool
) -> None:
    """Write a working, annotated configuration and create the database.

    The configuration goes where the other commands will look for it: to --config when given
    (not with --dir), else to $VEILLE_CONFIG when set and --dir is not given, else to
    DIR/config/veille.toml. The database goes beside it.
    """
    import os

    from veille.brand_warnings import brand_name_warnings
    from veille.normalize.text import name_key
    from veille.project import add_brands_hint, init_config
    from veille.settings import load_settings
    from veille.store import Store, mask_url

    app: App = ctx.obj
    dir_given = ctx.get_parameter_source("directory") is not click.core.ParameterSource.DEFAULT
    if app.config_path is not None and dir_given:
        raise click.UsageError("--dir and --config both say where to write: give one")
    from_environment = os.environ.get("VEILLE_CONFIG")
    chosen = app.config_path
    if chosen is None and from_environment and not dir_given:
        chosen = Path(from_environment)
    result = init_config(directory, brands=brands, opml=opml, force=force, config_path=chosen)
    for name in brands:
        for warning in brand_name_warnings(name):
            click.echo(f"Warning: --brand {warning}", err=True)
    if result.written:
        click.echo(
            f"Wrote {result.config_path} ({len(brands)} brand(s), {result.sources} source(s))."
        )
        if result.not_http:
            click.echo(
                f"Left out {len(result.not_http)} feed(s) of the OPML file, their address not"
                f" http(s): {', '.join(result.not_http)}"
            )
    else:
        click.echo(f"{result.config_path} already exists; kept it (--force overwrites it).")
        configured = {name_key(brand.name) for brand in load_settings(result.config_path).brands}
        present = [name for name in brands if name_key(name) in configured]
        missing = [name for name in brands if name_key(name) not in configured]
        if present:
            click.echo(f"Left out, already among its brands: {', '.join(present)}.")
        if missing:
            click.echo("To add the brands, append this to it:\n\n" + add_brands_hint(missing))
        if opml is not None:  # its feeds are not added to a file kept as it is
            click.echo(
                "To add the feeds of the OPML file to its sources, run "
                f"`{_command(result.config_path)} sources import {shlex.quote(str(opml))}`."
            )
    if from_environment and Path(from_environment) != result.config_path:
        click.echo(
            f"Note: VEILLE_CONFIG names {from_environment}; the other commands read that file "
            f"unless given --config {result.config_path}.",
            err=True,
        )
    settings = load_settings(result.config_path)
    store = Store.open(settings.database_url)
    try:
        revision = store.upgrade()
    finally:
        store.close()
    click.echo(f"Database ready at {mask_url(settings.database_url)} (revision {revision}).")
    veille = _command(result.config_path)
    if not settings.brands:
        click.echo(f"Next: declare a brand in the [[brands]] section, then run `{veille} collect`.")
    else:
        click.echo(f"Next: `{veille} collect`, then `{veille} mentions`.")


def _command(config_path: Path) -> str:
    """``veille`` as it finds this configuration from here: with --config when it would not."""
    from veille.settings import default_config_path

    if default_config_path().resolve() == config_path.resolve():
        return "veille"
    return f"veille --config {shlex.quote(str(config_path))}"


@click.group()
def db() -> None:
    """Database schema: upgrade to the latest revision, or show the current one."""


@db.command()
@click.option(
    "--beside-other-tables",
    is_flag=True,
    help="Write veille's tables into a database that holds other tables (by default refused).",
)
@click.pass_obj
def upgrade(app: App, beside_other_tables: bool) -> None:
    """Bring the database to the latest schema revision.

    A database without veille's tables is given them only when it holds no table at all, or
    with --beside-other-tables: one holding other tables is most likely a wrong URL.
    """
    from veille.store import Store, mask_url
    from veille.store.db import is_known_revision

    url = mask_url(app.settings.database_url)
    store = Store.open(app.settings.database_url, upgrade_empty=False)
    head = "head"
    found: list[str | None] = []

    def starting(before: str | None) -> None:
        # Read under the migration lock: a process that upgraded meanwhile has finished.
        found.append(before)
        if before != head and (before is None or is_known_revision(before)):
            # Some revisions read every stored document (0011: about 15-30 s a million;
            # 0013: about 20-50 s a million).
            click.echo(f"Upgrading {url} from {before or 'empty'} to {head}…", err=True)

    try:
        head = store.head_revision()
        # A revision this veille does not know is refused by the upgrade, with the reason.
        after = store.upgrade(starting=starting, beside_other_tables=beside_other_tables)
    finally:
        store.close()
    before = found[0] if found else after
    if before == after:
        click.echo(f"{url} is already at the latest revision ({after}).")
    else:
        click.echo(f"Upgraded {url} from {before or 'empty'} to {after}.")


@db.command()
@click.pass_obj
def current(app: App) -> None:
    """Show the database's schema revision and whether it is the latest."""
    from veille.settings import new_sqlite_file
    from veille.store import Store, mask_url
    from veille.store.db import is_known_revision
    from veille.store.revisions import is_later_revision, some_of

    url = app.settings.database_url
    if new_sqlite_file(url):  # not created by asking
        click.echo(f"{mask_url(url)}: no database yet (`veille db upgrade` creates it)")
        return
    store = Store.open(url, upgrade_empty=False)
    try:
        revision, head = store.current_revision(), store.head_revision()
        others = store.other_tables() if revision is None else []
    finally:
        store.close()
    if others:
        click.echo(
            f"{mask_url(url)}: no veille schema, but other tables ({some_of(others)}): check "
            "the database URL (`veille db upgrade --beside-other-tables` would put veille's "
            "beside them)"
        )
        return
    if revision == head:
        state = "latest"
    elif revision is not None and not is_known_revision(revision):
        if is_later_revision(revision, head):
            state = f"newer than this veille, whose latest is {head}: upgrade veille"
        else:
            state = f"no revision of veille's, whose latest is {head}: check the database URL"
    else:
        state = f"behind; latest is {head}, run `veille db upgrade`"
    click.echo(f"{mask_url(url)}: {revision or 'empty'} ({state})")
