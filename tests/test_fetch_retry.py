"""Retry-After parsing and backoff delays (pure functions)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.fetch._retry import backoff_delay, parse_retry_after, seconds_until_unix_time

NOW = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("Mon, 02 Mar 2026 08:01:30 GMT", 90.0),
        ("Mon, 02 Mar 2026 07:00:00 GMT", 0.0),  # already past: retry now
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1772438520", 120.0), (" 1772438401 ", 1.0), ("1772438000", 1.0), (None, None), ("x", None)],
    ids=["ahead", "a second ahead", "past: at least a second", "absent", "unreadable"],
)
def test_seconds_until_a_unix_reset_time(value: str | None, seconds: float | None) -> None:
    assert seconds_until_unix_time(value, now=NOW.timestamp()) == seconds


def test_backoff_without_base_never_waits() -> None:
    assert backoff_delay(3, 0.0, random.Random(1)) == 0.0


@given(attempt=st.integers(0, 8), base=st.floats(0.01, 10), seed=st.integers())
def test_backoff_doubles_with_bounded_jitter(attempt: int, base: float, seed: int) -> None:
    delay = backoff_delay(attempt, base, random.Random(seed))
    assert base * 2**attempt <= delay <= base * 2**attempt * 1.5
