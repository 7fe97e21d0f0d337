"""The alert e-mail's words in French and English: headlines, subject, labels."""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from datetime import UTC, timedelta

from veille.alerts.detect import HORIZON_BY_NAME
from veille.numbers import format_number, takes_plural
from veille.store.alerts import AlertRecord

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Alerte : pic de mentions",
        "intro": "Ces fenêtres sortent nettement de l'ordinaire de la marque.",
        "drivers": "Les mentions qui portent ce pic",
        "drivers_many": "Les mentions qui portent ces pics",
        "colon": " :",
        "delayed": "envoi retardé, détecté le",
        "by": "par",
        "engagement": "interactions",
        "see_all": "Toutes les mentions :",
        "footer": "Envoyé par veille · une alerte par pic, pas de nouvelle alerte pendant",
        "tone_positive": "positif",
        "tone_neutral": "neutre",
        "tone_negative": "négatif",
    },
    "en": {
        "title": "Alert: mention spike",
        "intro": "These windows stand well out of the brand's usual level.",
        "drivers": "The mentions driving it",
        "drivers_many": "The mentions driving them",
        "colon": ":",
        "delayed": "sent late, detected",
        "by": "by",
        "engagement": "engagement",
        "see_all": "Every mention:",
        "footer": "Sent by veille · one alert per surge, no new alert for",
        "tone_positive": "positive",
        "tone_neutral": "neutral",
        "tone_negative": "negative",
    },
}


# A duration's units, largest first: seconds in each, and how French and English write them
# (French abbreviates, with a space: « 6 h », « 2 sem. »).
_DURATION_UNITS: tuple[tuple[int, str, tuple[str, str]], ...] = (
    (604800, "sem.", ("week", "weeks")),
    (86400, "j", ("day", "days")),
    (3600, "h", ("hour", "hours")),
    (60, "min", ("minute", "minutes")),
    (1, "s", ("second", "seconds")),
)


def duration(delta: timedelta, language: str) -> str:
    """A duration in its largest whole unit, as a reader writes it: « 6 h », « 1 j »,
    « 2 sem. », « 90 min » in French; "6 hours", "1 day", "90 minutes" in English."""
    seconds = max(int(delta.total_seconds()), 0)
    size, french, english = (
        next(unit for unit in _DURATION_UNITS if seconds % unit[0] == 0 and seconds >= unit[0])
        if seconds
        else _DURATION_UNITS[-1]
    )
    count = format_number(seconds // size, language)
    if language == "fr":
        return f"{count} {french}"
    return f"{count} {english[takes_plural(seconds // size, language)]}"


def number(value: float, language: str, digits: int = 1) -> str:
    """A number with ``digits`` decimals at most ("1 234,5" in French, "1,234.5" in English)."""
    text = format_number(value, language, digits)
    point = "," if language == "fr" else "."
    if digits and point in text:
        text = text.rstrip("0").rstrip(point)
    return text


def baseline_digits(baseline: float) -> int:
    """How many decimals a baseline is shown with: one from 1 on (« 5,1 »), two significant
    digits below (« 0,33 », « 0,083 »), so that the ratio it gives is the one shown."""
    if baseline <= 0 or baseline >= 1:
        return 1
    return 1 - math.floor(math.log10(baseline))


def shown_baseline(baseline: float) -> float:
    """The baseline as the alert shows it, rounded to :func:`baseline_digits`."""
    return round(baseline, baseline_digits(baseline))


def ratio(count: int, baseline: float, language: str) -> str | None:
    """ "8×" / "2,5×": how many times the baseline as shown, or None when it is zero."""
    shown = shown_baseline(baseline)
    if shown <= 0:
        return None
    times = count / shown
    return f"{number(times, language, 0 if times >= 10 else 1)}×"


def _rate(baseline: float, language: str) -> str:
    return number(shown_baseline(baseline), language, baseline_digits(baseline))


def _what(record: AlertRecord, language: str) -> str:
    negative = record.signal == "negative"
    plural = takes_plural(record.count, language)
    if language == "fr":
        noun = "mentions" if plural else "mention"
        adjective = (" négatives" if plural else " négative") if negative else ""
        window = "la dernière heure" if record.horizon == "hour" else "les dernières 24 heures"
        return f"{format_number(record.count, language)} {noun}{adjective} dans {window}"
    noun = "mentions" if plural else "mention"
    window = "the last hour" if record.horizon == "hour" else "the last 24 hours"
    count = format_number(record.count, language)
    return f"{count} {'negative ' if negative else ''}{noun} in {window}"


def _span(windows: int, hourly: bool, language: str) -> tuple[str, str]:
    """The baseline's span, alone and as the time before the window: ("12 h", "les 12 h
    précédentes"), ("1 jour", "le jour précédent"), ("2 days", "the previous 2 days")."""
    count = format_number(windows, language)
    if language == "fr":
        if hourly:
            if windows == 1:
                return "1 h", "l'heure précédente"
            return f"{count} h", f"les {count} h précédentes"
        if windows == 1:
            return "1 jour", "le jour précédent"
        return f"{count} jours", f"les {count} jours précédents"
    if windows == 1:
        return ("1 h", "the previous hour") if hourly else ("1 day", "the previous day")
    span = f"{count} h" if hourly else f"{count} days"
    return span, f"the previous {span}"


def _baseline(record: AlertRecord, language: str) -> str:
    """The baseline over the span veille really watched: « 5,1/h sur 12 h », « aucune sur les
    2 jours précédents » for a brand configured three days ago, « 7,2/h à la même heure sur
    14 jours » when it is the usual level at that time of day."""
    windows = record.baseline_windows
    if windows is None:
        windows = _full_windows(record)
    hourly = record.horizon == "hour"
    if record.reference != "recent":
        return _cycle_baseline(record, windows, language)
    span, before = _span(windows, hourly, language)
    if language == "fr":
        if record.baseline <= 0:
            return f"aucune sur {before}"
        return f"{_rate(record.baseline, language)}/{'h' if hourly else 'jour'} sur {span}"
    if record.baseline <= 0:
        return f"none in {before}"
    return f"{_rate(record.baseline, language)}/{'h' if hourly else 'day'} over {span}"


def _full_windows(record: AlertRecord) -> int:
    """How many windows the alert's reference holds for a brand watched long enough."""
    horizon = HORIZON_BY_NAME[record.horizon]
    if record.reference == "daily":
        return horizon.days
    if record.reference == "weekly":
        return horizon.weeks
    return horizon.baseline_windows


def _cycle_baseline(record: AlertRecord, windows: int, language: str) -> str:
    """A daily or weekly baseline: « 7,2/h à la même heure sur 14 jours », « 140/jour le même
    jour de la semaine sur 2 semaines », "10/h on the same weekday at the same hour over 1
    week"."""
    hourly = record.horizon == "hour"
    count = format_number(windows, language)
    plural = takes_plural(windows, language)
    rate = _rate(record.baseline, language)
    weekly = record.reference == "weekly"
    if language == "fr":
        when = " ".join(
            part
            for part, wanted in (
                ("le même jour de la semaine", weekly),
                ("à la même heure", hourly),
            )
            if wanted
        )
        unit = ("semaines" if plural else "semaine") if weekly else ("jours" if plural else "jour")
        return f"{rate}/{'h' if hourly else 'jour'} {when} sur {count} {unit}"
    when = " ".join(
        part
        for part, wanted in (("on the same weekday", weekly), ("at the same hour", hourly))
        if wanted
    )
    unit = ("weeks" if plural else "week") if weekly else ("days" if plural else "day")
    return f"{rate}/{'h' if hourly else 'day'} {when} over {count} {unit}"


def headline(record: AlertRecord, language: str, *, detail: bool = True) -> str:
    """ "Danone : 42 mentions négatives dans la dernière heure, 8,2× la normale (5,1/h sur
    12 h)"."""
    times = ratio(record.count, record.baseline, language)
    colon = " : " if language == "fr" else ": "
    line = f"{record.brand}{colon}{_what(record, language)}"
    if times:
        line += f", {times} {'la normale' if language == 'fr' else 'the usual'}"
    if detail:
        line += f" ({_baseline(record, language)})"
    return line


def subject(records: Sequence[AlertRecord], language: str) -> str:
    """The subject: the one alert's headline, or how many alerts and for which brands."""
    if len(records) == 1:
        return headline(records[0], language, detail=False)
    brands: dict[str, int] = {}
    for record in records:
        brands[record.brand] = brands.get(record.brand, 0) + 1
    listing = ", ".join(f"{name} ({n})" if n > 1 else name for name, n in brands.items())
    if language == "fr":
        return f"veille — {len(records)} alertes : {listing}"
    return f"veille — {len(records)} alerts: {listing}"


def shell_word(text: str) -> str:
    """``text`` as one word of a POSIX shell, written simply: bare when it can be, else in
    double quotes when nothing in it is special there (``"L'Oréal"``), else in single quotes."""
    quoted = shlex.quote(text)
    if quoted == text or any(character in text for character in '"$`\\!'):
        return quoted
    return f'"{text}"'


def mentions_command(records: Sequence[AlertRecord]) -> str:
    """The ``veille mentions`` command listing the windows of one brand's alerts."""
    start = min(record.window_start for record in records)
    since = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    command = f"veille mentions --brand {shell_word(records[0].brand)} --since {since}"
    negative = all(record.signal == "negative" for record in records)
    return command + (" --tone negative" if negative else "")
