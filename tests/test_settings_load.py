"""Reading veille.toml: the cheaper checks give the same results as the ones they replace."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

from veille.errors import ConfigError
from veille.settings import _LINE_BREAK_OR_CONTROL, load_settings, printable_name

BRAND = '[[brands]]\nname = "Danone"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "veille.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_pattern_finds_exactly_the_controls_and_line_breaks() -> None:
    # The pattern stands for "Unicode category Cc, Zl or Zp"; checked on every code point.
    differ = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if (unicodedata.category(chr(code)) in ("Cc", "Zl", "Zp"))
        != (_LINE_BREAK_OR_CONTROL.search(chr(code)) is not None)
    ]
    assert differ == []


@pytest.mark.parametrize("char", ["\t", "\n", "\x7f", "\x85", "\u2028", "\u2029"])
def test_a_name_with_a_control_or_line_break_is_refused(tmp_path: Path, char: str) -> None:
    name = f"Danone{char}SA"
    config = write(tmp_path, f'[[brands]]\nname = "Danone\\u{ord(char):04x}SA"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.key == "brands[0].name"
    assert f"expected a name on one line without control characters, got {name!r}" in str(
        caught.value
    )
    assert str(caught.value).count(repr(name)) == 1, "the name is shown once"


@pytest.mark.parametrize("name", ["Café\u200b", "l'Oréal\u00a0SA", "日本"])
def test_other_characters_stay_allowed(name: str) -> None:
    assert printable_name(name) == name


def test_env_references_are_expanded_and_lone_dollars_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_TEST_FEED_HOST", "example.org")
    config = write(
        tmp_path,
        BRAND + '[[sources]]\nname = "costs $5 {not a reference}"\nkind = "rss"\n'
        'url = "https://${VEILLE_TEST_FEED_HOST}/feed.xml"\n',
    )
    source = load_settings(config).sources[0]
    assert source.name == "costs $5 {not a reference}"
    assert source.options["url"] == "https://example.org/feed.xml"


def test_an_escaped_reference_is_expanded_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TOML turns \u0024 into "$": the reference exists only once the file is parsed.
    monkeypatch.delenv("VEILLE_TEST_UNSET_VARIABLE", raising=False)
    config = write(tmp_path, BRAND + '[http]\nuser_agent = "\\u0024{VEILLE_TEST_UNSET_VARIABLE}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.key == "http.user_agent"
    assert "VEILLE_TEST_UNSET_VARIABLE" in caught.value.message


def test_an_opml_entry_becomes_its_feeds(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text(
        '<opml version="2.0"><head/><body>'
        '<outline text="Le Monde" xmlUrl="https://lemonde.example/rss.xml"/>'
        '<outline text="Blog" xmlUrl="https://blog.example/feed"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    config = write(tmp_path, BRAND + '[[sources]]\nkind = "opml"\nfile = "feeds.opml"\n')
    sources = load_settings(config).sources
    assert [(s.name, s.kind, s.options["url"]) for s in sources] == [
        ("le-monde", "rss", "https://lemonde.example/rss.xml"),
        ("blog", "rss", "https://blog.example/feed"),
    ]


def test_a_name_the_file_gives_wins_over_an_opml_feeds(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text(
        '<opml version="2.0"><head/><body><outline text="fr" xmlUrl="https://a.example/fr"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    rss = '[[sources]]\nname = "{}"\nkind = "rss"\nurl = "https://b.example/{}"\n'
    opml = '[[sources]]\nkind = "opml"\nfile = "feeds.opml"\n'
    # The [[sources]] named "fr" comes after the OPML entry: its name is still its own.
    sources = load_settings(write(tmp_path, BRAND + opml + rss.format("fr", 1))).sources
    assert {s.name: s.options["url"] for s in sources} == {
        "fr-2": "https://a.example/fr",
        "fr": "https://b.example/1",
    }
    # Two [[sources]] of one name: the second is named by its own place in the file.
    twice = write(tmp_path, BRAND + opml + rss.format("a", 1) + rss.format("a", 2))
    with pytest.raises(ConfigError, match=r"sources\[2\]\.name: duplicate name 'a'"):
        load_settings(twice)


def test_a_missing_opml_file_is_named_once(tmp_path: Path) -> None:
    config = write(tmp_path, BRAND + '[[sources]]\nkind = "opml"\nfile = "nothere.opml"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).count("nothere.opml") == 1


def test_a_language_veille_cannot_detect_is_refused_as_the_file_is_read(tmp_path: Path) -> None:
    config = write(tmp_path, '[[brands]]\nname = "Danone"\nlanguages = ["fr", "xx"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.key == "brands[0].languages"
    assert "'xx' is not a language veille can detect" in str(caught.value)
    accepted = write(tmp_path, '[[brands]]\nname = "Danone"\nlanguages = ["fr", "eu", "br"]\n')
    assert load_settings(accepted).brands[0].languages == ("fr", "eu", "br")


def test_a_key_ending_in_a_line_break_is_quoted_in_the_message(tmp_path: Path) -> None:
    # "^…$" takes a final line break: the key was written bare, breaking the message in two.
    config = write(tmp_path, '"0\\n" = 1\n' + BRAND)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.key == '"0\\n"'
    assert "\n" not in str(caught.value).strip()


def test_a_language_code_ending_in_a_line_break_is_not_a_code(tmp_path: Path) -> None:
    config = write(tmp_path, '[[brands]]\nname = "Danone"\nlanguages = ["fr\\n"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "expected ISO 639-1 codes such as 'fr' or 'en', got 'fr\\n'" in str(caught.value)


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ("max_body_bytes = 0", "greater than or equal to 1024 (got 0)"),
        ("total_timeout = 0", "(got 0)"),
    ],
)
def test_a_refused_number_is_shown_even_when_its_digits_are_in_the_message(
    tmp_path: Path, setting: str, shown: str
) -> None:
    config = write(tmp_path, f'[http]\n{setting}\n\n[[brands]]\nname = "A"\nquery = "a"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert shown in str(caught.value)


def test_a_new_sqlite_file_is_told_from_its_url_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.engine import make_url

    from veille.settings import new_sqlite_file

    monkeypatch.chdir(tmp_path)
    (tmp_path / "there.db").write_bytes(b"")
    for url, new in (
        (f"sqlite:///{tmp_path / 'new.db'}", True),
        ("sqlite:///new.db", True),  # relative to the working folder
        ("sqlite+pysqlite:///new.db?timeout=5", True),
        (f"sqlite:///{tmp_path / 'there.db'}", False),
        ("sqlite:///there.db", False),
    ):
        assert new_sqlite_file(url) is new, url
        # The file SQLAlchemy reads from the same URL.
        assert (not Path(str(make_url(url).database)).exists()) is new, url
    # Not a file, or not one this reading can be sure of: the store opens it and tells.
    for url in (
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:new.db?mode=memory&uri=true",
        "sqlite:///new%20file.db",
        "sqlite:///no-such-folder/new.db",
        "postgresql+psycopg://postgres@127.0.0.1/new",
        "not a url",
    ):
        assert not new_sqlite_file(url), url


def test_a_relative_sqlite_path_is_taken_from_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    elsewhere = tmp_path / "cron"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # as a cron job or another shell would run it
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    beside = (folder / "data" / "v.db").resolve()
    for declared, expected in (
        ("sqlite:///data/v.db", f"sqlite:///{beside}"),
        ("sqlite+pysqlite:///data/v.db?timeout=5", f"sqlite+pysqlite:///{beside}?timeout=5"),
        (f"sqlite:///{tmp_path / 'abs.db'}", f"sqlite:///{tmp_path / 'abs.db'}"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("sqlite:///file:v.db?mode=ro&uri=true", "sqlite:///file:v.db?mode=ro&uri=true"),
        ("postgresql+psycopg://postgres@127.0.0.1/x", "postgresql+psycopg://postgres@127.0.0.1/x"),
    ):
        path = folder / "veille.toml"
        path.write_text(f'{BRAND}query = "danone"\n[database]\nurl = "{declared}"\n')
        assert load_settings(path).database_url == expected, declared
    # The environment's URL is the shell's: taken as it is.
    monkeypatch.setenv("VEILLE_DATABASE_URL", "sqlite:///here.db")
    assert load_settings(folder / "veille.toml").database_url == "sqlite:///here.db"


def test_a_byte_order_mark_is_not_read_as_toml(tmp_path: Path) -> None:
    # Windows Notepad saves UTF-8 with a byte-order mark first.
    path = tmp_path / "veille.toml"
    path.write_bytes('\ufeff[[brands]]\nname = "Société Générale"\n'.encode())
    assert [brand.name for brand in load_settings(path).brands] == ["Société Générale"]


def test_a_database_veille_does_not_run_on_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    path = write(tmp_path, f'{BRAND}[database]\nurl = "mysql://u:secret@db/x"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert (caught.value.file, caught.value.key) == (str(path), "database.url")
    assert "unsupported database 'mysql'" in str(caught.value) and "secret" not in str(caught.value)
    monkeypatch.setenv("VEILLE_DATABASE_URL", "bogus")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)  # the environment's URL wins, and is the one named
    assert caught.value.key == "VEILLE_DATABASE_URL" and caught.value.file is None
    assert "not a database URL" in str(caught.value)


def test_a_bad_value_from_the_environment_is_blamed_on_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_HTTP_CONCURRENCY", "abc")
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, BRAND + "[http]\nconcurrency = 8\n"))
    assert (caught.value.file, caught.value.key) == (None, "VEILLE_HTTP_CONCURRENCY")
    assert "(got 'abc')" in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VEILLE_SMTP_PORT", "abc"),
        ("VEILLE_SMTP_SECURITY", "tls"),
        ("VEILLE_SMTP_FROM", "x"),
        ("VEILLE_SMTP_HOST", ""),
    ],
)
def test_a_bad_smtp_value_from_the_environment_is_blamed_on_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    path = write(tmp_path, BRAND)  # no [smtp] at all
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert (caught.value.file, caught.value.key) == (None, variable)
    assert f"(got {value!r})" in str(caught.value) and str(path) not in str(caught.value)


def test_a_postgresql_url_without_a_driver_gets_veilles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, BRAND)
    for given in ("postgres://u:pw@db:5432/veille", "postgresql://u:pw@db:5432/veille"):
        monkeypatch.setenv("VEILLE_DATABASE_URL", given)  # as hosts and containers write it
        assert load_settings(path).database_url == "postgresql+psycopg://u:pw@db:5432/veille"
    monkeypatch.setenv("VEILLE_DATABASE_URL", "postgresql+psycopg2://u@db/veille")
    assert load_settings(path).database_url == "postgresql+psycopg2://u@db/veille"


def test_a_problem_in_a_named_entry_names_it(tmp_path: Path) -> None:
    # With thirty brands, "brands[17]" alone makes the reader count.
    config = write(
        tmp_path, BRAND + '[[brands]]\nname = "Société Générale"\nquery = "(societe OR"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.key == "brands[1].query"
    assert "brands[1].query: (brand 'Société Générale') invalid query" in str(caught.value)


def test_brand_names_are_compared_as_brand_option_compares_them(tmp_path: Path) -> None:
    declared = '[[brands]]\nname = "L’Oréal"\n\n[[brands]]\nname = "Société Générale"\n'
    digest = '[[digests]]\nname = "com"\nto = ["a@example.org"]\nbrands = {}\n'
    # A digest may write a brand as --brand may: it is kept as [[brands]] spells it, the
    # spelling the store knows the brand's mentions by.
    settings = load_settings(
        write(tmp_path, declared + digest.format('["l\'oreal", "SOCIETE generale"]'))
    )
    assert settings.digests[0].brands == ("L’Oréal", "Société Générale")
    assert settings.brand("l'oreal").name == "L’Oréal"
    assert settings.brand("societe  generale").name == "Société Générale"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, declared + digest.format('["Nestlé"]')))
    assert caught.value.key == "digests[0].brands"
    assert "unknown brand 'Nestlé' (known: L’Oréal, Société Générale)" in str(caught.value)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("Société Générale", "Societe Generale", "'Societe Generale' names the same brand as "
         "brands[0]'s 'Société Générale' (case, accents and the kind of apostrophe aside)"),
        ("L'Oréal", "l’oréal", "'l’oréal' names the same brand as brands[0]'s \"L'Oréal\""),
        ("Danone", "Danone", "duplicate name 'Danone'; names must be unique"),
    ],
)  # fmt: skip
def test_two_brands_named_alike_are_refused_naming_both(
    tmp_path: Path, first: str, second: str, message: str
) -> None:
    text = f'[[brands]]\nname = "{first}"\n\n[[brands]]\nname = "{second}"\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert caught.value.key == "brands[1].name"
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (
            '[[brands]]\nname = "Danone"\nquerry = "danone"\n',
            "brands[0].querry",
            "unknown setting (known: name, case_sensitive, query, languages, tone)",
        ),
        (
            BRAND + '[smpt]\nhost = "x"\n',
            "smpt",
            "unknown setting (known: database, http, collect, brands, sources, smtp, digests,",
        ),
        (
            BRAND + '[smtp]\nfromm = "x"\n',
            "smtp.fromm",
            "unknown setting (known: host, port, security, user, password, from, timeout)",
        ),
        (
            '[[brands]]\nname = "Danone"\nlanguages = "fr"\n',
            "brands[0].languages",
            'expected a list of language codes, e.g. languages = ["fr", "en"] (got \'fr\')',
        ),
        ('[brands]\nname = "Danone"\n', "brands", "expected a list of [[brands]] tables"),
        ('brands = ["Danone"]\n', "brands[0]", "expected a [[brands]] table (got 'Danone')"),
        ("http = 5\n" + BRAND, "http", "expected a table [http] (got 5)"),
        (
            BRAND + '[[digests]]\nname = "équipe com"\nto = ["a@b.fr"]\n',
            "digests[0].name",
            "expected a name of letters, digits, '.', '_' and '-' (no space)",
        ),
        (
            BRAND + '[[sources]]\nname = "x"\nkind = 5\n',
            "sources[0].kind",
            'expected the kind of source in quotes, e.g. kind = "rss" (got 5)',
        ),
        (
            BRAND + '[[sources]]\nkind = "gdelt"\n',
            "sources[0].name",
            "required setting is missing: a source of kind 'gdelt' needs a name (e.g. name =",
        ),
        ("[[brands]]\nname = 3\n", "brands[0].name", 'expected text in quotes, e.g. name = "…"'),
        ('[[brands]]\nquery = "x"\n', "brands[0].name", "required setting is missing (e.g. name ="),
        (
            BRAND + '[[digests]]\nname = "d"\nto = "a@b.fr"\n',
            "digests[0].to",
            "expected a list of e-mail addresses, e.g. to = [\"com@example.org\"] (got 'a@b.fr')",
        ),
        (BRAND + '[http]\nconcurrency = "many"\n', "http.concurrency", "expected a whole number"),
        (BRAND + '[smtp]\nsecurity = "tls"\n', "smtp.security", "expected 'none', 'starttls' or"),
        (
            # A capital M is a month as often as a minute: said, not read as 30 minutes.
            BRAND + '[[sources]]\nname = "f"\nkind = "rss"\nurl = "https://a.fr/f"\n'
            'interval = "30M"\n',
            "sources[0].interval",
            "'30M' is ambiguous: m counts minutes; write 30d for a month",
        ),
        (
            BRAND + '[[sources]]\nname = "hn"\nkind = "hackernews"\nmax_pages = "many"\n',
            "sources[0].max_pages",
            "expected a whole number (got 'many')",
        ),
    ],
)
def test_a_refused_setting_says_what_was_expected_in_the_file_s_terms(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert caught.value.key == key
    assert expected in str(caught.value)
    for python in ("tuple", "dictionary", "instance of", "pattern", "valid string", "None"):
        assert python not in str(caught.value)


def test_a_digest_name_may_have_accents(tmp_path: Path) -> None:
    text = BRAND + '[[digests]]\nname = "équipe-com"\nto = ["a@b.fr"]\n'
    assert load_settings(write(tmp_path, text)).digests[0].name == "équipe-com"
