"""Structured log lines for the scheduler: ``event=job_end job=collect status=ok …`` (logfmt)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import IO

LOGGER_NAME = "veille.schedule"
log = logging.getLogger(LOGGER_NAME)


def _value(value: object) -> str:
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".") or "0"
    elif isinstance(value, datetime):
        text = value.isoformat()
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


def logfmt(**fields: object) -> str:
    """Render fields as ``key=value`` pairs, quoting values with spaces, quotes or ``=``."""
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


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
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line = f"ts={moment} level={record.levelname.lower()} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(stream: IO[str], *, level: int = logging.INFO) -> None:
    """Send the scheduler's events to ``stream``, one logfmt line each, flushed at once."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LogfmtFormatter())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    # APScheduler's own warnings (a missed run, a job still running) are logged as events here.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
