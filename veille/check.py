"""``sources check``: fetch every source once, now, and say what it gives — storing nothing.

A search source is tried once per brand, as a pass collects it: a query that only one brand's
words make the service refuse shows there, not at the next pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from veille.collectors.base import Collector, get_collector
from veille.errors import SourceError, internal_error_text
from veille.fetch import Fetcher
from veille.settings import BrandConfig, Settings, SourceConfig
from veille.types import SourceState


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one source answered."""

    source: str
    kind: str
    ok: bool
    items: int
    message: str
    brand: str | None = None  # the brand whose query a search source was tried with

    @property
    def label(self) -> str:
        """``source (brand)`` for a search source, as a pass names it; else the source."""
        return f"{self.source} ({self.brand})" if self.brand else self.source


log = logging.getLogger(__name__)

# Told of each source (× brand) checked: its result, how many are done, how many in all.
CheckProgress = Callable[[CheckResult, int, int], None]


async def check_sources(
    settings: Settings, names: Sequence[str] = (), *, progress: CheckProgress | None = None
) -> list[CheckResult]:
    """Fetch each (named) source without validators and report items found or the error: a
    search source once per brand.

    The results come in the sources' order (a search source's in the brands' order);
    ``progress`` hears of each as it is done.
    """
    sources = [settings.source(name) for name in names] or list(settings.sources)
    units: list[tuple[SourceConfig, Collector, BrandConfig | None]] = []
    for source in sources:
        collector, brands = _collector_and_brands(settings, source)
        units.extend((source, collector, brand) for brand in brands)
    done = 0

    async def checked(
        source: SourceConfig, collector: Collector, brand: BrandConfig | None
    ) -> CheckResult:
        nonlocal done
        result = await _check(fetcher, source, collector, brand)
        done += 1
        if progress is not None:
            progress(result, done, len(units))
        return result

    async with Fetcher(settings.http) as fetcher:
        return list(await asyncio.gather(*(checked(*unit) for unit in units)))


def _collector_and_brands(
    settings: Settings, source: SourceConfig
) -> tuple[Collector, list[BrandConfig | None]]:
    """The source's collector (one for all its brands, as in a pass: a session or token is
    shared) and the brands it is tried for: each brand for a search source, else none."""
    collector_class = get_collector(source.kind)
    collector = collector_class(source.name, collector_class.options_model(**source.options))
    if collector_class.per_brand and settings.brands:
        return collector, list(settings.brands)
    return collector, [None]


async def _check(
    fetcher: Fetcher, source: SourceConfig, collector: Collector, brand: BrandConfig | None
) -> CheckResult:
    brand_name = brand.name if brand else None
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
        return CheckResult(source.name, source.kind, False, 0, message, brand_name)
    except Exception as exc:  # a bug in one collector must not hide the other sources' answers
        log.exception("checking %s failed", source.name)
        return CheckResult(source.name, source.kind, False, 0, internal_error_text(exc), brand_name)
    message = collected.warning or "ok"
    return CheckResult(source.name, source.kind, True, len(collected.mentions), message, brand_name)
