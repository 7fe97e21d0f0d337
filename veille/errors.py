"""The one error tree of veille.

::

    VeilleError                 anything veille reports to a user (has a one-line ``hint``)
    ├── ConfigError             the configuration file or an option is wrong (names file and key)
    ├── QueryError              a brand query does not parse (names the position)
    ├── UnknownNameError        a filter names a platform or a term nothing knows (lists them)
    ├── FilterError             a filter asks what it cannot compare (a page of a site)
    ├── StoreError              the database is unreachable or not at the expected revision
    │   └── StoreUnavailableError   it takes no writes now (a full disk, a read-only file)
    └── SourceError             one source could not be collected (names source and URL)
        ├── TransientSourceError  timeouts, connection errors, 429, 5xx: try again later
        └── FatalSourceError      401/403/404/410, bad payload size, bad credentials: needs a person

The command line turns every ``VeilleError`` into a clean message and an exit status; any other
exception is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable

from veille.redaction import redact_urls


class VeilleError(Exception):
    """Base of every error veille reports to its user."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = redact_urls(message)  # a URL's password or token never reaches the user
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(VeilleError):
    """The configuration is invalid: names the file, the key and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.reason = message  # without the file and key
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)


class QueryError(VeilleError):
    """A boolean brand query could not be parsed."""

    def __init__(self, message: str, *, query: str, position: int | None = None) -> None:
        self.query = query
        self.position = position
        at = f" at position {position}" if position is not None else ""
        super().__init__(f"invalid query {query!r}{at}: {message}")


class UnknownNameError(VeilleError):
    """A filter names a ``kind`` of thing (platform, term) that neither veille nor the stored
    mentions know: ``name`` as asked, and the ``known`` names, sorted."""

    def __init__(self, kind: str, name: str, known: Iterable[str], *, none: str = "none") -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(set(known))
        super().__init__(unknown_name_text(kind, name, self.known, none=none))


class FilterError(VeilleError):
    """A filter of the stored mentions asks what it cannot compare (``--site lemonde.fr/eco``):
    ``name`` is the filter (``site``)."""

    def __init__(self, name: str, message: str, *, hint: str | None = None) -> None:
        self.name = name
        super().__init__(message, hint=hint)


class StoreError(VeilleError):
    """The mention database cannot be used as asked."""


class StoreUnavailableError(StoreError):
    """The database takes no writes now (a full disk, a read-only file or server).

    Every other write would fail the same way: a collecting pass stops rather than fail each
    of its sources in turn.
    """


class SourceError(VeilleError):
    """A source could not be collected this time."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.source = source
        self.url = url
        self.status = status
        self.retry_after = retry_after
        # The start of an error answer and its headers (lower-case keys), for collectors that
        # read a service's own error shape (quota reasons, rate-limit headers).
        self.body = body
        self.headers = dict(headers or {})


class TransientSourceError(SourceError):
    """Timeouts, connection failures, 429 and 5xx answers: the source is retried later."""


class FatalSourceError(SourceError):
    """Answers that will not fix themselves (401/403/404/410, oversized bodies)."""


# How much of an unexpected error's message a source keeps; the log has the whole of it.
INTERNAL_ERROR_CHARS = 300


def internal_error_text(exc: Exception) -> str:
    """One short line for an unexpected error (a bug): a database error's own message without
    the SQL statement and parameters SQLAlchemy appends (a whole feed's text, at times)."""
    cause = getattr(exc, "orig", None)
    message = str(cause if isinstance(cause, BaseException) else exc)
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    if len(first_line) > INTERNAL_ERROR_CHARS:
        first_line = first_line[: INTERNAL_ERROR_CHARS - 1] + "…"
    return f"internal error: {type(exc).__name__}: {first_line}"


# A message about an unknown name lists the known ones up to this many; past it (a thousand
# feeds), it offers the closest names instead.
MAX_NAMES_LISTED = 20


def unknown_name_text(kind: str, name: str, known: Iterable[str], *, none: str = "none") -> str:
    """``unknown source 'x' (known: …)``, the known names listed, or the closest of many."""
    names = sorted(set(known))
    if len(names) <= MAX_NAMES_LISTED:
        return f"unknown {kind} {name!r} (known: {', '.join(names) or none})"
    import difflib

    close = difflib.get_close_matches(name, names, n=3)
    if close:
        return f"unknown {kind} {name!r} (did you mean {' or '.join(close)}? {len(names):,} known)"
    return f"unknown {kind} {name!r} ({len(names):,} known, the first: {', '.join(names[:5])})"
