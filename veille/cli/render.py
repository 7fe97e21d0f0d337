"""Rendering records for the terminal and for other programs (table, JSON, JSON lines, CSV)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TypeVar

import click

from veille.records import csv_text

FC = TypeVar("FC", bound=Callable[..., object])
FORMATS = ("table", "json", "jsonl", "csv")
TONE_STYLES = {"positive": "green", "negative": "red", "neutral": "dim"}


def format_option(default: str = "table", choices: Sequence[str] = FORMATS) -> Callable[[FC], FC]:
    """The shared ``--format`` option."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def write_records(
    records: Sequence[Mapping[str, object]],
    output_format: str,
    fields: Sequence[str],
    out: IO[str],
) -> None:
    """Write records as json, jsonl or csv (tables are rendered by the caller)."""
    if output_format == "json":
        json.dump(list(records), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif output_format == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif output_format == "csv":
        out.write(csv_text(records, fields))
    else:
        raise ValueError(f"unknown format {output_format!r}")


def console(*, stderr: bool = False) -> object:
    """A rich console; wide enough for tables when output is not a terminal."""
    from rich.console import Console

    terminal = Console(stderr=stderr)
    if terminal.is_terminal:
        return terminal
    return Console(stderr=stderr, width=160, no_color=True, highlight=False)


def percent(share: object) -> str:
    """A share in [0, 1] as a whole percentage."""
    return f"{float(share) * 100:.0f}%" if isinstance(share, int | float) else ""


def short_time(iso: object) -> str:
    """``2026-03-04T10:20:00Z`` as ``2026-03-04 10:20``."""
    return str(iso)[:16].replace("T", " ") if iso else ""


def without_source(message: str, source: str) -> str:
    """An error message without its leading ``source:``, for tables that show the source."""
    return message.removeprefix(f"{source}: ")
