"""Real feeds captured by others (shared eval payloads): parsed directly and served end to end.

Skipped when the payloads are not present. ``VEILLE_EVAL_DIR`` points at another eval folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from veille.classify import Classifier
from veille.collectors.rss import RssCollector, parse_feed
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import SourceState

EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)
PAYLOADS = EVAL_DIR / "payloads"
FEED_FOLDERS = ("rss_generic", "youtube_feed", "google_news_rss", "bing_news_rss")


@dataclass(frozen=True)
class Expected:
    """What eval/SOURCES.md documents about one payload."""

    entries: int
    bozo: bool = False
    dated: bool = True
    portuguese: bool = False  # Latin-1 bytes that must come out as readable accents


EXPECTED: dict[str, Expected] = {
    # "No item dates" for feedparser: they are written in Portuguese ("Seg, 24 Set 2018"),
    # which veille reads.
    "rss_generic/rssparser_uolNoticias_nodecl_latin1_nodates.rss": Expected(
        15, bozo=True, dated=True, portuguese=True
    ),
    "rss_generic/rssparser_encoding_iso8859-1_jn.rss": Expected(40, portuguese=True),
    "rss_generic/rssparser_heise_de.atom": Expected(15),
    "rss_generic/capyreader_feed-test-malformed_androidauthority.xml": Expected(10, bozo=True),
    # "No item dates" for feedparser: Drupal writes them as <time datetime="…"> in <pubDate>.
    "rss_generic/capyreader_feed-test-time_fda_nodates.xml": Expected(20),
    "rss_generic/ajt10_hnrss_frontpage.xml": Expected(20),
    "youtube_feed/youpdated_youtube_nasa.xml": Expected(15),
    "google_news_rss/rcb_google_news_brent_crude.xml": Expected(6),
    "bing_news_rss/capyreader_feed-bing-image.xml": Expected(1),
}

pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason=f"no eval payloads in {PAYLOADS}")


def payload_files() -> list[str]:
    """Every feed payload present, as "folder/file"."""
    if not PAYLOADS.is_dir():
        return []
    return sorted(
        f"{folder}/{path.name}"
        for folder in FEED_FOLDERS
        for path in (PAYLOADS / folder).glob("*")
        if path.is_file()
    )


def content_type(name: str) -> str:
    return "application/atom+xml" if name.endswith(".atom") else "application/rss+xml"


def test_every_present_payload_is_documented() -> None:
    assert set(payload_files()) <= set(EXPECTED), "document new payloads in EXPECTED"


@pytest.mark.parametrize("name", payload_files())
def test_payload_parses_as_documented(name: str) -> None:
    expected = EXPECTED[name]
    parsed = parse_feed((PAYLOADS / name).read_bytes(), url="https://feeds.example/f", source="p")
    mentions = parsed.mentions
    assert len(mentions) == expected.entries
    assert (parsed.warning is not None) == expected.bozo, parsed.warning
    assert all(m.published_at is not None for m in mentions) == expected.dated
    assert any(m.published_at is not None for m in mentions) == expected.dated
    assert all(m.published_at is None or m.published_at.utcoffset() is not None for m in mentions)
    assert all(m.url and m.url.startswith("http") and m.url == m.url.strip() for m in mentions)
    assert all(m.title for m in mentions)
    if expected.portuguese:
        text = " ".join(m.title + m.content_html for m in mentions)
        assert "\ufffd" not in text
        assert "ç" in text or "ã" in text


def test_youtube_entries_carry_platform_id_and_views() -> None:
    name = "youtube_feed/youpdated_youtube_nasa.xml"
    if not (PAYLOADS / name).exists():
        pytest.skip(f"{name} absent")
    body = (PAYLOADS / name).read_bytes()
    parsed = parse_feed(body, url="https://feeds.example/f", source="p")
    views = [int(v) for v in re.findall(rb'<media:statistics views="(\d+)"', body)]
    assert [m.reach for m in parsed.mentions] == views
    for mention in parsed.mentions:
        assert mention.platform == "youtube"
        video_id = mention.extra["platform_id"]
        assert mention.guid == f"yt:video:{video_id}"
        assert mention.url and str(video_id) in mention.url  # watch?v=ID or shorts/ID
        assert mention.author_name == "NASA"


def test_drupal_items_are_dated_by_their_time_element() -> None:
    name = "rss_generic/capyreader_feed-test-time_fda_nodates.xml"
    if not (PAYLOADS / name).exists():
        pytest.skip(f"{name} absent")
    parsed = parse_feed((PAYLOADS / name).read_bytes(), url="https://feeds.example/f", source="p")
    first = parsed.mentions[0].published_at
    # <time datetime="2019-05-03T19:21:28Z">Fri, 05/03/2019 - 15:21</time>
    assert first is not None and first.isoformat() == "2019-05-03T19:21:28+00:00"


HN_ITEM = b"""<rss version="2.0"><channel><title>Hacker News: Front Page</title>
<link>https://news.ycombinator.com/</link><item><title>Anthropic acquires Bun</title>
<description><![CDATA[
<p>Article URL: <a href="https://bun.com/blog/bun-joins-anthropic">https://bun.com/blog/bun-joins-anthropic</a></p>
<p>Comments URL: <a href="https://news.ycombinator.com/item?id=46124267">https://news.ycombinator.com/item?id=46124267</a></p>
<p>Points: 2192</p>
<p># Comments: 1072</p>
]]></description><link>https://bun.com/blog/bun-joins-anthropic</link></item></channel></rss>"""


def test_hacker_news_items_give_their_figures_apart_from_their_text() -> None:
    name = "rss_generic/ajt10_hnrss_frontpage.xml"
    if not (PAYLOADS / name).exists():
        pytest.skip(f"{name} absent")
    body = (PAYLOADS / name).read_bytes()
    parsed = parse_feed(body, url="https://hnrss.org/frontpage", source="hn")
    points = [int(n) for n in re.findall(rb"<p>Points: (\d+)</p>", body)]
    comments = [int(n) for n in re.findall(rb"<p># Comments: (\d+)</p>", body)]
    assert [m.metrics for m in parsed.mentions] == [
        {"points": p, "comments": c} for p, c in zip(points, comments, strict=True)
    ]
    assert [m.engagement for m in parsed.mentions] == [
        p + c for p, c in zip(points, comments, strict=True)
    ]
    # A link's item is its title alone, whose language is the item's; a Show HN keeps its text.
    documents = {m.title: normalize(m) for m in parsed.mentions}
    assert not [d.text for d in documents.values() if "Points:" in d.text or "URL:" in d.text]
    assert documents["Show HN: Wyzer Programming Language"].text.startswith("So i've been")
    assert [d.text for d in documents.values()].count("") == len(documents) - 1
    classifier = Classifier(("fr", "en"))
    read = [classifier.language_of(f"{d.title} {d.text}") for d in documents.values()]
    assert read.count("en") >= len(documents) - 1  # "Möbius-Strip Crosswords" says too little
    # Its figures beside a short title read as French ("Article", "Points").
    [item] = parse_feed(HN_ITEM, url="https://hnrss.org/frontpage", source="hn").mentions
    document = normalize(item)
    assert classifier.language_of(f"{document.title} {document.text}") == "en"


def test_google_news_items_name_their_publisher() -> None:
    name = "google_news_rss/rcb_google_news_brent_crude.xml"
    if not (PAYLOADS / name).exists():
        pytest.skip(f"{name} absent")
    parsed = parse_feed((PAYLOADS / name).read_bytes(), url="https://feeds.example/f", source="p")
    first = parsed.mentions[0]
    assert first.site_url == "https://oilprice.com"
    assert first.site_name and "OilPrice.com" in first.site_name
    assert parsed.title and all(m.site_name != parsed.title for m in parsed.mentions)


@pytest.mark.parametrize("name", payload_files())
async def test_payload_collected_end_to_end(feed_server: FeedServer, name: str) -> None:
    body = (PAYLOADS / name).read_bytes()
    feed_server.add("/feed", body, content_type=content_type(name))
    collector = RssCollector(f"payload-{Path(name).stem}", {"url": feed_server.url("/feed")})
    settings = HttpSettings(backoff_seconds=0, connect_timeout=2, read_timeout=5)
    async with Fetcher(settings) as fetcher:
        first = await collector.collect(fetcher, SourceState(), query=None, since=None)
        second = await collector.collect(fetcher, first.state, query=None, since=None)
    assert len(first.mentions) == EXPECTED[name].entries
    assert (first.warning is not None) == EXPECTED[name].bozo
    assert first.state.etag and first.state.content_hash
    assert second.not_modified and second.mentions == []
    assert [r.status for r in feed_server.requests("/feed")] == [200, 304]
