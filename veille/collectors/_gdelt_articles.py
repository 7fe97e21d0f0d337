"""GDELT DOC 2.0 answers read into mentions: pure functions of the bytes GDELT sent.

GDELT answers problems with status 200 and a line of plain text instead of JSON ("The specified
phrase is too short.", "Please limit requests to one every 5 seconds…"), and an empty result
with ``{}``: both are told apart from articles here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from veille.collectors.figures import figures
from veille.errors import FatalSourceError, TransientSourceError
from veille.types import RawMention, plain_as_html

# ISO 639-1 → the language names ``sourcelang:`` takes (GDELT's LOOKUP-LANGUAGES table).
SOURCE_LANGUAGES = {
    "af": "afrikaans", "ar": "arabic", "bg": "bulgarian", "ca": "catalan", "cs": "czech",
    "da": "danish", "de": "german", "el": "greek", "en": "english", "es": "spanish",
    "et": "estonian", "fa": "persian", "fi": "finnish", "fr": "french", "he": "hebrew",
    "hi": "hindi", "hr": "croatian", "hu": "hungarian", "id": "indonesian", "it": "italian",
    "ja": "japanese", "ko": "korean", "lt": "lithuanian", "lv": "latvian", "nl": "dutch",
    "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sk": "slovak", "sl": "slovenian", "sr": "serbian", "sv": "swedish", "th": "thai",
    "tr": "turkish", "uk": "ukrainian", "vi": "vietnamese", "zh": "chinese",
}  # fmt: skip
LANGUAGE_CODES = {name: code for code, name in SOURCE_LANGUAGES.items()}
# Fragments of GDELT's text answers that mean the query itself is wrong: asking again with
# the same query cannot succeed, so they need a person.
_QUERY_PROBLEMS = (
    "too short",
    "too common",
    "invalid",
    "must be surrounded",
    "parentheses",
    "illegal",
    "not allowed",
)
_RATE_LIMIT_TEXT = "limit requests"


def parse_artlist(
    body: bytes, *, source: str, url: str, status: int = 200, rate_limited_wait: float = 60.0
) -> list[RawMention]:
    """The articles of an ``artlist`` JSON answer; GDELT's text answers become errors."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return []
    if not text.startswith(("{", "[")):
        raise _text_answer_error(
            text, source=source, url=url, status=status, wait=rate_limited_wait
        )
    try:
        # strict=False: GDELT titles sometimes carry raw control characters.
        data = json.loads(text, strict=False)
    except (json.JSONDecodeError, RecursionError):  # broken, or nested past reading
        raise TransientSourceError(
            f"{source}: GDELT sent broken JSON ({len(body)} bytes)",
            source=source,
            url=url,
            status=status,
            hint="veille tries again at a later pass",
        ) from None
    # The articles in their wrapper object, or bare (a mirror or proxy that unwrapped them).
    articles = data.get("articles") if isinstance(data, dict) else data
    if not isinstance(articles, list):
        return []  # "{}" is GDELT's empty result
    return [
        mention
        for article in articles
        if (mention := article_mention(article, source=source)) is not None
    ]


def _text_answer_error(
    text: str, *, source: str, url: str, status: int, wait: float
) -> TransientSourceError | FatalSourceError:
    """The error a plain-text (or HTML) GDELT answer stands for."""
    first_line = text.splitlines()[0][:200]
    lowered = text.lower()
    if _RATE_LIMIT_TEXT in lowered:
        return TransientSourceError(
            f"{source}: GDELT asks for fewer requests: {first_line}",
            source=source,
            url=url,
            status=status,
            retry_after=wait,
            hint="GDELT allows one request every 5 seconds: keep min_interval at 5 or more",
        )
    if text.startswith("<"):
        return TransientSourceError(
            f"{source}: expected JSON, GDELT answered with a page",
            source=source,
            url=url,
            status=status,
            hint="the service answered with a page instead of data: it may be down",
        )
    if any(fragment in lowered for fragment in _QUERY_PROBLEMS):
        return FatalSourceError(
            f"{source}: GDELT rejected the query: {first_line}",
            source=source,
            url=url,
            status=status,
            hint="rewrite the brand query: GDELT needs words of three letters or more, "
            "phrases of common words fail, and OR only works inside parentheses",
        )
    return TransientSourceError(
        f"{source}: GDELT answered with text instead of articles: {first_line}",
        source=source,
        url=url,
        status=status,
        hint="veille tries again at a later pass",
    )


def article_mention(article: Any, *, source: str) -> RawMention | None:
    """One artlist article as a mention; None without a URL."""
    if not isinstance(article, dict) or not article.get("url"):
        return None
    domain = str(article.get("domain") or "").strip().lower() or None
    language = str(article.get("language") or "").strip().lower()
    metrics, engagement, reach = figures({})  # GDELT counts no audience or interaction
    extra = {
        key: article[key]
        for key in ("url_mobile", "socialimage", "sourcecountry")
        if article.get(key)
    }
    return RawMention(
        source=source,
        url=str(article["url"]),
        title=plain_as_html(str(article.get("title") or "").strip()),
        published_at=parse_seendate(article.get("seendate")),
        site_name=domain,
        site_url=f"https://{domain}" if domain else None,
        platform="news",
        lang_hint=LANGUAGE_CODES.get(language),
        reach=reach,
        engagement=engagement,
        metrics=metrics,
        extra=extra,
    )


def parse_seendate(value: Any) -> datetime | None:
    """``20251228T091500Z`` (when GDELT first saw the article) as a UTC datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
