"""Shared fixtures: a real HTTP server on 127.0.0.1 for feed and API tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.support.feedserver import FeedServer

# CI explores the same examples on every run, so a result never depends on luck; developers get
# fresh random examples each run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A fresh FeedServer on 127.0.0.1 (random port), stopped after the test."""
    with FeedServer() as server:
        yield server
