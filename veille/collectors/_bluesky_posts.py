"""Bluesky search answers read into mentions: pure functions of the decoded JSON."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from veille.collectors.api import from_timestamp
from veille.collectors.figures import figures
from veille.normalize.text import fold_text
from veille.types import RawMention

WEB_ROOT = "https://bsky.app"


def parse_search_page(page: Any, *, source: str) -> tuple[list[RawMention], str | None]:
    """The posts of one searchPosts answer as mentions, and the cursor of the next page."""
    if not isinstance(page, dict):
        return [], None
    posts = page.get("posts")
    mentions = [
        mention
        for post in (posts if isinstance(posts, list) else [])
        if (mention := post_mention(post, source=source)) is not None
    ]
    cursor = page.get("cursor")
    return mentions, cursor if isinstance(cursor, str) and cursor else None


def post_mention(post: Any, *, source: str) -> RawMention | None:
    """One post view (``app.bsky.feed.defs#postView``) as a mention; None without a URI."""
    if not isinstance(post, dict) or not isinstance(post.get("uri"), str):
        return None
    uri: str = post["uri"]
    author, record = _mapping(post.get("author")), _mapping(post.get("record"))
    # A handle that no longer verifies is shown as "handle.invalid": the DID still links.
    handle = author.get("handle") or None
    if handle == "handle.invalid":
        handle = None
    profile = handle or author.get("did")
    metrics, engagement, reach = figures(
        {
            "likes": post.get("likeCount"),
            "reposts": post.get("repostCount"),
            "replies": post.get("replyCount"),
            "quotes": post.get("quoteCount"),
        }
    )
    langs = record.get("langs")
    parent = _mapping(_mapping(record.get("reply")).get("parent"))
    link = _embedded_link(record)
    extra: dict[str, object] = {"platform_id": uri, "cid": post.get("cid")}
    if author.get("did"):
        extra["author_did"] = author["did"]
    if parent.get("uri"):
        extra["in_reply_to"] = parent["uri"]
    if link and link.get("uri"):
        extra["link"] = link["uri"]
    return RawMention(
        source=source,
        url=_web_url(uri, profile),
        title="",
        content_html=_content(str(record.get("text") or ""), link),
        author_name=author.get("displayName") or handle,
        author_handle=handle,
        author_url=f"{WEB_ROOT}/profile/{profile}" if profile else None,
        published_at=from_timestamp(record.get("createdAt") or post.get("indexedAt")),
        site_name="Bluesky",
        site_url=WEB_ROOT,
        platform="bluesky",
        lang_hint=langs[0] if isinstance(langs, list) and langs else None,
        reach=reach,
        engagement=engagement,
        metrics=metrics,
        extra={key: value for key, value in extra.items() if value is not None},
    )


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (fields may be absent or null)."""
    return value if isinstance(value, dict) else {}


def _web_url(uri: str, profile: str | None) -> str | None:
    """``at://DID/app.bsky.feed.post/RKEY`` → ``https://bsky.app/profile/HANDLE/post/RKEY``."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        return None
    return f"{WEB_ROOT}/profile/{profile or parts[0]}/post/{parts[2]}"


def _embedded_link(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The link card (external embed) of a post, when it has one."""
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return None
    external = embed.get("external")
    if not isinstance(external, dict) and isinstance(embed.get("media"), dict):
        external = embed["media"].get("external")  # a card next to a quoted post
    return external if isinstance(external, dict) else None


def _content(text: str, link: Mapping[str, Any] | None) -> str:
    """The post text as HTML, plus the title and summary of its link card.

    Bluesky search also finds words of the card, so local matching must see them too. The
    text is escaped: a post that writes "<b>" means the characters, not a tag.
    """
    parts = [html.escape(text).replace("\n", "<br>")] if text else []
    if link:
        # A card often repeats the post (its title is the post's first line): said once.
        said = fold_text(text)
        card = " — ".join(
            html.escape(str(link[key]))
            for key in ("title", "description")
            if link.get(key) and fold_text(str(link[key])) not in said
        )
        if card:
            parts.append(f"<blockquote>{card}</blockquote>")
    return "\n".join(parts)
