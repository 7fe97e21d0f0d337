"""Recorded-response scenarios, one module per collector kind, for the contract suite.

Each module ``tests/scenarios/<kind>.py`` defines ``SCENARIO``: how to serve that collector's
recorded responses on a local :class:`~tests.support.feedserver.FeedServer` and which options
point the collector at it. ``tests/test_collector_contract.py`` runs the same checks on every
registered collector and fails for a collector that has no scenario.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support.feedserver import FeedServer


@dataclass(frozen=True)
class Scenario:
    """How to exercise one collector kind against a local server."""

    kind: str
    query: str  # a brand query with a single keyword alternative (one search per page)
    # Register the routes of a normal result (at least two pages where the API pages, items
    # with distinct publication times) and return the source options pointing at the server.
    serve: Callable[[FeedServer], Mapping[str, Any]]
    # Register routes answering with no result at all; return the options.
    serve_empty: Callable[[FeedServer], Mapping[str, Any]]
    # The path (without query string) of the search endpoint: 429/500 are queued there and
    # requests to it are counted against ``max_pages``.
    search_path: str
    paginated: bool = True  # False when the source has a single page (feeds)
    env: Mapping[str, str] = field(default_factory=dict)  # credentials the collector reads


def all_scenarios() -> dict[str, Scenario]:
    """Every scenario module's SCENARIO, by kind."""
    found: dict[str, Scenario] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        scenario = getattr(module, "SCENARIO", None)
        if isinstance(scenario, Scenario):
            found[scenario.kind] = scenario
    return found
