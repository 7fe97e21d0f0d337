"""An item its publisher edits (same GUID, new wording) rewrites the stored document."""

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


def _feed(title: str, text: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Éco</title><link>https://eco.example.fr/</link>
<item><title>{title}</title><link>https://eco.example.fr/danone-yaourts</link>
<guid isPermaLink="false">eco-1001</guid><description>{text}</description>
<pubDate>Thu, 26 Nov 2026 08:00:00 +0000</pubDate></item>
</channel></rss>""".encode()


FIRST = _feed("Danone présente ses nouveaux yaourts", "Une gamme de yaourts nature. #Yaourt")
EDITED = _feed(
    "Danone rappelle ses yaourts, Michelin aussi touché",
    "Un rappel catastrophique : des lots contaminés, une colère immense. #RappelConso",
)


def _mentions(config: Path, *args: str) -> list[dict[str, object]]:
    result = run(config, "mentions", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _collect(config: Path) -> None:
    result = run(config, "collect", "--all", "--quiet")
    assert result.exit_code == 0, result.output


def test_an_edited_item_rewrites_its_document_and_mentions(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add("/eco.xml", FIRST)
    config = write_config(tmp_path, {"eco": feed_server.url("/eco.xml")})
    _collect(config)
    [before] = _mentions(config)
    assert before["tone"] != "negative"

    feed_server.set_body("/eco.xml", EDITED)
    _collect(config)
    mentions = {m["brand"]: m for m in _mentions(config)}
    assert set(mentions) == {"Danone", "Michelin"}
    danone, michelin = mentions["Danone"], mentions["Michelin"]
    # One document, rewritten: the brand newly named sits on text that names it.
    assert danone["id"] != michelin["id"] and danone["url"] == michelin["url"] == before["url"]
    assert danone["title"] == michelin["title"]
    assert danone["title"] == "Danone rappelle ses yaourts, Michelin aussi touché"
    assert danone["tone"] == michelin["tone"] == "negative"
    assert danone["matched"] == ["danone*"] and danone["story_id"] == before["story_id"]
    assert danone["collected_at"] == before["collected_at"]
    # What is read off the text follows it: full-text search and hashtags.
    assert [m["brand"] for m in _mentions(config, "--search", "contaminés", "--brand", "Danone")]
    assert _mentions(config, "--search", "nature") == []
    stats = run(config, "stats", "--by", "hashtag", "--format", "json")
    assert {row["key"] for row in json.loads(stats.output)} == {"#RappelConso"}


def test_another_source_giving_the_same_page_does_not_rewrite_it(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # A search result with another wording of the same page (same link) is a copy, not an edit.
    feed_server.add("/eco.xml", FIRST)
    feed_server.add("/search.xml", EDITED.replace(b"eco-1001", b"search-77"))
    config = write_config(tmp_path, {"eco": feed_server.url("/eco.xml")})
    _collect(config)
    write_config(
        tmp_path, {"eco": feed_server.url("/eco.xml"), "search": feed_server.url("/search.xml")}
    )
    _collect(config)
    titles = {m["title"] for m in _mentions(config)}
    assert titles == {"Danone présente ses nouveaux yaourts"}


def test_a_brand_the_edit_no_longer_names_keeps_the_tone_it_had(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add("/eco.xml", EDITED)  # names Danone and Michelin, negative
    config = write_config(tmp_path, {"eco": feed_server.url("/eco.xml")})
    _collect(config)
    before = {m["brand"]: m for m in _mentions(config)}
    assert before["Michelin"]["tone"] == "negative"
    # The correction: Michelin was not concerned, and the recall went well.
    feed_server.set_body(
        "/eco.xml",
        _feed("Danone rappelle ses yaourts, sans difficulté", "Un rappel exemplaire, bravo."),
    )
    _collect(config)
    after = {m["brand"]: m for m in _mentions(config)}
    assert after["Danone"]["tone"] == "positive"
    assert (after["Michelin"]["tone"], after["Michelin"]["sentiment"]) == (
        "negative",
        before["Michelin"]["sentiment"],
    )


def _item(guid: str, link: str, title: str, text: str, day: int) -> bytes:
    """A one-item feed of eco.example.fr; a ``guid`` starting with "https:" is a permalink."""
    permalink = "" if guid.startswith("https:") else ' isPermaLink="false"'
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Éco</title><link>https://eco.example.fr/</link>
<item><title>{title}</title><link>{link}</link><guid{permalink}>{guid}</guid>
<description>{text}</description><pubDate>{day} Nov 2026 08:00:00 +0000</pubDate></item>
</channel></rss>""".encode()


def _summary(config: Path) -> list[tuple[str, str, str, str]]:
    return sorted(
        (str(m["title"]), str(m["url"]), str(m["published_at"]), str(m["tone"]))
        for m in _mentions(config, "--brand", "Danone")
    )


# An opaque GUID, and the site's own address: what a CMS wrote into every item's <guid>.
@pytest.mark.parametrize("guid", ["eco-1001", "https://eco.example.fr/"])
def test_another_article_under_a_stored_guid_is_a_new_mention(
    feed_server: FeedServer, tmp_path: Path, guid: str
) -> None:
    # The feed holds one item at a time: its GUID is never seen given to two items at once.
    feed_server.add(
        "/eco.xml",
        _item(guid, "https://eco.example.fr/danone-usine", "Danone ouvre une usine", "Usine.", 25),
    )
    config = write_config(tmp_path, {"eco": feed_server.url("/eco.xml")})
    _collect(config)
    [first] = _summary(config)
    feed_server.set_body(
        "/eco.xml",
        _item(
            guid,
            "https://eco.example.fr/danone-rappel",
            "Danone rappelle ses yaourts",
            "Un rappel catastrophique, une colère immense.",
            26,
        ),
    )
    result = run(config, "collect", "--all")
    assert result.exit_code == 0, result.output
    assert "1 new mention(s)" in result.output
    # The article stored keeps its own words, link, date and tone; the new one has its own.
    assert _summary(config) == sorted(
        [
            first,
            (
                "Danone rappelle ses yaourts",
                "https://eco.example.fr/danone-rappel",
                "2026-11-26T08:00:00Z",
                "negative",
            ),
        ]
    )
    # Seen again, each item is the document stored for it.
    _collect(config)
    assert len(_summary(config)) == 2


@pytest.mark.parametrize(
    "new_link",
    [
        "https://eco.example.fr/2026/danone-yaourts",  # a new address on the same site
        "http://www.eco.example.fr/danone-yaourts/",  # another spelling of the same page
    ],
)
def test_an_article_moved_to_another_address_is_an_edit_of_its_document(
    feed_server: FeedServer, tmp_path: Path, new_link: str
) -> None:
    feed_server.add("/eco.xml", FIRST)
    config = write_config(tmp_path, {"eco": feed_server.url("/eco.xml")})
    _collect(config)
    [before] = _mentions(config, "--brand", "Danone")
    # The same GUID, the same title: the publisher moved (or respelt) its link, and corrected
    # the text.
    moved = FIRST.replace(b"https://eco.example.fr/danone-yaourts", new_link.encode())
    feed_server.set_body("/eco.xml", moved.replace(b"yaourts nature", b"yaourts nature bio"))
    result = run(config, "collect", "--all")
    assert result.exit_code == 0, result.output
    assert "0 new mention(s)" in result.output
    [after] = _mentions(config, "--brand", "Danone")
    assert after["id"] == before["id"] and after["title"] == before["title"]
    assert "bio" in str(after["text"])
    if "2026" in new_link:
        # The document is where the article now is: the old address may be gone.
        assert after["url"] == new_link
        assert _mentions(config, "--search", "bio")
    else:
        assert after["url"] == before["url"]


def forum_feed(views: int, replies: int, *, title: str = "Danone : discussion ouverte") -> bytes:
    """A forum's feed: one thread, dated, with neither link nor GUID, that counts its views."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>forum.fr</title><link>https://forum.fr/</link>
<item><title>{title}</title><pubDate>Sat, 28 Nov 2026 10:00:00 GMT</pubDate>
<description>Sujet vu {views} fois, {replies} réponses.</description></item>
</channel></rss>""".encode()


def test_an_item_without_link_or_guid_whose_text_changes_stays_one_mention(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add("/forum.xml", forum_feed(10, 2))
    config = write_config(tmp_path, {"forum": feed_server.url("/forum.xml")})
    _collect(config)
    [before] = _mentions(config)
    feed_server.set_body("/forum.xml", forum_feed(57, 9))
    _collect(config)
    [after] = _mentions(config)
    assert after["id"] == before["id"] and after["collected_at"] == before["collected_at"]
    assert after["text"] == "Sujet vu 57 fois, 9 réponses."
    # A new title is a new thread.
    feed_server.set_body("/forum.xml", forum_feed(58, 9, title="Danone : discussion close"))
    _collect(config)
    assert len(_mentions(config)) == 2
