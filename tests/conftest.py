"""Shared fixtures: a real HTTP server on 127.0.0.1 for feed and API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.feedserver import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A fresh FeedServer on 127.0.0.1 (random port), stopped after the test."""
    with FeedServer() as server:
        yield server
