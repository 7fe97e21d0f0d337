"""What a source keeps of an unexpected error: one short line, never the SQL and its data."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from veille.errors import INTERNAL_ERROR_CHARS, internal_error_text


def test_a_database_error_keeps_its_message_without_the_statement() -> None:
    engine = create_engine("sqlite://")
    feed_text = "x" * 100_000
    with pytest.raises(DBAPIError) as caught, engine.connect() as connection:
        connection.execute(text("INSERT INTO missing_table VALUES (:body)"), {"body": feed_text})
    assert "[SQL: INSERT INTO missing_table" in str(caught.value)  # what SQLAlchemy appends
    kept = internal_error_text(caught.value)
    assert kept == "internal error: OperationalError: no such table: missing_table"


def test_a_long_unexpected_message_is_cut_to_one_short_line() -> None:
    kept = internal_error_text(ValueError("y" * 5000 + "\nsecond line"))
    assert kept.startswith("internal error: ValueError: yyy")
    assert kept.endswith("…") and "second line" not in kept
    assert len(kept) <= len("internal error: ValueError: ") + INTERNAL_ERROR_CHARS


def test_an_error_without_a_message_still_names_its_type() -> None:
    assert internal_error_text(RuntimeError()) == "internal error: RuntimeError: "
