"""Name-to-id lookups shared by reads and writes, with errors that list what is known."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Executable, Row, Table, any_, bindparam, select

from veille.errors import StoreError, unknown_name_text
from veille.store.schema import brand_table, source_table

T = TypeVar("T")

# Well under SQLite's 32766 bound parameters and PostgreSQL's 65535.
CHUNK_SIZE = 1000


def chunked(values: Sequence[T], size: int = CHUNK_SIZE) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of at most ``size`` values."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def one_of(
    connection: Connection, column: ColumnElement[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """Return ``column IN values``; on PostgreSQL as ``= ANY(array)`` with one parameter."""
    if connection.dialect.name == "postgresql":
        # One array parameter keeps the statement short and identical between calls, so the
        # driver parses and prepares it once instead of once per list length.
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def one_of_parameter(dialect: str, column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column`` is one of the list bound to ``name`` at execution, as ``one_of`` renders it.

    For statements built once and kept: building and hashing a statement costs more than
    running it on the few rows a write reads.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def rows_for(
    connection: Connection, query: Executable, name: str, values: Iterable[Any]
) -> Iterator[Row[*tuple[Any, ...]]]:
    """The rows of a kept ``query`` (see ``one_of_parameter``) for each of ``values`` bound to
    ``name``, distinct and in order, a chunk of them to a statement."""
    for chunk in chunked(sorted(set(values))):
        yield from connection.execute(query, {name: list(chunk)}).all()


@cache
def _names_and_ids(table: Table) -> Any:
    return select(table.c.name, table.c.id)


@cache
def _id_by_name(table: Table) -> Any:
    return select(table.c.id).where(table.c.name == bindparam("name"))


@cache
def _named_ids_query(dialect: str, table: Table) -> Any:
    return select(table.c.name, table.c.id).where(one_of_parameter(dialect, table.c.name, "names"))


def source_ids_named(connection: Connection, names: Iterable[str]) -> dict[str, int]:
    """Return the ids of the stored sources among ``names`` (unknown names are left out)."""
    query = _named_ids_query(connection.dialect.name, source_table)
    return {name: id_ for name, id_ in rows_for(connection, query, "names", names)}


def brand_ids_by_name(connection: Connection) -> dict[str, int]:
    """Return every stored brand's id by name, inactive ones included."""
    return dict(connection.execute(_names_and_ids(brand_table)).all())


def source_ids_by_name(connection: Connection) -> dict[str, int]:
    """Return every stored source's id by name, inactive ones included."""
    return dict(connection.execute(_names_and_ids(source_table)).all())


def _unknown(kind: str, name: str, known: Sequence[str]) -> StoreError:
    return StoreError(
        unknown_name_text(kind, name, known),
        hint=f"check the {kind} name against the configuration",
    )


def brand_id_for(connection: Connection, name: str) -> int:
    """Return a brand's id, or raise StoreError listing the known brands."""
    brand_id = connection.execute(_id_by_name(brand_table), {"name": name}).scalar()
    if brand_id is None:
        raise _unknown("brand", name, list(brand_ids_by_name(connection)))
    return brand_id


def stored_brand_ids(connection: Connection, names: Sequence[str]) -> list[int]:
    """Return the ids of those brands the database holds: a brand is stored by its first
    collection, so a configured one not collected yet has no id, as it has no mention."""
    brand_ids = brand_ids_by_name(connection)
    return [brand_ids[name] for name in names if name in brand_ids]


def source_id_for(connection: Connection, name: str) -> int:
    """Return a source's id, or raise StoreError listing the known sources."""
    source_id = connection.execute(_id_by_name(source_table), {"name": name}).scalar()
    if source_id is None:
        raise _unknown("source", name, list(source_ids_by_name(connection)))
    return source_id


def check_source_names(connection: Connection, names: Sequence[str]) -> None:
    """Raise StoreError naming the first of ``names`` that is not a stored source."""
    source_ids = source_ids_by_name(connection)
    for name in names:
        if name not in source_ids:
            raise _unknown("source", name, list(source_ids))
