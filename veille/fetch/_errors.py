"""Turning HTTP answers and low-level httpx failures into veille's error tree, in one place.

::

    answer status                          error                  retried inside the call
    401 403 404 410, other 4xx             FatalSourceError       no
    3xx without a usable Location          FatalSourceError       no
    408 425 429 500-599                    TransientSourceError   yes (Retry-After honoured)
    timeouts, resets, truncated bodies     TransientSourceError   yes
    invalid or non-http(s) URL             FatalSourceError       no
"""

from __future__ import annotations

from http import HTTPStatus

import httpx

from veille.errors import FatalSourceError, SourceError, TransientSourceError

_STATUS_HINTS: dict[int, str] = {
    401: "the source needs credentials: check the key or token configured for it",
    403: "the server refuses veille: check credentials, or whether the site blocks feed readers",
    404: "check the URL: the feed may have moved without a redirect",
    410: "the server says this feed is gone for good: remove or replace the source",
    429: "the server is rate-limiting veille: poll this source less often",
}
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
_SERVER_ERROR_HINT = "the server is failing: veille tries again at a later pass"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Status"


def status_error(
    status: int,
    *,
    source: str,
    url: str,
    retry_after: float | None = None,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> SourceError:
    """The error for an HTTP answer that is neither a success, a redirect nor a 304."""
    message = f"{source}: HTTP {status} {_reason(status)} from {url}"
    if status in _TRANSIENT_STATUSES or status >= 500:
        return TransientSourceError(
            message,
            source=source,
            url=url,
            status=status,
            retry_after=retry_after,
            hint=_STATUS_HINTS.get(status, _SERVER_ERROR_HINT),
            body=body,
            headers=headers,
        )
    if 300 <= status < 400:
        hint = "the server redirects without saying where: check the URL in a browser"
    else:
        hint = _STATUS_HINTS.get(status, "the server rejected the request: check the URL")
    return FatalSourceError(
        message, source=source, url=url, status=status, hint=hint, body=body, headers=headers
    )


def redirect_error(message: str, *, source: str, url: str, status: int) -> FatalSourceError:
    """The error for a redirect veille will not follow (loop, too many, odd scheme)."""
    return FatalSourceError(
        f"{source}: {message} (from {url})",
        source=source,
        url=url,
        status=status,
        hint="open the URL in a browser and configure the address it finally lands on",
    )


def timeout_error(seconds: float, *, source: str, url: str) -> TransientSourceError:
    """The error for a request that outlived the total per-request deadline."""
    return TransientSourceError(
        f"{source}: no complete answer from {url} within {seconds:g} s",
        source=source,
        url=url,
        hint="the server is slow or overloaded: veille tries again at a later pass",
    )


# Most specific class first: the first isinstance match decides (httpx classes nest).
_TRANSPORT_FAILURES: tuple[tuple[type[httpx.HTTPError], str, str], ...] = (
    (httpx.ConnectTimeout, "timed out connecting to", "the server did not accept a connection"),
    (httpx.TimeoutException, "timed out waiting for", "the server is slow or overloaded"),
    (
        httpx.RemoteProtocolError,
        "connection closed before the whole answer arrived from",
        "the server cut the answer short (truncated body)",
    ),
    (httpx.ConnectError, "could not connect to", "check the host name and that the server is up"),
    (
        httpx.DecodingError,
        "could not decode the compressed answer from",
        "the body is corrupt or in a coding veille does not read",
    ),
    (httpx.NetworkError, "network error while talking to", "the connection failed mid-way"),
)


def transport_error(exc: httpx.HTTPError, *, source: str, url: str) -> SourceError:
    """Map any exception httpx raises for one request to a veille source error."""
    detail = f": {exc}" if str(exc) else ""
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FatalSourceError(
            f"{source}: cannot fetch {url}{detail}",
            source=source,
            url=url,
            hint="give a full http:// or https:// URL",
        )
    for kind, what, hint in _TRANSPORT_FAILURES:
        if isinstance(exc, kind):
            return TransientSourceError(
                f"{source}: {what} {url}{detail}",
                source=source,
                url=url,
                hint=f"{hint}: veille tries again at a later pass",
            )
    return TransientSourceError(
        f"{source}: request to {url} failed ({type(exc).__name__}){detail}",
        source=source,
        url=url,
        hint="veille tries again at a later pass",
    )


def after_attempts(exc: TransientSourceError, attempts: int) -> TransientSourceError:
    """The same transient error, saying how many attempts were made before giving up."""
    if attempts <= 1:
        return exc
    return TransientSourceError(
        f"{exc.message} (gave up after {attempts} attempts)",
        source=exc.source,
        url=exc.url,
        status=exc.status,
        retry_after=exc.retry_after,
        hint=exc.hint,
        body=exc.body,
        headers=exc.headers,
    )
