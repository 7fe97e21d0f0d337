"""HTTPS: certificates checked against the trust store the environment names, in every pool."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.support.feedserver import FeedServer
from tests.test_fetch import FEED, fast_settings
from veille.errors import SourceError
from veille.fetch import Fetcher


@pytest.fixture(name="authority", scope="module")
def authority_fixture() -> trustme.CA:
    """A certificate authority of the test's own, trusted nowhere by default."""
    return trustme.CA()


@pytest.fixture(name="https_server")
def https_server_fixture(authority: trustme.CA) -> Iterator[FeedServer]:
    """The feed server speaking HTTPS with a certificate for 127.0.0.1 from ``authority``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with FeedServer(tls=context) as server:
        yield server


@pytest.fixture(name="trusted")
def trusted_fixture(authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's authority is the trust store, named by SSL_CERT_FILE as a user would."""
    bundle = tmp_path / "authority.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


@pytest.mark.usefixtures("trusted")
async def test_every_pool_checks_certificates_against_the_named_trust_store(
    https_server: FeedServer,
) -> None:
    for index in range(24):
        https_server.add(f"/feed/{index}", FEED, delay=0.1)
    # Requests in flight at once spread over three pools (of eight): each verifies the server.
    async with Fetcher(fast_settings(concurrency=24, per_host=24)) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(https_server.url(f"/feed/{i}"), source="s") for i in range(24))
        )
    assert https_server.base_url.startswith("https://")
    assert [result.status for result in results] == [200] * 24
    assert all(result.body == FEED for result in results)


async def test_a_certificate_from_an_unknown_authority_is_a_source_error(
    https_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    https_server.add("/feed.xml", FEED)
    async with Fetcher(fast_settings(retries=0)) as fetcher:
        with pytest.raises(SourceError, match="certificate"):
            await fetcher.fetch(https_server.url("/feed.xml"), source="s")
    assert https_server.requests() == []


@pytest.mark.usefixtures("trusted")
async def test_a_permanent_move_from_https_to_http_is_followed_not_remembered(
    https_server: FeedServer, feed_server: FeedServer
) -> None:
    # Remembered, every later pass would fetch the feed in clear text.
    feed_server.add("/feed.xml", FEED)
    https_server.add("/feed.xml", redirect_to=feed_server.url("/feed.xml"), status=301)
    async with Fetcher(fast_settings()) as fetcher:
        result = await fetcher.fetch(https_server.url("/feed.xml"), source="s")
    assert result.body == FEED and result.moved_to is None
