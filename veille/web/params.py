"""Query parameters read and checked: a bad one is a ``BadParameter`` naming it, never a crash.

An empty text or choice is the same as an absent one (what a form sends for a field left
blank); an empty number is malformed.

The filters are those of ``veille mentions``, with the same checks (tones, dates, dimensions,
limits). One spelling differs: the mention language is ``language``, because ``lang`` chooses
the interface language (``?lang=fr|en``).

The API refuses a parameter it does not take (``lang`` there would otherwise filter nothing,
silently); the pages ignore them, as a browser or a bookmark may add some.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo

from starlette.datastructures import QueryParams

from veille.errors import MAX_NAMES_LISTED, UnknownNameError
from veille.languages import language_code
from veille.records import STAT_DIMENSIONS
from veille.store import MentionFilter, Store
from veille.store.schema import TONES
from veille.timeutil import TooLong, parse_moment, time_zone

MAX_TEXT = 500
MAX_LIMIT = 500
MAX_OFFSET = 10**9
MAX_GROUPS = 10**6
MAX_STORY_ID = 128  # the store's story_id column: a longer id names no story
# "excel": CSV as a spreadsheet in French opens it (";" between cells, decimal comma, a BOM).
FORMATS = ("json", "csv", "excel")
# What a page's links and filter form carry over (the time zone bounds the dates).
FILTER_NAMES = (
    "brand", "platform", "site", "author", "tone", "language", "since", "until", "search", "term",
    "timezone",
)  # fmt: skip
# Taken by every endpoint: the access token may come in the address (see security.py).
TOKEN_PARAMETER = "token"
# What a caller writing these names means, in the API.
MEANT = {
    "lang": (
        "the mention language is 'language' (lang=fr|en picks the pages' interface language)",
        "la langue des mentions est 'language' (lang=fr|en choisit la langue des pages)",
    ),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


class BadParameter(Exception):
    """A query parameter is malformed: names it and says what was expected (HTTP 400).

    ``attendu``: what was expected, in French, for the French pages (the API speaks English).
    """

    code = "bad_parameter"

    def __init__(
        self, name: str, expected: str, value: str | None = None, *, attendu: str | None = None
    ) -> None:
        got = f", got {value[:80]!r}" if value is not None else ""
        super().__init__(f"{name}: expected {expected}{got}")
        self.name = name
        self.message = str(self)
        recu = f", reçu {value[:80]!r}" if value is not None else ""
        self.french = f"{name}\u00a0: attendu {attendu or expected}{recu}"


class UnknownParameter(BadParameter):
    """A query parameter the endpoint does not take: names it and lists those it takes."""

    code = "unknown_parameter"

    def __init__(self, name: str, known: Sequence[str]) -> None:
        shown, listed = repr(name[:80]), ", ".join(known) or "none"
        meant, veut_dire = MEANT.get(name, ("", ""))
        close = difflib.get_close_matches(name, known, n=1)
        if not meant and close:
            meant, veut_dire = f"did you mean {close[0]!r}?", f"vouliez-vous {close[0]!r}\u00a0?"
        Exception.__init__(self, f"unknown parameter {shown}")
        self.name = name
        hint = f"; {meant}" if meant else ""
        self.message = f"unknown parameter {shown}{hint} (known: {listed})"
        indice = f"\u00a0; {veut_dire}" if veut_dire else ""
        self.french = f"paramètre inconnu {shown}{indice} (connus\u00a0: {listed})"


def refuse_unknown(query: QueryParams, known: Iterable[str]) -> None:
    """Refuse the first parameter of ``query`` that is neither in ``known`` nor the token."""
    taken = tuple(known)
    for name, _ in query.multi_items():
        if name not in taken and name != TOKEN_PARAMETER:
            raise UnknownParameter(name, taken)


class NotFound(Exception):
    """What the request names does not exist (HTTP 404); ``name`` is the parameter, if any;
    ``french``: the message for the French pages."""

    def __init__(self, message: str, name: str | None = None, *, french: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.french = french or message


def text(query: QueryParams, name: str) -> str | None:
    """The last value of a text parameter; absent or empty means None."""
    value = query.getlist(name)[-1] if name in query else ""
    return checked_text(name, value)


def checked_text(name: str, value: str) -> str | None:
    """A text value without control characters and not too long; empty means None."""
    if _CONTROL.search(value):
        raise BadParameter(
            name, "text without control characters", attendu="un texte sans caractère de contrôle"
        )
    if len(value) > MAX_TEXT:
        raise BadParameter(
            name, f"at most {MAX_TEXT} characters", attendu=f"au plus {MAX_TEXT} caractères"
        )
    return value.strip() or None


def integer(query: QueryParams, name: str, lowest: int, highest: int) -> int | None:
    """An integer parameter within [lowest, highest]; absent means None."""
    if name not in query:
        return None
    value = query.getlist(name)[-1].strip()
    expected = f"an integer from {lowest} to {highest}"
    if not re.fullmatch(r"[+-]?\d{1,12}", value) or not lowest <= int(value) <= highest:
        raise BadParameter(name, expected, value, attendu=f"un entier de {lowest} à {highest}")
    return int(value)


def choice(query: QueryParams, name: str, choices: Sequence[str]) -> str | None:
    """One of ``choices``, exactly; absent or empty means None."""
    value = query.getlist(name)[-1] if name in query else ""
    if value == "":
        return None
    if value not in choices:
        # Checked as text first, so that the message never echoes control characters.
        checked_text(name, value)
        listed = ", ".join(choices)
        raise BadParameter(
            name, "one of " + listed, value.strip(), attendu="l'une des valeurs " + listed
        )
    return value


def moment(
    query: QueryParams,
    name: str,
    *,
    end_of_day: bool,
    default: str | None = None,
    zone: tzinfo = UTC,
) -> datetime | None:
    """A look-back (7d, 12h) or a date (2026-01-01, a day of ``zone``), as ``--since`` and
    ``--until`` read them."""
    value = text(query, name) or default
    if value is None:
        return None
    try:
        return parse_moment(value, end_of_day=end_of_day, zone=zone)
    except TooLong:
        raise BadParameter(
            name,
            "a look-back of at most 100 years (36525d)",
            value,
            attendu="une durée d'au plus 100 ans (36525d)",
        ) from None
    except ValueError:
        raise BadParameter(
            name,
            "a look-back such as 7d or 12h, or a date such as 2026-01-01",
            value,
            attendu="une durée comme 7d ou 12h, ou une date comme 2026-01-01",
        ) from None


def brands(query: QueryParams, known: Sequence[str]) -> tuple[str, ...]:
    """The requested brands spelled as stored (case and accents aside); an unknown one is a
    NotFound."""
    from veille.normalize.text import name_key

    spelled = {name.casefold(): name for name in known}
    # As --brand: case, accents and the kind of apostrophe aside.
    by_key = {name_key(name): name for name in known}
    resolved = []
    for raw in query.getlist("brand"):
        value = checked_text("brand", raw)
        if value is None:
            continue
        found = spelled.get(value.casefold()) or by_key.get(name_key(value))
        if found is None:
            # In the order of /api/brands and the form: case and accents aside.
            listing = ", ".join(sorted(known, key=name_key)) or "none"
            raise NotFound(
                f"unknown brand {value!r} (known: {listing})",
                "brand",
                french=f"marque inconnue {value!r} (connues\u00a0: {listing})",
            )
        resolved.append(found)
    return tuple(dict.fromkeys(resolved))


def sites(query: QueryParams) -> tuple[str, ...]:
    """The ``site`` parameters given (repeatable: the mentions of any of them), empty ones left
    out: each a site (lemonde.fr) or one of its hosts, as ``--site`` takes it; a page or section
    of one (lemonde.fr/economie) is refused, as it would stand for all of it."""
    from veille.normalize.domains import SectionOfSiteError, whole_site

    given = (checked_text("site", value) for value in query.getlist("site"))
    chosen = tuple(dict.fromkeys(site for site in given if site is not None))
    for value in chosen:
        try:
            whole_site(value)
        except SectionOfSiteError as exc:
            raise BadParameter(
                "site",
                f"a site, not a page or section of one: write {exc.host}",
                value,
                attendu=f"un site, pas une page ou une rubrique\u00a0: écrivez {exc.host}",
            ) from None
    return chosen


def language(query: QueryParams) -> str | None:
    """The ``language`` parameter as a stored language code ("fr-FR" asks for "fr")."""
    value = text(query, "language")
    if value is None:
        return None
    code = language_code(value)
    if code is None:
        raise BadParameter(
            "language",
            "a language code such as fr or en",
            value,
            attendu="un code de langue comme fr ou en",
        )
    return code


def platform(query: QueryParams, store: Store) -> str | None:
    """The ``platform`` parameter as stored; one neither veille nor ``store`` knows is a
    NotFound listing the known ones, as an unknown brand is."""
    value = text(query, "platform")
    if value is None:
        return value
    try:
        return store.known_platform(value)
    except UnknownNameError as exc:
        french = _french_unknown("plateforme inconnue", "connues", exc)
        raise NotFound(exc.message, "platform", french=french) from None


def term(query: QueryParams, store: Store, configured_queries: Sequence[str]) -> str | None:
    """The ``term`` parameter; one no brand's query holds (a stored brand's or one of
    ``configured_queries``) nor any stored mention was found by is a NotFound listing the
    terms."""
    value = text(query, "term")
    if value is None:
        return value
    try:
        return store.known_term(value, configured_queries)
    except UnknownNameError as exc:
        french = _french_unknown("terme inconnu", "connus", exc, none="aucun dans les requêtes")
        raise NotFound(exc.message, "term", french=french) from None


def _french_unknown(what: str, known: str, exc: UnknownNameError, *, none: str = "aucune") -> str:
    """The French of ``exc``'s message: the known names, or the first of many."""
    names = exc.known
    if len(names) <= MAX_NAMES_LISTED:
        return f"{what} {exc.name!r} ({known}\u00a0: {', '.join(names) or none})"
    return f"{what} {exc.name!r} ({len(names)} {known}, dont\u00a0: {', '.join(names[:5])})"


def mention_filter(
    query: QueryParams,
    known_brands: Sequence[str],
    *,
    store: Store,
    configured_queries: Sequence[str],
    limit: int | None,
    offset: int = 0,
    default_since: str | None = None,
    story_id: str | None = None,
    zone: tzinfo = UTC,
) -> MentionFilter:
    """The MentionFilter of the query's filter parameters (dates are days of ``zone``); the
    platform and the term are checked against what ``store`` and ``configured_queries`` (those
    of the brands not collected yet) know."""
    return MentionFilter(
        brands=brands(query, known_brands),
        platform=platform(query, store),
        sites=sites(query),
        author=text(query, "author"),
        tone=choice(query, "tone", TONES),
        lang=language(query),
        since=moment(query, "since", end_of_day=False, default=default_since, zone=zone),
        until=moment(query, "until", end_of_day=True, zone=zone),
        search=text(query, "search"),
        term=term(query, store, configured_queries),
        limit=limit,
        offset=offset,
        story_id=story_id,
    )


def paging(query: QueryParams, default_limit: int) -> tuple[int, int]:
    """(limit, offset) of a listing."""
    limit = integer(query, "limit", 1, MAX_LIMIT)
    offset = integer(query, "offset", 0, MAX_OFFSET)
    return (default_limit if limit is None else limit, offset or 0)


def stats_dimension(query: QueryParams) -> str:
    """The ``by`` of a statistic (platform by default)."""
    return choice(query, "by", STAT_DIMENSIONS) or "platform"


def time_zone_name(query: QueryParams, default: str = "UTC") -> str:
    """The ``timezone`` of calendar days: those of statistics, and the dates of ``since`` and
    ``until``."""
    name = text(query, "timezone") or default
    try:
        time_zone(name)
    except ValueError:
        raise BadParameter(
            "timezone",
            "an IANA time zone (Europe/Paris, UTC)",
            name,
            attendu="un fuseau horaire IANA (Europe/Paris, UTC)",
        ) from None
    return name


def output_format(query: QueryParams) -> str:
    """json (default), csv or excel."""
    return choice(query, "format", FORMATS) or "json"


def story_id(value: str) -> str:
    """A story id from the path."""
    if len(value) > MAX_STORY_ID:
        raise BadParameter(
            "story_id",
            f"at most {MAX_STORY_ID} characters",
            attendu=f"au plus {MAX_STORY_ID} caractères",
        )
    checked = checked_text("story_id", value)
    if checked is None:
        raise BadParameter("story_id", "a story id", attendu="un identifiant de récit")
    return checked


def filter_query(query: QueryParams, *, drop: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The filter parameters of a query with a value, to carry them over into links."""
    keep = set(FILTER_NAMES) - set(drop)
    return [(name, value) for name, value in query.multi_items() if name in keep and value]
