"""Feed dates as feedparser reads them, the common RFC 822 form read without its date handlers.

feedparser tries a dozen date handlers, each with its regular expressions, on every date of a
feed. Nearly every RSS date is written one way, "Sat, 28 Nov 2026 10:00:00 +0100": that form
is read here into the same UTC ``struct_time``; any other goes to feedparser
(``tests/test_feed_dates.py`` checks that both agree). Dates in French, Portuguese, Spanish,
Italian, German or Dutch, which feedparser does not read, are read by ``parse_local_date``, a date
handler registered with feedparser (``veille/collectors/rss.py``).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from feedparser.datetimes import _parse_date

from veille.normalize.text import strip_accents

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


# Month names of the languages veille detects, whole or cut short, without accents ("févr." is
# "fevr"): feeds of French, Portuguese, Spanish, Italian, German and Dutch sites often write
# their dates in their own language ("lun., 24 sept. 2018 19:42:40 +0200"), which feedparser's
# handlers do not read. No name means two different months in two of these languages.
_LOCAL_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan janv janvier janeiro ene enero gen gennaio januar janner januari",
            "feb fev fevr fevrier fevereiro febrero febbraio februar februari",
            "mar mars marco marzo marz mrz maart mrt",
            "apr avr avril abr abril aprile april",
            "may mai maio mayo mag maggio mei",
            "jun juin junho junio giu giugno juni",
            "jul juil juillet julho julio lug luglio juli",
            "aug aout ago agosto augustus",
            "sep sept septembre set setembro septiembre settembre september",
            "oct octobre out outubro octubre ott ottobre okt oktober",
            "nov novembre novembro noviembre november",
            "dec decembre dez dezembro dic diciembre dicembre dezember december",
        ),
        1,
    )
    for name in names.split()
}
_ENGLISH_MONTHS = frozenset({
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june",
    "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october", "nov",
    "november", "dec", "december",
})  # fmt: skip
_ENGLISH_DAYS = frozenset({
    "mon", "monday", "tue", "tuesday", "wed", "wednesday", "thu", "thursday", "fri", "friday",
    "sat", "saturday", "sun", "sunday",
})  # fmt: skip
# The European time zones feeds name (feedparser reads none of them: "08:00 CET" came out as
# 08:00 UTC), by their hours east of UTC.
_EUROPEAN_ZONES = {
    "wet": 0, "west": 1, "bst": 1, "cet": 1, "met": 1, "mez": 1, "cest": 2, "mest": 2,
    "mesz": 2, "eet": 2, "eest": 3,
}  # fmt: skip
_LOCAL_DATE = re.compile(
    r"(?:([^\W\d_]+)\.?,?\s+)?"  # the day's name, whatever the language: the date says it
    r"(\d{1,2})(?:er)?\.?\s+([^\W\d_]+)\.?,?\s+(\d{4})"
    r"(?:,?\s+(?:[àa]\s+)?(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?"
    r"\s*(GMT|UTC|UT|Z|[+-](?:0\d|1[0-4]):?[0-5]\d|" + "|".join(_EUROPEAN_ZONES) + r")?\s*\Z",
    re.IGNORECASE,
)


def parse_local_date(value: str) -> tuple[int, ...] | None:
    """A feed date written with French, Portuguese, Spanish, Italian, German or Dutch day and
    month names, or in a European time zone named by its letters (CET, CEST…), as a UTC 9-tuple
    (feedparser's date handler contract); None otherwise.

    A date without a time is taken at midnight, one without a time zone in UTC, as feedparser
    takes them. English names are left to feedparser, but for a day's name before a date
    without a time zone ("Sat, 28 Nov 2026 10:00:00"), which its handlers do not read: that one
    is read here, in UTC like the others.
    """
    written = _LOCAL_DATE.match(value.strip())
    if written is None:
        return _numeric_date(value)
    day_name, day, month_name, year, hour, minute, second, zone = written.groups()
    european = _EUROPEAN_ZONES.get((zone or "").lower())
    if (
        european is None
        and month_name.lower() in _ENGLISH_MONTHS
        and (day_name is None or day_name.lower() in _ENGLISH_DAYS)
        and (zone is not None or day_name is None)
    ):
        return None  # English: feedparser's own handlers read it, as they always have
    month = _LOCAL_MONTHS.get(strip_accents(month_name.lower()))
    if month is None:
        return None
    return _utc(int(year), month, int(day), hour, minute, second, zone)


_NUMERIC_DATE = re.compile(
    r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})"
    r"(?:,?\s+(?:[àa]\s+)?(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?"
    r"\s*(GMT|UTC|UT|Z|[+-](?:0\d|1[0-4]):?[0-5]\d|" + "|".join(_EUROPEAN_ZONES) + r")?\s*\Z",
    re.IGNORECASE,
)


def _numeric_date(value: str) -> tuple[int, ...] | None:
    """A date written in figures, « 28/11/2026 08:00 » or « 28.11.2026 », when it can only be
    read one way: day first as in Europe, or month first as in the United States when the
    second figure is past 12. « 05/11/2026 » could be either: left undated, not misdated."""
    written = _NUMERIC_DATE.match(value.strip())
    if written is None:
        return None
    first, second_figure, year, hour, minute, second, zone = written.groups()
    one, other = int(first), int(second_figure)
    if one > 12 or one == other:
        day, month = one, other
    elif other > 12:
        day, month = other, one
    else:
        return None
    return _utc(int(year), month, day, hour, minute, second, zone)


def _utc(
    year: int,
    month: int,
    day: int,
    hour: str | None,
    minute: str | None,
    second: str | None,
    zone: str | None,
) -> tuple[int, ...] | None:
    """The UTC 9-tuple of a date read in its pieces, in its time zone (UTC when none)."""
    european = _EUROPEAN_ZONES.get((zone or "").lower())
    try:
        moment = datetime(
            year, month, day, int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC
        )
        if european is not None:
            moment -= timedelta(hours=european)
        elif zone and zone[0] in "+-":
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            moment = moment - offset if zone[0] == "+" else moment + offset
    except (ValueError, OverflowError):  # 31 février, or beyond the years a date can hold
        return None
    return tuple(moment.utctimetuple())
