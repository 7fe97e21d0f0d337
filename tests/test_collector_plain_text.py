"""Sources that send plain text or Markdown keep every character of it, "<Danone>" included.

A collector's ``title`` and ``content_html`` are read as HTML: a plain-text field put there as
it is loses whatever stands between ``<`` and ``>``, a brand name as well as a type parameter.
"""

from __future__ import annotations

from typing import Any

from veille.collectors._github_parse import discussion_mention, issue_mention
from veille.collectors._mastodon_statuses import status_mention
from veille.collectors._youtube_api import add_video_details, mention_from_search_item
from veille.collectors.lemmy import comment_mention, post_mention
from veille.normalize import normalize
from veille.types import RawMention

LEMMY_CREATOR = {"name": "camille", "actor_id": "https://lemmy.world/u/camille"}
LEMMY_COMMUNITY = {"name": "france", "actor_id": "https://lemmy.world/c/france"}


def text_of(mention: RawMention | None) -> str:
    assert mention is not None
    return normalize(mention).text


def test_lemmy_posts_and_comments_are_markdown() -> None:
    view: dict[str, Any] = {
        "post": {
            "ap_id": "https://lemmy.world/post/1",
            "name": "Yaourts",
            "body": "Je préfère <Danone> à <Nestlé>, franchement.",
            "published": "2026-11-27T10:00:00Z",
        },
        "creator": LEMMY_CREATOR,
        "community": LEMMY_COMMUNITY,
    }
    assert text_of(post_mention(view, source="lemmy")) == (
        "Je préfère <Danone> à <Nestlé>, franchement."
    )
    view["comment"] = {
        "ap_id": "https://lemmy.world/comment/2",
        "content": "Pareil : **<Danone>** & rien d'autre",
        "published": "2026-11-27T11:00:00Z",
    }
    assert text_of(comment_mention(view, source="lemmy")) == (
        "Pareil : **<Danone>** & rien d'autre"
    )


def test_github_issue_and_discussion_bodies_are_markdown() -> None:
    body = "The client crashes with `Map<Stripe, Order>` and also <Stripe> webhooks"
    issue = {
        "html_url": "https://github.com/acme/shop/issues/7",
        "repository_url": "https://api.github.com/repos/acme/shop",
        "title": "Crash with <Stripe>",
        "body": body,
        "created_at": "2026-11-27T10:00:00Z",
    }
    mention = issue_mention(issue, source="github")
    assert text_of(mention) == body
    assert mention is not None and normalize(mention).title == "Crash with <Stripe>"
    discussion = {"url": "https://github.com/acme/shop/discussions/8", "title": "Q", "body": body}
    assert text_of(discussion_mention(discussion, source="github")) == body


def test_youtube_full_descriptions_are_plain_text() -> None:
    # search.list escapes its snippet; videos.list gives the description as written.
    item = {
        "id": {"videoId": "v1"},
        "snippet": {"title": "Avis", "description": "Mon avis sur &lt;Danone&gt;"},
    }
    mention = mention_from_search_item(item, source="youtube")
    assert mention is not None
    add_video_details(mention, {"snippet": {"description": "Mon avis sur <Danone> et <Nestlé>"}})
    assert text_of(mention) == "Mon avis sur <Danone> et <Nestlé>"


def test_a_youtube_description_no_longer_than_the_snippet_keeps_the_snippet() -> None:
    item = {"id": {"videoId": "v2"}, "snippet": {"description": "Sur &lt;Danone&gt;"}}
    mention = mention_from_search_item(item, source="youtube")
    assert mention is not None
    add_video_details(mention, {"snippet": {"description": "Sur <Danone>"}})
    assert mention.content_html == "Sur &lt;Danone&gt;"


def test_a_mastodon_content_warning_is_plain_text() -> None:
    status = {
        "uri": "https://mastodon.social/users/a/statuses/1",
        "url": "https://mastodon.social/@a/1",
        "spoiler_text": "Avis sur <Danone> & co",
        "content": "<p>Le yaourt était bon.</p>",
        "account": {"username": "a", "acct": "a", "url": "https://mastodon.social/@a"},
    }
    mention = status_mention(status, source="mastodon", instance_host="mastodon.social")
    assert text_of(mention).startswith("Avis sur <Danone> & co")
