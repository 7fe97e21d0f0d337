"""Records as other programs read them: the fields of mentions and statistics, and safe CSV.

The command line and the dashboard export the same records with the same fields; a CSV cell that
a spreadsheet would run as a formula is neutralised in both.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

MENTION_FIELDS = (
    "id", "brand", "platform", "source", "site", "url", "title", "text", "author", "author_handle",
    "author_url", "published_at", "collected_at", "lang", "sentiment", "tone", "matched", "reach",
    "engagement", "metrics", "story_id",
)  # fmt: skip
# A story's sighting: a document, with every brand it names (``brand`` is the first).
SIGHTING_FIELDS = (*MENTION_FIELDS[:2], "brands", *MENTION_FIELDS[2:])
STAT_FIELDS = (
    "key", "mentions", "share", "positive", "neutral", "negative", "avg_sentiment", "engagement",
    "reach",
)  # fmt: skip
STAT_DIMENSIONS = (
    "brand", "term", "hashtag", "platform", "site", "author", "tone", "lang",
    "day", "week", "month",
)  # fmt: skip
# The platforms veille's collectors give their documents; an rss source may name another
# (its `platform` option), which its stored documents then make known.
PLATFORMS = (
    "news", "blog", "youtube", "reddit", "hackernews", "mastodon", "bluesky", "lemmy", "github",
    "stackexchange",
)  # fmt: skip
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = "; ".join(str(item) for item in value)
    elif isinstance(value, Mapping):
        value = "; ".join(f"{key}={item}" for key, item in value.items())
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES) and not _is_number(text):
        return "'" + text
    return text


# A number as spreadsheets read one: digits, a decimal point, an exponent. Not Python's float()
# spellings (inf, nan, infinity, 1_000, surrounding spaces), which a spreadsheet reads as a
# formula's name, or text.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None


# What starts an export for a spreadsheet: the byte-order mark by which Excel reads UTF-8.
SPREADSHEET_START = "\ufeff"


def csv_text(
    records: Iterable[Mapping[str, object]], fields: Sequence[str], *, spreadsheet: bool = False
) -> str:
    """The records as CSV text: a header row of ``fields``, then one neutralised row each.

    ``spreadsheet``: as Excel opens CSV in French, cells separated by ";" and numbers written
    with a decimal comma (the caller starts the file with ``SPREADSHEET_START``).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", delimiter=";" if spreadsheet else ",")
    writer.writerow(fields)
    for record in records:
        values = (record.get(field) for field in fields)
        if spreadsheet:
            # A number is no formula: written with its comma after the check ("-0,5").
            writer.writerow(
                [str(v).replace(".", ",") if isinstance(v, float) else csv_safe(v) for v in values]
            )
        else:
            writer.writerow([csv_safe(value) for value in values])
    return buffer.getvalue()
