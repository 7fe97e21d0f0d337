"""Items that share a link are one document only when they are one article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import (
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)

pytestmark = pytest.mark.usefixtures("project_engine")


def _feed(*items: tuple[str, str, str]) -> bytes:
    """An RSS feed of (guid, link, title) items; a guid written "bare" has no isPermaLink."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        + (
            f"<guid>{guid.removeprefix('bare:')}</guid>"
            if guid.startswith("bare:")
            else f'<guid isPermaLink="false">{guid}</guid>'
        )
        + f"<description>{title}, la suite.</description></item>"
        for guid, link, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://example.fr/</link>{entries}</channel></rss>"
    ).encode()


def _titles(config: Path) -> list[str]:
    result = run(config, "mentions", "--format", "json")
    assert result.exit_code == 0, result.output
    return sorted(str(m["title"]) for m in json.loads(result.output))


def _collect(config: Path) -> None:
    result = run(config, "collect", "--all", "--quiet")
    assert result.exit_code == 0, result.output


LIVE = "https://www.lavoixdunord.fr/live/greve-danone"


def test_one_source_s_items_at_one_link_stay_apart(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add(
        "/live.xml",
        _feed(
            ("live-1", f"{LIVE}#post-1", "Danone : les salariés bloquent l'usine"),
            ("live-2", f"{LIVE}#post-2", "Danone propose une prime de 2 000 euros"),
            ("live-3", f"{LIVE}#post-3", "Danone : accord signé, fin de la grève"),
            ("cp-101", "https://newsroom.example/communiques", "Danone nomme un directeur"),
            ("cp-102", "https://newsroom.example/communiques", "Danone ouvre une usine"),
            # The same article under a second GUID (a feed that changed its GUIDs): one.
            ("cp-102-bis", "https://newsroom.example/communiques", "Danone ouvre une usine"),
        ),
    )
    config = write_config(tmp_path, {"live": feed_server.url("/live.xml")})
    _collect(config)
    assert len(_titles(config)) == 5
    # A second pass (the items saved before, one of them now under a new GUID) adds nothing.
    feed_server.set_body(
        "/live.xml",
        _feed(("live-3-bis", f"{LIVE}#post-3", "Danone : accord signé, fin de la grève")),
    )
    _collect(config)
    assert len(_titles(config)) == 5


def test_another_source_s_item_at_the_same_link_is_the_same_article(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    link = "https://www.lesechos.fr/danone-usine"
    feed_server.add("/a.xml", _feed(("a-1", link, "Danone ferme une usine")))
    feed_server.add("/b.xml", _feed(("b-9", link, "Danone ferme son usine du Nord")))
    config = write_config(tmp_path, {"a": feed_server.url("/a.xml")})
    _collect(config)
    write_config(tmp_path, {"a": feed_server.url("/a.xml"), "b": feed_server.url("/b.xml")})
    _collect(config)
    assert _titles(config) == ["Danone ferme une usine"]


def test_bare_guids_of_two_publishers_on_one_feed_host_stay_apart(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Feed readers resolve a bare GUID against the feed's address, shared here by both feeds.
    feed_server.add(
        "/hosted-a.xml", _feed(("bare:1001", "http://site-a.test/post/1001", "Danone A"))
    )
    feed_server.add("/hosted-b.xml", _feed(("bare:1001", "http://site-b.test/p/1001", "Danone B")))
    config = write_config(
        tmp_path,
        {"a": feed_server.url("/hosted-a.xml"), "b": feed_server.url("/hosted-b.xml")},
    )
    _collect(config)
    assert _titles(config) == ["Danone A", "Danone B"]
