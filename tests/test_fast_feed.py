"""The fast feed reader gives exactly what feedparser gives, and reads the ordinary feeds itself.

Every body is parsed twice, by ``parse_feed`` (fast reader first) and by feedparser alone; the
ParsedFeeds and the documents normalised from them must be equal, errors included. Bodies come
from the project's feeds, the evaluation payloads when present, generated feeds and hand-written
edge cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.feedworld import make_feed
from veille.collectors._fast_feed import read_plain_feed
from veille.collectors.rss import (
    ParsedFeed,
    _feedparser_headers,
    _parse_with_feedparser,
    parse_feed,
)
from veille.errors import FatalSourceError, TransientSourceError
from veille.normalize import normalize

TESTS = Path(__file__).parent
URL = "https://www.example.fr/rubrique/flux.xml"
PROJECT_FEEDS = sorted(
    [
        *(TESTS / "data" / "feeds").iterdir(),
        *(TESTS / "golden" / "rss").glob("*.xml"),
        *(TESTS / "data" / "recorded").glob("*/*.xml"),
    ]
)
PAYLOADS = TESTS.parent.parent / "shared" / "eval" / "payloads"
# Project feeds made only of what the fast reader knows: it must read them itself.
PLAIN_FEEDS = [
    "data/feeds/economie_fr.xml",
    "data/feeds/tech_en.atom",
    "golden/rss/atom_authors.xml",
    "golden/rss/fr_news_rss2.xml",
    "golden/rss/google_alerts.xml",
    "golden/rss/google_news_fr.xml",
    "golden/rss/no_dates.xml",
    "golden/rss/relative_links.xml",
    "golden/rss/wordpress_blog.xml",
    "data/recorded/google_alerts/danone_alert.xml",
    "data/recorded/google_news/danone_en.xml",
    "data/recorded/google_news/danone_fr.xml",
    "data/recorded/bing_news/danone_en.xml",
    "data/recorded/bing_news/danone_fr.xml",
    "data/recorded/youtube/channel_feed_michelin.xml",
    "golden/rss/youtube_channel.xml",
]


def assert_same_as_feedparser(
    body: bytes, *, headers: Mapping[str, str] | None = None, url: str = URL
) -> None:
    """parse_feed and feedparser alone agree on the body: same feed, same documents, same error."""
    outcomes: list[ParsedFeed | tuple[type[Exception], str]] = []
    for parse in (parse_feed, _parse_with_feedparser):
        try:
            outcomes.append(parse(body, url=url, source="flux", headers=headers))
        except (FatalSourceError, TransientSourceError) as error:
            outcomes.append((type(error), str(error)))
    fast, slow = outcomes
    assert fast == slow
    if isinstance(fast, ParsedFeed) and isinstance(slow, ParsedFeed):
        assert [normalize(m) for m in fast.mentions] == [normalize(m) for m in slow.mentions]


def is_read_fast(body: bytes, headers: Mapping[str, str] | None = None) -> bool:
    return read_plain_feed(body, _feedparser_headers(headers, URL)) is not None


@pytest.mark.parametrize("path", PROJECT_FEEDS, ids=lambda p: str(p.relative_to(TESTS)))
def test_project_feeds(path: Path) -> None:
    assert_same_as_feedparser(path.read_bytes())
    assert_same_as_feedparser(path.read_bytes(), headers={"Content-Type": "application/rss+xml"})


def test_plain_project_feeds_are_read_fast() -> None:
    for name in PLAIN_FEEDS:
        assert is_read_fast((TESTS / name).read_bytes()), name


def test_evaluation_payloads() -> None:
    if not PAYLOADS.is_dir():
        pytest.skip("no evaluation payloads next to the project")
    feeds = [p for p in sorted(PAYLOADS.rglob("*")) if p.suffix in (".xml", ".rss", ".atom")]
    assert feeds
    for path in feeds:
        assert_same_as_feedparser(path.read_bytes())


@pytest.mark.parametrize("templated", [False, True])
def test_generated_feeds(templated: bool) -> None:
    for index in range(36):
        body = make_feed(index, 12, 0.3, templated=templated)
        assert is_read_fast(body), index
        assert_same_as_feedparser(body)


def rss(items: str, channel: str = "", namespaces: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"{namespaces}><channel>'
        f"<title>Le Flux</title><link>https://www.example.fr/</link>{channel}{items}"
        "</channel></rss>"
    ).encode()


def atom(entries: str, feed: str = "", root: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{root}>'
        f'<title>Atom Flux</title><link href="https://atom.example.com/"/>{feed}{entries}</feed>'
    ).encode()


DC = ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
# YouTube's channel feeds: an id of their own and a media group with the video's figures.
MEDIA = (
    ' xmlns:media="http://search.yahoo.com/mrss/"'
    ' xmlns:yt="http://www.youtube.com/xml/schemas/2015"'
)
GROUP = "<media:group>{}</media:group>"
MEDIA_TITLE = "<media:title>Titre du média</media:title>"
MEDIA_DESCRIPTION = (
    "<media:description>Ce que montre la vidéo.\nhttps://x.example/</media:description>"
)
YOUTUBE_PARTS = (
    "<yt:videoId>Mi7cHeL1nAa</yt:videoId><yt:channelId>UCm</yt:channelId>"
    + GROUP.format(
        MEDIA_TITLE + '<media:content url="https://www.youtube.com/v/Mi7?version=3"'
        ' type="application/x-shockwave-flash" width="640"/>'
        + '<media:thumbnail url="https://i3.ytimg.com/vi/Mi7/hqdefault.jpg" width="480"/>'
        + MEDIA_DESCRIPTION
        + '<media:community><media:starRating count="1873" average="5.00" min="1" max="5"/>'
        '<media:statistics views="48210"/></media:community>'
    )
)
CONTENT = ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
ITEM = "<item><title>Titre</title><link>https://www.example.fr/a</link>{}</item>"
ENTRY = '<entry><title>Title</title><link href="https://atom.example.com/a"/>{}</entry>'

# Edge cases the fast reader must read itself, and read as feedparser does.
READ_FAST = {
    "cdata": rss(ITEM.format("<description><![CDATA[<p>Un & deux</p>]]></description>")),
    "entities": rss(
        "<item><title>Fish &amp; chips &lt;3 &#8217;ok&#8217; &#233;</title>"
        "<link>https://www.example.fr/a?x=1&amp;y=2&amp;amp;z</link>"
        "<description>&lt;p&gt;A &amp;amp; B &amp;eacute; &amp;#39;q&amp;#39;&lt;/p&gt;"
        "</description></item>"
    ),
    "html_title": rss("<item><title>Le &lt;b&gt;gras&lt;/b&gt; titre</title></item>"),
    "entity_title": rss("<item><title>AT&amp;amp;T rachète</title></item>"),
    "relative_links": rss(
        "<item><title>R</title><link>../autre/page.html</link><guid>p-12</guid>"
        '<description>&lt;a href="/x"&gt;lien&lt;/a&gt; &lt;img src="i.png"/&gt;&lt;br&gt;'
        "</description></item>"
        "<item><title>S</title><guid>/rel/guid</guid></item>",
        channel="<link>/accueil</link>",
    ),
    "guid_not_link": rss('<item><title>G</title><guid isPermaLink="false">abc</guid></item>'),
    "guid_before_link": rss(
        "<item><guid>https://g.example/1</guid><link>https://l.example/1</link></item>"
    ),
    "empty_link": rss("<item><title>E</title><link/><guid>https://g.example/2</guid></item>"),
    "dc_creator": rss(ITEM.format("<dc:creator>Jeanne Martin</dc:creator>"), namespaces=DC),
    "rss_author_email": rss(ITEM.format("<author>jm@example.museum (Jeanne M.)</author>")),
    "content_encoded": rss(
        ITEM.format(
            "<description>court</description><content:encoded>&lt;p&gt;long"
            "&lt;/p&gt;</content:encoded>"
        ),
        namespaces=CONTENT,
    ),
    "content_before_description": rss(
        ITEM.format("<content:encoded>plein</content:encoded><description>d</description>"),
        namespaces=CONTENT,
    ),
    "empty_content": rss(
        ITEM.format("<description>d</description><content:encoded></content:encoded>"),
        namespaces=CONTENT,
    ),
    "missing_dates": rss(ITEM.format("") + ITEM.format("<category>x</category>")),
    "odd_dates": rss(
        ITEM.format("<pubDate>2026-03-01T10:00:00+01:00</pubDate>")
        + ITEM.format("<pubDate>Sun, 1 Mar 2026 10:00 EST</pubDate>")
        + ITEM.format("<pubDate>1 mars 2026</pubDate>")
        + ITEM.format("<pubDate></pubDate>")
        + ITEM.format("<pubDate>Tue, 31 Feb 2026 25:61:00 GMT</pubDate>")
    ),
    # Drupal's dates: the text for people, the time in an HTML <time> (feedparser's "time").
    "time_in_dates": rss(
        ITEM.format(
            '<pubDate>\n <time datetime="2019-05-03T19:21:28Z">Fri, 05/03/2019 - 15:21</time>\n'
            "</pubDate>"
        )
        + ITEM.format('<pubDate><time datetime="2019-05-03T19:21:28Z"/></pubDate>')
    ),
    "feed_fields": rss(
        ITEM.format(""),
        channel="<language>en-GB</language><ttl> 45 </ttl><generator>Ghost 5.0</generator>"
        "<image><url>https://www.example.fr/l.png</url><title>Logo</title>"
        "<link>https://www.example.fr/</link></image><description>Tout</description>"
        "<category>A</category><category>B</category><docs>https://r.example/</docs>"
        '<atom:link href="https://www.example.fr/flux.xml" rel="self" type="application/rss+xml"/>',
        namespaces=' xmlns:atom="http://www.w3.org/2005/Atom"',
    ),
    "root_lang": rss(ITEM.format(""), namespaces=' xml:lang="fr_CA"'),
    "mojibake": rss("<item><title>CafÃ© crÃ¨me \u0092 ok</title></item>"),
    "mojibake_repaired": rss("<item><title>CafÃ© crÃ¨me</title><author>Ã‰lise</author></item>"),
    "atom_several_authors": atom(
        ENTRY.format(
            "<author><name>Ana</name><email>ana@example.com</email><uri>/ana</uri></author>"
            "<author><name>Bo</name></author><published>2026-02-01T10:00:00Z</published>"
        )
    ),
    "atom_text_types": atom(
        '<entry><title type="html">A &amp;amp; B &lt;i&gt;it&lt;/i&gt;</title>'
        '<summary type="text">Less &lt;than&gt;</summary>'
        '<content type="html">&lt;p&gt;&lt;a href="rel"&gt;x&lt;/a&gt;&lt;/p&gt;</content>'
        "<id>tag:example.com,2026:1</id><updated>2026-02-02T10:00:00+02:00</updated></entry>"
    ),
    "atom_xml_lang": atom(
        ENTRY.format('<summary xml:lang="de">Hallo</summary>')
        + '<entry xml:lang="es"><title>t</title><content>c</content></entry>'
        + '<entry xml:lang=""><title>none</title></entry>',
        root=' xml:lang="en"',
    ),
    "atom_links": atom(
        '<entry><id>https://atom.example.com/id</id><link rel="self" href="/self"/>'
        '<link rel="enclosure" href="/e.mp3" type="audio/mpeg" length="3"/>'
        '<link rel="alternate" type="text/html" href=""/></entry>'
        "<entry><id>/relative/id</id><title>only id</title></entry>",
        feed="<id>tag:example.com,2026:feed</id>",
    ),
    "atom_generator": atom(
        ENTRY.format(""), feed='<generator uri="https://wordpress.org/" version="6">WP</generator>'
    ),
    "atom_empty_author": atom(ENTRY.format("<author><name></name></author>")),
    "byte_order_mark": b"\xef\xbb\xbf" + rss(ITEM.format("")),
    "crlf_comment_stylesheet": rss(ITEM.format(""))
    .replace(b"><", b">\r\n<")
    .replace(b"?>", b'?><?xml-stylesheet type="text/xsl" href="s.xsl"?><!-- c -->', 1),
    "no_declaration": rss(ITEM.format("")).split(b"?>", 1)[1],
    "source": rss(ITEM.format('<source url="https://p.example/">Publisher</source>')),
    "source_variants": rss(
        '<item><source url="https://p.example/">  Le Monde  </source><title>Avant</title></item>'
        '<item><title>T</title><source url="/relative">CafÃ© \u0092</source></item>'
        "<item><title>T</title><source>Sans lien</source></item>"
        '<item><title>T</title><source url="https://p.example/"></source></item>'
        '<item><title>T</title><source URL="https://p.example/">Upper</source></item>'
    ),
    "unknown_namespace": rss(
        ITEM.format("<x:note>n</x:note>"), namespaces=' xmlns:x="https://x.example/ns"'
    ),
    "youtube_entry": atom(ENTRY.format(YOUTUBE_PARTS), root=MEDIA),
    "youtube_entry_in_french": atom(
        '<entry xml:lang="fr"><title>Vidéo</title><yt:videoId>v2</yt:videoId>'
        + GROUP.format(
            '<media:description type="plain">Une &lt;b&gt; description</media:description>'
        )
        + "</entry>",
        root=MEDIA,
    ),
    "rss_item_with_media_group": rss(
        ITEM.format(GROUP.format(MEDIA_DESCRIPTION)), namespaces=MEDIA
    ),
    # Bing's namespace is the search URL itself, entities and all.
    "search_url_namespace": rss(
        ITEM.format(
            "<News:Source>Le Monde</News:Source><News:Image>https://i.example/1</News:Image>"
        ),
        namespaces=' xmlns:News="https://www.bing.com:443/news/search?q=danone&amp;format=rss"',
    ),
    "unknown_namespace_plain_attribute": rss(
        ITEM.format('<x:note kind="k">n</x:note>'), namespaces=' xmlns:x="https://x.example/ns"'
    ),
    "feed_level_atom_author": atom(
        ENTRY.format(""), feed="<author><name>Feed Author</name></author>"
    ),
}

# Edge cases outside the fast reader's subset: feedparser reads them.
LEFT_TO_FEEDPARSER = {
    "doctype": rss(ITEM.format(""))
    .replace(b"<rss", b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]><rss')
    .replace(b"Titre", b"A&nbsp;B"),
    "latin1": "<?xml version='1.0' encoding='ISO-8859-1'?><rss version='2.0'><channel>"
    "<item><title>Été</title></item></channel></rss>".encode("latin-1"),
    "truncated": rss(ITEM.format("") + ITEM.format("<description>cut"))[:-40],
    "media": rss(
        ITEM.format('<media:thumbnail url="https://i.example/t.jpg"/>'),
        namespaces=' xmlns:media="http://search.yahoo.com/mrss/"',
    ),
    "xml_base": rss(ITEM.format("")).replace(b"<channel>", b'<channel xml:base="/b/">'),
    "xhtml": atom(
        '<entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div>'
        "</content></entry>"
    ),
    "dc_date": rss(ITEM.format("<dc:date>2026-01-01</dc:date>"), namespaces=DC),
    "time_without_datetime": rss(ITEM.format("<pubDate><time>2019-05-03</time></pubDate>")),
    "time_outside_dates": rss(ITEM.format('<time datetime="2019-05-03T19:21:28Z">x</time>')),
    "time_in_two_dates": rss(
        ITEM.format(
            '<pubDate><time datetime="2019-05-03T19:21:28Z">a</time></pubDate>'
            '<updated><time datetime="2019-05-04T19:21:28Z">b</time></updated>'
        )
    ),
    "two_rss_authors": rss(ITEM.format("<author>a</author><dc:creator>b</dc:creator>"), DC),
    "source_in_atom": atom(ENTRY.format('<source url="https://p.example/">P</source>')),
    "source_with_children": rss(ITEM.format("<source><title>P</title></source>")),
    "source_twice": rss(ITEM.format("<source>A</source><source>B</source>")),
    "source_other_attribute": rss(ITEM.format('<source url="/p" lang="fr">P</source>')),
    "channel_source": rss(ITEM.format(""), channel='<source url="https://p.example/">P</source>'),
    # An unknown namespace whose prefix makes a key feedparser acts on, or veille reads.
    "unknown_namespace_known_key": rss(
        ITEM.format("<dc:creator>c</dc:creator>"), namespaces=' xmlns:dc="https://x.example/dc"'
    ),
    "media_group_before_title": atom(
        f"<entry>{GROUP.format(MEDIA_TITLE)}<title>T</title></entry>", root=MEDIA
    ),
    "media_group_without_title": atom(f"<entry>{GROUP.format(MEDIA_TITLE)}</entry>", root=MEDIA),
    "media_group_empty_title": atom(
        f"<entry><title></title>{GROUP.format(MEDIA_TITLE)}</entry>", root=MEDIA
    ),
    "media_description_after_summary": atom(
        ENTRY.format("<summary>s</summary>" + GROUP.format(MEDIA_DESCRIPTION)), root=MEDIA
    ),
    "media_summary_after_description": atom(
        ENTRY.format(GROUP.format(MEDIA_DESCRIPTION) + "<summary>s</summary>"), root=MEDIA
    ),
    "media_title_after_source": rss(
        ITEM.format('<source url="https://p.example/">P</source>' + GROUP.format(MEDIA_TITLE)),
        namespaces=MEDIA,
    ),
    "media_figure_without_attributes": atom(
        ENTRY.format(GROUP.format("<media:community><media:statistics/></media:community>")),
        root=MEDIA,
    ),
    "media_figure_twice": atom(
        ENTRY.format(
            GROUP.format(
                '<media:community><media:statistics views="1"/>'
                '<media:statistics views="2"/></media:community>'
            )
        ),
        root=MEDIA,
    ),
    "media_group_other_child": atom(
        ENTRY.format(GROUP.format('<media:player url="https://p.example/"/>')), root=MEDIA
    ),
    "media_thumbnail_with_text": atom(
        ENTRY.format(GROUP.format('<media:thumbnail url="/t.jpg">t</media:thumbnail>')),
        root=MEDIA,
    ),
    "media_group_twice": atom(ENTRY.format(GROUP.format("") * 2), root=MEDIA),
    "video_id_with_attribute": atom(
        ENTRY.format('<yt:videoId kind="v">v1</yt:videoId>'), root=MEDIA
    ),
    "unknown_default_namespace": rss(ITEM.format("")).replace(
        b"<channel>", b'<channel xmlns="https://x.example/ns">'
    ),
    "unknown_namespace_two_prefixes": rss(
        ITEM.format("<x:note>n</x:note><y:note>m</y:note>"),
        namespaces=' xmlns:x="https://x.example/ns" xmlns:y="https://x.example/ns"',
    ),
    "unknown_namespace_attribute": rss(
        ITEM.format('<x:note x:kind="k">n</x:note>'), namespaces=' xmlns:x="https://x.example/ns"'
    ),
    "other_prefix": rss(
        ITEM.format("<d:creator>c</d:creator>"),
        namespaces=' xmlns:d="http://purl.org/dc/elements/1.1/"',
    ),
    "rss_091": rss(ITEM.format("")).replace(b'version="2.0"', b'version="0.91"'),
    "no_items": rss(""),
    "utf16": rss(ITEM.format("")).decode().replace("UTF-8", "UTF-16").encode("utf-16"),
    "text_after_root": rss(ITEM.format("")) + b"<junk/>",
    "space_before_declaration": b"  \n" + rss(ITEM.format("")),
    "not_xml": b"<html><body>Not a feed</body></html>",
    "long_author": rss(ITEM.format(f"<author>{'x' * 600}</author>")),
}


@pytest.mark.parametrize("name", sorted(READ_FAST))
def test_edge_cases_read_fast(name: str) -> None:
    body = READ_FAST[name]
    assert is_read_fast(body)
    assert_same_as_feedparser(body)


@pytest.mark.parametrize("name", sorted(LEFT_TO_FEEDPARSER))
def test_edge_cases_left_to_feedparser(name: str) -> None:
    body = LEFT_TO_FEEDPARSER[name]
    assert not is_read_fast(body)
    assert_same_as_feedparser(body)


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/xml"},
        {"Content-Type": "text/xml; charset=utf-8"},
        {"Content-Type": "application/atom+xml; charset=iso-8859-1"},
        {"Content-Type": "text/html; charset=utf-8"},
        {"Content-Language": "de"},
    ],
)
def test_headers(headers: dict[str, str]) -> None:
    for body in (READ_FAST["feed_fields"], READ_FAST["atom_xml_lang"], READ_FAST["mojibake"]):
        assert_same_as_feedparser(body, headers=headers)


def test_other_feed_urls() -> None:
    body = READ_FAST["relative_links"]
    for url in ("http://host.example", "https://h.example/a/b/?q=1#f", "https://h.example//x"):
        assert_same_as_feedparser(body, url=url)


NAMESPACES = (
    DC
    + CONTENT
    + ' xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"'
    ' xmlns:slash="http://purl.org/rss/1.0/modules/slash/"'
    ' xmlns:wfw="http://wellformedweb.org/CommentAPI/"'
    ' xmlns:News="https://www.bing.com/news/search?q=x&amp;format=rss"'
)
HTML = [
    "&lt;p&gt;Un paragraphe&lt;/p&gt;", '&lt;a href="/r?a=1&amp;amp;b"&gt;r&lt;/a&gt;',
    "&lt;br&gt;x", "&lt;p&gt;pas fermé", '<![CDATA[<div><img src="a.png"></div> & co]]>',
    "a &amp;amp; b",
    "&amp;nbsp;&amp;eacute;&amp;#39;", "&lt;!-- c --&gt;", "x &gt; y", "&lt;P&gt;Upper&lt;/P&gt;",
    "&lt;script&gt;a()&lt;/script&gt;", "", "  espaces  ", "CafÃ© crÃ¨me", "&lt;b/&gt;",
    '&lt;p class="c"&gt;k&lt;/p&gt;', "&lt;em&gt;&lt;strong&gt;x&lt;/em&gt;&lt;/strong&gt;",
]  # fmt: skip
ITEM_PARTS = [
    "<title>T &amp; x</title>", "<title><![CDATA[<b>B</b> & c]]></title>",
    '<title type="html">h &lt;i&gt;i&lt;/i&gt;</title>', "<title></title>",
    '<title xml:lang="de_AT">d</title>', "<title>  spaced  </title>",
    "<title>a &lt;br/&gt;</title>",
    "<title>AT&amp;amp;T</title>", "<link>https://x.example/a?b=1&amp;c=2</link>",
    "<link>rel/path</link>", "<link/>", "<link>  https://x.example/sp  </link>",
    '<atom:link href="/alt" rel="alternate"/>', '<atom:link href="/self" rel="self"/>',
    "<link>https://x.example/q?&amp;amp;x</link>", "<guid>g1</guid>",
    '<guid isPermaLink="false">g2</guid>', '<guid isPermaLink="true">https://g.example/3</guid>',
    "<guid></guid>", "<author>a@b.com (A B)</author>", "<dc:creator>C. D.</dc:creator>",
    "<author></author>", "<author>Name &lt;n@e.example&gt;</author>",
    "<pubDate>Tue, 03 Mar 2026 08:45:00 +0100</pubDate>", "<pubDate>2026-03-03</pubDate>",
    "<pubDate>03/04/2026</pubDate>", "<pubDate>Mar 3 2026 10:00 PST</pubDate>",
    "<category>c</category>", '<category domain="d">e</category>', "<comments>/c</comments>",
    '<enclosure url="/e.mp3" length="1" type="audio/mpeg"/>', "<slash:comments>3</slash:comments>",
    "<wfw:commentRss>/c.rss</wfw:commentRss>", '<media:thumbnail url="/t.jpg"/>',
    '<source url="https://p.example/">P</source>', "<source>S &amp; co</source>",
    '<source url="/p"></source>', "<News:Source>Pub</News:Source>",
    '<News:Image size="1">/i.png</News:Image>', GROUP.format(MEDIA_TITLE + MEDIA_DESCRIPTION),
    GROUP.format('<media:community><media:statistics views="3"/></media:community>'),
    "<unknown>u</unknown>",
    '<unknown a="1"/>', "<language>fr</language>", "<dc:date>2026-01-01</dc:date>",
    "<description>desc</description>",
    *(f"<description>{html}</description>" for html in HTML),
    *(f"<content:encoded>{html}</content:encoded>" for html in HTML[:8]),
]  # fmt: skip
CHANNEL_PARTS = [
    "<title>Le Flux &amp; co</title>", "<title></title>", "<title>&lt;b&gt;gras&lt;/b&gt;</title>",
    "<link>https://www.example.fr/</link>", "<link>/relatif</link>", "<link>a&amp;amp;b</link>",
    "<language>fr-FR</language>", "<language></language>", "<ttl>60</ttl>", "<ttl>x</ttl>",
    '<ttl unit="m">5</ttl>', "<generator>WordPress 6</generator>", "<generator></generator>",
    "<image><title>Logo</title><url>/l.png</url><link>/</link></image>",
    "<image><title>Logo</title><foo>x</foo></image>", "<description>d</description>",
    '<atom:link href="/flux" rel="self" type="application/rss+xml"/>',
    '<atom:link href="/alt"/>', "<lastBuildDate>Tue, 03 Mar 2026 08:45:00 +0100</lastBuildDate>",
    "<category>c</category>", "<managingEditor>m@e.example</managingEditor>",
]  # fmt: skip
ENTRY_PARTS = [
    "<title>T</title>", '<title type="html">A &amp;amp; &lt;b&gt;B&lt;/b&gt;</title>',
    '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></title>',
    '<title type="text">1 &lt; 2</title>', '<link href="/a"/>', '<link rel="alternate" href="b"/>',
    '<link rel="related" href="/c"/>', '<link href="/d" type="application/pdf"/>',
    "<link>text link</link>", "<id>tag:x.example,2026:1</id>", "<id>/rel/id</id>",
    "<author><name>Ann</name></author>", "<author><name>Bo</name><email>b@x.example</email>"
    "<uri>/bo</uri></author>", "<author>raw</author>",
    "<author><name>A</name><name>B</name></author>",
    "<published>2026-02-27T14:30:00+01:00</published>", "<updated>2026-02-27T15:10:00Z</updated>",
    "<updated>27 Feb 2026</updated>", "<summary>s</summary>",
    '<summary type="html">&lt;p&gt;s&lt;/p&gt;</summary>',
    '<content type="html">&lt;p&gt;c&lt;/p&gt;</content>',
    "<content>plain</content>", '<content type="text/html">&lt;i&gt;i&lt;/i&gt;</content>',
    '<content src="/out"/>', '<content type="image/png">aGVsbG8=</content>',
    '<category term="t"/>', "<rights>r</rights>", '<entry-extra xml:lang="x">e</entry-extra>',
    "<yt:videoId>v9</yt:videoId>", YOUTUBE_PARTS, GROUP.format(MEDIA_TITLE),
    GROUP.format('<media:description type="html">&lt;i&gt;d&lt;/i&gt;</media:description>'),
    GROUP.format('<media:thumbnail url="/t.jpg"/><media:content url="/v"/>'),
]  # fmt: skip


def rss_document(channel: list[str], items: list[list[str]], root: str) -> bytes:
    body = "".join(channel) + "".join(f"<item>{''.join(parts)}</item>" for parts in items)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"{NAMESPACES}{root}>'
        f"<channel>{body}</channel></rss>"
    ).encode()


def atom_document(feed: list[str], entries: list[list[str]], root: str) -> bytes:
    body = "".join(feed) + "".join(f"<entry>{''.join(parts)}</entry>" for parts in entries)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
        f"{MEDIA}{root}>{body}</feed>"
    ).encode()


ROOTS = st.sampled_from(["", ' xml:lang="fr"', ' xml:lang="en_US"', ' lang="it"'])
BASES = st.sampled_from([URL, "http://h.example", "https://h.example/a/b/?q=1#f"])


@given(
    channel=st.lists(st.sampled_from(CHANNEL_PARTS), max_size=6),
    items=st.lists(st.lists(st.sampled_from(ITEM_PARTS), max_size=7), min_size=1, max_size=3),
    root=ROOTS,
    url=BASES,
)
@settings(max_examples=200)
def test_random_rss_feeds(channel: list[str], items: list[list[str]], root: str, url: str) -> None:
    assert_same_as_feedparser(rss_document(channel, items, root), url=url)


@given(
    feed=st.lists(
        st.sampled_from([*ENTRY_PARTS[:2], ENTRY_PARTS[4], *ENTRY_PARTS[9:12]]), max_size=4
    ),
    entries=st.lists(st.lists(st.sampled_from(ENTRY_PARTS), max_size=7), min_size=1, max_size=3),
    root=ROOTS,
    url=BASES,
)
@settings(max_examples=200)
def test_random_atom_feeds(feed: list[str], entries: list[list[str]], root: str, url: str) -> None:
    assert_same_as_feedparser(atom_document(feed, entries, root), url=url)


_URL_PIECES = st.sampled_from(
    [
        "http://", "https://", "HTTP://", "ftp://", "//", "/", "example.org", "a.b", "[::1]",
        ":8080", ":", "/path", "/../", "/./", "..", "?", "?q=1", "&x=é", "#", "#top", ";p",
        "%20", " ", "\t", "\n", "\\", "@", "user@", "é", "\x00", "\x7f", "a", "-", "~",
    ]
)  # fmt: skip


@settings(max_examples=3000)
@given(
    st.lists(_URL_PIECES, max_size=8).map("".join),
    st.lists(_URL_PIECES, max_size=8).map("".join),
)
def test_a_link_kept_as_is_is_what_urljoin_gives(base: str, link: str) -> None:
    from urllib.parse import urljoin

    from feedparser.urls import _urljoin

    from veille.collectors._entries import joined_as_is

    if joined_as_is(base, link):
        assert urljoin(base, link) == link
        assert _urljoin(base, link) == link


def test_plain_absolute_links_are_kept_as_is() -> None:
    from veille.collectors._entries import joined_as_is

    base = "https://example.org/feed.xml"
    assert joined_as_is(base, "https://news.example.com/2026/11/27/article-1?utm=rss&id=4")
    assert joined_as_is(base, "http://example.org:8080/a/b/")
    for link in ("/relative", "https://x.org/a#top", "https://x.org/a?", "https://x.org/a;p"):
        assert not joined_as_is(base, link)


def test_the_parse_benchmark_compares_both_paths(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import bench_parse

    bench_parse.main(["--repeat", "1"])
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split()[2] for line in lines[1:] if line.endswith("×")}
    assert rows["google_news/danone_fr.xml"] == "yes"
    assert rows["bing_news/danone_fr.xml"] == "yes"
    assert rows["rss/truncated.xml"] == "no"
    assert lines[-2].startswith("read by the fast reader:")
