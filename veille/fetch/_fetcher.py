"""The one shared async HTTP fetcher: polite limits, conditional GET, redirects, retries."""

from __future__ import annotations

import asyncio
import math
import random
import ssl
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

import httpx

from veille.errors import SourceError, TransientSourceError
from veille.fetch._body import drain, read_capped_body, read_excerpt
from veille.fetch._errors import (
    after_attempts,
    redirect_error,
    status_error,
    timeout_error,
    transport_error,
)
from veille.fetch._inflate import ACCEPT_ENCODING
from veille.fetch._limits import HostSlots
from veille.fetch._result import FetchResult
from veille.fetch._retry import RateLimitWait, backoff_delay, parse_retry_after
from veille.settings import HttpSettings

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_FOLLOWED_SCHEMES = frozenset({"http", "https"})
# Never carried to another origin by a redirect (same rule as browsers and httpx).
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
# Connections per pool: httpcore's pool walks all its connections, and checks each for expiry
# with a system call, on every request it assigns or releases; with a hundred in one pool that
# walk took a fifth of a 1,000-feed pass. Smaller pools keep it short.
POOL_CONNECTIONS = 8
# A 304's or a redirect's body is read to its end, up to this size, so that its connection is
# reused: most of a re-poll's answers are 304s (see _body.drain).
DRAINED_BODY_BYTES = 64 * 1024


@dataclass(slots=True)
class _Answer:
    """One HTTP answer, body read only when it is a success."""

    status: int
    headers: httpx.Headers
    body: bytes = b""
    location: str | None = None


@dataclass(slots=True)
class _Tally:
    """Running counts over every request one fetch makes."""

    requests: int = 0
    bytes_received: int = 0


@dataclass(slots=True)
class _RedirectTrail:
    """The URLs a fetch went through, and how far the chain stayed permanent."""

    visited: list[str]
    moved_to: str | None = None
    still_permanent: bool = True

    def follow(self, status: int, target: str) -> None:
        """Record one followed redirect; a temporary one ends the permanent chain, and so does
        one from https to plain http: followed this time, it is not made the source's address."""
        downgrade = self.visited[-1].lower().startswith("https:") and target.lower().startswith(
            "http:"
        )
        self.visited.append(target)
        if self.still_permanent and status in _PERMANENT_REDIRECTS and not downgrade:
            self.moved_to = target
        else:
            self.still_permanent = False


@dataclass(slots=True)
class _Target:
    """Where one request goes and with which headers."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    content: bytes | None = None
    rate_limit_wait: RateLimitWait | None = None


class Fetcher:
    """Fetch URLs for every collector; use as ``async with Fetcher(settings) as fetcher``."""

    def __init__(
        self, settings: HttpSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._clients: list[httpx.AsyncClient] = []
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._host_slots = HostSlots(settings.per_host)
        self._rng = random.Random()

    async def __aenter__(self) -> Fetcher:
        settings = self._settings
        # Several clients, each with its own small connection pool (see POOL_CONNECTIONS); one
        # when a transport is given, since it is the pool.
        pools = (
            1 if self._transport is not None else math.ceil(settings.concurrency / POOL_CONNECTIONS)
        )
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        )
        # The global slots bound the requests in flight; each pool may carry all of them (one
        # busy host), and keeps its share of idle connections for the next requests.
        limits = httpx.Limits(
            max_connections=settings.concurrency,
            max_keepalive_connections=math.ceil(settings.concurrency / pools),
        )
        # Building a TLS context reads the whole certificate store (tens of milliseconds): one
        # context, made as httpx makes its own (SSL_CERT_FILE and SSL_CERT_DIR honoured), serves
        # every pool. A given transport brings its own.
        tls: ssl.SSLContext | bool = httpx.create_ssl_context() if self._transport is None else True
        self._clients = [
            httpx.AsyncClient(
                transport=self._transport,
                verify=tls,
                timeout=timeout,
                limits=limits,
                headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
                follow_redirects=False,  # followed by hand, to remember permanent moves
            )
            for _ in range(pools)
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        clients, self._clients = self._clients, []
        for client in clients:
            await client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        source: str,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
        method: str = "GET",
        content: bytes | None = None,
        rate_limit_wait: RateLimitWait | None = None,
    ) -> FetchResult:
        """GET ``url`` conditionally, following redirects and retrying transient failures.

        ``method`` and ``content`` serve the few APIs that need a POST (OAuth tokens, sessions).
        ``rate_limit_wait`` reads how long a 429 without Retry-After asks to wait, the source's
        own way (a rate-limit reset header): that wait is honoured as a Retry-After would be.
        """
        self._require_clients()
        target = _Target(url, dict(headers or {}), method.upper(), content, rate_limit_wait)
        if etag:
            target.headers["If-None-Match"] = etag
        if last_modified:
            target.headers["If-Modified-Since"] = last_modified
        tally = _Tally()
        trail = _RedirectTrail(visited=[url])
        while True:
            answer = await self._exchange_with_retries(target, source, tally)
            if answer.location is None:
                break
            next_url = self._redirect_target(target.url, answer, source, trail)
            trail.follow(answer.status, next_url)
            # 307/308 repeat the request as it was; other redirects continue with a GET.
            keep = answer.status in (307, 308)
            target = _Target(
                next_url,
                _headers_for_redirect(target, next_url),
                target.method if keep else "GET",
                target.content if keep else None,
                target.rate_limit_wait,
            )
        not_modified = answer.status == 304
        return FetchResult(
            url=url,
            final_url=target.url,
            status=answer.status,
            headers={key.lower(): value for key, value in answer.headers.items()},
            body=answer.body,
            not_modified=not_modified,
            moved_to=trail.moved_to,
            etag=answer.headers.get("etag") or (etag if not_modified else None),
            last_modified=answer.headers.get("last-modified")
            or (last_modified if not_modified else None),
            requests=tally.requests,
            bytes_received=tally.bytes_received,
        )

    def _require_clients(self) -> list[httpx.AsyncClient]:
        if not self._clients:
            raise RuntimeError("use the Fetcher as 'async with Fetcher(settings) as fetcher'")
        return self._clients

    def _client_for(self, host: str, slot: int) -> httpx.AsyncClient:
        """The client of a host's n-th request in flight: the same one each time, so that its
        connections are reused; a host's concurrent requests spread over the pools."""
        clients = self._require_clients()
        return clients[(zlib.crc32(host.lower().encode()) + slot) % len(clients)]

    def _redirect_target(
        self, current: str, answer: _Answer, source: str, trail: _RedirectTrail
    ) -> str:
        """The absolute URL a redirect points to, or an error if it must not be followed."""
        assert answer.location is not None
        status = answer.status
        try:
            target = httpx.URL(current).join(answer.location.strip())
        except httpx.InvalidURL:
            raise redirect_error(
                f"unusable redirect Location {answer.location!r}",
                source=source,
                url=current,
                status=status,
            ) from None
        if target.scheme not in _FOLLOWED_SCHEMES:
            raise redirect_error(
                f"refusing to follow a redirect to a {target.scheme}: URL",
                source=source,
                url=current,
                status=status,
            )
        if str(target) in trail.visited:
            raise redirect_error("redirect loop", source=source, url=current, status=status)
        if len(trail.visited) > self._settings.max_redirects:
            raise redirect_error(
                f"more than {self._settings.max_redirects} redirects",
                source=source,
                url=current,
                status=status,
            )
        return str(target)

    async def _exchange_with_retries(self, target: _Target, source: str, tally: _Tally) -> _Answer:
        """One request, retried on transient failures as the settings allow."""
        attempt = 0
        while True:
            try:
                return await self._exchange(target, source, tally)
            except TransientSourceError as exc:
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise after_attempts(exc, attempt + 1) from exc
            await asyncio.sleep(delay)  # no slot is held while waiting
            attempt += 1

    def _retry_delay(self, exc: TransientSourceError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if attempt >= self._settings.retries:
            return None
        if exc.retry_after is not None:
            # A wait longer than the settings allow is left to a later pass: the error keeps
            # it, and the source is not asked again before then.
            return exc.retry_after if exc.retry_after <= self._settings.max_retry_after else None
        return backoff_delay(attempt, self._settings.backoff_seconds, self._rng)

    async def _exchange(self, target: _Target, source: str, tally: _Tally) -> _Answer:
        """Make exactly one HTTP request, holding a host slot and a global slot throughout."""
        host = _host_of(target.url)
        async with self._host_slots.hold(host) as host_slot, self._slots:
            client = self._client_for(host, host_slot)
            tally.requests += 1
            try:
                async with asyncio.timeout(self._settings.total_timeout):
                    request = client.build_request(
                        target.method, target.url, headers=target.headers, content=target.content
                    )
                    response = await client.send(request, stream=True)
                    try:
                        return await self._answer(response, target, source)
                    finally:
                        tally.bytes_received += response.num_bytes_downloaded
                        await response.aclose()
            except TimeoutError:
                raise timeout_error(
                    self._settings.total_timeout, source=source, url=target.url
                ) from None
            except httpx.HTTPError as exc:
                raise transport_error(exc, source=source, url=target.url) from exc

    async def _answer(self, response: httpx.Response, target: _Target, source: str) -> _Answer:
        """Classify a response: success (body read), 304, redirect, or raise its error."""
        url = target.url
        status = response.status_code
        location = response.headers.get("location")
        if status in _REDIRECT_STATUSES and location:
            await drain(response, limit=DRAINED_BODY_BYTES)
            return _Answer(status, response.headers, location=location)
        if status == 304:
            await drain(response, limit=DRAINED_BODY_BYTES)
            return _Answer(status, response.headers)
        if 200 <= status < 300:
            body = await read_capped_body(
                response, limit=self._settings.max_body_bytes, source=source, url=url
            )
            return _Answer(status, response.headers, body=body)
        headers = {key.lower(): value for key, value in response.headers.items()}
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is None and status == 429 and target.rate_limit_wait is not None:
            retry_after = target.rate_limit_wait(headers)
        error: SourceError = status_error(
            status,
            source=source,
            url=url,
            retry_after=retry_after,
            body=await _error_excerpt(response),
            headers=headers,
        )
        raise error


async def _error_excerpt(response: httpx.Response, limit: int = 8192) -> bytes:
    """The start of an error answer (services explain quotas and bad queries there)."""
    try:
        return await read_excerpt(response, limit=limit)
    except httpx.HTTPError:
        return b""  # the status already says what went wrong; the excerpt is a bonus


def _headers_for_redirect(previous: _Target, next_url: str) -> dict[str, str]:
    """The request headers to send to a redirect target: no credentials to another origin."""
    before, after = httpx.URL(previous.url), httpx.URL(next_url)
    if (before.scheme, before.host, before.port) == (after.scheme, after.host, after.port):
        return dict(previous.headers)
    return {k: v for k, v in previous.headers.items() if k.lower() not in _CREDENTIAL_HEADERS}


def _host_of(url: str) -> str:
    """The host name a URL points to ("" when unparsable: the request itself will say why)."""
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return ""
