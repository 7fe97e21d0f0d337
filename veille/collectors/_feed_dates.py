"""Feed dates as feedparser reads them, the common RFC 822 form read without its date handlers.

feedparser tries a dozen date handlers, each with its regular expressions, on every date of a
feed. Nearly every RSS date is written one way, "Sat, 28 Nov 2026 10:00:00 +0100": that form
is read here into the same UTC ``struct_time``; any other goes to feedparser
(``tests/test_feed_dates.py`` checks that both agree).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from feedparser.datetimes import _parse_date

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (" + "|".join(_MONTHS) + r") "
    r"((?:19|2\d)\d\d) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d) "
    r"(GMT|UTC|UT|Z|[+-](?:0\d|1[0-4])[0-5]\d)\Z"
)


def parse_feed_date(value: str) -> time.struct_time | None:
    """The UTC time of a feed's date, as feedparser's ``_parse_date`` gives it (None if none)."""
    written = _RFC822.match(value)
    if written is None:
        return _parse_date(value)
    day, month, year, hour, minute, second, zone = written.groups()
    try:
        moment = datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:  # 31 Feb: feedparser's answer
        return _parse_date(value)
    if zone[0] in "+-":
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        moment = moment - offset if zone[0] == "+" else moment + offset
    return moment.utctimetuple()
