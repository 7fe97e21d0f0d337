"""Shared fixtures: a real HTTP server on 127.0.0.1 for feed and API tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.support.feedserver import FeedServer
from tests.support.stores import ENGINES

# CI explores the same examples on every run, so a result never depends on luck; developers get
# fresh random examples each run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# veille's cache (the unpacked language model) is the session's own, shared by the processes the
# tests start, never the user's: its default place is under XDG_CACHE_HOME.
_SESSION_CACHE = tempfile.mkdtemp(prefix="veille-tests-cache-")
os.environ.pop("VEILLE_CACHE_DIR", None)
os.environ["XDG_CACHE_HOME"] = _SESSION_CACHE


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A fresh FeedServer on 127.0.0.1 (random port), stopped after the test."""
    with FeedServer() as server:
        yield server


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers the suite uses."""
    config.addinivalue_line("markers", "sqlite_only: checks something only SQLite has")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's cache folder."""
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses ``project_engine`` on each engine (SQLite only when so marked)."""
    if "project_engine" in metafunc.fixturenames:
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        engines = ["sqlite"] if sqlite_only else list(ENGINES)
        metafunc.parametrize("project_engine", engines, indirect=True)


@pytest.fixture(autouse=True)
def gdelt_spacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A GDELT request spacing of each test's own: a 429 in one leaves GDELT alone in no other."""
    from veille.collectors import gdelt

    monkeypatch.setattr(gdelt, "SPACING", gdelt.RequestSpacing())


@pytest.fixture(autouse=True)
def piped_table_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as in a pipe (160 columns): pytest-xdist's workers set ``COLUMNS=80``."""
    monkeypatch.delenv("COLUMNS", raising=False)
