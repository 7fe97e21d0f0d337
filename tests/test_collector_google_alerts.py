"""The ``google_alerts`` collector against a recorded Google Alerts feed on a local server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tests.scenarios.google_alerts import ALERT_PATH, recorded
from tests.support.feedserver import FeedServer
from veille.collectors.google_alerts import (
    GoogleAlertsCollector,
    GoogleAlertsOptions,
    unhighlighted,
)
from veille.errors import FatalSourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.normalize import normalize
from veille.settings import HttpSettings
from veille.types import Collected, SourceState

SETTINGS = HttpSettings(retries=0, backoff_seconds=0, max_retry_after=1, read_timeout=5)
ECHOS = (
    "https://www.lesechos.fr/industrie-services/conso-distribution/"
    "danone-cession-marques-laitieres-2154901"
)
NEW_ENTRY = (
    b"<entry><id>tag:google.com,2013:googlealerts/feed:3391047726150938841</id>"
    b'<title type="html">Michelin et &lt;b&gt;Danone&lt;/b&gt; s&amp;#39;allient</title>'
    b'<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://www.lefigaro.fr/'
    b'conso/michelin-danone-2026&amp;ct=ga&amp;usg=AOvVaw2"></link>'
    b"<published>2026-03-04T09:00:00Z</published><updated>2026-03-04T09:00:00Z</updated>"
    b'<content type="html">Un partenariat inattendu.</content></entry>'
)


def serve_alert(server: FeedServer, body: bytes | None = None) -> str:
    server.add(
        ALERT_PATH, body or recorded("danone_alert.xml"), content_type="application/atom+xml"
    )
    return server.url(ALERT_PATH)


async def collect(
    url: str, *, state: SourceState | None = None, since: datetime | None = None
) -> Collected:
    collector = GoogleAlertsCollector("alerte-danone", {"url": url})
    async with Fetcher(SETTINGS) as fetcher:
        return await collector.collect(fetcher, state or SourceState(), query=None, since=since)


async def test_entries_come_out_unwrapped_and_without_highlights(
    feed_server: FeedServer,
) -> None:
    collected = await collect(serve_alert(feed_server))
    assert len(collected.mentions) == 3
    echos = collected.mentions[0]
    assert echos.url == ECHOS
    assert echos.title == (
        "Le groupe Danone annonce la cession de deux marques de produits laitiers"
    )
    assert "<b>" not in echos.content_html and "Danone a confirmé" in echos.content_html
    assert echos.site_url == "https://www.lesechos.fr"
    assert echos.site_name == "lesechos.fr"  # not the alert's title
    assert echos.published_at == datetime(2026, 3, 3, 7, 41, 52, tzinfo=UTC)
    assert (echos.platform, echos.guid, echos.author_name) == ("news", None, None)
    entry_id = "tag:google.com,2013:googlealerts/feed:9843021736402918473"
    assert echos.extra["alert_entry_id"] == entry_id
    assert (echos.engagement, echos.reach, echos.metrics) == (None, None, {})
    document = normalize(echos)
    assert document.identity == f"url:{ECHOS}"
    assert document.site == "lesechos.fr"
    assert document.text.startswith("Le géant de l'agroalimentaire Danone a confirmé")


async def test_tracking_parameters_inside_the_wrapped_link_are_dropped(
    feed_server: FeedServer,
) -> None:
    mentions = (await collect(serve_alert(feed_server))).mentions
    usa = mentions[2]
    assert usa.url == (
        "https://www.foodnavigator-usa.com/Article/2026/03/01/danone-bets-on-gut-health"
        "?utm_source=google&utm_medium=alert"
    )
    assert normalize(usa).canonical_url == (
        "https://www.foodnavigator-usa.com/Article/2026/03/01/danone-bets-on-gut-health"
    )
    assert usa.title == "Danone bets on gut health as yogurt sales slow in North America"


async def test_unchanged_feed_is_asked_conditionally(feed_server: FeedServer) -> None:
    url = serve_alert(feed_server)
    first = await collect(url)
    assert first.state.etag and first.state.cursor == "2026-03-03T07:41:52+00:00"
    second = await collect(url, state=first.state)
    assert second.not_modified and second.mentions == []
    assert feed_server.requests(ALERT_PATH)[-1].headers["if-none-match"] == first.state.etag
    assert feed_server.requests(ALERT_PATH)[-1].status == 304


async def test_a_changed_feed_gives_its_entries_and_moves_the_watermark(
    feed_server: FeedServer,
) -> None:
    url = serve_alert(feed_server)
    first = await collect(url)
    unchanged = await collect(url, state=first.state)
    assert unchanged.not_modified and unchanged.mentions == []
    changed = recorded("danone_alert.xml").replace(b"<entry>", NEW_ENTRY + b"<entry>", 1)
    feed_server.set_body(ALERT_PATH, changed)
    second = await collect(url, state=first.state)
    # Every entry of the changed feed comes back (Google adds late finds with older dates);
    # the store recognises those it already has.
    assert len(second.mentions) == len(first.mentions) + 1
    assert second.mentions[0].url == "https://www.lefigaro.fr/conso/michelin-danone-2026"
    assert second.mentions[0].title == "Michelin et Danone s'allient"
    assert second.state.cursor == "2026-03-04T09:00:00+00:00"


async def test_since_limits_a_first_pass(feed_server: FeedServer) -> None:
    collected = await collect(
        serve_alert(feed_server), since=datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    )
    assert [m.site_name for m in collected.mentions] == ["lesechos.fr", "ledauphine.com"]


@pytest.mark.parametrize("status", [404, 410])
async def test_deleted_alert_is_fatal_with_a_hint(feed_server: FeedServer, status: int) -> None:
    feed_server.add(ALERT_PATH, b"", status=status, content_type="text/html")
    with pytest.raises(FatalSourceError) as caught:
        await collect(feed_server.url(ALERT_PATH))
    assert caught.value.status == status  # 410 still disables the source
    assert caught.value.hint and "Deliver to: RSS feed" in caught.value.hint


async def test_rate_limit_is_transient(feed_server: FeedServer) -> None:
    feed_server.add(ALERT_PATH, b"", status=429, headers={"Retry-After": "900"})
    with pytest.raises(TransientSourceError) as caught:
        await collect(feed_server.url(ALERT_PATH))
    assert (caught.value.status, caught.value.retry_after) == (429, 900)


async def test_a_sign_in_page_is_not_a_feed(feed_server: FeedServer) -> None:
    feed_server.add(
        ALERT_PATH,
        b"<!DOCTYPE html><html><head><title>Google Alerts</title></head><body></body></html>",
        content_type="text/html",
    )
    with pytest.raises(FatalSourceError, match="not a feed"):
        await collect(feed_server.url(ALERT_PATH))


def test_options_are_checked() -> None:
    with pytest.raises(ValidationError, match="url"):
        GoogleAlertsOptions.model_validate({})
    with pytest.raises(ValidationError, match="alert's feed address"):
        GoogleAlertsOptions(url="google.com/alerts/feeds/1/2")


def test_unhighlighted_removes_only_bold_tags() -> None:
    assert unhighlighted("<b>Dan</b>one <B >x</B> <br/><a href='b'>y</a>") == (
        "Danone x <br/><a href='b'>y</a>"
    )
