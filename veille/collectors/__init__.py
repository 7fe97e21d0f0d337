"""Collectors: one small class per kind of source, found through entry points."""

from veille.collectors.base import (
    Collector,
    CollectorLoadWarning,
    available_collectors,
    get_collector,
)

__all__ = ["Collector", "CollectorLoadWarning", "available_collectors", "get_collector"]
