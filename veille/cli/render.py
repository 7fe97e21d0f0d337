"""Rendering records for the terminal and for other programs (table, JSON, JSON lines, CSV)."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from itertools import chain
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from veille.records import SPREADSHEET_START, csv_text

if TYPE_CHECKING:
    from rich.progress import Progress

FC = TypeVar("FC", bound=Callable[..., object])
# "excel": CSV as a spreadsheet in French opens it (";" between cells, decimal comma, a BOM).
FORMATS = ("table", "json", "jsonl", "csv", "excel")
TONE_STYLES = {"positive": "green", "negative": "red", "neutral": "dim"}
# What a terminal acts on instead of showing: control characters (ESC starts colour, cursor,
# window-title and hyperlink sequences) and the bidirectional overrides that reorder a line.
_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_PICTURES = 0x2400  # U+2400 "␀" … U+241F: a visible symbol for each C0 control


# Counts go to SQL as 64-bit integers: a larger --limit or --batch-size is refused here, as a
# bad value, rather than failing in the database.
MAX_SQL_INTEGER = 2**63 - 1


class _Count(click.ParamType):
    """A whole number from ``minimum`` up to the largest a database takes."""

    name = "integer"

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        number: int = click.INT.convert(value, param, ctx)
        if number < self.minimum:
            self.fail(f"{number} is less than {self.minimum}.", param, ctx)
        if number > MAX_SQL_INTEGER:
            self.fail(f"{number} is more than a database can take ({MAX_SQL_INTEGER}).", param, ctx)
        return number


def count_range(minimum: int = 1) -> click.ParamType:
    """The type of a count option (--limit, --batch-size): ``minimum`` up to SQL's largest."""
    return _Count(minimum)


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
    write_record_batches([records], output_format, fields, out)


def write_record_batches(
    batches: Iterable[Sequence[Mapping[str, object]]],
    output_format: str,
    fields: Sequence[str],
    out: IO[str],
) -> None:
    """Write records that come in batches, each batch as it comes: one JSON array (laid out as
    ``json.dump(..., indent=2)`` lays it out), JSON lines, or CSV under one header."""
    if output_format in ("csv", "excel"):
        spreadsheet = output_format == "excel"
        header = csv_text((), fields, spreadsheet=spreadsheet)
        out.write((SPREADSHEET_START if spreadsheet else "") + header)
        for batch in batches:
            out.write(csv_text(batch, fields, spreadsheet=spreadsheet).split("\n", 1)[1])
    elif output_format == "jsonl":
        for record in chain.from_iterable(batches):
            out.write(json_text(record, out) + "\n")
    elif output_format == "json":
        out.write("[")
        separator = "\n  "
        for record in chain.from_iterable(batches):
            item = json_text(record, out, indent=2).replace("\n", "\n  ")
            out.write(separator + item)
            separator = ",\n  "
        out.write("]\n" if separator == "\n  " else "\n]\n")  # an empty array is "[]"
    else:
        raise ValueError(f"unknown format {output_format!r}")


def json_text(value: object, out: IO[str], *, indent: int | None = None) -> str:
    """``value`` as JSON for ``out``: characters as they are, or JSON's own escapes (\\u2019)
    where the output's encoding cannot hold them all (nothing lost either way)."""
    return json.dumps(value, ensure_ascii=not writes_unicode(out), indent=indent)


def writes_unicode(out: IO[str]) -> bool:
    """Whether a text stream's encoding holds every character (UTF-8 or another UTF)."""
    encoding = getattr(out, "encoding", None)
    if not isinstance(encoding, str):
        return True  # an in-memory stream: text, never encoded
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def terminal_text(text: str) -> str:
    """Collected text for a rich table: markup escaped, terminal controls made visible symbols.

    Line breaks and tabs become spaces; other C0 controls their Unicode picture (ESC is "␛");
    DEL, C1 controls and bidirectional overrides the replacement character "�".
    """
    from rich.markup import escape

    return escape(_UNSHOWABLE.sub(_visible_symbol, text))


def _visible_symbol(match: re.Match[str]) -> str:
    char = match.group()
    if char.isspace():
        return " "
    code = ord(char)
    return chr(_CONTROL_PICTURES + code) if code < 0x20 else "\ufffd"


def console(*, stderr: bool = False) -> object:
    """A rich console; when output is not a terminal, as wide as ``$COLUMNS`` says, else 160."""
    import os

    from rich.console import Console

    # emoji=False: a collected ":fire:" is text, not a picture.
    terminal = Console(stderr=stderr, emoji=False)
    if terminal.is_terminal:
        return terminal
    columns = os.environ.get("COLUMNS", "").strip()
    width = int(columns) if columns.isdigit() and int(columns) > 0 else 160
    return Console(stderr=stderr, width=width, no_color=True, highlight=False, emoji=False)


def percent(share: object) -> str:
    """A share in [0, 1] as a whole percentage."""
    return f"{float(share) * 100:.0f}%" if isinstance(share, int | float) else ""


def short_time(iso: object, timezone: str = "UTC") -> str:
    """``2026-03-04T10:20:00Z`` as ``2026-03-04 10:20`` (as ``11:20`` in Europe/Paris).

    In the hour lived twice when the clocks go back, the zone's abbreviation follows:
    ``2026-10-25 02:30 CEST``, then ``2026-10-25 02:30 CET``.
    """
    if not iso:
        return ""
    if timezone != "UTC":
        from veille.timeutil import time_zone

        with suppress(ValueError, OverflowError):
            moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                local = moment.astimezone(time_zone(timezone))
                # The hour the clocks go back is lived twice: its zone tells which one.
                twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
                return f"{local:%Y-%m-%d %H:%M}" + (f" {local:%Z}" if twice else "")
    return str(iso)[:16].replace("T", " ")


def without_source(message: str, source: str) -> str:
    """An error message without its leading ``source:``, for tables that show the source."""
    return message.removeprefix(f"{source}: ")


def progress_bar(label: str, *, quiet: bool, with_description: bool = False) -> Progress:
    """A transient progress bar on standard error: ``label``, the bar, done/total (and the
    task's description). ``quiet`` hides it, and so does a standard error that is no terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if with_description:
        columns.append(TextColumn("{task.description}"))
    errors = console(stderr=True)
    return Progress(
        *columns,
        console=errors,  # type: ignore[arg-type]
        # Off in a log (cron, a pipe): there the bar draws nothing but leaves a blank line.
        disable=quiet or not errors.is_terminal,  # type: ignore[attr-defined]
        transient=True,
    )


def languages_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, ...]:
    """A click callback reading ``--languages en,fr``: ISO 639-1 codes, checked before any work."""
    if not value:
        return ()
    codes = tuple(code.strip().lower() for code in value.split(",") if code.strip())
    bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
    if bad:
        raise click.BadParameter(f"expected ISO 639-1 codes such as en,fr; got {', '.join(bad)}")
    from veille.languages import DETECTABLE_LANGUAGES

    # Checked here too, as the configuration's languages are: the classifier would raise later.
    unknown = [code for code in codes if code not in DETECTABLE_LANGUAGES]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: not a language veille can detect")
    return codes


def language_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback reading ``--lang fr``: one language, a regional form (fr-FR) as its own."""
    if value is None:
        return None
    from veille.languages import language_code

    code = language_code(value)
    if code is None:
        raise click.BadParameter(f"expected a language code such as fr or en, got {value!r}")
    return code


def time_zone_option(help_text: str) -> Callable[[FC], FC]:
    """The shared ``--timezone`` option: an IANA zone, UTC by default, checked as it is read.

    Eager, so that ``moment_callback`` reads the dates of ``--since`` and ``--until`` as days of
    this zone wherever it stands on the command line.
    """
    return click.option(
        "--timezone",
        default="UTC",
        show_default=True,
        callback=_checked_time_zone,
        is_eager=True,
        help=help_text,
    )


def _checked_time_zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from veille.timeutil import time_zone

    try:
        time_zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def moment_callback(
    *, end_of_day: bool = False
) -> Callable[[click.Context, click.Parameter, str | None], datetime | None]:
    """A click callback reading ``--since``/``--until``: a look-back (7d, 12h) or a date.

    ``end_of_day`` makes a bare date inclusive (its last moment), as ``--until`` wants. A date is
    a day of the command's ``--timezone`` when it has one (an eager option, so read first).
    """

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
        from datetime import UTC

        from veille.timeutil import parse_moment, time_zone

        if value is None:
            return None
        zone_name = ctx.params.get("timezone")
        zone = time_zone(zone_name) if isinstance(zone_name, str) else UTC
        try:
            return parse_moment(value, end_of_day=end_of_day, zone=zone)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return convert
