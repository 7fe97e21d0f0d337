"""The dashboard's words in French and English, and which of the two a request gets.

French comes first: a request gets English only when it asks for it (``?lang=en``, the cookie
the switch sets, or an ``Accept-Language`` preferring English to French).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from veille.numbers import format_number, takes_plural

__all__ = ["format_number"]  # the dashboard's templates read numbers through this module

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "app": "veille",
        "overview": "Vue d'ensemble",
        "mentions": "Mentions",
        "sources": "Sources",
        "story": "Récit",
        "all_brands": "Toutes les marques",
        "brand": "Marque",
        "since": "Depuis",
        "until": "Jusqu'au",
        "period_hint": "7d, 30d, 12h ou 2026-01-01",
        "apply": "Afficher",
        "reset": "Effacer",
        "search": "Recherche",
        "search_hint": 'mots, "expression", -exclu',
        "platform": "Plateforme",
        "site": "Site",
        "author": "Auteur",
        "tone": "Ton",
        "lang": "Langue",
        "any": "tous",
        "date": "Date",
        "title": "Titre",
        "terms": "Termes",
        "engagement": "Engagement",
        "volume": "Volume par jour",
        "volume_week": "Volume par semaine",
        "volume_month": "Volume par mois",
        "tone_split": "Répartition des tons",
        "share_of_voice": "Part de voix",
        "by_term": "Termes trouvés",
        "by_hashtag": "Hashtags",
        "hashtag": "Hashtag",
        "term": "Terme",
        "by_platform": "Par plateforme",
        "by_site": "Par site",
        "top_authors": "Auteurs les plus actifs",
        "latest_negative": "Dernières mentions négatives",
        # A "<key>_one" label is the singular of "<key>" (see ``agreeing``).
        "total": "mentions",
        "total_one": "mention",
        "negative_share": "négatives",
        "avg_tone": "ton moyen",
        "count": "Mentions",
        "share": "Part",
        "positive": "positif",
        "neutral": "neutre",
        "negative": "négatif",
        "nothing": "Aucune mention ne correspond.",
        "past_end": "Cette page est au-delà de la fin de la liste, qui compte {total}.",
        "see_all": "Toutes les mentions",
        "previous": "← Précédentes",
        "next": "Suivantes →",
        "range": "{start}–{end} sur {total}",
        "export_csv": "Exporter en CSV",
        "json": "JSON",
        "story_title": "Toutes les apparitions de ce récit",
        "sites": "Sites",
        "sites_one": "Site",
        "brands": "Marques",
        "brands_one": "Marque",
        "colon": "\u00a0:",  # French sets a (no-break) space before a colon
        "open_story": "le récit",
        "stories": "Récits",
        "stories_total": "récits",
        "stories_total_one": "récit",
        "no_stories": "Aucun récit ne correspond.",
        "last_seen": "Vu en dernier",
        "headline": "Titre (première apparition)",
        "sightings": "Apparitions",
        "one_row_per_story": "Une ligne par récit",
        "one_row_per_mention": "Une ligne par mention",
        "sources_title": "État des sources",
        "source": "Source",
        "kind": "Type",
        "status": "État",
        "last_ok": "Dernier succès",
        "last_error": "Dernière erreur",
        "failures": "Échecs",
        "next_check": "Prochaine vérification",
        "documents": "Documents",
        "never": "jamais",
        "now": "dès que possible",
        "disabled": "désactivée",
        "inactive": "hors configuration",
        "ok": "répond",
        "failing": "en échec",
        "no_sources": "Aucune source n'a encore été enregistrée.",
        "bad_request": "Requête invalide",
        "bad_host": "Adresse non servie",
        "not_found": "Introuvable",
        "unavailable": "Base de données indisponible",
        "method_not_allowed": "Méthode non acceptée",
        "error": "Erreur",
        "login": "Jeton d'accès",
        "login_hint": "Ce tableau de bord demande son jeton d'accès (VEILLE_WEB_TOKEN).",
        "login_wrong": "Ce jeton n'est pas le bon.",
        "sign_in": "Entrer",
        "unknown": "(inconnu)",
        "back": "Retour à la vue d'ensemble",
        "read_only": "lecture seule",
        "time_zone": "fuseau horaire",
    },
    "en": {
        "app": "veille",
        "overview": "Overview",
        "mentions": "Mentions",
        "sources": "Sources",
        "story": "Story",
        "all_brands": "All brands",
        "brand": "Brand",
        "since": "Since",
        "until": "Until",
        "period_hint": "7d, 30d, 12h or 2026-01-01",
        "apply": "Show",
        "reset": "Clear",
        "search": "Search",
        "search_hint": 'words, "a phrase", -excluded',
        "platform": "Platform",
        "site": "Site",
        "author": "Author",
        "tone": "Tone",
        "lang": "Language",
        "any": "any",
        "date": "Date",
        "title": "Title",
        "terms": "Terms",
        "engagement": "Engagement",
        "volume": "Volume by day",
        "volume_week": "Volume by week",
        "volume_month": "Volume by month",
        "tone_split": "Tone split",
        "share_of_voice": "Share of voice",
        "by_term": "Matched terms",
        "by_hashtag": "Hashtags",
        "hashtag": "Hashtag",
        "term": "Term",
        "by_platform": "By platform",
        "by_site": "By site",
        "top_authors": "Most active authors",
        "latest_negative": "Latest negative mentions",
        "total": "mentions",
        "total_one": "mention",
        "negative_share": "negative",
        "avg_tone": "average tone",
        "count": "Mentions",
        "share": "Share",
        "positive": "positive",
        "neutral": "neutral",
        "negative": "negative",
        "nothing": "No mention matches.",
        "past_end": "This page is past the end of the list, which holds {total}.",
        "see_all": "All mentions",
        "previous": "← Previous",
        "next": "Next →",
        "range": "{start}–{end} of {total}",
        "export_csv": "Export as CSV",
        "json": "JSON",
        "story_title": "Every sighting of this story",
        "sites": "Sites",
        "sites_one": "Site",
        "brands": "Brands",
        "brands_one": "Brand",
        "colon": ":",
        "open_story": "the story",
        "stories": "Stories",
        "stories_total": "stories",
        "stories_total_one": "story",
        "no_stories": "No story matches.",
        "last_seen": "Last seen",
        "headline": "Headline (first sighting)",
        "sightings": "Sightings",
        "one_row_per_story": "One row per story",
        "one_row_per_mention": "One row per mention",
        "sources_title": "Source health",
        "source": "Source",
        "kind": "Kind",
        "status": "Status",
        "last_ok": "Last success",
        "last_error": "Last error",
        "failures": "Failures",
        "next_check": "Next check",
        "documents": "Documents",
        "never": "never",
        "now": "as soon as possible",
        "disabled": "disabled",
        "inactive": "not in the configuration",
        "ok": "answers",
        "failing": "failing",
        "no_sources": "No source has been recorded yet.",
        "bad_request": "Bad request",
        "bad_host": "Name not served",
        "not_found": "Not found",
        "unavailable": "Database unavailable",
        "method_not_allowed": "Method not allowed",
        "error": "Error",
        "login": "Access token",
        "login_hint": "This dashboard asks for its access token (VEILLE_WEB_TOKEN).",
        "login_wrong": "That token is not the right one.",
        "sign_in": "Enter",
        "unknown": "(unknown)",
        "back": "Back to the overview",
        "read_only": "read-only",
        "time_zone": "time zone",
    },
}


def accepted_language(header: str | None) -> str | None:
    """The first of French and English an ``Accept-Language`` header prefers, or None."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0 and (best is None or (weight, -position) > (best[0], best[1])):
            best = (weight, -position, primary)
    return best[2] if best else None


def agreeing(key: str, count: float, language: str) -> str:
    """The label ``key`` agreeing with ``count``: its ``<key>_one`` form where the count takes
    the singular (« 0 mention », "1 mention")."""
    labels = LABELS[language]
    singular = labels.get(f"{key}_one")
    return singular if singular and not takes_plural(count, language) else labels[key]


def format_percent(share: float, language: str) -> str:
    """A share in [0, 1] as "45 %" (French) or "45%" (English)."""
    number = format_number(share * 100, language)
    return f"{number}\u202f%" if language == "fr" else f"{number}%"


def format_sentiment(value: float | None, language: str) -> str:
    """A sentiment in [-1, 1] with its sign: "+0,42" / "+0.42"."""
    rounded = round(float(value or 0), 2) or 0.0  # no "-0.00"
    text = f"{rounded:+.2f}"
    return text.replace(".", ",") if language == "fr" else text


def format_time(iso: object, zone: tzinfo = UTC) -> str:
    """An ISO 8601 UTC time from the store as "2026-03-02 09:30" in ``zone`` (empty when None)."""
    if not isinstance(iso, str) or not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(zone)
    except (ValueError, OverflowError):
        return iso
    return f"{moment:%Y-%m-%d %H:%M}"
