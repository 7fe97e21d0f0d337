"""Tables that fit the terminal: the column that matters keeps its width, the others give way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.table import Table

Justify = Literal["left", "center", "right"]

# The main column (a title, a site…) is given at least a third of the width, within these bounds.
_MAIN_MIN, _MAIN_MAX = 24, 40
# What rich adds around each column (a space on either side, a rule) and at the table's end.
_PER_COLUMN, _PER_TABLE = 3, 1


@dataclass
class Column:
    """A column of rich markup cells; ``short_cells`` is a narrower form it takes first."""

    key: str
    header: str
    cells: list[str] = field(default_factory=list)
    justify: Justify = "left"
    max_width: int | None = None
    short_cells: list[str] | None = None
    main: bool = False  # the column the others give way to; wraps rather than being cut


def fitted_table(
    columns: Sequence[Column], width: int, give_way: Sequence[str], **options: Any
) -> Table:
    """A rich table of ``columns`` for ``width`` terminal columns.

    The main column keeps at least a third of the width (24 to 40 columns, or what it needs):
    while the table would be wider, the columns named in ``give_way`` make room in that order,
    those left empty first: a column with ``short_cells`` takes them the first time it is named
    and goes the second, the others go at once. What still does not fit is cut with an ellipsis.
    """
    from rich.table import Table

    kept = list(columns)
    main_min = 0
    for column in kept:
        if column.main:
            main_min = min(_natural(column), max(_MAIN_MIN, min(_MAIN_MAX, width // 3)))

    def needed() -> int:
        own = sum(main_min if c.main else _natural(c) for c in kept)
        return own + _PER_COLUMN * len(kept) + _PER_TABLE

    empty = [c.key for c in kept if c.key in give_way and not any(c.cells)]
    for key in [*empty, *give_way]:
        if needed() <= width:
            break
        giving = next((c for c in kept if c.key == key), None)
        if giving is None:
            continue
        if giving.short_cells is not None and key not in empty:
            giving.cells, giving.short_cells = giving.short_cells, None
        else:
            kept.remove(giving)
    table = Table(**options)
    for column in kept:
        if column.main:
            table.add_column(
                column.header, justify=column.justify, overflow="fold", min_width=main_min
            )
        else:
            table.add_column(
                column.header,
                justify=column.justify,
                overflow="ellipsis",
                no_wrap=True,
                max_width=column.max_width,
            )
    for row in zip(*(c.cells for c in kept), strict=True):
        table.add_row(*row)
    return table


def _natural(column: Column) -> int:
    """The width a column takes unwrapped: its widest cell or header, within its maximum."""
    from rich.text import Text

    widest = max(Text.from_markup(cell).cell_len for cell in [column.header, *column.cells])
    return widest if column.max_width is None else min(widest, column.max_width)
