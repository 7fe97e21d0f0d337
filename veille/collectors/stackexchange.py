"""Stack Exchange questions (Stack Overflow and the other sites) found by keyword search.

Each pass asks ``/2.3/search/advanced`` once per keyword alternative of the brand query (the
API has no boolean syntax), newest first and only from the watermark on, page by page while
``has_more`` says so and ``max_pages`` allows. The API's own manners are honoured: a
``backoff`` field ends the pass and keeps the whole process away from the API for that long,
an exhausted ``quota_remaining`` ends it too (a pass so ended before reading everything keeps
its old watermark, so that the next one reads down to it again), and its error documents
(always HTTP 400, the kind in ``error_name``) become transient or fatal errors with the API's
message.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field

from veille.collectors._stackexchange_parse import parse_questions
from veille.collectors.api import (
    ApiOptions,
    advanced_state,
    api_url,
    credential,
    get_json,
    newer_than,
    watermark,
)
from veille.collectors.base import validate_options
from veille.errors import FatalSourceError, SourceError, TransientSourceError
from veille.match.dialects import alternatives
from veille.types import Collected, RawMention, SourceState

if TYPE_CHECKING:
    from veille.fetch import Fetcher  # httpx is imported only once a pass fetches

KEY_VARIABLE = "VEILLE_STACKEXCHANGE_KEY"
SEARCH_PATH = "/2.3/search/advanced"
_TRANSIENT_ERRORS = frozenset({"throttle_violation", "temporarily_unavailable", "internal_error"})
_AVAILABLE_IN = re.compile(r"available in (\d+) seconds")
# When each API root may be called again (monotonic clock), after a ``backoff``: shared by
# every source and brand of the process, since the API counts per IP and per method.
_quiet_until: dict[str, float] = {}


class StackExchangeOptions(ApiOptions):
    """Options of a ``stackexchange`` source: one Stack Exchange site per source."""

    base_url: str = Field("https://api.stackexchange.com", description="API root")
    site: str = Field(
        "stackoverflow",
        min_length=1,
        description="the site's API name: stackoverflow, superuser, serverfault, askubuntu…",
    )
    pagesize: int = Field(100, ge=1, le=100, description="questions per page")


@dataclass(slots=True)
class _PassTally:
    """What one pass spent and learned about the API's limits."""

    requests: int = 0
    bytes_received: int = 0
    backoff: int | None = None
    warning: str | None = None

    @property
    def stopped(self) -> bool:
        """True once the API asked to be left alone for the rest of the pass."""
        return self.warning is not None


class StackExchangeCollector:
    """Questions on one Stack Exchange site that mention the brand, newest first."""

    kind: ClassVar[str] = "stackexchange"
    options_model: ClassVar[type[BaseModel]] = StackExchangeOptions
    per_brand: ClassVar[bool] = True

    def __init__(self, source_name: str, options: BaseModel | Mapping[str, object]) -> None:
        self.source_name = source_name
        self.options = validate_options(StackExchangeOptions, options, source=source_name)

    async def collect(
        self,
        fetcher: Fetcher,
        state: SourceState,
        *,
        query: str | None,
        since: datetime | None,
        languages: Sequence[str] = (),
    ) -> Collected:
        """Search the site for each keyword alternative of ``query``, from the watermark on."""
        if not query:
            raise FatalSourceError(
                f"{self.source_name}: a stackexchange source searches for a brand query",
                source=self.source_name,
                hint="give the brand a query",
            )
        options = self.options
        pause = _quiet_until.get(options.base_url, 0.0) - time.monotonic()
        if pause > 0:
            return Collected(
                [],
                state,
                warning=f"Stack Exchange asked for a pause: not asked again for {pause:.0f} s",
                ttl_seconds=int(pause) + 1,
            )
        start = watermark(state, since)
        tally = _PassTally()
        found: dict[int, RawMention] = {}
        cut_short = False  # a search had more pages than max_pages
        unread = False  # the API's limits ended the pass before every page was read
        searches = alternatives(query)
        for number, words in enumerate(searches, 1):
            for page in range(1, options.max_pages + 1):
                wrapper = await self._search_page(fetcher, words, page, start, tally)
                for mention in parse_questions(
                    wrapper.get("items"), site=options.site, source=self.source_name
                ):
                    found.setdefault(int(str(mention.extra["question_id"])), mention)
                self._note_limits(wrapper, tally)
                more = bool(wrapper.get("has_more"))
                if tally.stopped:
                    unread = (more and page < options.max_pages) or number < len(searches)
                    break
                if not more:
                    break
            else:
                cut_short = True
            if tally.stopped:
                break
        mentions = newer_than(list(found.values()), start)
        warning = tally.warning
        if warning is not None and unread:
            warning += "; the next pass reads what was left"
        if warning is None and cut_short:
            warning = f"more Stack Exchange results than {options.max_pages} page(s): older skipped"
        return Collected(
            mentions,
            advanced_state(state, mentions, pages_left=unread),
            requests=tally.requests,
            bytes_received=tally.bytes_received,
            warning=warning,
            ttl_seconds=tally.backoff,
        )

    async def _search_page(
        self, fetcher: Fetcher, words: str, page: int, start: datetime | None, tally: _PassTally
    ) -> dict[str, Any]:
        """One page of one search: the API's wrapper object, errors raised as source errors."""
        options = self.options
        key = credential(KEY_VARIABLE, source=self.source_name)
        params = {
            "q": words,
            "site": options.site,
            "sort": "creation",
            "order": "desc",
            "fromdate": int(start.timestamp()) if start else None,
            "pagesize": options.pagesize,
            "page": page,
            "filter": "withbody",
            "key": key,
        }
        url = api_url(options.base_url, SEARCH_PATH, params)
        try:
            wrapper, result = await get_json(fetcher, url, source=self.source_name)
        except FatalSourceError as exc:
            # Every API error is a 400 whose error document says what it is.
            document = _error_document(exc.body) if exc.status == 400 else None
            if document is None:
                raise _without_key(exc, key) from None
            raise _wrapper_error(document, self.source_name, exc.url, key) from None
        except TransientSourceError as exc:
            raise _without_key(exc, key) from None
        tally.requests += result.requests
        tally.bytes_received += result.bytes_received
        if not isinstance(wrapper, dict):
            raise TransientSourceError(
                f"{self.source_name}: Stack Exchange answered without its wrapper object",
                source=self.source_name,
                url=_redact(url, key),
                hint="the API may be failing: veille tries again at a later pass",
            )
        if "error_name" in wrapper:  # JSONP-style errors come with a 200
            raise _wrapper_error(wrapper, self.source_name, url, key)
        return wrapper

    def _note_limits(self, wrapper: Mapping[str, Any], tally: _PassTally) -> None:
        """Honour ``backoff`` and an exhausted ``quota_remaining``: no more requests this pass."""
        backoff = wrapper.get("backoff")
        if isinstance(backoff, int) and backoff > 0:
            tally.backoff = max(tally.backoff or 0, backoff)
            _quiet_until[self.options.base_url] = time.monotonic() + backoff
            tally.warning = f"Stack Exchange asked for a {backoff} s pause: pass ended early"
        elif wrapper.get("quota_remaining") == 0:
            tally.warning = (
                f"Stack Exchange daily quota used up ({wrapper.get('quota_max')} requests): "
                f"pass ended early; {KEY_VARIABLE} raises the quota"
            )


def _wrapper_error(
    payload: Mapping[str, Any], source: str, url: str | None, key: str | None
) -> SourceError:
    """The source error for an API error document (``error_id``, ``error_name``…)."""
    name = str(payload.get("error_name") or "error")
    said = str(payload.get("error_message") or name)
    message = f"{source}: Stack Exchange error {payload.get('error_id')} {name}: {said}"
    where = _redact(url, key) if url else None
    if name in _TRANSIENT_ERRORS:
        wait = _AVAILABLE_IN.search(said)
        return TransientSourceError(
            message,
            source=source,
            url=where,
            status=400,
            retry_after=float(wait.group(1)) if wait else None,
            hint=f"the API throttles this address: veille waits; {KEY_VARIABLE} raises the quota"
            if name == "throttle_violation"
            else "the API is failing: veille tries again at a later pass",
        )
    return FatalSourceError(
        message,
        source=source,
        url=where,
        status=400,
        hint=f"check the site option and {KEY_VARIABLE} (a key must be an app key from "
        "stackapps.com)",
    )


def _error_document(body: bytes) -> dict[str, Any] | None:
    """The API's error document (``error_id``, ``error_name``…) in an error body, if any."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return None
    return document if isinstance(document, dict) and "error_name" in document else None


def _redact(text: str, key: str | None) -> str:
    """``text`` with the API key masked (keys are not secret to Stack Exchange, but still)."""
    return text.replace(key, "***") if key else text


def _without_key(exc: SourceError, key: str | None) -> SourceError:
    """The same error with the API key masked in its message and URL."""
    if not key or key not in f"{exc.message} {exc.url}":
        return exc
    return type(exc)(
        _redact(exc.message, key),
        source=exc.source,
        url=_redact(exc.url, key) if exc.url else None,
        status=exc.status,
        retry_after=exc.retry_after,
        hint=exc.hint,
        body=exc.body,
        headers=exc.headers,
    )
