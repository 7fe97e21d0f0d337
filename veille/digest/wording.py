"""The digest's words in French and English: subject lines, labels, dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from veille.numbers import format_number, takes_plural
from veille.timeutil import utcnow

LANGUAGES = ("fr", "en")

_MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ),
}  # fmt: skip
_SHORT_MONTHS = {
    "fr": (
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}  # fmt: skip
_DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Veille de la marque",
        "intro": "Nouvelles mentions depuis le dernier envoi",
        "nothing": "Aucune nouvelle mention depuis le dernier envoi.",
        "new": "nouvelles",
        "positive": "positives",
        "neutral": "neutres",
        "negative": "négatives",
        "tone_positive": "positif",
        "tone_neutral": "neutre",
        "tone_negative": "négatif",
        "volume": "Volume par jour",
        "top_authors": "Auteurs les plus actifs",
        "top_sites": "Sites",
        "top_platforms": "Plateformes",
        "top_hashtags": "Hashtags",
        "of_period": "sur la période",
        "by": "par",
        "see": "voir",
        "colon": "\u00a0:",  # French sets a (no-break) space before a colon
        "health": "État des collecteurs",
        "health_ok": "Toutes les sources répondent.",
        "failing": "en échec",
        "silent": "muette",
        "disabled": "désactivée",
        "since": "depuis",
        "never": "jamais réussie",
        # veille's own messages are in English: the footer says so rather than seem to mix.
        "error_failing": "dernière erreur (en anglais)",
        "error_disabled": "motif (en anglais)",
        "terms": "termes",
        "footer": "Envoyé par veille",
        "unknown": "inconnu",
    },
    "en": {
        "title": "Brand watch",
        "intro": "New mentions since the last digest",
        "nothing": "No new mention since the last digest.",
        "new": "new",
        "positive": "positive",
        "neutral": "neutral",
        "negative": "negative",
        "tone_positive": "positive",
        "tone_neutral": "neutral",
        "tone_negative": "negative",
        "volume": "Volume by day",
        "top_authors": "Most active authors",
        "top_sites": "Sites",
        "top_platforms": "Platforms",
        "top_hashtags": "Hashtags",
        "of_period": "over the period",
        "by": "by",
        "see": "see",
        "colon": ":",
        "health": "Collectors",
        "health_ok": "Every source answers.",
        "failing": "failing",
        "silent": "silent",
        "disabled": "disabled",
        "since": "since",
        "never": "never succeeded",
        "error_failing": "last error",
        "error_disabled": "reason",
        "terms": "terms",
        "footer": "Sent by veille",
        "unknown": "unknown",
    },
}


def count_mentions(count: int, language: str) -> str:
    """ "1 234 nouvelles mentions" / "37 new mentions"; "aucune nouvelle mention" / "no new
    mention" for none (French takes the singular below two)."""
    number = format_number(count, language)
    if language == "fr":
        if not count:
            return "aucune nouvelle mention"
        return f"{number} nouvelle mention" if count == 1 else f"{number} nouvelles mentions"
    if not count:
        return "no new mention"
    return f"{number} new mention" if count == 1 else f"{number} new mentions"


def tone_count(count: int, tone: str, language: str) -> str:
    """ "3 négatives" / "1 neutre" / "2 negative": a tone label agreeing with its count."""
    word = LABELS[language][tone]
    if language == "fr" and not takes_plural(count, language):
        word = word.removesuffix("s")
    return f"{format_number(count, language)} {word}"


def sightings(count: int, language: str) -> str:
    """ "7 apparitions" / "7 sightings": how many mentions of one story the digest holds."""
    number = format_number(count, language)
    plural = takes_plural(count, language)
    if language == "fr":
        return f"{number} apparitions" if plural else f"{number} apparition"
    return f"{number} sightings" if plural else f"{number} sighting"


def other_sites(count: int, language: str) -> str:
    """ "+2 autres sites" / "+2 other sites"."""
    number = format_number(count, language)
    if language == "fr":
        return f"+{number} autre site" if count == 1 else f"+{number} autres sites"
    return f"+{number} other site" if count == 1 else f"+{number} other sites"


def more_stories(count: int, language: str) -> str:
    """ "+1 autre récit, non listé" / "+3 more stories, not listed": the stories left out."""
    number = format_number(count, language)
    if language == "fr":
        if count == 1:
            return f"+{number} autre récit, non listé"
        return f"+{number} autres récits, non listés"
    if count == 1:
        return f"+{number} more story, not listed"
    return f"+{number} more stories, not listed"


def subject(brands: Sequence[tuple[str, int]], negatives: int, language: str) -> str:
    """The subject line: the brand (or veille and each brand's count), total and negatives."""
    total = sum(count for _, count in brands)
    if len(brands) == 1:
        head = f"{brands[0][0]} — {count_mentions(total, language)}"
    else:
        detail = ", ".join(
            f"{name} {format_number(count, language)}" for name, count in brands if count
        )
        head = f"veille — {count_mentions(total, language)}" + (f" ({detail})" if detail else "")
    if not total:
        return head.split(" — ")[0] + " — " + count_mentions(0, language)
    if not negatives:
        return head
    if language == "fr":
        return f"{head}, dont {format_number(negatives, 'fr')} négative" + (
            "s" if negatives > 1 else ""
        )
    return f"{head}, {format_number(negatives, language)} negative"


def long_date(moment: datetime | date, language: str) -> str:
    """ "mardi 24 novembre 2026" / "Tuesday 24 November 2026"."""
    day = _DAYS[language][moment.weekday()]
    month = _MONTHS[language][moment.month - 1]
    return f"{day} {moment.day} {month} {moment.year}"


def short_day(moment: date, language: str) -> str:
    """ "mar. 24/11" / "Tue 24/11", for chart rows."""
    day = _DAYS[language][moment.weekday()][:3]
    return f"{day}{'.' if language == 'fr' else ''} {moment.day:02d}/{moment.month:02d}"


def short_month(moment: date, language: str) -> str:
    """ "nov. 2026" / "Nov 2026", for chart axes."""
    return f"{_SHORT_MONTHS[language][moment.month - 1]} {moment.year}"


def day_span(start: date, end: date, language: str) -> str:
    """The days from ``start`` to ``end`` (included) in few words: "2–8 nov. 2026", "novembre
    2026" for a whole month, "30 nov. – 6 déc. 2026"; the year once where it is the same."""
    months = _SHORT_MONTHS[language]
    following = end + timedelta(days=1)
    if start.day == 1 and following.day == 1 and (start.year, start.month) == (end.year, end.month):
        return f"{_MONTHS[language][start.month - 1]} {start.year}"
    if start == end:
        return f"{start.day} {months[start.month - 1]} {start.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {months[end.month - 1]} {end.year}"
    first = f"{start.day} {months[start.month - 1]}"
    if start.year != end.year:
        first += f" {start.year}"
    return f"{first} – {end.day} {months[end.month - 1]} {end.year}"


def short_time(moment: datetime, language: str, *, now: datetime | None = None) -> str:
    """ "24 nov. 09:15" / "24 Nov 09:15"; "3 mai 2019 18:35" for another year than the one of
    ``now`` (the present unless given) in the moment's time zone."""
    day = f"{moment.day} {_SHORT_MONTHS[language][moment.month - 1]}"
    if moment.year != (now or utcnow()).astimezone(moment.tzinfo).year:
        day += f" {moment.year}"
    return f"{day} {moment:%H:%M}"
