"""What every command shares: the configuration path, the settings and the store, opened lazily."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from veille.cli import _startup
from veille.errors import (
    ConfigError,
    FilterError,
    QueryError,
    StoreError,
    VeilleError,
    unknown_name_text,
)

if TYPE_CHECKING:
    from veille.settings import Settings
    from veille.store import Store


class App:
    """Lazily loaded settings and store for one command invocation."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._settings: Settings | None = None
        self._store: Store | None = None

    @property
    def settings(self) -> Settings:
        """The validated configuration (read on first use); what its brand queries read
        otherwise than meant is told on stderr then, once."""
        if self._settings is None:
            from veille.settings import load_settings, query_warnings

            self._settings = load_settings(self.config_path)
            for warning in query_warnings(self._settings):
                click.echo(f"warning: {warning}", err=True)
        return self._settings

    def store(self, *, create: bool = False) -> Store:
        """The mention database named by the configuration (opened on first use).

        Only commands that fill it (``create``: collect, schedule) create a SQLite file that is
        not there: a query command pointed at a wrong path would otherwise show an empty
        database, as if everything had been lost.
        """
        if self._store is None:
            from veille.settings import new_sqlite_file, sqlite_path

            url = self.settings.database_url
            if not create and new_sqlite_file(url):
                raise StoreError(
                    f"there is no database at {sqlite_path(url)}: nothing was collected there",
                    hint="`veille collect` creates it; if it is elsewhere, check [database] url "
                    "in the configuration and VEILLE_DATABASE_URL",
                )
            from veille.store import Store

            # Another application's SQLite file, an empty one, or a PostgreSQL database whose
            # name is mistyped gets no tables from a query; only SQLite in memory does.
            in_memory = url.startswith("sqlite") and sqlite_path(url) is None
            self._store = Store.open(url, create_schema=create or in_memory)
            _startup.loaded()
        return self._store

    def close(self) -> None:
        """Release the database connection."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def brand_names(self, requested: tuple[str, ...]) -> tuple[str, ...]:
        """Requested brand names spelled as stored; an unknown one is a usage error."""
        if not requested:
            return ()
        from veille.normalize.text import name_key

        names = [brand.name for brand in self.settings.brands]
        configured = {name_key(name) for name in names}
        if any(name_key(name) not in configured for name in requested):
            # A brand no longer configured still names its stored mentions.
            with contextlib.suppress(StoreError):  # no database: only configured brands
                names = [*self.store().brand_names(), *names]
        known = {name.casefold(): name for name in names}
        # "Societe Generale" names « Société Générale », as brand queries ignore accents.
        by_key = {name_key(name): name for name in names}
        resolved = []
        for name in requested:
            found = known.get(name.casefold()) or by_key.get(name_key(name))
            if found is None:
                message = unknown_name_text("brand", name, known.values(), none="none declared")
                raise click.BadParameter(message, param_hint="'--brand'")
            resolved.append(found)
        return tuple(resolved)


class CliError(click.ClickException):
    """A VeilleError shown as a clean message; bad configuration and input exit with 2."""

    def __init__(self, error: VeilleError) -> None:
        super().__init__(error.message)
        self.hint = error.hint
        usage = isinstance(error, ConfigError | QueryError | FilterError)
        self.exit_code = 2 if usage else 1  # type: ignore[misc]

    def format_message(self) -> str:
        """The message, and the hint on its own line."""
        return f"{self.message}\nHint: {self.hint}" if self.hint else self.message


class VeilleGroup(click.Group):
    """A click group that turns domain errors into clean messages at the edge."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; a VeilleError becomes a message and an exit status."""
        try:
            return super().invoke(ctx)
        except VeilleError as error:
            raise CliError(error) from None
