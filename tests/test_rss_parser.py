"""parse_feed on hand-written bodies: what is and is not a feed, overrides, edge cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import pytest

from veille.collectors._discovery import advertised_feeds
from veille.collectors.rss import ParsedFeed, _parse_with_feedparser, parse_feed
from veille.errors import FatalSourceError, TransientSourceError
from veille.normalize import normalize

URL = "https://www.marque-info.example/flux/rss.xml"


def rss(items: str, *, channel: str = "") -> bytes:
    """A small RSS 2.0 document around the given items."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Marque Info</title><link>https://www.marque-info.example/</link>{channel}"
        f"{items}</channel></rss>"
    ).encode()


ITEM = (
    "<item><title>Orange et la fibre</title><link>https://www.marque-info.example/a</link></item>"
)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (
            b"<!DOCTYPE html><html><head><title>Accueil</title></head><body>Danone</body></html>",
            {"Content-Type": "text/html; charset=utf-8"},
        ),
        (b"\n\n  <!doctype html>\n<html lang=fr><body><p>Danone</p></body></html>", None),
        (b'{"items": [{"title": "Michelin"}]}', {"Content-Type": "application/json"}),
        (b'[{"title": "Michelin"}]', None),
    ],
)
def test_a_page_that_is_not_a_feed_is_fatal(body: bytes, headers: dict[str, str] | None) -> None:
    with pytest.raises(FatalSourceError, match="is not a feed") as caught:
        parse_feed(body, url=URL, source="marque-info", headers=headers)
    assert caught.value.url == URL and caught.value.source == "marque-info"
    assert "feed" in (caught.value.hint or "")


def test_a_web_page_that_names_its_feed_says_which() -> None:
    page = (
        b"<!doctype html><html><head><title>Marque Info</title>"
        b'<link rel="stylesheet" href="/style.css">'
        b"<LINK REL='alternate' TYPE='application/rss+xml' HREF='/rss.xml?a=1&amp;b=2'>"
        b'<link rel="alternate" type="application/atom+xml" href="https://marque.example/atom">'
        b"</head><body></body></html>"
    )
    with pytest.raises(FatalSourceError, match="is not a feed") as caught:
        parse_feed(page, url=URL, source="marque-info", headers={"Content-Type": "text/html"})
    expected = urljoin(URL, "/rss.xml?a=1&b=2")
    assert caught.value.hint == f"the page names its feed: {expected}; put that address in the url"
    assert advertised_feeds(page, URL) == [expected, "https://marque.example/atom"]
    # A feed address's password or token is not shown, as nowhere else.
    secret = page.replace(b"/rss.xml?a=1&amp;b=2", b"https://u:pw@f.example/x.xml?token=SECRET")
    with pytest.raises(FatalSourceError) as caught:
        parse_feed(secret, url=URL, source="marque-info", headers={"Content-Type": "text/html"})
    assert "SECRET" not in str(caught.value.hint) and ":pw@" not in str(caught.value.hint)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Marque In',
    ],
    ids=["empty", "blank", "cut-before-any-item"],
)
def test_an_empty_or_cut_body_is_transient(body: bytes) -> None:
    with pytest.raises(TransientSourceError, match="no feed could be read") as caught:
        parse_feed(body, url=URL, source="marque-info")
    assert "empty or cut short" in (caught.value.hint or "")


def test_a_body_that_is_no_xml_is_said_so() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    with pytest.raises(TransientSourceError) as caught:
        parse_feed(png, url=URL, source="marque-info")
    assert "not XML" in (caught.value.hint or "")


def test_a_file_name_as_body_is_not_read_from_disk(tmp_path: Path) -> None:
    local_feed = tmp_path / "feed.xml"
    local_feed.write_bytes(rss(ITEM))
    with pytest.raises(TransientSourceError):
        parse_feed(str(local_feed).encode(), url=URL, source="marque-info")


def test_a_valid_feed_without_items_is_empty_not_an_error() -> None:
    parsed = parse_feed(rss(""), url=URL, source="marque-info")
    assert parsed.mentions == []
    assert parsed.title == "Marque Info"
    assert parsed.warning is None


def test_whitespace_before_the_xml_declaration_is_recovered_with_a_warning() -> None:
    parsed = parse_feed(b"\n\n   " + rss(ITEM), url=URL, source="marque-info")
    assert [m.title for m in parsed.mentions] == ["Orange et la fibre"]
    assert parsed.warning is not None and "not well-formed XML" in parsed.warning
    assert "\n" not in parsed.warning


def test_text_xml_without_charset_follows_the_xml_declaration() -> None:
    body = rss("<item><title>Michelin à Clermont-Ferrand</title></item>")
    parsed = parse_feed(body, url=URL, source="marque-info", headers={"Content-Type": "text/xml"})
    assert parsed.mentions[0].title == "Michelin à Clermont-Ferrand"
    assert parsed.warning is None


def test_declared_iso_8859_1_with_crlf() -> None:
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\r\n<rss version="2.0"><channel>\r\n'
        "<title>Régions</title>\r\n<item><title>Danone à Évian : réunion</title>\r\n"
        "<pubDate>  Mon, 02 Mar 2026 10:00:00 +0100  </pubDate></item>\r\n</channel></rss>\r\n"
    )
    parsed = parse_feed(text.encode("iso-8859-1"), url=URL, source="marque-info")
    mention = parsed.mentions[0]
    assert mention.title == "Danone à Évian : réunion"
    assert mention.published_at is not None and mention.published_at.isoformat() == (
        "2026-03-02T09:00:00+00:00"
    )


# A UTF-8 feed with a Latin-1 « é » and windows-1252's ’ and € pasted into its second item.
STRAY_BYTES = rss(
    "<item><title>Danone : la société française répond à l’étude</title>"
    "<link>https://www.marque-info.example/1</link></item>\n"
    "<item><title>Danone : autre article</title><link>https://www.marque-info.example/2</link>"
    "<description>Un café à 5 € : l’avis</description></item>"
).replace("café à 5 € : l’avis".encode(), b"caf\xe9 \xc3\xa0 5 \x80 : l\x92avis")
STRAY_TITLES = ["Danone : la société française répond à l’étude", "Danone : autre article"]


@pytest.mark.parametrize("reader", [parse_feed, _parse_with_feedparser])
@pytest.mark.parametrize("doctype", [False, True], ids=["plain", "doctype"])
@pytest.mark.parametrize("charset", [None, "utf-8"])
def test_bytes_not_in_a_utf8_feed_damage_only_themselves(
    reader: Callable[..., ParsedFeed], doctype: bool, charset: str | None
) -> None:
    # A DOCTYPE leaves the body to feedparser in parse_feed too: both readers repair alike.
    body = STRAY_BYTES.replace(b"<rss", b"<!DOCTYPE rss><rss") if doctype else STRAY_BYTES
    headers = {"Content-Type": f"application/rss+xml; charset={charset}"} if charset else None
    parsed = reader(body, url=URL, source="s", headers=headers)
    assert [m.title for m in parsed.mentions] == STRAY_TITLES
    assert parsed.mentions[1].content_html == "Un café à 5 € : l’avis"
    assert parsed.warning == "3 bytes not in UTF-8 read as windows-1252 (the first on line 3)"


def test_a_windows_1252_feed_declared_utf8_is_still_read_whole() -> None:
    # Mostly bytes that are not UTF-8: the declaration is wrong, not a few bytes. Its
    # « allé\xa0» » happens to be valid UTF-8 (E9 A0 BB) and is read as windows-1252 with the rest.
    text = "<item><title>Danone : « c’est allé\xa0» à Évian, 5 €</title></item>"
    parsed = parse_feed(rss(text).decode().encode("cp1252"), url=URL, source="s")
    assert parsed.mentions[0].title == "Danone : « c’est allé\xa0» à Évian, 5 €"
    assert parsed.warning == "document declared as utf-8, but parsed as windows-1252"


def test_updated_is_used_when_published_is_missing() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>Orange</title>'
        b"<updated>2026-03-01T12:00:00+02:00</updated></entry></feed>"
    )
    published = parse_feed(body, url=URL, source="s").mentions[0].published_at
    assert published is not None and published.isoformat() == "2026-03-01T10:00:00+00:00"


DRUPAL_DATE = (
    '<pubDate>\n  <time datetime="2026-11-27T19:21:28Z">Fri, 11/27/2026 - 20:21</time>\n</pubDate>'
)


@pytest.mark.parametrize("reader", [parse_feed, _parse_with_feedparser])
def test_a_time_element_in_a_date_dates_the_item(reader: Callable[..., ParsedFeed]) -> None:
    # Drupal writes its dates for people and puts the machine-readable one in an HTML <time>.
    atom_like = '<updated><time datetime="2026-11-26T08:00:00+01:00">hier</time></updated>'
    items = ITEM.replace("</item>", DRUPAL_DATE + "</item>") + ITEM.replace(
        "</item>", atom_like + "</item>"
    )
    published = [m.published_at for m in reader(rss(items), url=URL, source="s").mentions]
    assert [moment and moment.isoformat() for moment in published] == [
        "2026-11-27T19:21:28+00:00",
        "2026-11-26T07:00:00+00:00",
    ]


def test_a_time_element_outside_any_date_dates_nothing() -> None:
    item = ITEM.replace("</item>", '<time datetime="2019-05-03T19:21:28Z">mai</time></item>')
    assert parse_feed(rss(item), url=URL, source="s").mentions[0].published_at is None


def test_declared_platform_and_language_win_over_guesses() -> None:
    body = rss(ITEM, channel="<language>en-US</language><generator>WordPress 6.5</generator>")
    guessed = parse_feed(body, url=URL, source="s").mentions[0]
    assert (guessed.platform, guessed.lang_hint) == ("blog", "en-US")
    declared = parse_feed(body, url=URL, source="s", platform="press", language="fr")
    assert (declared.mentions[0].platform, declared.mentions[0].lang_hint) == ("press", "fr")
    assert declared.language == "fr"


@pytest.mark.parametrize(
    ("generator", "platform"),
    [
        ('<generator uri="https://ghost.org" version="5.80">Ghost 5.80</generator>', "blog"),
        ("<generator>Blogger</generator>", "blog"),
        ('<generator uri="https://gohugo.io/" version="0.120.4">Hugo</generator>', "blog"),
        ("<generator>Drupal 10</generator>", "news"),
        ("", "news"),
    ],
)
def test_platform_guessed_from_the_atom_generator(generator: str, platform: str) -> None:
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        f"{generator}<entry><title>Michelin</title></entry></feed>"
    ).encode()
    assert parse_feed(body, url=URL, source="s").mentions[0].platform == platform


def test_links_are_only_kept_when_they_lead_somewhere() -> None:
    body = rss(
        "<item><title>A</title><link>  javascript:alert(1) </link></item>"
        "<item><title>B</title><link>\n  ../articles/b.html\n  </link></item>"
    )
    urls = [m.url for m in parse_feed(body, url=URL, source="s").mentions]
    assert urls == [None, "https://www.marque-info.example/articles/b.html"]


def test_an_item_cut_off_by_a_truncated_body_is_skipped() -> None:
    whole = rss(ITEM + "<item><title>Danone rachète une start-up</title></item>")
    cut = whole[: whole.index(b"rach\xc3\xa8te")]
    parsed = parse_feed(cut, url=URL, source="marque-info")
    assert [m.title for m in parsed.mentions] == ["Orange et la fibre"]
    assert parsed.warning is not None and "cut off and skipped" in parsed.warning


def test_a_body_cut_inside_its_only_item_is_transient() -> None:
    with pytest.raises(TransientSourceError, match="not well-formed"):
        parse_feed(rss("<item><title>Danone")[:-16], url=URL, source="marque-info")


def test_an_emoji_written_as_its_utf16_halves_costs_no_item() -> None:
    # "&#xD83D;&#xDE00;" made feedparser fail on the whole body: no item of the feed was kept.
    items = (
        "<item><title>Offre Marque &#xD83D;&#xDE00;</title><link>https://a.example/1</link></item>"
        "<item><title>Marque, half &#xD83D; and &#55357;</title>"
        "<link>https://a.example/2</link></item>"
        "<item><title>Marque &#50000;</title><link>https://a.example/3</link></item>"
    )
    parsed = parse_feed(rss(items), url=URL, source="marque-info")
    assert [m.title for m in parsed.mentions] == [
        "Offre Marque \U0001f600",
        "Marque, half \ufffd and \ufffd",
        "Marque \uc350",  # not a half: as written
    ]


def test_a_guid_given_to_items_at_different_links_is_set_aside() -> None:
    # A CMS bug seen in real feeds: the site's address in every <guid>. Taken as the items'
    # identity, it made them one document: one was stored, the others were lost.
    site = "https://www.marque-info.example/"
    items = "".join(
        f"<item><title>Danone {n}</title><link>{site}actu/{n}</link><guid>{site}</guid></item>"
        for n in ("usine", "marathon", "emploi")
    )
    # The same article twice (two spellings of its link) keeps its GUID; so does a lone one.
    items += (
        f'<item><title>Conseil</title><link>{site}conseil</link><guid isPermaLink="false">c-1'
        f"</guid></item><item><title>Conseil</title><link>http://marque-info.example/conseil/"
        f'</link><guid isPermaLink="false">c-1</guid></item><item><title>Seul</title>'
        f'<link>{site}seul</link><guid isPermaLink="false">s-1</guid></item>'
    )
    parsed = parse_feed(rss(items), url=URL, source="marque-info")
    assert [m.guid for m in parsed.mentions] == [None, None, None, "c-1", "c-1", "s-1"]
    identities = [normalize(m).identity for m in parsed.mentions]
    assert identities[:3] == [f"url:{site}actu/{n}" for n in ("usine", "marathon", "emploi")]
    assert parsed.warning == (
        f"3 items at different links share the GUID '{site}': "
        "each is identified by its link instead"
    )
    # Feedparser's reading of a malformed body says the same, after what was wrong with it.
    broken = parse_feed(rss(items) + b"<", url=URL, source="marque-info")
    assert [m.guid for m in broken.mentions] == [None, None, None, "c-1", "c-1", "s-1"]
    assert broken.warning is not None and broken.warning.endswith(parsed.warning)
    assert "well-formed" in broken.warning


def test_a_feed_whose_guids_each_name_one_item_has_no_warning() -> None:
    items = "".join(
        f'<item><title>T{n}</title><link>https://a.example/{n}</link><guid isPermaLink="false">'
        f"g-{n}</guid></item>"
        for n in range(3)
    )
    parsed = parse_feed(rss(items), url=URL, source="marque-info")
    assert [m.guid for m in parsed.mentions] == ["g-0", "g-1", "g-2"]
    assert parsed.warning is None
