"""StackExchangeCollector against a real local server replaying recorded API answers."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.scenarios.stackexchange import JSON, KEY, SEARCH_PATH, recorded, search_route
from tests.support.feedserver import FeedServer
from veille.collectors._stackexchange_parse import parse_questions
from veille.collectors.api import watermark
from veille.collectors.stackexchange import StackExchangeCollector
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, read_timeout=5)
EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
NEWEST = datetime(2026, 1, 12, 8, 14, 3, tzinfo=UTC)


@pytest.fixture(autouse=True)
def app_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with the app key set unless it removes it."""
    monkeypatch.setenv("VEILLE_STACKEXCHANGE_KEY", KEY)


async def collect(
    server: FeedServer,
    *,
    query: str = "danone",
    state: SourceState | None = None,
    since: datetime | None = None,
    **options: object,
) -> Collected:
    collector = StackExchangeCollector("so", {"base_url": server.base_url, **options})
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(fetcher, state or SourceState(), query=query, since=since)


def serve_two_pages(server: FeedServer) -> None:
    server.add(SEARCH_PATH, recorded("search_page1.json"), content_type=JSON, gzip=True)
    server.add(
        search_route("danone", page=2), recorded("search_page2.json"), content_type=JSON, gzip=True
    )


def sent(server: FeedServer) -> list[dict[str, list[str]]]:
    """The query parameters of every search request, in order."""
    return [
        parse_qs(urlsplit(r.path).query)
        for r in server.requests()
        if r.path.split("?")[0] == SEARCH_PATH
    ]


async def test_questions_become_mentions_with_their_fields(feed_server: FeedServer) -> None:
    serve_two_pages(feed_server)
    collected = await collect(feed_server)
    assert [m.extra["question_id"] for m in collected.mentions] == [
        79881234, 79880977, 79879310, 79876402, 79873088
    ]  # fmt: skip
    first = collected.mentions[0]
    # Titles come HTML-escaped, as a RawMention holds them; the document reads them back.
    assert first.title == "Comment parser les factures &quot;Danone&quot; export&#233;es en EDI ?"
    assert normalize(first).title == 'Comment parser les factures "Danone" exportées en EDI ?'
    assert first.content_html.startswith("<p>Notre client Danone nous envoie")
    assert first.url == (
        "https://stackoverflow.com/questions/79881234/"
        "comment-parser-les-factures-danone-exportees-en-edi"
    )
    assert (first.author_name, first.author_handle) == ("Camille Lefèvre", "27745512")
    assert first.author_url == "https://stackoverflow.com/users/27745512/camille-lefevre"
    assert first.published_at == NEWEST
    assert (first.site_name, first.site_url) == ("stackoverflow", "https://stackoverflow.com")
    assert first.platform == "stackexchange" and first.lang_hint is None
    assert first.metrics == {"score": 3, "replies": 1, "views": 87}
    assert (first.engagement, first.reach) == (4, 91)
    assert first.extra["tags"] == ["python", "edi", "edifact"]
    assert normalize(first).identity == "id:stackexchange:stackoverflow:79881234"
    downvoted = collected.mentions[1]
    assert downvoted.metrics == {"replies": 0, "views": 41}  # a negative score is no count
    deleted_owner = collected.mentions[4]
    assert deleted_owner.author_name == "user30111222"
    assert deleted_owner.author_handle is None and deleted_owner.author_url is None
    assert collected.state.cursor == NEWEST.isoformat()
    assert (collected.requests, collected.warning, collected.ttl_seconds) == (2, None, None)


async def test_request_asks_the_documented_search(feed_server: FeedServer) -> None:
    serve_two_pages(feed_server)
    await collect(feed_server, max_pages=1)
    [params] = sent(feed_server)
    assert params == {
        "q": ["danone"], "site": ["stackoverflow"], "sort": ["creation"], "order": ["desc"],
        "pagesize": ["100"], "page": ["1"], "filter": ["withbody"], "key": [KEY],
    }  # fmt: skip
    assert "gzip" in feed_server.requests()[0].headers["accept-encoding"]


async def test_without_a_key_no_key_is_sent(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_STACKEXCHANGE_KEY")
    serve_two_pages(feed_server)
    collected = await collect(feed_server, max_pages=1, site="superuser")
    [params] = sent(feed_server)
    assert "key" not in params and params["site"] == ["superuser"]
    assert collected.mentions[0].site_name == "superuser"


async def test_more_pages_than_max_pages_is_told(feed_server: FeedServer) -> None:
    serve_two_pages(feed_server)
    collected = await collect(feed_server, max_pages=1)
    assert len(sent(feed_server)) == 1
    assert collected.warning == "more Stack Exchange results than 1 page(s): older skipped"


async def test_each_keyword_alternative_is_one_search(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, recorded("search_empty.json"), content_type=JSON, gzip=True)
    await collect(feed_server, query='("groupe danone" OR evian) NOT cup')
    assert [params["q"] for params in sent(feed_server)] == [["groupe danone"], ["evian"]]


async def test_second_pass_asks_only_for_newer_questions(feed_server: FeedServer) -> None:
    serve_two_pages(feed_server)
    first = await collect(feed_server, max_pages=1)
    second = await collect(feed_server, state=first.state, max_pages=1)
    assert first.state.cursor == NEWEST.isoformat()
    start = watermark(first.state, None)  # the newest item seen, less the shared overlap
    assert start is not None and NEWEST - timedelta(hours=1) <= start <= NEWEST
    assert sent(feed_server)[-1]["fromdate"] == [str(int(start.timestamp()))]
    # The server answers the same page again: only what is after the watermark comes back.
    assert [m.extra["question_id"] for m in second.mentions] == [
        m.extra["question_id"] for m in first.mentions if m.published_at and m.published_at > start
    ]
    assert second.state == first.state


async def test_since_sets_fromdate_and_filters(feed_server: FeedServer) -> None:
    serve_two_pages(feed_server)
    since = datetime(2026, 1, 11, tzinfo=UTC)
    collected = await collect(feed_server, since=since, max_pages=1)
    assert sent(feed_server)[0]["fromdate"] == [str(int(since.timestamp()))]
    assert [m.extra["question_id"] for m in collected.mentions] == [79881234, 79880977]


async def test_backoff_ends_the_pass_and_keeps_the_api_quiet(feed_server: FeedServer) -> None:
    feed_server.add(SEARCH_PATH, recorded("search_backoff.json"), content_type=JSON, gzip=True)
    collected = await collect(feed_server, query="danone OR michelin")
    assert len(sent(feed_server)) == 1  # has_more, a second alternative: neither asked
    assert collected.ttl_seconds == 10
    assert collected.warning and "10 s pause" in collected.warning
    assert [m.extra["question_id"] for m in collected.mentions] == [79881234]
    later = await collect(feed_server)  # another brand, same API, inside the pause
    assert len(sent(feed_server)) == 1
    assert later.mentions == [] and later.ttl_seconds and later.ttl_seconds <= 11
    assert later.warning and "pause" in later.warning


async def test_exhausted_quota_ends_the_pass(feed_server: FeedServer) -> None:
    feed_server.add(
        SEARCH_PATH, recorded("search_quota_exhausted.json"), content_type=JSON, gzip=True
    )
    collected = await collect(feed_server)
    assert len(sent(feed_server)) == 1
    assert len(collected.mentions) == 2
    assert collected.warning and "quota used up (300 requests)" in collected.warning


async def test_throttle_violation_is_transient_with_the_wait(feed_server: FeedServer) -> None:
    feed_server.override(
        SEARCH_PATH, recorded("error_throttle_violation.json"), status=400, content_type=JSON
    )
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert "throttle_violation" in caught.value.message
    assert caught.value.retry_after == 82216
    assert len(feed_server.requests()) == 1
    assert caught.value.source == "so" and caught.value.status == 400
    assert KEY not in caught.value.message and KEY not in (caught.value.url or "")


async def test_bad_parameter_is_fatal_with_the_api_message(feed_server: FeedServer) -> None:
    feed_server.override(
        SEARCH_PATH, recorded("error_bad_parameter.json"), status=400, content_type=JSON
    )
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server, site="stackoverflw")
    assert "No site found for name `stackoverflw`" in caught.value.message
    assert caught.value.hint and "site option" in caught.value.hint


async def test_a_400_without_an_error_document_stays_fatal(feed_server: FeedServer) -> None:
    feed_server.override(SEARCH_PATH, b"<html>Bad Request</html>", status=400)
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server)
    assert caught.value.status == 400 and KEY not in str(caught.value)


async def test_server_errors_hide_the_key(feed_server: FeedServer) -> None:
    feed_server.override(SEARCH_PATH, b"", status=503)
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server)
    assert caught.value.status == 503
    assert KEY not in caught.value.message and "key=***" in (caught.value.url or "")


async def test_an_html_page_instead_of_json_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(
        SEARCH_PATH, b"<!DOCTYPE html><title>Maintenance</title>", content_type="text/html"
    )
    with pytest.raises(TransientSourceError, match="expected JSON"):
        await collect(feed_server)


def test_localised_sites_give_their_language() -> None:
    items = json.loads(recorded("search_page2.json"))["items"]
    [mention, _] = parse_questions(items, site="pt.stackoverflow", source="so")
    assert mention.lang_hint == "pt" and mention.extra["platform_id"] == "pt.stackoverflow:79876402"
    assert parse_questions([{"title": "no id"}, None], site="stackoverflow", source="so") == []


async def test_real_search_payload(feed_server: FeedServer) -> None:
    path = EVAL_DIR / "payloads" / "stackexchange" / "ajt10_stackexchange_search.json"
    if not path.is_file():
        pytest.skip(f"real payload not present: {path}")
    feed_server.add(SEARCH_PATH, path.read_bytes(), content_type=JSON, gzip=True)
    collected = await collect(feed_server, query="asyncio", max_pages=1)
    assert len(sent(feed_server)) == 1  # has_more is true, but one page was allowed
    assert [m.extra["question_id"] for m in collected.mentions] == [27435284, 22190403, 56729764]
    sleep = collected.mentions[2]
    assert sleep.title == "asyncio.sleep() vs time.sleep()"
    assert sleep.author_name == "an offer can't refuse" and sleep.author_handle == "2794152"
    assert sleep.author_url == "https://stackoverflow.com/users/2794152/an-offer-cant-refuse"
    assert sleep.url == "https://stackoverflow.com/questions/56729764/asyncio-sleep-vs-time-sleep"
    assert sleep.published_at == datetime(2019, 6, 24, 4, 14, 52, tzinfo=UTC)
    assert sleep.metrics == {"score": 164, "replies": 3, "views": 231098}
    assert sleep.extra["reputation"] == 4952
    assert collected.state.cursor == datetime(2019, 6, 24, 4, 14, 52, tzinfo=UTC).isoformat()
    # 250 of 300 requests left; has_more said there were more questions than one page
    assert collected.warning == "more Stack Exchange results than 1 page(s): older skipped"


async def test_a_backoff_keeps_the_watermark_for_the_pages_left_unread(
    feed_server: FeedServer,
) -> None:
    feed_server.add(SEARCH_PATH, recorded("search_backoff.json"), content_type=JSON, gzip=True)
    stored = SourceState(cursor=(NEWEST - timedelta(hours=10)).isoformat())
    cut = await collect(feed_server, state=stored)
    assert len(sent(feed_server)) == 1 and len(cut.mentions) == 1
    assert cut.state == stored  # has_more: the next pass asks from the old watermark again
    assert cut.warning and "the next pass reads what was left" in cut.warning


async def test_a_backoff_on_the_last_page_moves_the_watermark(feed_server: FeedServer) -> None:
    last = json.loads(recorded("search_backoff.json")) | {"has_more": False}
    feed_server.add(SEARCH_PATH, json.dumps(last).encode(), content_type=JSON, gzip=True)
    collected = await collect(feed_server)
    assert collected.state.cursor is not None and collected.ttl_seconds == 10


async def test_a_backoff_before_another_keyword_keeps_the_watermark(
    feed_server: FeedServer,
) -> None:
    last = json.loads(recorded("search_backoff.json")) | {"has_more": False}
    feed_server.add(SEARCH_PATH, json.dumps(last).encode(), content_type=JSON, gzip=True)
    collected = await collect(feed_server, query="danone OR michelin")
    assert len(sent(feed_server)) == 1  # michelin is searched at a later pass
    assert collected.state == SourceState()
