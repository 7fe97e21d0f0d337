"""OPML in and out: ``sources import`` and ``export``, ``init --opml``, ``kind = "opml"``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import (
    feed_bytes,
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from veille.errors import ConfigError
from veille.settings import load_settings

BRAND = '[[brands]]\nname = "Danone"\n'


def _opml(*outlines: str) -> str:
    return f'<opml version="2.0"><head/><body>{"".join(outlines)}</body></opml>'


def test_import_into_a_configuration_whose_feed_address_is_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_TEST_PRIVATE_FEED", "https://u:secret@feeds.example/f.xml")
    config = tmp_path / "v.toml"
    config.write_text(
        BRAND + '[[sources]]\nname = "private"\nkind = "rss"\n'
        'url = "${VEILLE_TEST_PRIVATE_FEED}"\n',
        encoding="utf-8",
    )
    opml = tmp_path / "f.opml"
    opml.write_text(
        _opml(
            '<outline text="x" xmlUrl="https://b.example/feed"/>',
            '<outline text="same" xmlUrl="https://u:secret@feeds.example/f.xml"/>',
        ),
        encoding="utf-8",
    )
    result = run(config, "sources", "import", str(opml))
    assert result.exit_code == 0, result.output
    # Compared by the address the reference stands for: the secret feed is already there.
    assert "Added 1 source(s)" in result.output and "1 already present" in result.output
    text = config.read_text(encoding="utf-8")
    assert "secret" not in text and "${VEILLE_TEST_PRIVATE_FEED}" in text
    assert [s.name for s in load_settings(config).sources] == ["private", "x"]


def test_import_counts_every_feed_outline_of_the_file(tmp_path: Path) -> None:
    config = tmp_path / "v.toml"
    config.write_text(
        BRAND + '[[sources]]\nname = "known"\nkind = "rss"\nurl = "https://known.example/rss"\n',
        encoding="utf-8",
    )
    opml = tmp_path / "f.opml"
    opml.write_text(
        _opml(
            '<outline text="Dossier">',
            '<outline type="rss" text="Un" xmlUrl="https://un.example/rss"/>',
            '<outline type="rss" text="Deux" xmlUrl="https://deux.example/rss"/>',
            '<outline type="rss" text="Connu" xmlUrl="https://known.example/rss"/>',
            "</outline>",
            '<outline type="rss" text="Un encore" xmlUrl="https://un.example/rss"/>',
            '<outline type="rss" text="Sans adresse"/>',
            '<outline type="rss" text="Script" xmlUrl="javascript:alert(1)"/>',
            '<outline text="Dossier vide"/>',  # a folder, not a feed
        ),
        encoding="utf-8",
    )
    result = run(config, "sources", "import", str(opml))
    assert result.exit_code == 0, result.output
    # 2 + 1 + 1 + 1 + 1: the six feed outlines of the file.
    assert result.output == (
        f"Added 2 source(s) to {config}; 1 already present; 1 repeating an address given above "
        "in the file; 1 left out, their address not http(s): javascript:alert(1); 1 left out, "
        "without an address (xmlUrl): Sans adresse.\n"
    )
    assert [s.name for s in load_settings(config).sources] == ["known", "un", "deux"]


def test_init_with_opml_on_an_existing_configuration_says_how_to_import(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(_opml('<outline text="Un" xmlUrl="https://un.example/rss"/>'), "utf-8")
    config = tmp_path / "config" / "veille.toml"
    config.parent.mkdir()
    config.write_text(BRAND, encoding="utf-8")
    result = run(None, "init", "--dir", str(tmp_path), "--opml", str(opml))
    assert result.exit_code == 0, result.output
    assert "already exists; kept it" in result.output
    assert f"veille --config {config} sources import {opml}`" in result.output
    assert config.read_text(encoding="utf-8") == BRAND


class _CountingSet(set[str]):
    """A set that counts the names looked up in it."""

    lookups = 0

    def __contains__(self, name: object) -> bool:
        self.lookups += 1
        return super().__contains__(name)


def test_feeds_titled_alike_are_named_in_linear_time(tmp_path: Path) -> None:
    from veille.opml import OpmlFeed
    from veille.project import _named_feeds

    feeds = [OpmlFeed("Flux RSS", f"https://f{i}.example/rss") for i in range(3000)]
    taken = _CountingSet({"autre", "flux-rss-3"})
    names = [name for name, _ in _named_feeds(feeds, taken)]
    # The names a counter started from 2 for every feed gives, "flux-rss-3" being taken…
    assert names[:4] == ["flux-rss", "flux-rss-2", "flux-rss-4", "flux-rss-5"]
    assert names[-1] == "flux-rss-3001" and len(set(names)) == 3000
    # … found without trying again, for every feed, the names the ones before it took.
    assert taken.lookups < 4 * len(feeds)
    # An OPML entry's feeds too, a name the file gives being theirs wherever it is.
    outlines = (
        f'<outline text="Flux RSS" xmlUrl="https://f{i}.example/rss"/>' for i in range(3000)
    )
    (tmp_path / "feeds.opml").write_text(_opml(*outlines), encoding="utf-8")
    config = tmp_path / "v.toml"
    config.write_text(
        BRAND + '[[sources]]\nkind = "opml"\nfile = "feeds.opml"\n'
        '[[sources]]\nname = "flux-rss-2"\nkind = "rss"\nurl = "https://other.example/rss"\n',
        encoding="utf-8",
    )
    names = [source.name for source in load_settings(config).sources]
    assert names[:3] == ["flux-rss", "flux-rss-3", "flux-rss-4"]
    assert names[2999] == "flux-rss-3001" and names[3000] == "flux-rss-2"
    assert len(set(names)) == 3001


def test_an_opml_entry_leaves_out_the_feeds_no_rss_source_can_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "feeds.opml").write_text(
        _opml(
            '<outline text="Blog « Cuisine »" xmlUrl="feed://blog.example/rss"/>',
            '<outline text="Sûr" xmlUrl="feed:https://sur.example/rss"/>',
            '<outline text="Script" xmlUrl="javascript:alert(1)"/>',
            '<outline text="Ok" xmlUrl="https://ok.example/rss"/>',
        ),
        encoding="utf-8",
    )
    config = tmp_path / "v.toml"
    config.write_text(BRAND + '[[sources]]\nkind = "opml"\nfile = "feeds.opml"\n', "utf-8")
    with caplog.at_level("WARNING", logger="veille.config_sources"):
        sources = load_settings(config).sources
    # feed:// is the scheme readers gave feeds: read as http.
    assert {s.name: s.options["url"] for s in sources} == {
        "blog-cuisine": "http://blog.example/rss",
        "sur": "https://sur.example/rss",
        "ok": "https://ok.example/rss",
    }
    assert [record.getMessage() for record in caplog.records] == [
        f"{config}: sources[0].file: left out 1 feed(s) of {tmp_path / 'feeds.opml'},"
        " their address not http(s): javascript:alert(1)"
    ]
    # Every command runs, the note on standard error.
    result = run(config, "db", "current")
    assert result.exit_code == 0, result.output
    # What the entry itself gets wrong is named in the configuration, not in the OPML file.
    config.write_text(
        BRAND + '[[sources]]\nkind = "opml"\nfile = "feeds.opml"\nplatform = 3\n', "utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert (caught.value.file, caught.value.key) == (str(config), "sources[0].platform")


def test_init_and_import_read_feed_addresses_as_http(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        _opml(
            '<outline text="Blog" xmlUrl="feed://blog.example/rss"/>',
            '<outline xmlUrl="feed://untitled.example/news.xml"/>',
        ),
        encoding="utf-8",
    )
    result = run(None, "init", "--dir", str(tmp_path), "--opml", str(opml))
    assert result.exit_code == 0, result.output
    assert "(0 brand(s), 2 source(s))" in result.output and "Left out" not in result.output
    sources = load_settings(tmp_path / "config" / "veille.toml").sources
    assert {s.name: s.options["url"] for s in sources} == {
        "blog": "http://blog.example/rss",
        "untitled-example-news-xml": "http://untitled.example/news.xml",
    }


def test_each_feed_address_is_read_by_one_source(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "feeds.opml").write_text(
        _opml(
            '<outline text="Le Monde Économie" xmlUrl="https://lemonde.example/eco.xml"/>',
            '<outline text="Presse">',
            '<outline text="Le Monde Économie" xmlUrl="https://lemonde.example/eco.xml"/>',
            "</outline>",
            '<outline text="Blog" xmlUrl="https://blog.example/feed"/>',
            '<outline text="Le Monde Économie" xmlUrl="https://lemonde.example/autre.xml"/>',
        ),
        encoding="utf-8",
    )
    rss = '[[sources]]\nname = "{}"\nkind = "rss"\nurl = "{}"\n'
    config = tmp_path / "v.toml"
    config.write_text(
        BRAND
        + '[[sources]]\nkind = "opml"\nfile = "feeds.opml"\n'
        + rss.format("mon-blog", "https://blog.example/feed"),
        encoding="utf-8",
    )
    with caplog.at_level("INFO", logger="veille.config_sources"):
        sources = load_settings(config).sources
    # Listed twice in the file, or declared as a source of its own: read once. The names
    # the others had are kept (the third feed titled alike is still the -3).
    assert {s.name: s.options["url"] for s in sources} == {
        "le-monde-economie": "https://lemonde.example/eco.xml",
        "le-monde-economie-3": "https://lemonde.example/autre.xml",
        "mon-blog": "https://blog.example/feed",
    }
    assert [record.levelname for record in caplog.records] == ["INFO"]
    assert "2 feed(s) left out" in caplog.records[0].getMessage()
    # Two sources of one address are told: the feed would be fetched twice a pass.
    caplog.clear()
    config.write_text(
        BRAND + rss.format("a", "https://a.example/f") + rss.format("b", "https://a.example/f"),
        encoding="utf-8",
    )
    with caplog.at_level("WARNING", logger="veille.config_sources"):
        assert [s.name for s in load_settings(config).sources] == ["a", "b"]
    assert [record.getMessage() for record in caplog.records] == [
        f"{config}: sources[1].url: the same feed address as sources[0].url: the feed is"
        " fetched twice a pass and its items counted from two sources; remove one of them"
    ]


def test_spellings_of_one_feed_address_are_one_feed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "v.toml"
    config.write_text(
        BRAND
        + '[[sources]]\nname = "eco"\nkind = "rss"\nurl = "https://lemonde.example/eco.xml"\n',
        encoding="utf-8",
    )
    opml = tmp_path / "f.opml"
    opml.write_text(
        _opml(
            # The scheme and host in capitals, the default port, a fragment (never sent): the
            # feed the configuration reads.
            '<outline text="Le Monde" xmlUrl="https://lemonde.example/eco.xml#dup"/>',
            '<outline text="LE MONDE" xmlUrl="HTTPS://LeMonde.Example:443/eco.xml"/>',
            '<outline text="Blog" xmlUrl="http://blog.example:80"/>',
            '<outline text="Blog encore" xmlUrl="HTTP://BLOG.example/#fin"/>',
            # The path and the port the server reads are the server's: other feeds.
            '<outline text="Autre" xmlUrl="https://lemonde.example/ECO.xml"/>',
            '<outline text="Test" xmlUrl="https://lemonde.example:8443/eco.xml"/>',
        ),
        encoding="utf-8",
    )
    result = run(config, "sources", "import", str(opml))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Added 3 source(s) to {config}; 1 already present; 2 repeating an address given above "
        "in the file.\n"
    )
    assert {s.name: s.options["url"] for s in load_settings(config).sources} == {
        "eco": "https://lemonde.example/eco.xml",
        "blog": "http://blog.example:80",  # written as the file gave it
        "autre": "https://lemonde.example/ECO.xml",
        "test": "https://lemonde.example:8443/eco.xml",
    }
    # Declared twice in the configuration, or by an OPML entry: the same feed, told or left out.
    (tmp_path / "feeds.opml").write_text(
        _opml('<outline text="Éco" xmlUrl="http://Blog.Example/#haut"/>'), encoding="utf-8"
    )
    config.write_text(
        BRAND
        + '[[sources]]\nname = "a"\nkind = "rss"\nurl = "https://a.example/f"\n'
        + '[[sources]]\nname = "b"\nkind = "rss"\nurl = "HTTPS://A.example:443/f#x"\n'
        + '[[sources]]\nname = "c"\nkind = "rss"\nurl = "http://blog.example"\n'
        + '[[sources]]\nkind = "opml"\nfile = "feeds.opml"\n',
        encoding="utf-8",
    )
    with caplog.at_level("INFO", logger="veille.config_sources"):
        assert [s.name for s in load_settings(config).sources] == ["a", "b", "c"]
    assert [record.getMessage() for record in caplog.records] == [
        f"{config}: sources[1].url: the same feed address as sources[0].url: the feed is"
        " fetched twice a pass and its items counted from two sources; remove one of them",
        f"{config}: sources[3].file: 1 feed(s) left out, their address read by another source:"
        " http://Blog.Example/#haut",
    ]


NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>presse</title></head><body>
<outline text="Presse">
  <outline text="Économie &amp; Société">
    <outline text="Le Monde — Économie" xmlUrl="https://lemonde.example/eco.xml"
             htmlUrl="https://lemonde.example/economie/"/>
    <outline text="L’Usine Nouvelle" xmlUrl="https://usine.example/rss"/>
  </outline>
  <outline text="Canal+" xmlUrl="https://canalplus.example/feed"/>
</outline>
</body></opml>
"""

MORE = """
[[sources]]
name = "Économie & Société"
kind = "rss"
url = "https://eco.example/rss"
language = "fr"
platform = "blog"
interval = "30m"

[[sources]]
name = "alerte"
kind = "google_alerts"
url = "https://www.google.com/alerts/feeds/1/2"

[[sources]]
name = "news"
kind = "google_news"
"""


def _described(config: Path) -> dict[str, tuple[object, ...]]:
    return {
        s.name: (s.kind, s.title, s.category, s.site_url, s.interval, s.options)
        for s in load_settings(config).sources
    }


def test_export_gives_back_what_import_read_and_import_keeps_the_names(tmp_path: Path) -> None:
    opml = tmp_path / "nested.opml"
    opml.write_text(NESTED, encoding="utf-8")
    first = tmp_path / "first"
    result = run(None, "init", "--dir", str(first), "--brand", "Danone", "--opml", str(opml))
    assert result.exit_code == 0, result.output
    config = first / "config" / "veille.toml"
    with config.open("a", encoding="utf-8") as file:
        file.write(MORE)
    exported = run(config, "sources", "export")
    assert exported.exit_code == 0, exported.output
    document = exported.output
    # The feeds' titles, their folders as they were nested, their sites, and every feed
    # source (a Google Alerts feed too; a search source has no feed).
    assert 'text="Le Monde — Économie"' in document and 'text="L’Usine Nouvelle"' in document
    assert 'text="Canal+"' in document and 'text="le-monde-economie"' not in document
    assert document.count('<outline text="Presse"') == 1
    assert document.count('text="Économie &amp; Société" title=') == 2  # a folder, a feed
    assert 'htmlUrl="https://lemonde.example/economie/"' in document
    assert "https://www.google.com/alerts/feeds/1/2" in document and "news" not in document
    # Imported again into an empty configuration, or read as an OPML entry: the same sources,
    # of the same names (so their states are theirs), kinds and settings.
    (tmp_path / "export.opml").write_text(document, encoding="utf-8")
    second = tmp_path / "second"
    again = run(
        None,
        "init",
        "--dir",
        str(second),
        "--brand",
        "Danone",
        "--opml",
        str(tmp_path / "export.opml"),
    )
    assert again.exit_code == 0, again.output
    expected = _described(config)
    del expected["news"]
    assert expected["le-monde-economie"][1:4] == (
        "Le Monde — Économie",
        ("Presse", "Économie & Société"),
        "https://lemonde.example/economie/",
    )
    assert _described(second / "config" / "veille.toml") == expected
    entry = tmp_path / "entry.toml"
    entry.write_text(BRAND + '[[sources]]\nkind = "opml"\nfile = "export.opml"\n', "utf-8")
    assert _described(entry) == expected
    empty = tmp_path / "empty.toml"
    empty.write_text(BRAND, encoding="utf-8")
    imported = run(empty, "sources", "import", str(tmp_path / "export.opml"))
    assert imported.exit_code == 0, imported.output
    assert _described(empty) == expected
    # A setting of veille's own an OPML entry's file gets wrong is named in the configuration.
    (tmp_path / "export.opml").write_text(
        document.replace('veille:interval="30m"', 'veille:interval="bientôt"'), "utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(entry)
    assert (caught.value.file, caught.value.key) == (str(entry), "sources[0].file")
    assert "feed 'Économie & Société': interval: expected a duration" in caught.value.reason


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("category = 5", 'expected a list of folder names, e.g. category = ["Presse", "Économie"]'),
        ('category = ""', "expected a folder name, got ''"),
        ('title = ""', "expected a title, got ''"),
        ('site_url = "javascript:alert(1)"', "expected a web page's address, e.g. site_url ="),
    ],
)
def test_what_a_feed_reader_shows_of_a_source_is_checked_in_its_own_terms(
    tmp_path: Path, setting: str, message: str
) -> None:
    config = tmp_path / "v.toml"
    source = '[[sources]]\nname = "f"\nkind = "rss"\nurl = "https://a.example/f.xml"\n'
    config.write_text(BRAND + source + setting + "\n", "utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(config)


def test_a_site_address_that_is_no_web_page_is_not_imported(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text(
        _opml('<outline text="Ok" xmlUrl="https://ok.example/rss" htmlUrl="javascript:x()"/>'),
        encoding="utf-8",
    )
    config = tmp_path / "v.toml"
    config.write_text(BRAND + '[[sources]]\nkind = "opml"\nfile = "feeds.opml"\n', "utf-8")
    [source] = load_settings(config).sources
    assert source.site_url is None


def test_an_address_holding_a_secret_is_exported_with_its_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEED_TOKEN", "s3cret-value")
    config = tmp_path / "veille.toml"
    config.write_text(
        BRAND + '[[sources]]\nname = "private"\nkind = "rss"\n'
        'url = "https://feeds.example/private?token=${FEED_TOKEN}"\n'
        '[[sources]]\nname = "public"\nkind = "rss"\nurl = "https://feeds.example/public"\n',
        encoding="utf-8",
    )
    exported = run(config, "sources", "export")
    assert exported.exit_code == 0, exported.output
    assert "s3cret-value" not in exported.output
    assert 'xmlUrl="https://feeds.example/private?token=${FEED_TOKEN}"' in exported.output
    assert 'xmlUrl="https://feeds.example/public"' in exported.output
    # Imported again, the reference is written as it came, and expanded as the file is read.
    (tmp_path / "export.opml").write_text(exported.output, encoding="utf-8")
    empty = tmp_path / "empty.toml"
    empty.write_text(BRAND, encoding="utf-8")
    imported = run(empty, "sources", "import", str(tmp_path / "export.opml"))
    assert imported.exit_code == 0, imported.output
    assert "${FEED_TOKEN}" in empty.read_text(encoding="utf-8")
    assert _described(empty) == _described(config)


def test_an_exported_address_holding_a_secret_is_known_when_imported_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEED_TOKEN", "s3cret-value")
    config = tmp_path / "veille.toml"
    config.write_text(
        BRAND + '[[sources]]\nname = "private"\nkind = "rss"\n'
        'url = "https://feeds.example/private?token=${FEED_TOKEN}"\n',
        encoding="utf-8",
    )
    exported = run(config, "sources", "export")
    assert exported.exit_code == 0, exported.output
    (tmp_path / "export.opml").write_text(exported.output, encoding="utf-8")
    # The reference stands for the address the configuration reads: the same feed.
    imported = run(config, "sources", "import", str(tmp_path / "export.opml"))
    assert imported.exit_code == 0, imported.output
    assert imported.output == f"Added 0 source(s) to {config}; 1 already present.\n"
    assert [s.name for s in load_settings(config).sources] == ["private"]


@pytest.mark.usefixtures("project_engine")
def test_a_feed_that_moved_is_exported_at_the_address_it_is_read_at(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = feed_server
    for path in ("/old.xml", "/old-private.xml"):
        server.add(path, b"", redirect_to=path.replace("old", "new"), status=301)
    server.add("/new.xml", feed_bytes("economie_fr.xml"))
    server.add("/new-private.xml", feed_bytes("economie_fr.xml").replace(b"qe-2026", b"pv-2026"))
    server.add("/stays.xml", feed_bytes("tech_en.atom"), content_type="application/atom+xml")
    monkeypatch.setenv("VEILLE_TEST_TOKEN", "s3cret")
    config = write_config(
        tmp_path,
        {
            "moved": server.url("/old.xml"),
            "private": server.url("/old-private.xml?token=${VEILLE_TEST_TOKEN}"),
            "stays": server.url("/stays.xml"),
        },
    )
    # Nothing collected yet: the configuration's addresses.
    before = run(config, "sources", "export")
    assert before.exit_code == 0, before.output
    assert f'xmlUrl="{server.url("/old.xml")}"' in before.output
    collected = run(config, "collect", "--quiet")
    assert collected.exit_code == 0, collected.output
    exported = run(config, "sources", "export")
    assert exported.exit_code == 0, exported.output
    # Another reader gets the address the feed is read at, not one that redirects for ever;
    # an address the file writes with a reference keeps it (the secret stays outside).
    assert f'xmlUrl="{server.url("/new.xml")}"' in exported.output
    assert server.url("/old.xml") not in exported.output
    assert (
        f'xmlUrl="{server.url("/old-private.xml?token=${VEILLE_TEST_TOKEN}")}"' in exported.output
    )
    assert "s3cret" not in exported.output
    assert f'xmlUrl="{server.url("/stays.xml")}"' in exported.output
    (tmp_path / "export.opml").write_text(exported.output, encoding="utf-8")
    # Imported into the configuration it came from: every feed is already read there.
    imported = run(config, "sources", "import", str(tmp_path / "export.opml"))
    assert imported.exit_code == 0, imported.output
    assert "Added 0 source(s)" in imported.output and "3 already present" in imported.output
    # The configuration given another address: what the old one's redirect said is forgotten.
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            server.url("/old.xml"), server.url("/stays.xml?v=2")
        ),
        encoding="utf-8",
    )
    again = run(config, "sources", "export")
    assert again.exit_code == 0, again.output
    assert f'xmlUrl="{server.url("/stays.xml?v=2")}"' in again.output
    assert server.url("/new.xml") not in again.output


def test_a_repeated_address_is_told_once_by_an_import(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "v.toml"
    rss = '[[sources]]\nname = "{}"\nkind = "rss"\nurl = "https://a.example/f"\n'
    config.write_text(BRAND + rss.format("a") + rss.format("b"), encoding="utf-8")
    opml = tmp_path / "f.opml"
    opml.write_text(_opml('<outline text="Un" xmlUrl="https://un.example/rss"/>'), "utf-8")
    # The import reads the configuration, then what it would write, then checks it again.
    with caplog.at_level("WARNING", logger="veille.config_sources"):
        result = run(config, "sources", "import", str(opml))
    assert result.exit_code == 0, result.output
    assert "Added 1 source(s)" in result.output
    assert [record.getMessage() for record in caplog.records] == [
        f"{config}: sources[1].url: the same feed address as sources[0].url: the feed is"
        " fetched twice a pass and its items counted from two sources; remove one of them"
    ]
