"""INSERT statements of both engines: upserts, and new rows that skip the stored ones.

On SQLite, new rows go in several to a statement (``insert_new_rows``); on PostgreSQL as one
pipelined executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Dialect, Table

from veille.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT (with ON CONFLICT support), by the dialect's name."""
    # Each dialect is imported when used: SQLite commands never load PostgreSQL's (tens of ms).
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    raise StoreError(f"unsupported database engine {dialect}")


def upsert_insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """Return the dialect's INSERT (with ON CONFLICT support) for SQLite or PostgreSQL."""
    return dialect_insert(connection.dialect.name, table)


@cache
def insert_new(dialect: str, table: Table, *keys: str) -> Any:
    """INSERT … ON CONFLICT (keys) DO NOTHING, built once per dialect and table."""
    return dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=list(keys))


# SQLite runs each row of an executemany as a statement of its own, and the full-text index
# (a trigger on documents) writes a segment of its own at the end of every statement, which
# later merges read and write again: new rows go in several to a statement instead. SQLAlchemy
# cannot cache a statement of several rows and would compile it at every save, so its text is
# written once per table, columns and row count, and the values converted as SQLAlchemy would.
# A statement takes a power of two rows (13 rows: 8 + 4 + 1), so that only a few are ever
# written and prepared, and at most SQLITE_VARIABLES values (the limit before SQLite 3.32).
SQLITE_VARIABLES = 999


def _power_of_two_slices(count: int, largest: int) -> Iterator[slice]:
    """Consecutive slices of ``range(count)``, each of a power of two rows up to ``largest``."""
    start = 0
    while start < count:
        size = min(largest, 1 << ((count - start).bit_length() - 1))
        yield slice(start, start + size)
        start += size


@cache
def _sqlite_rows_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], keys: tuple[str, ...], count: int
) -> str:
    """INSERT of ``count`` rows of these columns, ON CONFLICT (keys) DO NOTHING."""
    quote = dialect.identifier_preparer.quote
    row = "(" + ", ".join("?" * len(columns)) + ")"
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))})"
        f" VALUES {', '.join([row] * count)} ON CONFLICT ({', '.join(map(quote, keys))}) DO NOTHING"
    )


@cache
def _bind_processors(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each column's conversion to what the driver takes (None: none), as SQLAlchemy's."""
    # The type as this dialect runs it: a decorated type's own conversion, then its dialect's.
    return tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    )


def insert_new_rows(
    connection: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[Mapping[str, Any]]
) -> int:
    """INSERT … ON CONFLICT (keys) DO NOTHING of rows giving the same columns.

    As SQLAlchemy's executemany, the first row's keys name the columns given; the others take
    their defaults. Return how many rows the database says it stored: -1 on PostgreSQL, where
    the rows go as one executemany (psycopg pipelines one short prepared statement, several
    times faster than one huge multi-row VALUES it would have to parse, and does not count).
    """
    if not rows:
        return 0
    dialect = connection.dialect
    left_out = [column for column in table.columns if column.name not in rows[0]]
    # A default computed in Python (a creation time…) is SQLAlchemy's to fill in.
    if dialect.name != "sqlite" or any(column.default is not None for column in left_out):
        statement = insert_new(dialect.name, table, *keys)
        return int(connection.execute(statement, list(rows)).rowcount)
    columns = tuple(column.name for column in table.columns if column.name in rows[0])
    named = list(zip(columns, _bind_processors(dialect, table, columns), strict=True))
    largest = 1 << ((SQLITE_VARIABLES // len(columns)).bit_length() - 1)
    inserted = 0
    for rows_slice in _power_of_two_slices(len(rows), largest):
        chunk = rows[rows_slice]
        values = tuple(
            row[name] if process is None else process(row[name])
            for row in chunk
            for name, process in named
        )
        sql = _sqlite_rows_insert(dialect, table, columns, keys, len(chunk))
        inserted += connection.exec_driver_sql(sql, values).rowcount
    return inserted
