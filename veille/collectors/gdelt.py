"""GDELT DOC 2.0: news articles of the world's press matching a brand, no key needed.

One request per brand and pass: ``mode=artlist`` returns at most 250 articles and has no
pagination, so ``max_pages`` cannot ask for more. The brand's languages become one
``(sourcelang:french OR sourcelang:english)`` clause rather than one request per language,
because GDELT allows a single request every five seconds per client.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar
from weakref import WeakKeyDictionary

from pydantic import BaseModel, Field, field_validator

from veille.collectors._gdelt_articles import SOURCE_LANGUAGES, parse_artlist
from veille.collectors.api import ApiOptions, advanced_state, api_url, newer_than, watermark
from veille.collectors.base import validate_options
from veille.errors import FatalSourceError, TransientSourceError
from veille.match.dialects import compile_query_for
from veille.types import Collected, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

SEARCH_PATH = "/api/v2/doc/doc"
MAX_RECORDS = 250  # the most one artlist request returns
RATE_LIMITED_WAIT = 60.0  # seconds to leave GDELT alone after a 429 that names no delay
_TIMESPAN = re.compile(r"\d+(min|h|hours|d|days|w|weeks|m|months)")


class RequestSpacing:
    """At most one request at a time, ``interval`` seconds apart, across a whole process."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._last_end: float | None = None
        self._quiet_until: float | None = None
        # asyncio locks belong to one event loop; a process may run several in turn (tests,
        # the scheduler's passes), so each loop gets its own.
        self._locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            WeakKeyDictionary()
        )

    def leave_alone(self, seconds: float) -> None:
        """Ask nothing more for ``seconds``: the service refused a request for being too many."""
        until = self._clock() + seconds
        self._quiet_until = max(until, self._quiet_until or until)

    def quiet_for(self) -> float:
        """How many seconds are left before the service may be asked again (0: now)."""
        if self._quiet_until is None:
            return 0.0
        return max(0.0, self._quiet_until - self._clock())

    @asynccontextmanager
    async def turn(self, interval: float) -> AsyncIterator[None]:
        """Wait until ``interval`` seconds after the previous request ended, then hold the turn."""
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            if self._last_end is not None:
                wait = self._last_end + interval - self._clock()
                if wait > 0:
                    await self._sleep(wait)
            try:
                yield
            finally:
                self._last_end = self._clock()


# One spacing for the whole process: GDELT counts requests per client, whatever the source.
SPACING = RequestSpacing()


def _rate_limited_wait(headers: Mapping[str, str]) -> float:
    """GDELT's 429s name no delay ("Please limit requests to one every 5 seconds", or load
    shedding): a retry a few seconds later would only be refused again."""
    return RATE_LIMITED_WAIT


class GdeltOptions(ApiOptions):
    """Options of a ``gdelt`` source."""

    base_url: str = Field("https://api.gdeltproject.org", description="GDELT API root")
    timespan: str = Field(
        "1d", description="how far back the first pass looks (15min, 24h, 1d, 1w, 3months)"
    )
    maxrecords: int = Field(MAX_RECORDS, ge=1, le=MAX_RECORDS, description="articles per request")
    sourcecountry: str | None = Field(
        None, description="only articles from this country (GDELT country name or FIPS code)"
    )
    min_interval: float = Field(
        5.0, ge=0, description="seconds between two GDELT requests of this process"
    )

    @field_validator("timespan")
    @classmethod
    def _gdelt_timespan(cls, value: str) -> str:
        # Checked here: GDELT answers a bad timespan with a text error instead of articles.
        value = value.strip()
        if not _TIMESPAN.fullmatch(value):
            raise ValueError("expected a number and a unit (min, h, d, w or months), e.g. 1d")
        return value


class GdeltCollector:
    """Recent news articles from GDELT's world press index, per brand."""

    kind: ClassVar[str] = "gdelt"
    options_model: ClassVar[type[BaseModel]] = GdeltOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel) -> None:
        self.source_name = source_name
        self.options = validate_options(GdeltOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Ask GDELT once for the articles newer than the watermark (or within ``timespan``)."""
        search = self.search_query(query, languages)
        asked_from = watermark(state, since)
        params: dict[str, object] = {
            "query": search,
            "mode": "artlist",
            "format": "json",
            "maxrecords": self.options.maxrecords,
            "sort": "datedesc",
        }
        if asked_from is None:
            params["timespan"] = self.options.timespan
        else:
            params["startdatetime"] = asked_from.astimezone(UTC).strftime("%Y%m%d%H%M%S")
        url = api_url(self.options.base_url, SEARCH_PATH, params)
        quiet = SPACING.quiet_for()
        if quiet > 0:
            # Every brand's search after a refusal would be refused too, each after the wait.
            raise TransientSourceError(
                f"GDELT refused a request of this process for being too many: not asked again "
                f"for {quiet:.0f} s",
                source=self.source_name,
                url=url,
                status=429,
                retry_after=quiet,
                hint="GDELT sheds load with 429s: veille leaves it alone for a while",
            )
        async with SPACING.turn(self.options.min_interval):
            try:
                result = await fetcher.fetch(
                    url,
                    source=self.source_name,
                    headers={"Accept": "application/json"},
                    rate_limit_wait=_rate_limited_wait,
                )
            except TransientSourceError as exc:
                if exc.status != 429:
                    raise
                SPACING.leave_alone(exc.retry_after or RATE_LIMITED_WAIT)
                raise TransientSourceError(
                    exc.message,
                    source=self.source_name,
                    url=url,
                    status=429,
                    retry_after=exc.retry_after or RATE_LIMITED_WAIT,
                    hint="GDELT sheds load with 429s: veille leaves it alone for a while",
                ) from None
        try:
            articles = parse_artlist(
                result.body,
                source=self.source_name,
                url=url,
                status=result.status,
                rate_limited_wait=RATE_LIMITED_WAIT,
            )
        except TransientSourceError as exc:
            if exc.retry_after:  # its refusal written in a 200 answer
                SPACING.leave_alone(exc.retry_after)
            raise
        mentions = newer_than(articles, asked_from)
        warning = None
        if len(articles) >= self.options.maxrecords:
            warning = (
                f"GDELT returned its maximum of {self.options.maxrecords} articles: older "
                "matching articles of this period were not seen (poll this source more often)"
            )
        return Collected(
            mentions=mentions,
            state=advanced_state(state, mentions),
            requests=result.requests,
            bytes_received=result.bytes_received,
            warning=warning,
        )

    def search_query(self, query: str | None, languages: Sequence[str]) -> str:
        """The brand query in GDELT syntax, with the language and country clauses."""
        compiled = compile_query_for(query, "gdelt") if query else ""
        if not compiled:
            raise FatalSourceError(
                f"{self.source_name}: the brand query has nothing GDELT can search for",
                source=self.source_name,
                hint="GDELT needs words of at least three letters or quoted phrases: "
                "add one to the brand query",
            )
        codes = [code.split("-")[0].lower() for code in languages]  # "fr-FR" is French too
        names = list(dict.fromkeys(SOURCE_LANGUAGES[c] for c in codes if c in SOURCE_LANGUAGES))
        clauses = [compiled]
        if len(names) == 1:
            clauses.append(f"sourcelang:{names[0]}")
        elif names:
            clauses.append("(" + " OR ".join(f"sourcelang:{name}" for name in names) + ")")
        if self.options.sourcecountry:
            clauses.append(f"sourcecountry:{self.options.sourcecountry.replace(' ', '')}")
        return " ".join(clauses)
