"""The contract every collector follows, and the registry that finds them (entry points).

Built-in collectors are registered exactly like third-party ones, in the entry point group
``veille.collectors`` (``kind = "package.module:Class"``), so there is one path for both.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar, cast

from pydantic import BaseModel, ValidationError

from veille.errors import ConfigError
from veille.types import Collected, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

ENTRY_POINT_GROUP = "veille.collectors"

OptionsT = TypeVar("OptionsT", bound=BaseModel)


class Collector(Protocol):
    """One kind of source: typed options, and an async ``collect`` using the shared fetcher."""

    kind: ClassVar[str]  # "rss", "google_news", … (the entry point name)
    options_model: ClassVar[type[BaseModel]]  # the source's options (extra="forbid")
    per_brand: ClassVar[bool]  # True for search collectors: called once per brand query

    def __init__(self, source_name: str, options: BaseModel) -> None: ...

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Collect what is new since ``state``; raise veille source errors on failure.

        Search collectors get the brand's ``query`` and ``languages`` (ISO 639-1 codes, for
        services searched per language); ``since`` asks only for items published after it.
        """
        ...


class CollectorLoadWarning(UserWarning):
    """A collector registered by an installed package could not be loaded."""


def load_collectors(candidates: Iterable[EntryPoint]) -> dict[str, type[Collector]]:
    """Load collector classes from entry points; broken ones are skipped with a warning."""
    found: dict[str, type[Collector]] = {}
    for entry_point in candidates:
        if entry_point.name in found:
            warnings.warn(
                f"collector {entry_point.name!r} is registered twice; "
                f"ignoring {entry_point.value!r}",
                CollectorLoadWarning,
                stacklevel=2,
            )
            continue
        try:
            loaded = entry_point.load()
        except Exception as exc:  # a third-party plugin may fail in any way on import
            warnings.warn(
                f"collector {entry_point.name!r} ({entry_point.value}) could not be loaded: "
                f"{type(exc).__name__}: {exc}",
                CollectorLoadWarning,
                stacklevel=2,
            )
            continue
        if not (isinstance(loaded, type) and callable(getattr(loaded, "collect", None))):
            warnings.warn(
                f"collector {entry_point.name!r} ({entry_point.value}) is not a collector class",
                CollectorLoadWarning,
                stacklevel=2,
            )
            continue
        found[entry_point.name] = cast(type[Collector], loaded)
    return found


@cache
def _registered() -> tuple[EntryPoint, ...]:
    return tuple(entry_points(group=ENTRY_POINT_GROUP))


@cache
def _installed_collectors() -> dict[str, type[Collector]]:
    return load_collectors(_registered())


def available_collectors() -> dict[str, type[Collector]]:
    """Every installed collector by kind (loaded once per process)."""
    return dict(_installed_collectors())


@cache
def _collector_of_kind(kind: str) -> type[Collector] | None:
    # Only the kind asked for is imported: a command reading the configuration would otherwise
    # import every collector and its dependencies before doing anything.
    return load_collectors(point for point in _registered() if point.name == kind).get(kind)


def get_collector(kind: str) -> type[Collector]:
    """The collector class for ``kind``, or a ConfigError listing the known kinds."""
    collector = _collector_of_kind(kind)
    if collector is not None:
        return collector
    listed = ", ".join(sorted(available_collectors())) or "none installed"
    raise ConfigError(
        f"unknown source kind {kind!r} (known kinds: {listed})",
        key="kind",
        hint="use one of the known kinds, or install the package that provides this one",
    )


def validate_options(
    model: type[OptionsT], options: BaseModel | Mapping[str, object], *, source: str
) -> OptionsT:
    """Check a source's options against a collector's model; errors become a ConfigError."""
    if isinstance(options, model):
        return options
    raw = options.model_dump(exclude_unset=True) if isinstance(options, BaseModel) else options
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'options'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(
            f"invalid options for source {source!r}: {problems}",
            key=f"sources.{source}",
            hint=f"allowed options: {', '.join(model.model_fields)}",
        ) from None
