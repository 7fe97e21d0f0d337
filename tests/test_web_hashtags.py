"""The overview's hashtags: those of every mention of the period, each a link to them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest

from tests.support.browser import TestClient, read_only_twin, save_items
from tests.support.stores import make_item, store_fixture  # noqa: F401
from veille.store import Store
from veille.timeutil import utcnow
from veille.web import create_app


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """Three recent mentions, two of them with #BoycottAcme, one with #Yaourt."""
    now = utcnow()
    save_items(
        store,
        [
            make_item("old", title="Rappel #BoycottAcme", published_at=now - timedelta(days=3)),
            make_item("mid", text="#boycottacme et #Yaourt", published_at=now - timedelta(days=2)),
            make_item("new", text="Rien à signaler", published_at=now - timedelta(days=1)),
        ],
    )
    opened = read_only_twin(store)
    try:
        with TestClient(create_app(opened)) as test_client:
            yield test_client
    finally:
        opened.close()


def test_the_overview_gives_the_hashtags_of_the_period(client: TestClient) -> None:
    body = client.get("/api/overview").json()
    assert body["hashtags_read"] == 3
    assert [(row["key"], row["mentions"]) for row in body["hashtags"]] == [
        ("#BoycottAcme", 2), ("#Yaourt", 1),
    ]  # fmt: skip
    page = client.get("/?lang=en").text
    assert '<section class="card" id="hashtags">' in page
    # Each hashtag links to the mentions whose text has its word.
    link = unescape(page.split('id="hashtags"')[1].split('<a href="')[1].split('"')[0])
    assert link.startswith("/mentions?") and "search=BoycottAcme" in link
    found = client.get(link.replace("/mentions?", "/api/mentions?")).json()
    assert {mention["title"] for mention in found["mentions"]} == {
        "Rappel #BoycottAcme", "Title mid",
    }  # fmt: skip


def test_the_period_decides_which_mentions_count(client: TestClient) -> None:
    # From the day before yesterday: "new" has no hashtag, "mid" has both.
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    body = client.get("/api/overview", params={"since": since}).json()
    assert (body["total"], body["hashtags_read"]) == (2, 2)
    assert [(row["key"], row["share"]) for row in body["hashtags"]] == [
        ("#Yaourt", 0.5), ("#boycottacme", 0.5),
    ]  # fmt: skip


def test_no_hashtag_no_card(client: TestClient) -> None:
    body = client.get("/api/overview?search=signaler").json()
    assert (body["total"], body["hashtags"], body["hashtags_read"]) == (1, [], 1)
    assert 'id="hashtags"' not in client.get("/?search=signaler").text
