"""The contract every installed collector follows, built-in or third-party (one suite for all)."""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points

import pytest
from pydantic import BaseModel, ValidationError

from veille.collectors import Collector, available_collectors
from veille.collectors.base import ENTRY_POINT_GROUP

COLLECTORS = available_collectors()


def test_builtin_collectors_are_registered_like_plugins() -> None:
    registered = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert "rss" in registered
    assert set(COLLECTORS) == registered


@pytest.mark.parametrize("name", sorted(COLLECTORS))
class TestCollectorContract:
    def collector(self, name: str) -> type[Collector]:
        return COLLECTORS[name]

    def test_kind_is_its_entry_point_name(self, name: str) -> None:
        assert self.collector(name).kind == name

    def test_options_model_forbids_unknown_keys(self, name: str) -> None:
        model = self.collector(name).options_model
        assert issubclass(model, BaseModel)
        assert model.model_config.get("extra") == "forbid"
        with pytest.raises(ValidationError, match="veille_unknown_option"):
            model.model_validate({"veille_unknown_option": 1})

    def test_per_brand_is_a_bool(self, name: str) -> None:
        assert isinstance(self.collector(name).per_brand, bool)

    def test_collect_is_a_coroutine_with_the_documented_keywords(self, name: str) -> None:
        collect = self.collector(name).collect
        assert inspect.iscoroutinefunction(collect)
        parameters = inspect.signature(collect).parameters
        assert list(parameters)[:3] == ["self", "fetcher", "state"]
        for keyword in ("query", "since"):
            assert parameters[keyword].kind is inspect.Parameter.KEYWORD_ONLY

    def test_constructor_takes_source_name_and_options(self, name: str) -> None:
        parameters = list(inspect.signature(self.collector(name).__init__).parameters)
        assert parameters[:3] == ["self", "source_name", "options"]
