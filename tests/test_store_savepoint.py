"""The savepoint a batch of saves gives each save: rolled back alone, nestable, on each engine."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from tests.support.stores import database_url_fixture  # noqa: F401
from veille.store.db import create_store_engine, savepoint


def test_a_savepoint_takes_back_only_its_own_writes_and_the_transaction_goes_on(
    database_url: str,
) -> None:
    engine = create_store_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE counted (n INTEGER)")
            connection.exec_driver_sql("INSERT INTO counted VALUES (1)")
            with savepoint(connection):
                connection.exec_driver_sql("INSERT INTO counted VALUES (2)")
                with pytest.raises(ValueError), savepoint(connection):
                    connection.exec_driver_sql("INSERT INTO counted VALUES (3)")
                    raise ValueError("the inner block fails alone")
            # A failed statement (which on PostgreSQL aborts the transaction until rolled back).
            with pytest.raises(DBAPIError), savepoint(connection):
                connection.exec_driver_sql("INSERT INTO counted VALUES (4)")
                connection.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")
            connection.exec_driver_sql("INSERT INTO counted VALUES (5)")
        with engine.connect() as connection:
            stored = connection.exec_driver_sql("SELECT n FROM counted ORDER BY n").scalars()
            assert list(stored) == [1, 2, 5]
    finally:
        engine.dispose()
