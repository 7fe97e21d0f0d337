"""GdeltCollector against a real HTTP server replaying recorded DOC 2.0 answers."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.scenarios.gdelt import JSON, recorded, serve_articles
from tests.support.feedserver import FeedServer, LoggedRequest
from tests.support.watermarks import asked_from, only_the_overlap
from veille.collectors.gdelt import RATE_LIMITED_WAIT, SEARCH_PATH, GdeltCollector, RequestSpacing
from veille.errors import ConfigError, FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
REAL_ARTICLES = EVAL_DIR / "payloads" / "gdelt" / "mmpoc_gdelt_sample_articles.json"


def gdelt(server: FeedServer, **options: object) -> GdeltCollector:
    base = {"base_url": server.base_url, "min_interval": 0}
    return GdeltCollector("gdelt-monde", base | options)  # type: ignore[arg-type]


async def collect(
    collector: GdeltCollector,
    state: SourceState | None = None,
    *,
    query: str = "danone",
    languages: tuple[str, ...] = ("fr", "en"),
) -> Collected:
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(
            fetcher, state or SourceState(), query=query, since=None, languages=languages
        )


def params(request: LoggedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.path).query)


def searches(server: FeedServer) -> list[LoggedRequest]:
    return [r for r in server.requests() if r.path.split("?")[0] == SEARCH_PATH]


async def test_asks_once_with_the_compiled_query(feed_server: FeedServer) -> None:
    serve_articles(feed_server)
    collected = await collect(gdelt(feed_server))
    [request] = searches(feed_server)
    assert params(request) == {
        "query": ["danone (sourcelang:french OR sourcelang:english)"],
        "mode": ["artlist"],
        "format": ["json"],
        "maxrecords": ["250"],
        "sort": ["datedesc"],
        "timespan": ["1d"],
    }
    assert collected.requests == 1 and len(collected.mentions) == 4
    assert collected.warning is None


async def test_boolean_query_language_and_country(feed_server: FeedServer) -> None:
    serve_articles(feed_server)
    await collect(
        gdelt(feed_server, sourcecountry="FR"),
        query='(danone OR "eaux minérales") AND NOT recette',
        languages=("fr",),
    )
    assert params(searches(feed_server)[0])["query"] == [
        '(danone OR "eaux minérales") -recette sourcelang:french sourcecountry:FR'
    ]


async def test_fills_the_mention_fields(feed_server: FeedServer) -> None:
    serve_articles(feed_server)
    collected = await collect(gdelt(feed_server))
    by_site = {m.site_name: m for m in collected.mentions}

    echos = by_site["lesechos.fr"]
    assert echos.source == "gdelt-monde"
    assert echos.url and echos.url.startswith("https://www.lesechos.fr/industrie-services/")
    assert echos.title == "Danone relève ses objectifs pour 2026 grâce aux produits laitiers"
    assert echos.published_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert (echos.platform, echos.site_url, echos.lang_hint) == (
        "news",
        "https://lesechos.fr",
        "fr",
    )
    assert echos.extra["sourcecountry"] == "France"
    assert (echos.metrics, echos.engagement, echos.reach) == ({}, None, None)

    reuters = by_site["reuters.com"]
    assert reuters.lang_hint == "en"
    assert reuters.extra["sourcecountry"] == "United States"
    assert "url_mobile" not in reuters.extra  # GDELT sends "" when there is none

    ouest = by_site["ouest-france.fr"]
    assert str(ouest.extra["url_mobile"]).startswith("https://www.ouest-france.fr/amp/")
    document = normalize(ouest)
    assert document.site == "ouest-france.fr" and document.platform == "news"
    assert document.identity.startswith("url:https://www.ouest-france.fr/economie/")


async def test_second_pass_starts_at_the_watermark(feed_server: FeedServer) -> None:
    serve_articles(feed_server)
    collector = gdelt(feed_server)
    first = await collect(collector)
    assert first.state.cursor == "2026-11-20T09:30:00+00:00"

    second = await collect(collector, first.state)
    asked = params(searches(feed_server)[1])
    assert asked["startdatetime"] == [asked_from(first.state.cursor).strftime("%Y%m%d%H%M%S")]
    assert "timespan" not in asked
    assert only_the_overlap(second.mentions, first.state.cursor)
    assert second.state == first.state


async def test_max_pages_cannot_ask_more_than_one_request(feed_server: FeedServer) -> None:
    serve_articles(feed_server)
    await collect(gdelt(feed_server, max_pages=5))
    assert len(searches(feed_server)) == 1


async def test_a_full_answer_warns_that_articles_were_missed(feed_server: FeedServer) -> None:
    serve_articles(feed_server)
    collected = await collect(gdelt(feed_server, maxrecords=4))
    assert params(searches(feed_server)[0])["maxrecords"] == ["4"]
    assert collected.warning and "maximum of 4 articles" in collected.warning


async def test_query_of_short_words_only_is_refused_before_asking(feed_server: FeedServer) -> None:
    serve_articles(feed_server)
    with pytest.raises(FatalSourceError) as caught:
        await collect(gdelt(feed_server), query="LU OR BN")
    assert "three letters" in (caught.value.hint or "")
    assert feed_server.requests() == []


async def test_text_error_about_the_query_is_fatal(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, recorded("phrase_too_short.txt"), content_type="text/html")
    with pytest.raises(FatalSourceError) as caught:
        await collect(gdelt(feed_server), query='"LU biscuits"')
    assert "The specified phrase is too short." in str(caught.value)
    assert caught.value.source == "gdelt-monde"


async def test_rate_limit_text_with_status_200_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, recorded("rate_limit.txt"), content_type="text/plain")
    with pytest.raises(TransientSourceError) as caught:
        await collect(gdelt(feed_server))
    assert caught.value.retry_after == RATE_LIMITED_WAIT
    assert "one request every 5 seconds" in (caught.value.hint or "")


async def test_429_without_retry_after_backs_off(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, recorded("rate_limit.txt"), status=429, content_type="text/plain")
    with pytest.raises(TransientSourceError) as caught:
        await collect(gdelt(feed_server))
    assert (caught.value.status, caught.value.retry_after) == (429, RATE_LIMITED_WAIT)


@pytest.mark.parametrize(
    "body",
    [b"Timeout: the search took too long\n", b'{"articles": [ {"url": "https://a.fr/'],
)
async def test_other_unreadable_answers_are_transient(feed_server: FeedServer, body: bytes) -> None:
    feed_server.add(SEARCH_PATH, body, content_type=JSON)
    with pytest.raises(TransientSourceError):
        await collect(gdelt(feed_server))


async def test_control_characters_in_titles_are_tolerated(feed_server: FeedServer) -> None:
    # A raw tab inside a JSON string: invalid JSON, but GDELT sends such titles.
    body = '{"articles": [{"url": "https://www.lesechos.fr/a", "title": "Danone\tcède"}]}'
    feed_server.add(SEARCH_PATH, body.encode(), content_type=JSON)
    collected = await collect(gdelt(feed_server))
    assert [m.title for m in collected.mentions] == ["Danone\tcède"]


async def test_requests_of_one_process_never_overlap(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, recorded("artlist_danone.json"), content_type=JSON, delay=0.1)
    collector = gdelt(feed_server)
    await asyncio.gather(*(collect(collector, query=q) for q in ("danone", "michelin", "orange")))
    assert len(searches(feed_server)) == 3
    assert feed_server.max_in_flight(SEARCH_PATH) == 1


async def test_spacing_waits_the_rest_of_the_interval() -> None:
    now = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    spacing = RequestSpacing(clock=lambda: now[0], sleep=sleep)
    async with spacing.turn(5.0):
        now[0] += 1.5  # the first request takes 1.5 s
    now[0] += 2.0  # parsing and the next brand's set-up
    async with spacing.turn(5.0):
        pass
    now[0] += 6.0
    async with spacing.turn(5.0):
        pass
    assert waits == [3.0]


def test_bad_timespan_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        GdeltCollector("gdelt-monde", {"timespan": "yesterday"})  # type: ignore[arg-type]
    assert "timespan" in str(caught.value)


@pytest.mark.skipif(not REAL_ARTICLES.is_file(), reason=f"no eval payload at {REAL_ARTICLES}")
async def test_real_artlist_answer(feed_server: FeedServer) -> None:
    wrapped = {"articles": json.loads(REAL_ARTICLES.read_bytes())}
    feed_server.add(SEARCH_PATH, json.dumps(wrapped).encode(), content_type=JSON)
    collected = await collect(gdelt(feed_server), query="KPK", languages=("id",))
    assert params(searches(feed_server)[0])["query"] == ["KPK sourcelang:indonesian"]
    kompas, antara = collected.mentions
    assert kompas.url and kompas.url.startswith("https://nasional.kompas.com/read/2025/12/28/")
    assert kompas.published_at == datetime(2025, 12, 28, 9, 15, tzinfo=UTC)
    assert (kompas.site_name, kompas.site_url) == (
        "nasional.kompas.com",
        "https://nasional.kompas.com",
    )
    assert kompas.lang_hint == "id" and kompas.extra["sourcecountry"] == "Indonesia"
    assert "url_mobile" not in kompas.extra
    assert antara.extra["url_mobile"] == (
        "https://m.antaranews.com/amp/berita/5326786/"
        "kpk-hentikan-penyidikan-kasus-aswad-sulaiman-pada-17-desember-2024"
    )
    assert antara.title.startswith("KPK hentikan penyidikan")
    assert normalize(antara).site == "antaranews.com"


def test_articles_without_their_wrapper_object_are_read() -> None:
    # A mirror or proxy that unwraps GDELT's {"articles": [...]}: the articles, not "text".
    from veille.collectors._gdelt_articles import parse_artlist

    article = {"url": "https://www.lemonde.fr/a", "title": "Danone", "seendate": "20261128T101500Z"}
    wrapped = parse_artlist(json.dumps({"articles": [article]}).encode(), source="g", url="u")
    bare = parse_artlist(json.dumps([article]).encode(), source="g", url="u")
    assert bare == wrapped and len(bare) == 1
    assert parse_artlist(b"[]", source="g", url="u") == []
