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


def _pairs(config: Path) -> list[tuple[str, str]]:
    """Each stored mention's (title, url), Danone's only."""
    result = run(config, "mentions", "--format", "json", "--brand", "Danone")
    assert result.exit_code == 0, result.output
    return sorted((str(m["title"]), str(m["url"])) for m in json.loads(result.output))


VILLE = "https://www.ville-exemple.fr/"
USINE = ("bare:" + VILLE, f"{VILLE}actu/usine-danone", "Danone ouvre une usine")
MARATHON = ("bare:" + VILLE, f"{VILLE}actu/marathon", "Danone sponsorise le marathon")
EMPLOI = ("bare:" + VILLE, f"{VILLE}actu/emploi", "Danone recrute")


def _warning(config: Path, source: str) -> str:
    result = run(config, "sources", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    [state] = [s for s in json.loads(result.output) if s["name"] == source]
    return str(state["last_error"])


def test_items_a_feed_gives_one_guid_at_different_links_are_each_stored(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # A CMS writing the site's address into every <guid>: each item is still its own article.
    feed_server.add("/ville.xml", _feed(USINE, MARATHON, EMPLOI))
    config = write_config(tmp_path, {"ville": feed_server.url("/ville.xml")})
    _collect(config)
    assert _pairs(config) == sorted((title, link) for _, link, title in (USINE, MARATHON, EMPLOI))
    assert "share the GUID 'https://www.ville-exemple.fr/'" in _warning(config, "ville")
    # A new article under that GUID is a new mention; the ones stored keep their own words.
    scandale = ("bare:" + VILLE, f"{VILLE}actu/scandale", "Danone : scandale et colère")
    feed_server.set_body("/ville.xml", _feed(scandale, USINE, MARATHON, EMPLOI))
    result = run(config, "collect", "--all")
    assert result.exit_code == 0, result.output
    assert "1 new mention(s)" in result.output
    assert _pairs(config) == sorted(
        (title, link) for _, link, title in (scandale, USINE, MARATHON, EMPLOI)
    )


def test_an_opaque_guid_given_to_two_articles_does_not_merge_them(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    first = ("dup-1", "https://example.fr/a/danone-usine", "Danone ouvre une usine")
    second = ("dup-1", "https://example.fr/b/danone-prix", "Danone baisse ses prix")
    feed_server.add("/dup.xml", _feed(first, second))
    config = write_config(tmp_path, {"dup": feed_server.url("/dup.xml")})
    _collect(config)
    assert _pairs(config) == sorted((title, link) for _, link, title in (first, second))


def test_an_item_stored_under_a_guid_later_shared_is_not_stored_again(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Stored first under its GUID; once another article comes with that GUID, the item is
    # identified by its link: it is the document stored then, met at its page.
    first = ("dup-1", "https://example.fr/a/danone-usine", "Danone ouvre une usine")
    feed_server.add("/dup.xml", _feed(first))
    config = write_config(tmp_path, {"dup": feed_server.url("/dup.xml")})
    _collect(config)
    second = ("dup-1", "https://example.fr/b/danone-prix", "Danone baisse ses prix")
    feed_server.set_body("/dup.xml", _feed(second, first))
    _collect(config)
    assert _pairs(config) == sorted((title, link) for _, link, title in (first, second))
    _collect(config)
    assert len(_pairs(config)) == 2
