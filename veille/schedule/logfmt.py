"""Structured log lines for the scheduler: ``event=job_end job=collect status=ok …`` (logfmt).

Under the scheduler every veille log line is one: the scheduler's own events, and the warnings
of the modules its jobs run (``event=log logger=veille.pipeline message="…"``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO

LOGGER_NAME = "veille.schedule"
log = logging.getLogger(LOGGER_NAME)
# Every module's logger is below it.
PACKAGE_LOGGER = "veille"


def _value(value: object) -> str:
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".") or "0"
    elif isinstance(value, datetime):
        text = utc_text(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = ""
    else:
        text = str(value)
    if text == "" or any(ch in text for ch in ' "=\\') or not text.isprintable():
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return f'"{escaped}"'
    return text


def utc_text(moment: datetime) -> str:
    """A moment as every time of these lines is written: UTC, ISO 8601, to the millisecond (a
    naive one is taken as UTC, as veille stores times)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds")


def logfmt(**fields: object) -> str:
    """Render fields as ``key=value`` pairs, quoting values with spaces, quotes or ``=``."""
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def listed(names: Sequence[str], limit: int = 3) -> str:
    """A few names for a log line, then how many more: ``flux-a,flux-b,flux-c,+4``."""
    shown = ",".join(names[:limit])
    return f"{shown},+{len(names) - limit}" if len(names) > limit else shown


def emit(event: str, **fields: object) -> None:
    """Log one scheduler event with its fields."""
    log.info(logfmt(event=event, **fields))


def emit_warning(event: str, **fields: object) -> None:
    """Log one scheduler event that needs attention."""
    log.warning(logfmt(event=event, **fields))


def emit_error(event: str, **fields: object) -> None:
    """Log one scheduler event that went wrong."""
    log.error(logfmt(event=event, **fields))


class LogfmtFormatter(logging.Formatter):
    """Prefixes each line with its time (UTC, ISO 8601) and level, logfmt-style."""

    def format(self, record: logging.LogRecord) -> str:
        """``ts=… level=info event=…``, with the traceback (if any) on the lines after."""
        moment = utc_text(datetime.fromtimestamp(record.created, UTC))
        if record.name == LOGGER_NAME:
            fields = record.getMessage()  # an event, already logfmt
        else:
            fields = logfmt(event="log", logger=record.name, message=record.getMessage())
        line = f"ts={moment} level={record.levelname.lower()} {fields}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(stream: IO[str], *, level: int = logging.INFO) -> None:
    """Send veille's log lines to ``stream``, one logfmt line each, flushed at once: the
    scheduler's events from ``level`` on, the other modules' from warnings on, as the other
    commands show them (everything at ``DEBUG``)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LogfmtFormatter())
    package = logging.getLogger(PACKAGE_LOGGER)
    package.handlers[:] = [handler]
    package.setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
    # Not also through the root logger's plain handler (basicConfig): each line once.
    package.propagate = False
    log.handlers[:] = []
    log.setLevel(level)
    log.propagate = True
    # APScheduler's own warnings (a missed run, a job still running) are logged as events here.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
