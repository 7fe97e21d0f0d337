"""``sources check``: fetch every source once, now, and say what it gives — storing nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from veille.collectors.base import get_collector
from veille.errors import SourceError
from veille.fetch import Fetcher
from veille.settings import Settings, SourceConfig
from veille.types import SourceState


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one source answered."""

    source: str
    kind: str
    ok: bool
    items: int
    message: str


async def check_sources(settings: Settings, names: Sequence[str] = ()) -> list[CheckResult]:
    """Fetch each (named) source without validators and report items found or the error."""
    sources = [settings.source(name) for name in names] or list(settings.sources)
    async with Fetcher(settings.http) as fetcher:
        return list(await asyncio.gather(*(_check(settings, fetcher, s) for s in sources)))


async def _check(settings: Settings, fetcher: Fetcher, source: SourceConfig) -> CheckResult:
    collector_class = get_collector(source.kind)
    collector = collector_class(source.name, collector_class.options_model(**source.options))
    brand = settings.brands[0] if collector_class.per_brand and settings.brands else None
    try:
        collected = await collector.collect(
            fetcher,
            SourceState(),
            query=brand.query if brand else None,
            since=None,
            languages=brand.languages if brand else (),
        )
    except SourceError as exc:
        message = f"{exc} — {exc.hint}" if exc.hint else str(exc)
        return CheckResult(source.name, source.kind, False, 0, message)
    message = collected.warning or "ok"
    return CheckResult(source.name, source.kind, True, len(collected.mentions), message)
