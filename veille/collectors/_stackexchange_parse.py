"""Stack Exchange questions, as ``/search/advanced`` returns them, turned into mentions."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from veille.collectors.api import from_timestamp
from veille.collectors.figures import figures
from veille.types import RawMention

# The localised Stack Overflows are written in their language; the other sites in English.
_SITE_LANGUAGES = {"pt.stackoverflow": "pt", "es.stackoverflow": "es", "ru.stackoverflow": "ru"}


def parse_questions(items: Any, *, site: str, source: str) -> list[RawMention]:
    """The questions of a ``/search/advanced`` answer as mentions (malformed items skipped)."""
    if not isinstance(items, list):
        return []
    mentions = [question_mention(item, site=site, source=source) for item in items]
    return [mention for mention in mentions if mention is not None]


def question_mention(item: Any, *, site: str, source: str) -> RawMention | None:
    """One question as a mention; None when it has no id."""
    if not isinstance(item, dict) or not isinstance(item.get("question_id"), int):
        return None
    owner = _object(item.get("owner"))
    link = item.get("link") if isinstance(item.get("link"), str) else None
    metrics, engagement, reach = figures(
        {
            "score": item.get("score"),
            "replies": item.get("answer_count"),
            "views": item.get("view_count"),
        }
    )
    return RawMention(
        source=source,
        url=link,
        title=str(item.get("title") or ""),  # HTML-escaped, as RawMention holds titles
        content_html=str(item.get("body") or ""),
        author_name=html.unescape(str(owner["display_name"]))
        if owner.get("display_name")
        else None,
        author_handle=str(owner["user_id"]) if owner.get("user_id") is not None else None,
        author_url=owner.get("link") if isinstance(owner.get("link"), str) else None,
        published_at=from_timestamp(item.get("creation_date")),
        site_name=site,
        site_url=_origin(link),
        platform="stackexchange",
        lang_hint=_SITE_LANGUAGES.get(site),
        reach=reach,
        engagement=engagement,
        metrics=metrics,
        extra={
            "platform_id": f"{site}:{item['question_id']}",
            "question_id": item["question_id"],
            "tags": [str(tag) for tag in item.get("tags") or []],
            "is_answered": bool(item.get("is_answered")),
            "reputation": owner.get("reputation"),
        },
    )


def _object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _origin(link: str | None) -> str | None:
    """``https://host`` of a question link (the site's home page)."""
    if not link:
        return None
    parts = urlsplit(link)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
