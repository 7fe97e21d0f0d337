"""Single fields of collected items: plain-text titles, impossible dates, dates in the future.

A RawMention's title is HTML (its documents read it as such); the sources whose titles are plain
text ("List<T>", "AT&T") escape them, and those whose titles come HTML-escaped pass them on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from veille.collectors._gdelt_articles import article_mention
from veille.collectors._github_parse import issue_mention
from veille.collectors._reddit_listing import mention_from_thing
from veille.collectors._stackexchange_parse import parse_questions
from veille.collectors.api import advanced_state, watermark
from veille.collectors.hackernews import mention_from_hit
from veille.collectors.lemmy import post_mention
from veille.collectors.rss import parse_feed
from veille.normalize import normalize
from veille.types import RawMention, SourceState, plain_as_html

TITLE = "Java : List<T> & les génériques, «<dialog>» &amp; co"


def test_plain_as_html_reads_back_as_the_text() -> None:
    assert plain_as_html("<T> & &amp;") == "&lt;T&gt; &amp; &amp;amp;"
    assert normalize(RawMention(source="s", title=plain_as_html(TITLE))).title == TITLE


def _hacker_news() -> RawMention | None:
    hit = {"objectID": "1", "title": TITLE, "created_at_i": 1764700000, "_tags": ["story"]}
    return mention_from_hit(hit, source="s")


def _reddit() -> RawMention | None:
    thing = {"name": "t3_a", "title": TITLE, "selftext": "a <b> & c", "permalink": "/r/x/a/"}
    return mention_from_thing("t3", thing, source="s")


def _gdelt() -> RawMention | None:
    return article_mention({"url": "https://example.org/a", "title": TITLE}, source="s")


def _github() -> RawMention | None:
    item = {
        "html_url": "https://github.com/o/r/issues/1",
        "repository_url": "https://api.github.com/repos/o/r",
        "title": TITLE,
        "created_at": "2026-11-20T10:00:00Z",
    }
    return issue_mention(item, source="s")


def _lemmy() -> RawMention | None:
    view = {
        "post": {"ap_id": "https://lemmy.example/post/1", "name": TITLE, "published": None},
        "creator": {"name": "a", "actor_id": "https://lemmy.example/u/a"},
        "community": {"name": "c", "actor_id": "https://lemmy.example/c/c"},
        "counts": {},
    }
    return post_mention(view, source="s")


def _stack_exchange() -> RawMention | None:
    # The API gives titles HTML-escaped.
    item = {
        "question_id": 1,
        "title": "Java : List&lt;T&gt; &amp; les g&#233;n&#233;riques, &#171;&lt;dialog&gt;&#187;"
        " &amp;amp; co",
        "link": "https://stackoverflow.com/questions/1/a",
        "creation_date": 1764700000,
    }
    [mention] = parse_questions([item], site="stackoverflow", source="s")
    return mention


@pytest.mark.parametrize(
    "collected", [_hacker_news, _reddit, _gdelt, _github, _lemmy, _stack_exchange]
)
def test_api_titles_keep_their_characters(collected: object) -> None:
    assert callable(collected)
    mention = collected()
    assert mention is not None
    assert normalize(mention).title == TITLE


def test_a_plain_reddit_body_keeps_its_characters() -> None:
    mention = _reddit()
    assert mention is not None
    assert normalize(mention).text == "a <b> & c"


ATOM = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:f</id>'
    b"<updated>2026-11-20T10:00:00Z</updated>"
    b'<entry><id>urn:1</id><title type="text">Java : List&lt;T&gt; &amp; co</title>'
    b'<link href="https://example.org/1"/><updated>2026-11-20T10:00:00Z</updated>'
    b'<summary type="text">a &lt;b&gt; &amp;amp; c</summary></entry>'
    b'<entry><id>urn:2</id><title type="html">Java : &lt;b&gt;List&lt;/b&gt; &amp;amp; co</title>'
    b'<link href="https://example.org/2"/><updated>2026-11-20T10:00:00Z</updated></entry>'
    b"</feed>"
)


# A feed read by each reader: with a DOCTYPE the body goes to feedparser, not the fast reader.
BOTH_READERS = pytest.mark.parametrize(
    "declaration", ["", "<!DOCTYPE feed>"], ids=["fast-reader", "feedparser"]
)


def read_with(body: bytes, declaration: str, url: str) -> list[RawMention]:
    """The feed's mentions, as the reader ``declaration`` selects reads them."""
    declared = body.replace(b"?>", b"?>" + declaration.encode(), 1)
    return parse_feed(declared, url=url, source="s").mentions


@BOTH_READERS
def test_feed_text_and_html_titles(declaration: str) -> None:
    mentions = read_with(ATOM, declaration, "https://example.org/feed")
    plain, marked_up = (normalize(mention) for mention in mentions)
    assert (plain.title, plain.text) == ("Java : List<T> & co", "a <b> &amp; c")
    assert marked_up.title == "Java : List & co"


@pytest.mark.parametrize("seconds", [-99_999_999_999, 10**20, float("nan"), float("inf")])
def test_an_impossible_timestamp_leaves_the_item_undated(seconds: float) -> None:
    # One item's broken date must not cost the source its other items.
    hit = {"objectID": "2", "title": "Danone", "created_at_i": seconds, "_tags": ["story"]}
    mention = mention_from_hit(hit, source="s")
    assert mention is not None and mention.published_at is None


def test_a_date_in_the_future_is_read_as_now() -> None:
    future = datetime(2099, 1, 1, tzinfo=UTC)
    before = datetime.now(UTC).replace(microsecond=0)
    published = normalize(RawMention(source="s", title="t", published_at=future)).published_at
    assert published is not None and before <= published <= datetime.now(UTC)
    # To the second, as dates are written: not a time the publisher could have given.
    assert published.microsecond == 0
    past = datetime(2026, 1, 1, tzinfo=UTC)
    assert normalize(RawMention(source="s", title="t", published_at=past)).published_at == past


def test_a_date_in_the_future_does_not_carry_the_watermark_past_now() -> None:
    # Otherwise every later pass would ask the service for items newer than 2099.
    dated = [RawMention(source="s", published_at=datetime(2099, 1, 1, tzinfo=UTC))]
    cursor = advanced_state(SourceState(), dated).cursor
    assert cursor is not None and datetime.fromisoformat(cursor) <= datetime.now(UTC)
    later = watermark(SourceState(cursor=cursor), None)
    assert later is not None and later < datetime.now(UTC)


def test_soft_hyphens_neither_stay_in_the_text_nor_split_words() -> None:
    # French sites hyphenate long words with invisible soft hyphens (U+00AD, &shy;).
    from veille.match import compile_query

    raw = RawMention(
        source="s", title="La Socié\u00adté Générale", content_html="<p>Gé&shy;né&shy;rale</p>"
    )
    document = normalize(raw)
    assert (document.title, document.text) == ("La Société Générale", "Générale")
    query = compile_query('"societe generale"')
    assert query.match(title="La Socié\u00adté Géné\u00adrale", text="").matched


ATOM_WITH_FEED_AUTHOR = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<feed xmlns="http://www.w3.org/2005/Atom"><title>heise</title><id>urn:f</id>'
    b"<author><name>heise online</name><uri>https://www.heise.de/</uri></author>"
    b"<updated>2026-11-20T10:00:00Z</updated>"
    b'<entry><id>urn:1</id><title>a</title><link href="https://example.org/1"/>'
    b"<updated>2026-11-20T10:00:00Z</updated></entry>"
    b'<entry><id>urn:2</id><title>b</title><link href="https://example.org/2"/>'
    b"<author><name>Jo Autrice</name></author><updated>2026-11-20T10:00:00Z</updated></entry>"
    b"</feed>"
)


@BOTH_READERS
def test_atom_entries_without_an_author_have_the_feeds(declaration: str) -> None:
    mentions = read_with(ATOM_WITH_FEED_AUTHOR, declaration, "https://www.heise.de/feed.atom")
    authors = [(m.author_name, m.author_url) for m in mentions]
    assert authors == [("heise online", "https://www.heise.de/"), ("Jo Autrice", None)]


def test_feedburner_items_have_the_articles_address() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        b'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>jn</title>'
        b"<item><title>Nacional</title><link>http://feeds.jn.pt/~r/JN/~3/UBnb8Ra/a.html</link>"
        b"<feedburner:origLink>https://www.jn.pt/nacional/a-9021600.html</feedburner:origLink>"
        b"</item></channel></rss>"
    )
    [mention] = parse_feed(body, url="http://feeds.jn.pt/JN", source="s").mentions
    assert mention.url == "https://www.jn.pt/nacional/a-9021600.html"
    assert normalize(mention).identity == "url:https://www.jn.pt/nacional/a-9021600.html"


def test_a_platform_is_kept_in_lower_case() -> None:
    # An rss source's platform option is the user's spelling.
    assert normalize(RawMention(source="s", title="t", platform="Blog")).platform == "blog"
