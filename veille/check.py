"""``sources check``: fetch every source once, now, and say what it gives — storing nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from veille.collectors.base import get_collector
from veille.errors import SourceError, internal_error_text
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


log = logging.getLogger(__name__)

# Told of each source checked: its result, how many are done, how many in all.
CheckProgress = Callable[[CheckResult, int, int], None]


async def check_sources(
    settings: Settings, names: Sequence[str] = (), *, progress: CheckProgress | None = None
) -> list[CheckResult]:
    """Fetch each (named) source without validators and report items found or the error.

    The results come in the sources' order; ``progress`` hears of each as it is done.
    """
    sources = [settings.source(name) for name in names] or list(settings.sources)
    done = 0

    async def checked(source: SourceConfig) -> CheckResult:
        nonlocal done
        result = await _check(settings, fetcher, source)
        done += 1
        if progress is not None:
            progress(result, done, len(sources))
        return result

    async with Fetcher(settings.http) as fetcher:
        return list(await asyncio.gather(*(checked(source) for source in sources)))


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
    except Exception as exc:  # a bug in one collector must not hide the other sources' answers
        log.exception("checking %s failed", source.name)
        return CheckResult(source.name, source.kind, False, 0, internal_error_text(exc))
    message = collected.warning or "ok"
    return CheckResult(source.name, source.kind, True, len(collected.mentions), message)
