"""Author strings, content fingerprints and document identities."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from veille.normalize import normalize
from veille.normalize.identity import document_identity, fingerprint, parse_author
from veille.types import RawMention


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jean@x.fr (Jean Dupont)", ("Jean Dupont", "jean@x.fr")),
        ("Jean Dupont <jean@x.fr>", ("Jean Dupont", "jean@x.fr")),
        ('"Jean Dupont" <jean@x.fr>', ("Jean Dupont", "jean@x.fr")),
        ("By Jean Dupont", ("Jean Dupont", None)),
        ("by  Jane Doe", ("Jane Doe", None)),
        ("Par Jean Dupont", ("Jean Dupont", None)),
        ("Par : Marie Curie", ("Marie Curie", None)),
        ("Jean Dupont (@jdupont)", ("Jean Dupont", "@jdupont")),
        ("@jdupont", (None, "@jdupont")),
        ("jean@x.fr", (None, "jean@x.fr")),
        ("noreply@blogger.com (Marie)", ("Marie", None)),
        ("Jean Dupont (AFP)", ("Jean Dupont (AFP)", None)),
        ("Fran&ccedil;ois", ("François", None)),
        ("  Le   Monde  ", ("Le Monde", None)),
        ("Pardieu Martin", ("Pardieu Martin", None)),
        ("", (None, None)),
        ("   ", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_author(value: str | None, expected: tuple[str | None, str | None]) -> None:
    assert parse_author(value) == expected


def test_fingerprint_folds_case_accents_and_whitespace() -> None:
    expected = hashlib.sha1(b"societe generale\nresultats en hausse").hexdigest()
    assert fingerprint("Société  Générale", " Résultats\nen HAUSSE ") == expected
    assert fingerprint("Societe Generale", "resultats en hausse") == expected
    assert fingerprint("Societe Generale", "resultats en baisse") != expected
    # The separator keeps title and text apart: moving a word across changes the hash.
    assert fingerprint("a b", "c") != fingerprint("a", "b c")


def test_identity_prefers_the_platform_id() -> None:
    raw = RawMention(source="yt", url="https://youtube.com/watch?v=x", guid="g", platform="youtube")
    raw.extra["platform_id"] = "dQw4w9WgXcQ"
    assert document_identity(raw, "https://youtube.com/watch?v=x") == "id:youtube:dQw4w9WgXcQ"


def test_identity_of_a_url_guid_is_its_canonical_url() -> None:
    raw = RawMention(source="s", url="https://a.fr/x", guid=" https://WWW.A.fr/p?utm_source=rss ")
    assert document_identity(raw, "https://a.fr/x") == "url:https://www.a.fr/p"
    # Behind an aggregator's link, the publisher (site) is what the GUID is compared with.
    proxied = RawMention(source="s", url="https://feedproxy.example/~r/1", guid="https://a.fr/p")
    assert document_identity(proxied, "https://feedproxy.example/~r/1", site="a.fr") == (
        "url:https://a.fr/p"
    )
    linkless = RawMention(source="s", guid="https://a.fr/p")
    assert document_identity(linkless, None) == "url:https://a.fr/p"


def test_a_url_guid_on_another_site_than_the_link_is_opaque() -> None:
    # A bare GUID ("1001") that a feed reader resolved against the feed's address: two
    # publishers whose feeds one service hosts would otherwise share one identity.
    site_a = RawMention(
        source="a", url="http://site-a.test/post/1001", guid="http://feeds.host/1001"
    )
    site_b = RawMention(source="b", url="http://site-b.test/p/1001", guid="http://feeds.host/1001")
    identities = {
        document_identity(site_a, "http://site-a.test/post/1001"),
        document_identity(site_b, "http://site-b.test/p/1001"),
    }
    assert identities == {
        "guid:site-a.test:http://feeds.host/1001",
        "guid:site-b.test:http://feeds.host/1001",
    }


def test_identity_of_an_opaque_guid_is_scoped_by_the_publisher() -> None:
    raw = RawMention(source="lemonde-eco", url="https://www.lemonde.fr/x", guid="article-123")
    assert document_identity(raw, "https://www.lemonde.fr/x") == "guid:lemonde.fr:article-123"
    linkless = RawMention(source="lemonde-eco", guid="article-123")
    assert document_identity(linkless, None) == "guid:lemonde-eco:article-123"


def test_identity_falls_back_to_the_link_then_the_content() -> None:
    raw = RawMention(source="s", url="https://a.fr/p?utm_medium=x", title="T")
    assert document_identity(raw, "https://a.fr/p") == "url:https://a.fr/p"
    bare = RawMention(source="s", title="<b>Danone</b> rachète", content_html="<p>Texte</p>")
    assert document_identity(bare, None) == "hash:" + fingerprint("Danone rachète", "Texte")
    # A date alone tells nothing apart without a title: the content still does.
    untitled = RawMention(source="s", content_html="<p>Texte</p>", published_at=FORUM_DATE)
    assert document_identity(untitled, None) == "hash:" + fingerprint("", "Texte")


FORUM_DATE = datetime(2026, 11, 28, 10, tzinfo=UTC)


def _forum_item(
    text: str, *, title: str = "Danone : discussion ouverte", source: str = "forum"
) -> RawMention:
    return RawMention(source=source, title=title, content_html=text, published_at=FORUM_DATE)


def test_an_item_without_link_or_guid_is_told_by_its_source_title_and_date() -> None:
    first = normalize(_forum_item("Sujet vu 10 fois, 2 réponses.")).identity
    assert first.startswith("dated:")
    # Its text changes (views, replies): it stays the same item.
    assert normalize(_forum_item("Sujet vu 57 fois, 9 réponses.")).identity == first
    # The same title in other case, accents and spacing, and the same moment in another zone.
    paris = replace(
        _forum_item("x", title="DANONE :  discussion  ouverte"),
        published_at=FORUM_DATE.astimezone(timezone(timedelta(hours=1))),
    )
    assert normalize(paris).identity == first
    # Another title, another date or another source is another item.
    assert normalize(_forum_item("x", title="Danone : discussion close")).identity != first
    later = replace(_forum_item("x"), published_at=FORUM_DATE + timedelta(days=7))
    assert normalize(later).identity != first
    assert normalize(_forum_item("x", source="forum-2")).identity != first


def test_published_at_is_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=2))
    aware = normalize(RawMention(source="s", published_at=datetime(2024, 6, 1, 10, tzinfo=paris)))
    assert aware.published_at == datetime(2024, 6, 1, 8, tzinfo=UTC)
    assert aware.published_at is not None and aware.published_at.tzinfo is UTC
    naive = normalize(RawMention(source="s", published_at=datetime(2024, 6, 1, 10)))
    assert naive.published_at == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert normalize(RawMention(source="s")).published_at is None


def test_explicit_handle_wins_over_the_author_email() -> None:
    raw = RawMention(source="s", author_name="jean@x.fr (Jean Dupont)", author_handle="@jd")
    document = normalize(raw)
    assert (document.author_name, document.author_handle) == ("Jean Dupont", "@jd")


def test_a_known_publisher_scopes_an_opaque_guid() -> None:
    raw = RawMention(source="gnews", url="https://news.google.com/rss/articles/CBMi", guid="CBMi")
    identity = document_identity(
        raw, "https://news.google.com/rss/articles/CBMi", site="lefigaro.fr"
    )
    assert identity == "guid:lefigaro.fr:CBMi"


def test_an_aggregator_s_item_takes_its_publisher_from_its_guid_when_the_feed_names_none() -> None:
    # A FeedBurner item without <feedburner:origLink> nor a channel <link>: the GUID is the
    # article's address, the same document as the publisher's own feed gives.
    from veille.normalize import normalize

    proxied = normalize(
        RawMention(
            source="fb",
            url="http://feedproxy.google.com/~r/Pub/~3/abc/",
            guid="https://www.lesechos.fr/a1",
            title="Danone",
        )
    )
    own = normalize(RawMention(source="pub", url="https://www.lesechos.fr/a1", title="Danone"))
    assert (
        (proxied.site, proxied.identity)
        == (own.site, own.identity)
        == (
            "lesechos.fr",
            "url:https://www.lesechos.fr/a1",
        )
    )
