"""The ``google_news`` collector against recorded Google News search feeds on a local server."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from tests.scenarios.google_news import ENGLISH, FRENCH, edition_path, recorded
from tests.support.feedserver import FeedServer
from veille.collectors.google_news import GoogleNewsCollector, GoogleNewsOptions, article_url
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, RawMention, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
LES_ECHOS = (
    "https://www.lesechos.fr/industrie-services/conso-distribution/"
    "danone-cede-sa-marque-de-yaourts-bio-2154873"
)
REUTERS = (
    "https://www.reuters.com/business/retail-consumer/"
    "danone-raises-sales-outlook-specialised-nutrition-2026-03-02/"
)
NEW_FORMAT_LINK = (
    "https://news.google.com/rss/articles/"
    "CBMiOkFVX3lxTFBtM3hROGZacjJUazl2V2JONGNKZDdIc0Uxb1lnTGFLNnVSaU0wcFhlVnQ1blN3RHFCakY?oc=5"
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
    collector = GoogleNewsCollector("gnews", {"base_url": server.base_url, **options})
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(
            fetcher, state or SourceState(), query=query, since=since, languages=languages
        )


def searches(server: FeedServer) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(r.path).query) for r in server.requests() if r.path.startswith("/rss/")
    ]


def by_title(mentions: list[RawMention], start: str) -> RawMention:
    return next(m for m in mentions if m.title.startswith(start))


def serve_danone(server: FeedServer) -> None:
    server.add(edition_path(server, "danone", FRENCH), recorded("danone_fr.xml"))
    server.add(edition_path(server, "danone", ENGLISH), recorded("danone_en.xml"))


async def test_one_search_per_language_edition(feed_server: FeedServer) -> None:
    serve_danone(feed_server)
    collected = await collect(feed_server)
    assert searches(feed_server) == [
        {"q": ["danone"], "hl": ["fr"], "gl": ["FR"], "ceid": ["FR:fr"]},
        {"q": ["danone"], "hl": ["en"], "gl": ["US"], "ceid": ["US:en"]},
    ]
    assert collected.requests == 2
    # Five French results and two English ones, the Reuters story being in both editions.
    assert len(collected.mentions) == 6
    assert [m.url for m in collected.mentions].count(REUTERS) == 1


async def test_old_format_link_is_decoded_and_the_publisher_suffix_dropped(
    feed_server: FeedServer,
) -> None:
    serve_danone(feed_server)
    mentions = (await collect(feed_server)).mentions
    echos = by_title(mentions, "Danone cède")
    assert echos.url == LES_ECHOS
    assert echos.title == "Danone cède sa marque de yaourts bio à un fonds d'investissement"
    assert echos.site_name == "Les Echos"
    assert echos.site_url == "https://www.lesechos.fr"
    assert echos.published_at == datetime(2026, 3, 3, 6, 45, tzinfo=UTC)
    assert echos.platform == "news"
    assert echos.lang_hint == "fr"
    assert echos.guid is None
    assert echos.content_html == ""  # the description only repeated headline and publisher
    assert (echos.author_name, echos.engagement, echos.reach, echos.metrics) == (
        None,
        None,
        None,
        {},
    )
    document = normalize(echos)
    assert document.identity == f"url:{LES_ECHOS}"
    assert document.site == "lesechos.fr"


async def test_new_format_link_is_kept_and_the_site_comes_from_the_source(
    feed_server: FeedServer,
) -> None:
    serve_danone(feed_server)
    mentions = (await collect(feed_server)).mentions
    monde = by_title(mentions, "Danone : la grève")
    assert monde.url == NEW_FORMAT_LINK
    assert monde.title == "Danone : la grève se durcit à l'usine de Saint-Just-Chaleyssin"
    assert monde.published_at == datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    document = normalize(monde)
    assert document.site == "lemonde.fr"
    assert document.identity == f"url:{NEW_FORMAT_LINK}"


async def test_titles_and_descriptions_that_are_not_the_plain_shape(
    feed_server: FeedServer,
) -> None:
    serve_danone(feed_server)
    mentions = (await collect(feed_server)).mentions
    # " - BFM" is not the <source> name ("BFM Business"): the title is left whole.
    bfm = by_title(mentions, "Danone, Michelin, Orange")
    assert bfm.title.endswith(" - BFM")
    assert bfm.site_name == "BFM Business"
    # A story cluster lists other publishers' headlines: worth keeping for matching.
    evian = by_title(mentions, "Evian : la marque de Danone")
    assert "<ol>" in evian.content_html and "Le Dauphiné Libéré" in evian.content_html
    english = by_title(mentions, "Why Danone")
    assert (english.title, english.site_name, english.lang_hint) == (
        "Why Danone is betting its future on gut health",
        "Financial Times",
        "en",
    )


async def test_query_is_compiled_to_the_web_dialect_with_the_time_window(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/rss/search", recorded("empty.xml"))
    await collect(
        feed_server,
        '"Michelin" OR danone NOT yaourt',
        languages=("en-GB",),
        editions={"en": "gb"},
        when="7d",
    )
    assert searches(feed_server) == [
        {
            "q": ['"Michelin" OR (danone -yaourt) when:7d'],
            "hl": ["en"],
            "gl": ["GB"],
            "ceid": ["GB:en"],
        }
    ]


async def test_editions_default_to_french_and_unknown_languages_to_their_own_country(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/rss/search", recorded("empty.xml"))
    await collect(feed_server, languages=())
    await collect(feed_server, languages=("pl",))
    assert [(s["hl"], s["gl"]) for s in searches(feed_server)] == [
        (["fr"], ["FR"]),
        (["pl"], ["PL"]),
    ]


async def test_a_later_pass_keeps_late_indexed_articles(feed_server: FeedServer) -> None:
    # News search adds articles late, dated before items already seen: the watermark records
    # the newest item but never filters, and the store recognises what it already has.
    serve_danone(feed_server)
    first = await collect(feed_server)
    assert first.state.cursor == "2026-03-03T06:45:00+00:00"
    again = await collect(feed_server, state=first.state)
    assert [m.url for m in again.mentions] == [m.url for m in first.mentions]
    assert again.state.cursor == first.state.cursor
    newer = recorded("danone_fr.xml").replace(
        b"Tue, 03 Mar 2026 06:45:00 GMT", b"Wed, 04 Mar 2026 10:00:00 GMT"
    )
    feed_server.set_body(edition_path(feed_server, "danone", FRENCH), newer)
    third = await collect(feed_server, state=again.state)
    assert LES_ECHOS in [m.url for m in third.mentions]
    assert len(third.mentions) == len(first.mentions)
    assert third.state.cursor == "2026-03-04T10:00:00+00:00"


async def test_since_limits_a_first_pass(feed_server: FeedServer) -> None:
    serve_danone(feed_server)
    collected = await collect(feed_server, since=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert sorted(m.title for m in collected.mentions) == [
        "Danone : la grève se durcit à l'usine de Saint-Just-Chaleyssin",
        "Danone cède sa marque de yaourts bio à un fonds d'investissement",
    ]


async def test_consent_page_is_transient(feed_server: FeedServer) -> None:
    consent = b"<!DOCTYPE html><html lang='fr'><head><title>Avant d'acc\xc3\xa9der</title></html>"
    feed_server.add("/rss/search", redirect_to="/consent")
    feed_server.add("/consent", consent, content_type="text/html; charset=utf-8")
    with pytest.raises(TransientSourceError, match="HTML page") as caught:
        await collect(feed_server)
    assert caught.value.source == "gnews"
    assert caught.value.hint and "later pass" in caught.value.hint


async def test_unusual_traffic_answer_is_transient_with_its_retry_after(
    feed_server: FeedServer,
) -> None:
    # Google sends throttled clients to /sorry/index, which answers 429 with an HTML page.
    feed_server.add("/rss/search", redirect_to="/sorry/index", status=302)
    feed_server.add(
        "/sorry/index",
        b"<html><body>Our systems have detected unusual traffic</body></html>",
        status=429,
        content_type="text/html",
        headers={"Retry-After": "3600"},
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert caught.value.status == 429
    assert caught.value.retry_after == 3600


async def test_refusal_is_fatal_with_a_google_news_hint(feed_server: FeedServer) -> None:
    feed_server.add("/rss/search", b"Forbidden", status=403, content_type="text/plain")
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server)
    assert caught.value.status == 403
    assert caught.value.hint and "Google News refuses" in caught.value.hint


async def test_a_brand_without_query_is_a_clear_error(feed_server: FeedServer) -> None:
    with pytest.raises(FatalSourceError, match="needs the brand's query"):
        await collect(feed_server, query="")
    assert feed_server.requests() == []


def test_options_are_checked() -> None:
    assert GoogleNewsOptions().base_url == "https://news.google.com"
    assert GoogleNewsOptions(editions={" EN ": "gb"}).editions == {"en": "GB"}
    with pytest.raises(ValidationError, match="ISO 639-1"):
        GoogleNewsOptions(editions={"english": "GB"})
    with pytest.raises(ValidationError, match="country code"):
        GoogleNewsOptions(editions={"en": "GBR"})
    with pytest.raises(ValidationError, match="when"):
        GoogleNewsOptions(when="7 days")


def test_article_url_decodes_only_links_that_carry_the_url() -> None:
    old = "https://news.google.com/rss/articles/CBMiV2h0dHBzOi8vd3d3LmxlZmlnYXJvLmZyL2Vjb25vbWllL3RvdGFs0gEA?oc=5"
    assert article_url(old) == "https://www.lefigaro.fr/economie/total"
    assert article_url(NEW_FORMAT_LINK) is None
    assert article_url("https://news.google.com/rss/articles/!!not-base64?oc=5") is None
    assert article_url("https://example.org/articles/CBMiV2h0dHBzOi8vd3d3LmxlZmlnYXJv") is None
    assert article_url(None) is None


async def test_real_google_news_payload(feed_server: FeedServer) -> None:
    payload = EVAL_DIR / "payloads" / "google_news_rss" / "rcb_google_news_brent_crude.xml"
    if not payload.exists():
        pytest.skip(f"{payload} is not present")
    feed_server.add("/rss/search", payload.read_bytes())
    collected = await collect(
        feed_server, '"Brent crude oil price"', languages=("en",), editions={"en": "GB"}
    )
    assert searches(feed_server)[0]["ceid"] == ["GB:en"]
    mentions = collected.mentions
    assert len(mentions) == 6
    first = mentions[0]
    assert first.title == "Middle East War Triggers New Global Refining Boom"
    assert first.site_name == "Crude Oil Prices Today | OilPrice.com"
    assert first.site_url == "https://oilprice.com"
    assert first.published_at == datetime(2026, 8, 5, tzinfo=UTC)
    # Current links carry no URL in clear: they stay Google links, sited by their publisher.
    google_links = "https://news.google.com/rss/articles/"
    assert all(m.url and m.url.startswith(google_links) for m in mentions)
    assert [normalize(m).site for m in mentions][-2:] == ["bbc.com", "nbcnews.com"]
    bbc = by_title(mentions, "Oil price dives")
    assert (bbc.title, bbc.site_name) == ("Oil price dives as US and Iran pause attacks", "BBC")
    assert collected.state.cursor == "2026-08-05T00:00:00+00:00"
