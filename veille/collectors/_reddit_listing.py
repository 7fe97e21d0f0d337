"""Reddit Listings as RawMentions: posts (t3) and comments (t1) from a search answer.

A pure function of the decoded JSON, so it is tested on recorded answers. Reddit search
answers ``{"kind": "Listing", "data": {"after", "children": [{"kind", "data"}]}}``.

Reddit keeps removed and deleted items in search with a placeholder for their text
("[removed]", "[deleted]"). A comment so emptied has nothing left to read and is skipped, as
Lemmy's and Hacker News's are; a post keeps its title, which is still shown, with an empty body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from veille.collectors.api import from_timestamp
from veille.collectors.figures import figures
from veille.errors import TransientSourceError
from veille.types import RawMention, plain_as_html

REDDIT_WEB = "https://www.reddit.com"
# Accounts Reddit no longer shows: no author to name or link to.
_GONE_AUTHORS = frozenset({"[deleted]", "[removed]"})
# What Reddit writes in place of a removed or deleted text ("[ Removed by Reddit ]" too).
_GONE_TEXT = re.compile(r"\[(?:deleted|removed|\s*removed by reddit[^\]]*)\]", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


@dataclass(slots=True)
class ListingPage:
    """One page of search results: the mentions, and the cursor of the next page."""

    mentions: list[RawMention] = field(default_factory=list)
    after: str | None = None  # fullname to pass as ``after`` for the next page; None at the end


def parse_listing(payload: Any, *, source: str, url: str) -> ListingPage:
    """The posts and comments of one Listing; anything else is a TransientSourceError."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if (
        not isinstance(payload, dict)
        or payload.get("kind") != "Listing"
        or not isinstance(data, dict)
    ):
        raise TransientSourceError(
            f"{source}: Reddit answered something other than a Listing from {url}",
            source=source,
            url=url,
            hint="Reddit may be degraded or have changed its API: veille tries again later",
        )
    mentions = []
    for child in data.get("children") or []:
        if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
            continue
        mention = mention_from_thing(str(child.get("kind")), child["data"], source=source)
        if mention is not None:
            mentions.append(mention)
    after = data.get("after")
    return ListingPage(mentions, after if isinstance(after, str) and after else None)


def mention_from_thing(kind: str, thing: dict[str, Any], *, source: str) -> RawMention | None:
    """A post (t3) or comment (t1) as a RawMention; None for other kinds or empty items."""
    if kind not in ("t3", "t1"):
        return None  # subreddits (t5) and accounts (t2) are not mentions
    is_post = kind == "t3"
    # With raw_json=1 titles and Markdown bodies are plain text; the *_html fields are HTML.
    if is_post:
        title = plain_as_html(_text(thing.get("title")) or "")
        text, html = _text(thing.get("selftext")), _text(thing.get("selftext_html"))
    else:
        # A comment has no title of its own; the thread's title stays in extra so that local
        # matching judges the comment on its own words.
        title = ""
        text, html = _text(thing.get("body")), _text(thing.get("body_html"))
    gone = _is_gone(text, html)
    content = "" if gone else html or plain_as_html(text or "")
    if not title and not content:
        return None  # a removed comment: nothing left to read
    author = _text(thing.get("author"))
    if author in _GONE_AUTHORS:
        author = None
    subreddit = _text(thing.get("subreddit"))
    counts: dict[str, object] = {"score": thing.get("score")}
    if is_post:
        counts["comments"] = thing.get("num_comments")
        counts["subscribers"] = thing.get("subreddit_subscribers")
    metrics, engagement, reach = figures(counts)
    return RawMention(
        source=source,
        url=_permalink(thing.get("permalink")),
        title=title,
        content_html=content,
        author_name=author,
        author_handle=author,
        author_url=f"{REDDIT_WEB}/user/{quote(author)}" if author else None,
        published_at=from_timestamp(thing.get("created_utc")),
        site_name=f"r/{subreddit}" if subreddit else None,
        site_url=f"{REDDIT_WEB}/r/{subreddit}/" if subreddit else None,
        platform="reddit",
        metrics=metrics,
        engagement=engagement,
        reach=reach,
        extra=_extra(kind, thing) | ({"body_removed": True} if gone else {}),
    )


def _is_gone(text: str | None, html: str | None) -> bool:
    """Whether an item's text is only Reddit's placeholder for a removed or deleted one."""
    written = text if text is not None else _TAG.sub("", html or "").strip()
    return _GONE_TEXT.fullmatch(written) is not None


def _extra(kind: str, thing: dict[str, Any]) -> dict[str, object]:
    """The platform id (fullname) and what else a reader may want about the item."""
    fullname = _text(thing.get("name")) or (
        f"{kind}_{thing['id']}" if _text(thing.get("id")) else None
    )
    extra: dict[str, object] = {"kind": "post" if kind == "t3" else "comment"}
    if fullname:
        extra["platform_id"] = fullname
    if kind == "t3":
        link = _text(thing.get("url"))
        if link and not thing.get("is_self") and urlsplit(link).scheme in ("http", "https"):
            extra["link_url"] = link  # the article a link post points to
        if thing.get("over_18"):
            extra["over_18"] = True
    else:
        for key in ("link_title", "link_id", "parent_id"):
            value = _text(thing.get(key))
            if value:
                extra[key] = value
    return extra


def _permalink(value: object) -> str | None:
    """The public web URL of an item, without the search-tracking query Reddit appends."""
    path = _text(value)
    if not path or not path.startswith("/"):
        return None
    return REDDIT_WEB + path.split("?", 1)[0]


def _text(value: object) -> str | None:
    """A stripped string, or None when empty or not a string."""
    return value.strip() or None if isinstance(value, str) else None
