"""Engines, connection settings and schema migrations (Alembic, driven from code)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_to_bytes

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

import veille
from veille.errors import StoreError, StoreUnavailableError
from veille.redaction import MASK
from veille.store.folding import SQLITE_FUNCTION, fold
from veille.store.revisions import head_of, recorded_revision, script_revisions
from veille.store.schema import add_postgresql_options, metadata

if TYPE_CHECKING:
    from alembic.config import Config

UPGRADE_HINT = "run `veille db upgrade`"
# Any fixed 64-bit number: serialises concurrent upgrades of one PostgreSQL database.
_MIGRATION_LOCK_KEY = 0x7665696C6C65


def mask_url(url: str | URL) -> str:
    """Render a database URL with its password hidden, as written: a SQLite file's path as the
    file system spells it (« /srv/Veille Société/veille.db », not « Soci%C3%A9t%C3%A9 »), and
    the accented letters and spaces of other URLs unquoted."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<unparseable database URL>"
    if parsed.host and "@" in parsed.host:
        # A password's unencoded "@" ends it early: the rest was read as the host, and is hidden.
        parsed = parsed.set(password=MASK, host=parsed.host.rpartition("@")[2])
    rendered = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        query = rendered.partition("?")[2]
        return f"{parsed.drivername}:///{parsed.database}" + (f"?{query}" if query else "")
    return _READABLE_ESCAPES.sub(_unquoted_if_readable, rendered)


# Runs of percent escapes: those of letters beyond ASCII and spaces are shown as characters;
# the others (":", "@", "/", "%"…) stay escaped, as they tell the URL's parts apart.
_READABLE_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _unquoted_if_readable(escapes: re.Match[str]) -> str:
    try:
        text = unquote_to_bytes(escapes.group()).decode("utf-8")
    except UnicodeDecodeError:
        return escapes.group()
    return "".join(
        char if char == " " or not char.isascii() else quote(char, safe="") for char in text
    )


def migrations_dir() -> Path:
    """Return the Alembic script folder: shipped inside the wheel, or at the checkout root."""
    package_dir = Path(veille.__file__).resolve().parent
    for candidate in (package_dir / "_migrations", package_dir.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise StoreError(
        f"the database migrations are missing (looked in {package_dir / '_migrations'} "
        f"and {package_dir.parent / 'migrations'})",
        hint="reinstall veille",
    )


def alembic_config(connection: Connection | None = None) -> Config:
    """Build an Alembic configuration in code (no ini file), bound to ``connection`` if given."""
    from alembic.config import Config  # Alembic is only needed to migrate

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the revision the code expects the database to be at."""
    revisions = script_revisions(migrations_dir() / "versions")
    if not revisions:
        raise StoreError("the migrations folder holds no revision", hint="reinstall veille")
    return head_of(revisions)


def current_revision(connection: Connection) -> str | None:
    """Return the revision recorded in the database, or None when it has none."""
    return recorded_revision(connection)


def is_known_revision(revision: str) -> bool:
    """Tell whether a revision exists in this version's migrations."""
    return revision in script_revisions(migrations_dir() / "versions")


def _unicode_lower(value: str | None) -> str | None:
    """Lower-case like Python does (SQLite's own lower() only knows ASCII)."""
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    """WAL, enforced foreign keys, a 30 s busy timeout and real transactions on every connection.

    synchronous=NORMAL, as SQLite advises for WAL: a commit no longer waits for the disk, only
    checkpoints do. The file stays consistent whatever happens; a power cut may take back the
    last passes' commits, each with the source state it wrote, so the next pass fetches those
    items again. A pass commits once per source: waiting for the disk each time costs a tenth of
    a second per thousand sources on a fast disk, seconds on a slow one.
    """
    pragmas: tuple[str, ...] = (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
    )
    if read_only:
        # A read-only file cannot switch its journal mode; query_only also guards `file:` URLs.
        pragmas = ("query_only=ON", "foreign_keys=ON", "busy_timeout=30000")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # The driver's implicit transaction handling skips DDL and SELECTs; take it over so that
        # migrations are atomic and reads inside a transaction see one snapshot.
        dbapi_connection.isolation_level = None
        for pragma in pragmas:
            dbapi_connection.execute(f"PRAGMA {pragma}")
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        dbapi_connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the lock up front: a deferred transaction that reads, then writes, fails
        # at once (without waiting for the busy timeout) when another writer got in between.
        writes = connection.get_execution_options().get("veille_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _read_only_sqlite(database: str) -> Callable[[], sqlite3.Connection]:
    """Connect to a SQLite file read-only (``mode=ro``): it must exist, nothing is written."""
    uri = Path(database).expanduser().resolve().as_uri() + "?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)

    return connect


def create_store_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL, with veille's connection settings.

    ``read_only`` opens SQLite files with ``mode=ro`` (and ``query_only``) and starts every
    PostgreSQL session with ``default_transaction_read_only``: the database refuses any write.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "the database URL cannot be parsed",
            hint="use sqlite:///path/to/veille.db or postgresql+psycopg://user@host/dbname",
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {mask_url(parsed)}",
            hint="use sqlite:///path/to/veille.db or postgresql+psycopg://user@host/dbname",
        )
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        plain_file = bool(database) and database != ":memory:" and not database.startswith("file:")
        if plain_file and Path(database).expanduser().is_dir():
            # No command can make a database of a folder: `db upgrade` would fail there too.
            raise StoreError(
                f"the database {database} is a folder, not a database file",
                hint=f"name a file, such as sqlite:///{Path(database) / 'veille.db'}, in the "
                "database URL",
            )
        if plain_file and not read_only:
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise StoreError(
                    f"cannot create the database {database}: folder {parent} does not exist",
                    hint="create the folder or change the database URL",
                )
        if plain_file and read_only:
            if not Path(database).expanduser().is_file():
                raise StoreError(
                    f"the database {database} does not exist", hint=UPGRADE_HINT + " to create it"
                )
            engine = create_engine(parsed, creator=_read_only_sqlite(database))
        else:
            engine = create_engine(parsed, connect_args={"timeout": 30})
        _configure_sqlite(engine, read_only=read_only)
        return engine
    add_postgresql_options()
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"no database driver for {mask_url(parsed)}: {exc}",
            hint="install veille[postgres] for PostgreSQL (postgresql+psycopg://…)",
        ) from None


# What to do about a driver error, by its SQLite error name or PostgreSQL SQLSTATE.
_DISK_FULL_HINT = (
    "free some space on the disk that holds the database;"
    " `veille prune --older-than 365d` then keeps it from growing"
)
_HINTS_BY_SQLITE_ERROR = {
    "SQLITE_FULL": _DISK_FULL_HINT,
    "SQLITE_READONLY": "check that veille may write the database file and its folder",
    "SQLITE_CANTOPEN": "check that the database's folder exists and veille may write in it",
    "SQLITE_BUSY": "another process holds the database's write lock: try again once it is done",
    # Reading a WAL database writes its shared-memory file beside it: a full disk fails there.
    "SQLITE_IOERR": "check the disk that holds the database: it may be full, or failing",
    "SQLITE_NOTADB": "the file is not a SQLite database: check the path in the database URL",
}
_HINTS_BY_SQLSTATE = {
    "53100": _DISK_FULL_HINT,  # disk_full
    # read_only_sql_transaction
    "25006": "the database server takes no writes (a read-only replica?)",
    # query_canceled
    "57014": "the server cancelled the query (its statement_timeout, or an administrator): "
    "narrow it (a shorter period, a brand) or raise the timeout of veille's database role",
}
_DEFAULT_HINT = "check VEILLE_DATABASE_URL (or the config's database URL) and that the server runs"
# The database answered, and refused what veille asked: its URL and server are not in question.
_REFUSED_HINT = (
    "the database is reachable but refused veille's statement; if this happens again, please "
    "report it with the command that caused it"
)


# Errors after which no write can succeed for now, unlike a deadlock or a busy lock, which
# cost one transaction: SQLite's families, PostgreSQL's class 53 (out of disk, memory or
# connections) and read-only transactions. A dropped connection is not one of them: the next
# write may well reconnect (a server restarting), and a pass finds out when it records the
# failure.
_UNAVAILABLE_SQLITE_ERRORS = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR")
_UNAVAILABLE_SQLSTATES = ("53", "25006")


def _sqlite_family(driver_error: BaseException | None, families: Iterable[str]) -> str | None:
    # SQLite's error names are extended ("SQLITE_READONLY_DBMOVED"): their family decides.
    name = str(getattr(driver_error, "sqlite_errorname", "") or "")
    return next((f for f in families if name == f or name.startswith(f + "_")), None)


def _hint_for(exc: DBAPIError) -> str:
    family = _sqlite_family(exc.orig, _HINTS_BY_SQLITE_ERROR)
    if family is not None:
        return _HINTS_BY_SQLITE_ERROR[family]
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if sqlstate in _HINTS_BY_SQLSTATE:
        return _HINTS_BY_SQLSTATE[sqlstate]
    return _DEFAULT_HINT if _connection_problem(exc, sqlstate) else _REFUSED_HINT


def _connection_problem(exc: DBAPIError, sqlstate: str) -> bool:
    """Whether ``exc`` came while connecting (no statement was sent) or lost the connection,
    rather than being the database's answer to a statement (a client-side refusal included:
    too many parameters)."""
    lost = sqlstate.startswith(("08", "57P"))  # connection_exception, the server shutting down
    return exc.statement is None or exc.connection_invalidated or lost


def _unavailable(exc: DBAPIError) -> bool:
    """Whether ``exc`` says the database takes no writes now, rather than refused this one."""
    if _sqlite_family(exc.orig, _UNAVAILABLE_SQLITE_ERRORS) is not None:
        return True
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    return bool(sqlstate) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES)


def connection_error(url: URL, exc: DBAPIError, *, doing: str = "connect to") -> StoreError:
    """Turn a driver error into a StoreError naming the (masked) URL and the driver's reason.

    A ``StoreUnavailableError`` when the database takes no writes now (see ``_unavailable``).
    """
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    for secret in _secrets_of(url):
        reason = reason.replace(secret, MASK)
    kind = StoreUnavailableError if _unavailable(exc) else StoreError
    return kind(f"cannot {doing} the database {mask_url(url)}: {reason}", hint=_hint_for(exc))


def _secrets_of(url: URL) -> list[str]:
    """The password of ``url``, and the part of it an unencoded "@" left in the host."""
    secrets = [str(url.password)] if url.password else []
    if url.host and "@" in url.host:
        secrets.append(url.host.rpartition("@")[0])
    return secrets


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """Yield a connection inside one transaction, set up for running migrations safely."""
    # A write transaction from the start (BEGIN IMMEDIATE on SQLite): two processes opening one
    # empty database take turns instead of one failing with "database is locked".
    with engine.connect().execution_options(veille_write=True) as connection:
        driver = connection.connection.driver_connection
        sqlite_driver = driver if isinstance(driver, sqlite3.Connection) else None
        if sqlite_driver is not None:
            # Batch mode rebuilds tables by copy-and-drop; with foreign keys on, dropping a
            # parent table would cascade-delete its children. The pragma is ignored inside a
            # transaction, hence on the driver connection before BEGIN; integrity is checked after.
            sqlite_driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    # Two processes opening one empty database must not both create the schema.
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                    )
                yield connection
                if sqlite_driver is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"the migration broke {len(broken)} foreign key(s), rolled back",
                            hint="report this as a bug",
                        )
        finally:
            if sqlite_driver is not None:
                sqlite_driver.execute("PRAGMA foreign_keys=ON")


def upgrade_database(
    engine: Engine,
    revision: str = "head",
    *,
    starting: Callable[[str | None], None] | None = None,
) -> str | None:
    """Migrate the database to ``revision`` (head by default) and return where it now is.

    ``starting`` is told the revision the database is at once this process holds the
    migration lock: another process migrating at the same time has finished by then.
    """
    from alembic import command

    with migration_connection(engine) as connection:
        if starting is not None:
            starting(current_revision(connection))
        command.upgrade(alembic_config(connection), revision)
    with engine.connect() as connection:
        return current_revision(connection)


def downgrade_database(engine: Engine, revision: str) -> str | None:
    """Migrate the database down to ``revision`` ("base" empties it) and return where it is."""
    from alembic import command

    with migration_connection(engine) as connection:
        command.downgrade(alembic_config(connection), revision)
    with engine.connect() as connection:
        return current_revision(connection)


def has_veille_tables(connection: Connection) -> bool:
    """Tell whether any table of the veille schema exists in the database."""
    return bool(set(inspect(connection).get_table_names()) & set(metadata.tables))


# The name of `savepoint`'s savepoints. SQLite and PostgreSQL both keep a stack of savepoints
# of one name, each statement taking the latest: they nest.
_SAVEPOINT = "veille_save"


@contextmanager
def savepoint(connection: Connection) -> Iterator[None]:
    """Run the block under a savepoint of the connection's transaction; roll back to it on error.

    SQLAlchemy's ``begin_nested`` compiles its SAVEPOINT and RELEASE statements anew each
    time (they are not cached): about 0.2 ms a save, which a pass pays for every source. These
    fixed statements go to the driver as they are. The exception propagates after the rollback.
    """
    connection.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
    try:
        yield
    except BaseException:
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        raise
    connection.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")
