"""Finding collectors by kind through entry points, and surviving broken plugins."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from veille.collectors import CollectorLoadWarning, available_collectors, get_collector
from veille.collectors.base import ENTRY_POINT_GROUP, load_collectors
from veille.collectors.rss import RssCollector
from veille.errors import ConfigError


def entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_get_collector_finds_the_builtin_rss() -> None:
    assert get_collector("rss") is RssCollector


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown source kind 'rsss' \(known kinds: .*rss") as e:
        get_collector("rsss")
    assert e.value.key == "kind" and e.value.hint


def test_available_collectors_returns_a_copy() -> None:
    available_collectors().clear()
    assert "rss" in available_collectors()


def test_a_plugin_that_fails_to_import_is_a_warning_not_a_crash() -> None:
    candidates = [
        entry_point("rss", "veille.collectors.rss:RssCollector"),
        entry_point("broken", "veille_plugin_that_is_not_installed.collector:Broken"),
    ]
    with pytest.warns(CollectorLoadWarning, match="'broken'.*could not be loaded"):
        loaded = load_collectors(candidates)
    assert loaded == {"rss": RssCollector}


def test_a_plugin_that_is_not_a_collector_class_is_skipped() -> None:
    candidates = [entry_point("parser", "veille.collectors.rss:parse_feed")]
    with pytest.warns(CollectorLoadWarning, match="not a collector class"):
        assert load_collectors(candidates) == {}


def test_a_kind_registered_twice_keeps_the_first() -> None:
    candidates = [
        entry_point("rss", "veille.collectors.rss:RssCollector"),
        entry_point("rss", "veille.collectors.rss:RssOptions"),
    ]
    with pytest.warns(CollectorLoadWarning, match="registered twice"):
        assert load_collectors(candidates) == {"rss": RssCollector}
