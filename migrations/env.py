"""Alembic environment for veille, used both by the `alembic` command and from code.

From code (``veille.store.db``), the caller passes an open connection, already inside a
transaction, through ``config.attributes["connection"]``. From the command line, the URL comes
from ``-x url=…``, else ``VEILLE_DATABASE_URL``, else ``sqlalchemy.url`` in alembic.ini.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, DateTime

from veille.errors import StoreError
from veille.store.db import create_store_engine, migration_connection
from veille.store.schema import UtcDateTime, metadata
from veille.store.search import is_search_object

config = context.config

# Only the command line configures logging: from code, the application owns it.
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """Return the database URL for command-line use."""
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("VEILLE_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise StoreError(
            "no database URL for the migrations",
            hint="set VEILLE_DATABASE_URL or pass -x url=sqlite:///path/to/veille.db",
        )
    return url


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render veille's own column types as plain SQLAlchemy ones in migration scripts."""
    # A migration must keep meaning what it meant when written, so it must not import veille.
    if kind == "type" and isinstance(item, UtcDateTime):
        return repr(DateTime(timezone=True)).replace("DateTime", "sa.DateTime", 1)
    return False


def include_object(
    item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out of autogenerate the full-text search objects (migration 0005, not models)."""
    table = getattr(item, "table", None)
    return not is_search_object(name, type_, getattr(table, "name", None))


def run_migrations(connection: Connection) -> None:
    """Run the migrations on a connection that is already inside a transaction."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit the migration SQL as text (``alembic upgrade head --sql``)."""
    url = database_url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations against a live database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = create_store_engine(database_url())
    try:
        with migration_connection(engine) as own_connection:
            run_migrations(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
