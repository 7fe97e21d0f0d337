"""The ``bing_news`` collector against recorded Bing News search feeds on a local server."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from tests.scenarios.bing_news import ENGLISH, FRENCH, market_path, recorded
from tests.support.feedserver import FeedServer
from veille.collectors.bing_news import BingNewsCollector, BingNewsOptions, publishers_by_link
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, RawMention, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
PARISIEN = (
    "https://www.leparisien.fr/oise-60/"
    "danone-les-salaries-de-ferrieres-en-bray-inquiets-03-03-2026-7XKQ2M4ZJBG3LPRN5T.php"
)
REUTERS = (
    "https://www.reuters.com/business/retail-consumer/"
    "danone-raises-sales-outlook-specialised-nutrition-2026-03-02/"
)


async def collect(
    server: FeedServer,
    query: str = "danone",
    *,
    languages: Sequence[str] = ("fr", "en"),
    state: SourceState | None = None,
    since: datetime | None = None,
    **options: object,
) -> Collected:
    collector = BingNewsCollector("bing", {"base_url": server.base_url, **options})
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(
            fetcher, state or SourceState(), query=query, since=since, languages=languages
        )


def searches(server: FeedServer) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(r.path).query) for r in server.requests() if r.path.startswith("/news/")
    ]


def by_title(mentions: list[RawMention], start: str) -> RawMention:
    return next(m for m in mentions if m.title.startswith(start))


def serve_danone(server: FeedServer) -> None:
    server.add(market_path(server, "danone", FRENCH), recorded("danone_fr.xml"))
    server.add(market_path(server, "danone", ENGLISH), recorded("danone_en.xml"))


async def test_one_search_per_language_market(feed_server: FeedServer) -> None:
    serve_danone(feed_server)
    collected = await collect(feed_server)
    assert searches(feed_server) == [
        {"q": ["danone"], "format": ["rss"], "setlang": ["fr"], "cc": ["FR"]},
        {"q": ["danone"], "format": ["rss"], "setlang": ["en"], "cc": ["US"]},
    ]
    # Reuters is in both markets behind two different click wrappers: kept once.
    assert [m.url for m in collected.mentions].count(REUTERS) == 1
    assert len(collected.mentions) == 4


async def test_links_are_unwrapped_and_the_publisher_read(feed_server: FeedServer) -> None:
    serve_danone(feed_server)
    mentions = (await collect(feed_server)).mentions
    parisien = by_title(mentions, "Danone : les salariés")
    assert parisien.url == PARISIEN
    assert parisien.site_name == "Le Parisien"
    assert parisien.site_url == "https://www.leparisien.fr"
    assert parisien.published_at == datetime(2026, 3, 3, 8, 20, tzinfo=UTC)
    assert (parisien.platform, parisien.lang_hint, parisien.guid) == ("news", "fr", None)
    assert "plan de réorganisation" in parisien.content_html
    assert (parisien.author_name, parisien.engagement, parisien.reach) == (None, None, None)
    document = normalize(parisien)
    assert document.identity == f"url:{PARISIEN}"
    assert document.site == "leparisien.fr"
    # The title's line breaks and indentation are gone.
    bloomberg = by_title(mentions, "Michelin and Danone")
    assert bloomberg.title == "Michelin and Danone lead French firms in new climate ranking"
    assert (bloomberg.site_name, bloomberg.lang_hint) == ("Bloomberg", "en")


async def test_query_is_compiled_to_the_web_dialect(feed_server: FeedServer) -> None:
    feed_server.add("/news/search", recorded("empty.xml"))
    await collect(
        feed_server,
        '"Michelin" OR danone NOT yaourt',
        languages=("en",),
        markets={"en": "GB"},
    )
    assert searches(feed_server) == [
        {
            "q": ['"Michelin" OR (danone -yaourt)'],
            "format": ["rss"],
            "setlang": ["en"],
            "cc": ["GB"],
        }
    ]


async def test_a_later_pass_keeps_late_indexed_articles(feed_server: FeedServer) -> None:
    serve_danone(feed_server)
    first = await collect(feed_server)
    assert first.state.cursor == "2026-03-03T08:20:00+00:00"
    again = await collect(feed_server, state=first.state)
    assert len(again.mentions) == len(first.mentions)  # the store recognises them
    newer = recorded("danone_en.xml").replace(
        b"Sun, 01 Mar 2026 18:30:00 GMT", b"Tue, 03 Mar 2026 19:00:00 GMT"
    )
    feed_server.set_body(market_path(feed_server, "danone", ENGLISH), newer)
    third = await collect(feed_server, state=again.state)
    assert "Bloomberg" in [m.site_name for m in third.mentions]
    assert third.state.cursor == "2026-03-03T19:00:00+00:00"


async def test_an_html_answer_is_transient(feed_server: FeedServer) -> None:
    # Bing answers some complex queries with its web results page instead of RSS.
    feed_server.add(
        "/news/search", recorded("html_answer.html"), content_type="text/html; charset=utf-8"
    )
    with pytest.raises(TransientSourceError, match="HTML page") as caught:
        await collect(feed_server, '(danone OR "Michelin") NOT yaourt')
    assert caught.value.source == "bing"
    assert caught.value.hint and "simplify the query" in caught.value.hint


async def test_refusal_is_fatal_with_a_bing_hint(feed_server: FeedServer) -> None:
    feed_server.add("/news/search", b"", status=403, content_type="text/html")
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server)
    assert caught.value.status == 403
    assert caught.value.hint and "Bing refuses" in caught.value.hint


async def test_rate_limit_keeps_its_retry_after(feed_server: FeedServer) -> None:
    feed_server.add("/news/search", b"", status=429, headers={"Retry-After": "600"})
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert (caught.value.status, caught.value.retry_after) == (429, 600)


async def test_a_brand_without_query_is_a_clear_error(feed_server: FeedServer) -> None:
    with pytest.raises(FatalSourceError, match="needs the brand's query"):
        await collect(feed_server, query="  ")
    assert feed_server.requests() == []


def test_options_are_checked() -> None:
    assert BingNewsOptions().base_url == "https://www.bing.com"
    assert BingNewsOptions(markets={"fr": "be"}).markets == {"fr": "BE"}
    with pytest.raises(ValidationError, match="country code"):
        BingNewsOptions(markets={"fr": "Belgique"})


def test_publishers_are_read_from_cdata_and_entities() -> None:
    body = (
        b"<rss><channel><item><title>a</title><link>http://www.bing.com/news/apiclick.aspx?"
        b"a=1&amp;url=https%3a%2f%2fx.fr%2f1</link><News:Source><![CDATA[Ouest-France]]>"
        b"</News:Source></item><item><link>http://b.example/2</link>"
        b"<News:Source>Le Monde &amp; Cie</News:Source></item></channel></rss>"
    )
    assert publishers_by_link(body) == {
        "http://www.bing.com/news/apiclick.aspx?a=1&url=https%3a%2f%2fx.fr%2f1": "Ouest-France",
        "http://b.example/2": "Le Monde & Cie",
    }


async def test_real_bing_news_payload(feed_server: FeedServer) -> None:
    payload = EVAL_DIR / "payloads" / "bing_news_rss" / "capyreader_feed-bing-image.xml"
    if not payload.exists():
        pytest.skip(f"{payload} is not present")
    feed_server.add("/news/search", payload.read_bytes())
    collected = await collect(feed_server, "madrid", languages=("en",))
    [mention] = collected.mentions
    assert mention.url == (
        "https://www.dailymail.co.uk/sport/football/article-9554407/"
        "Real-Madrid-Barcelona-Juventus-threaten-clubs-withdrawing-Super-League-legal-action.html"
    )
    assert mention.title == (
        "Real Madrid, Barcelona and Juventus 'threaten clubs withdrawing from Super League "
        "with legal action'"
    )
    assert mention.site_name == "Daily Mail"
    assert mention.site_url == "https://www.dailymail.co.uk"
    assert mention.published_at == datetime(2021, 5, 7, 12, 0, tzinfo=UTC)
    assert normalize(mention).site == "dailymail.co.uk"
    assert collected.state.cursor == "2021-05-07T12:00:00+00:00"
