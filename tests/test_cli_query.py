"""The query, source, classify, init and db commands, run from the outside."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import (
    feed_bytes,
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from veille.cli.query_cmd import MENTION_FIELDS, STAT_FIELDS
from veille.cli.render import short_time, write_record_batches, write_records
from veille.records import csv_text

pytestmark = pytest.mark.usefixtures("project_engine")


@pytest.fixture
def collected(feed_server: FeedServer, tmp_path: Path) -> Path:
    """A project whose three feeds were collected once."""
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    feed_server.add("/en.atom", feed_bytes("tech_en.atom"))
    feed_server.add("/latin1.rss", feed_bytes("latin1_nodecl_nodates.rss"))
    config = write_config(
        tmp_path,
        {
            "fr": feed_server.url("/fr.xml"),
            "en": feed_server.url("/en.atom"),
            "latin1": feed_server.url("/latin1.rss"),
        },
    )
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    return config


def _json(config: Path, *args: str) -> list[dict[str, object]]:
    result = run(config, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_an_output_that_is_not_unicode_gets_what_it_can_hold(collected: Path) -> None:
    """A Latin-1 or ASCII terminal (PYTHONIOENCODING): no traceback half-way through."""

    def veille(*args: str) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "veille", "--config", str(collected), *args]
        environment = {**os.environ, "PYTHONIOENCODING": "ascii"}
        completed = subprocess.run(command, capture_output=True, env=environment, timeout=120)
        assert completed.returncode == 0, completed.stderr
        return completed

    expected = _json(collected, "mentions")
    assert any(not str(m["title"]).isascii() for m in expected)
    # JSON escapes what the output cannot hold: nothing is lost.
    lines = veille("mentions", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == expected
    assert json.loads(veille("mentions", "--format", "json").stdout) == expected
    # A table writes "?" for it.
    table = veille("mentions").stdout.decode("ascii")
    assert "?" in table and "mention(s)" in table


def test_mentions_json_has_the_contract_fields(collected: Path) -> None:
    assert MENTION_FIELDS == (
        "id", "brand", "platform", "source", "site", "url", "title", "text", "author",
        "author_handle", "author_url", "published_at", "collected_at", "lang", "sentiment", "tone",
        "matched", "reach", "engagement", "metrics", "story_id",
    )  # fmt: skip
    mentions = _json(collected, "mentions")
    assert len(mentions) == 6
    for mention in mentions:
        assert tuple(mention) == MENTION_FIELDS
        assert mention["metrics"] == {}  # feeds give no engagement figures
        assert mention["tone"] in ("positive", "neutral", "negative")
        assert -1 <= float(mention["sentiment"]) <= 1  # type: ignore[arg-type]
        assert str(mention["collected_at"]).endswith("Z")
        assert mention["matched"]
    french = [m for m in mentions if m["source"] == "fr"]
    assert {m["lang"] for m in french} == {"fr"}
    assert {m["site"] for m in french} == {"quotidien-economie.fr"}
    recall = next(m for m in french if "Rappel" in str(m["title"]))
    assert recall["tone"] == "negative"
    assert recall["author"] == "Paul Durand"
    assert recall["url"] == "https://www.quotidien-economie.fr/conso/rappel-yaourts.html"
    results = next(m for m in french if "résultats" in str(m["title"]))
    assert results["tone"] == "positive"
    assert results["published_at"] == "2026-11-24T07:15:00Z"
    undated = [m for m in mentions if m["source"] == "latin1"]
    assert all(m["published_at"] is None for m in undated)
    assert any("réussite" in str(m["text"]) for m in undated)


def test_mentions_filters(collected: Path) -> None:
    assert {m["brand"] for m in _json(collected, "mentions", "--brand", "michelin")} == {"Michelin"}
    # Accents are ignored, as in brand queries ("Societe Generale" names « Société Générale »).
    assert {m["brand"] for m in _json(collected, "mentions", "--brand", "MICHÉLIN")} == {"Michelin"}
    assert {m["brand"] for m in _json(collected, "mentions", "--brand", " michelin  ")} == {
        "Michelin"
    }
    assert len(_json(collected, "mentions", "--brand", "Danone")) == 4
    assert {m["tone"] for m in _json(collected, "mentions", "--tone", "negative")} == {"negative"}
    assert {m["lang"] for m in _json(collected, "mentions", "--lang", "en")} == {"en"}
    # A regional form, as feeds declare languages, asks for its language.
    assert _json(collected, "mentions", "--lang", "EN-gb") == _json(
        collected, "mentions", "--lang", "en"
    )
    assert {m["site"] for m in _json(collected, "mentions", "--site", "supplychainweekly.com")} == {
        "supplychainweekly.com"
    }
    # A host within a site: its documents only (sites are stored as registrable domains).
    on_blog = _json(collected, "mentions", "--site", "blog.supplychainweekly.com")
    assert on_blog == _json(collected, "mentions", "--site", "supplychainweekly.com") != []
    assert _json(collected, "mentions", "--site", "shop.supplychainweekly.com") == []
    # Repeated, as --brand is: the mentions of any of the sites, not only the last one's.
    either = _json(
        collected, "mentions", "--site", "supplychainweekly.com", "--site", "quotidien-economie.fr"
    )
    assert {m["site"] for m in either} == {"supplychainweekly.com", "quotidien-economie.fr"}
    stats = _json(
        collected, "stats", "--by", "site", "--site", "supplychainweekly.com",
        "--site", "quotidien-economie.fr",
    )  # fmt: skip
    assert sum(int(row["mentions"]) for row in stats) == len(either)  # type: ignore[call-overload]
    assert _json(collected, "mentions", "--site", "www.quotidien-economie.fr") == _json(
        collected, "mentions", "--site", "quotidien-economie.fr"
    )
    assert [m["author"] for m in _json(collected, "mentions", "--author", "claire")] == [
        "Claire Martin"
    ]
    assert len(_json(collected, "mentions", "--search", "yaourts")) == 1
    assert len(_json(collected, "mentions", "--limit", "2")) == 2
    dated = _json(collected, "mentions", "--since", "2026-11-25", "--until", "2026-11-25")
    assert dated and all(str(m["published_at"]).startswith("2026-11-25") for m in dated)
    # The calendar's last day is a day like the others: until its end, every mention.
    everything = _json(collected, "mentions", "--until", "9999-12-31", "--timezone", "Asia/Tokyo")
    assert len(everything) == len(_json(collected, "mentions"))


def test_a_site_filter_naming_a_page_or_section_is_refused(collected: Path) -> None:
    # An address copied from the browser is read as its host…
    assert (
        _json(collected, "mentions", "--site", "https://www.quotidien-economie.fr/")
        == _json(collected, "mentions", "--site", "quotidien-economie.fr")
        != []
    )
    # …but a page or section of a site would stand for the whole site: refused, as site: is.
    for command in ("mentions", "stats"):
        for written in ("quotidien-economie.fr/entreprises", "https://x.fr/a", "x.fr/?id=1"):
            result = run(collected, command, "--site", written)
            assert result.exit_code == 2, (command, written, result.output)
            assert "compares sites, not pages or sections; write " in result.output
    refused = run(collected, "mentions", "--site", "quotidien-economie.fr/entreprises")
    assert f"site {'quotidien-economie.fr/entreprises'!r}: compares sites" in refused.output
    assert "write quotidien-economie.fr" in refused.output


def test_a_platform_is_checked_against_the_known_ones(
    collected: Path, feed_server: FeedServer
) -> None:
    assert len(_json(collected, "mentions", "--platform", "NEWS")) == 6
    assert _json(collected, "mentions", "--platform", "reddit") == []  # none stored yet
    for command in ("mentions", "stats"):
        result = run(collected, command, "--platform", "bogus")
        assert result.exit_code == 2
        assert "unknown platform 'bogus' (known: blog, bluesky, github, hackernews" in result.output
    # A platform an rss source names is known once its documents are stored.
    feed_server.add(
        "/pod.xml",
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Pod</title>'
        b"<link>https://pod.example/</link><item><title>Danone en podcast</title>"
        b"<link>https://pod.example/1</link></item></channel></rss>",
    )
    with collected.open("a", encoding="utf-8") as config:
        config.write(
            f'\n[[sources]]\nname = "pod"\nkind = "rss"\nurl = "{feed_server.url("/pod.xml")}"\n'
            'platform = "podcast"\n'
        )
    assert run(collected, "mentions", "--platform", "podcast").exit_code == 2
    assert run(collected, "collect", "--quiet").exit_code == 0
    assert {m["platform"] for m in _json(collected, "mentions", "--platform", "Podcast")} == {
        "podcast"
    }


def test_every_platform_of_the_collectors_is_known() -> None:
    import re

    from veille.records import PLATFORMS

    collectors = Path(__file__).resolve().parents[1] / "veille" / "collectors"
    given = {
        name
        for path in collectors.glob("*.py")
        for name in re.findall(r'(?:platform=|PLATFORM = |return )"([a-z]+)"', path.read_text())
    }
    assert given - {"content", "generator", "href", "language", "name"} <= set(PLATFORMS)
    assert {"news", "blog", "youtube", "reddit", "mastodon", "lemmy"} <= given


@pytest.mark.parametrize("command", ["mentions", "stats"])
@pytest.mark.parametrize("value", ["french", "fr,en", "zz", ""])
def test_a_language_that_no_mention_can_have_is_refused(
    collected: Path, command: str, value: str
) -> None:
    result = run(collected, command, "--lang", value)
    assert result.exit_code == 2
    assert f"expected a language code such as fr or en, got {value!r}" in result.output


def test_mentions_formats(collected: Path) -> None:
    jsonl = run(collected, "mentions", "--format", "jsonl")
    assert jsonl.exit_code == 0
    lines = [json.loads(line) for line in jsonl.output.splitlines()]
    assert len(lines) == 6
    as_csv = run(collected, "mentions", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(rows) == 6 and tuple(rows[0]) == MENTION_FIELDS
    table = run(collected, "mentions")
    assert table.exit_code == 0
    assert "Danone" in table.output and "6 mention(s)." in table.output
    assert "engagement" in table.output.splitlines()[1]


def test_csv_writes_metrics_as_key_value_pairs() -> None:
    records = [
        {"id": 1, "matched": ["acme"], "metrics": {"likes": 12, "reposts": 3}},
        {"id": 2, "matched": [], "metrics": {}},
    ]
    out = io.StringIO()
    write_records(records, "csv", ("id", "matched", "metrics"), out)
    assert out.getvalue().splitlines() == [
        "id,matched,metrics",
        "1,acme,likes=12; reposts=3",
        "2,,",
    ]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("-inf", "'-inf"),
        ("+nan", "'+nan"),
        ("-infinity", "'-infinity"),
        ("-1_000", "'-1_000"),
        ("- 5", "'- 5"),
        ("\t5", "'\t5"),
        ("-0.69", "-0.69"),
        ("+3", "+3"),
        ("-.5", "-.5"),
        ("-1e-05", "-1e-05"),
    ],
)
def test_csv_leaves_as_they_are_only_cells_a_spreadsheet_reads_as_numbers(
    cell: str, written: str
) -> None:
    # Python's float() reads "-inf" or "-1_000" as numbers; a spreadsheet, as formulas.
    for spreadsheet in (False, True):
        text = csv_text([{"title": cell}], ("title",), spreadsheet=spreadsheet)
        rows = list(csv.reader(io.StringIO(text), delimiter=";" if spreadsheet else ","))
        assert rows[1] == [written]


@pytest.mark.parametrize("output_format", ["json", "jsonl", "csv"])
@pytest.mark.parametrize("sizes", [[], [0], [1], [3], [2, 0, 1], [1, 1, 1]])
def test_records_written_in_batches_read_as_written_at_once(
    output_format: str, sizes: list[int]
) -> None:
    records: list[dict[str, object]] = [
        {"id": n, "title": f'Titre\n"{n}" é', "matched": ["acme"], "metrics": {"likes": n}}
        for n in range(sum(sizes))
    ]
    batches, start = [], 0
    for size in sizes:
        batches.append(records[start : start + size])
        start += size
    fields = ("id", "title", "matched", "metrics")
    in_batches = io.StringIO()
    write_record_batches(iter(batches), output_format, fields, in_batches)
    # What writing them all at once with the standard library gives.
    if output_format == "json":
        expected = json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    elif output_format == "jsonl":
        expected = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    else:
        expected = csv_text(records, fields)
    assert in_batches.getvalue() == expected


def test_a_configured_brand_not_collected_yet_has_no_mention(tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    assert run(config, "db", "upgrade").exit_code == 0
    listing = run(config, "mentions", "--brand", "danone")
    assert listing.exit_code == 0 and "0 mention(s)" in listing.stdout, listing.output
    stats = run(config, "stats", "--brand", "Danone", "--format", "json")
    assert stats.exit_code == 0 and json.loads(stats.stdout) == []


def test_mentions_bad_input_exits_2(collected: Path) -> None:
    for args in (
        ("--brand", "Nestlé"),
        ("--since", "yesterday"),
        ("--until", "2026-13-45"),
        ("--tone", "angry"),
        ("--limit", "0"),
        ("--limit", str(2**64)),  # more than SQL counts take: refused, not a database error
        ("--format", "xml"),
    ):
        result = run(collected, "mentions", *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert "unknown brand 'Nestlé'" in run(collected, "mentions", "--brand", "Nestlé").output


def test_a_brand_configured_since_the_last_pass_is_not_called_unknown(collected: Path) -> None:
    text = collected.read_text(encoding="utf-8")
    collected.write_text('[[brands]]\nname = "Évian"\nquery = "evian"\n' + text, "utf-8")
    for command in ("mentions", "stats"):
        result = run(collected, command, "--brand", "evian", "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == []
        assert "no pass has collected 'Évian' since it was configured" in result.stderr
        assert "`veille collect`" in result.stderr
    assert run(collected, "collect", "--quiet").exit_code == 0
    after = run(collected, "mentions", "--brand", "evian", "--format", "json")
    assert json.loads(after.stdout) == [] and after.stderr == ""


@pytest.mark.parametrize(
    "by", ["brand", "platform", "site", "author", "tone", "lang", "day", "week", "month"]
)
def test_stats_by_each_dimension(collected: Path, by: str) -> None:
    rows = _json(collected, "stats", "--by", by)
    assert all(tuple(row) == STAT_FIELDS for row in rows)
    assert STAT_FIELDS[-2:] == ("engagement", "reach")
    # Feeds give no figure: empty, not 0.
    assert {(row["engagement"], row["reach"]) for row in rows} == {(None, None)}
    assert sum(int(row["mentions"]) for row in rows) == 6  # type: ignore[call-overload]
    assert abs(sum(float(row["share"]) for row in rows) - 1) < 1e-9  # type: ignore[arg-type]
    for row in rows:
        parts = float(row["positive"]) + float(row["neutral"]) + float(row["negative"])  # type: ignore[arg-type]
        assert abs(parts - 1) < 1e-9
    table = run(collected, "stats", "--by", by)
    assert table.exit_code == 0 and "6 mention(s)" in table.output
    assert "engagement" in table.output and "reach" in table.output
    # Each row's last cells, engagement and reach, are empty.
    body = [line for line in table.output.splitlines() if "%" in line]
    assert body and all(re.search(r"[+-]\d\.\d\d\W*$", line) for line in body), table.output
    csv_rows = run(collected, "stats", "--by", by, "--format", "csv").output.splitlines()
    assert all(line.endswith(",,") for line in csv_rows[1:]), csv_rows


def test_stats_by_term_give_the_query_terms_that_matched(collected: Path) -> None:
    rows = _json(collected, "stats", "--by", "term")
    assert all(tuple(row) == STAT_FIELDS for row in rows)
    # danone* found Danone's 4 mentions, "Michelin" Michelin's 2: each share is of all 6.
    assert [(row["key"], row["mentions"]) for row in rows] == [("danone*", 4), ('"Michelin"', 2)]
    assert [round(float(row["share"]), 4) for row in rows] == [0.6667, 0.3333]  # type: ignore[arg-type]
    table = run(collected, "stats", "--by", "term", "--brand", "Danone")
    assert table.exit_code == 0 and "1 term(s); share is of the mentions listed." in table.output
    # And the mentions one term found: as the query writes it, or a phrase without its quotes.
    assert len(_json(collected, "mentions", "--term", "danone*")) == 4
    assert {row["brand"] for row in _json(collected, "mentions", "--term", "michelin")} == {
        "Michelin"
    }
    assert len(_json(collected, "mentions", "--term", "DANONE*")) == 4
    # A term no query holds is a mistake, told as an unknown --brand is: danone* is a term,
    # danone none.
    for command, term in (("mentions", "danone"), ("stats", "nope")):
        result = run(collected, command, "--term", term)
        assert result.exit_code == 2
        assert f'unknown term {term!r} (known: "Michelin", danone*)' in result.output


TAGGED_FEED = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>Posts</title><link>https://social.example/</link>
<item><title>#BoycottDanone : le rappel continue</title><link>https://social.example/1</link>
<description>Encore un rappel chez Danone #Rappel #boycottdanone</description></item>
<item><title>Danone, merci pour ce yaourt</title><link>https://social.example/2</link>
<description>#BoycottDanone ? Non, #Yaourt forever</description></item>
<item><title>Un seul tag</title><link>https://social.example/3</link>
<description>#BoycottDanone sans le nom de la marque</description></item>
</channel></rss>"""


def test_stats_by_hashtag_of_collected_mentions(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add("/tags.xml", TAGGED_FEED)
    config = write_config(tmp_path, {"tags": feed_server.url("/tags.xml")})
    assert run(config, "collect", "--quiet").exit_code == 0
    rows = _json(config, "stats", "--by", "hashtag")
    # The third post names Danone only inside #BoycottDanone, which the matcher reads word by
    # word: it is a mention too. A tag counts once per mention, whatever its case.
    keys = [(row["key"], row["mentions"]) for row in rows]
    assert keys[0] == ("#BoycottDanone", 3)
    assert set(keys[1:]) == {("#Rappel", 1), ("#Yaourt", 1)}
    table = run(config, "stats", "--by", "hashtag")
    assert table.exit_code == 0 and "3 hashtag(s); share is of the mentions listed." in table.output


def test_stats_by_day_in_a_time_zone(collected: Path) -> None:
    rows = _json(collected, "stats", "--by", "day", "--timezone", "Pacific/Kiritimati")
    assert sum(int(row["mentions"]) for row in rows) == 6  # type: ignore[call-overload]
    bad = run(collected, "stats", "--by", "day", "--timezone", "Mars/Olympus")
    assert bad.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in bad.output


def test_dates_of_since_and_until_are_days_of_the_time_zone(collected: Path) -> None:
    # Kiritimati is 14 hours ahead of UTC: its days overlap two UTC days each.
    zone = ("--timezone", "Pacific/Kiritimati")
    every_day = {
        row["key"]: row["mentions"] for row in _json(collected, "stats", "--by", "day", *zone)
    }
    assert len(every_day) >= 2
    for day, mentions in every_day.items():
        # --timezone given after the dates still applies to them.
        period = ("--since", str(day), "--until", str(day))
        rows = _json(collected, "stats", "--by", "day", *period, *zone)
        assert [(row["key"], row["mentions"]) for row in rows] == [(day, mentions)]


def test_mentions_in_a_time_zone(collected: Path) -> None:
    zone = ("--timezone", "Pacific/Kiritimati")  # UTC+14
    day = ("--since", "2026-11-24", "--until", "2026-11-24")
    per_day = {
        row["key"]: row["mentions"] for row in _json(collected, "stats", "--by", "day", *zone)
    }
    listed = _json(collected, "mentions", *zone, *day)
    assert len(listed) == per_day["2026-11-24"]
    assert "2026-11-24T07:15:00Z" in {m["published_at"] for m in listed}  # JSON keeps UTC
    table = run(collected, "mentions", *day, *zone)
    assert table.exit_code == 0, table.output
    assert "Pacific/Kiritimati" in table.output and "2026-11-24 21:15" in table.output
    stories = run(collected, "mentions", "--group-by", "story", *day, *zone)
    assert "Pacific/Kiritimati" in stories.output and "2026-11-24 21:15" in stories.output


def test_stats_for_one_brand_and_period(collected: Path) -> None:
    rows = _json(collected, "stats", "--brand", "Danone", "--by", "tone")
    assert sum(int(row["mentions"]) for row in rows) == 4  # type: ignore[call-overload]
    assert {row["key"] for row in rows} >= {"positive", "negative"}
    assert _json(collected, "stats", "--since", "2030-01-01") == []


def test_sources_list_export_import(collected: Path, tmp_path: Path) -> None:
    listing = run(collected, "sources")
    assert listing.exit_code == 0 and "3 source(s), 0 failing." in listing.output
    exported = run(collected, "sources", "export")
    assert exported.exit_code == 0 and exported.output.count("xmlUrl=") == 3
    opml = tmp_path / "more.opml"
    opml.write_text(
        exported.output.replace("/fr.xml", "/other.xml")
        .replace('text="fr"', 'text="Autre"')
        .replace('title="fr"', 'title="Autre"'),
        encoding="utf-8",
    )
    imported = run(collected, "sources", "import", str(opml))
    assert imported.exit_code == 0, imported.output
    assert "Added 1 source(s)" in imported.output and "2 already present" in imported.output
    names = [row["name"] for row in _json(collected, "sources", "list")]
    assert "autre" in names and len(names) == 4
    # An OPML file the configuration already reads (kind = "opml") adds nothing once more.
    reads = tmp_path / "read.opml"
    reads.write_text(opml.read_text(encoding="utf-8").replace("/other.xml", "/read.xml"))
    with collected.open("a", encoding="utf-8") as file:  # the configuration file
        file.write(f'\n[[sources]]\nkind = "opml"\nfile = "{reads}"\n')
    again = run(collected, "sources", "import", str(reads))
    assert again.exit_code == 0, again.output
    assert "Added 0 source(s)" in again.output and "3 already present" in again.output


def test_sources_check_fetches_without_storing(collected: Path, feed_server: FeedServer) -> None:
    before = _json(collected, "mentions")
    feed_server.add("/fr.xml", b"", status=500)
    result = run(collected, "sources", "check")
    assert result.exit_code == 1
    assert "FAILED" in result.output and "3 source(s) checked, 1 failed." in result.output
    assert _json(collected, "mentions") == before


def test_classify_reads_stdin_without_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (
        "Je n'ai jamais été aussi déçu par ce service, c'est nul\n"
        '{"text": "I absolutely love this product, it is wonderful"}\n'
        "\n"
    )
    result = run(None, "classify", input=text)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [set(line) for line in lines] == [{"text", "lang", "sentiment", "tone"}] * 2
    assert (lines[0]["lang"], lines[0]["tone"]) == ("fr", "negative")
    assert (lines[1]["lang"], lines[1]["tone"]) == ("en", "positive")
    restricted = run(None, "classify", "--languages", "en,fr", input="Ein schöner Tag\n")
    assert json.loads(restricted.output)["lang"] in ("en", "fr")
    assert run(None, "classify", "--languages", "english", input="x\n").exit_code == 2
    unknown = run(None, "classify", "--languages", "fr,zz", input="x\n")
    assert unknown.exit_code == 2
    assert "zz: not a language veille can detect" in unknown.output
    assert "Traceback" not in unknown.output
    # Text that starts with "{" but is no JSON is text.
    braces = run(None, "classify", "--languages", "fr,en", input="{Danone} est vraiment génial\n")
    assert braces.exit_code == 0, braces.output
    assert json.loads(braces.output)["text"] == "{Danone} est vraiment génial"
    # One bad line is told; the lines after it are classified all the same.
    mixed = run(None, "classify", "--languages", "fr,en", input='{"text": 5}\nSuper produit\n')
    assert mixed.exit_code == 2 and 'line 1: expected a "text" string' in mixed.output
    assert "Super produit" in mixed.output and "1 line(s) refused." in mixed.output
    # Standard input as a real process reads it (the test runner's translates line ends).
    crlf = subprocess.run(
        [sys.executable, "-m", "veille", "classify", "--languages", "fr,en"],
        input=b"Merci, super produit\r\n",
        capture_output=True,
        check=True,
    )
    assert json.loads(crlf.stdout)["text"] == "Merci, super produit"  # no CR left over


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Orange\nTelecom", "--brand: expected a name on one line"),
        # An unset variable in a script: left out, init said "1 brand(s)" and wrote none.
        ("", "--brand: expected a name, got ''"),
        ("  ", "--brand: expected a name, got '  '"),
    ],
)
def test_init_refuses_a_brand_name_the_configuration_would_refuse(
    tmp_path: Path, name: str, message: str
) -> None:
    result = run(None, "init", "--dir", str(tmp_path), "--brand", "Danone", "--brand", name)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "config").exists(), "no configuration is written to be refused later"


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("Danone", "DANONE"), "--brand: 'Danone' and 'DANONE' name the same brand"),
        (("L'Oréal", "l’oreal"), "--brand: \"L'Oréal\" and 'l’oreal' name the same brand"),
        (("Danone", "Danone"), "--brand: 'Danone' is given twice"),
    ],
)
def test_init_refuses_two_brands_of_one_name(
    tmp_path: Path, names: tuple[str, str], message: str
) -> None:
    args = [arg for name in names for arg in ("--brand", name)]
    result = run(None, "init", "--dir", str(tmp_path), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "config").exists()


def test_a_brand_name_holding_a_star_is_read_literally(tmp_path: Path) -> None:
    from veille.match import compile_query
    from veille.settings import load_settings

    result = run(None, "init", "--dir", str(tmp_path), "--brand", "E*TRADE")
    assert result.exit_code == 0, result.output
    config = tmp_path / "config" / "veille.toml"
    (brand,) = load_settings(config).brands
    assert brand.query == '"E\\*TRADE"'
    assert compile_query(brand.query).match(title="Fees cut at E*TRADE", text="").matched
    # Declared without a query, the name is read the same way.
    config.write_text('[[brands]]\nname = "E*TRADE"\n', encoding="utf-8")
    assert load_settings(config).brands[0].query == '"E\\*TRADE"'


def test_a_refused_init_leaves_no_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE_URL", "bogus")
    result = run(None, "init", "--dir", str(tmp_path / "new" / "project"), "--brand", "Danone")
    assert result.exit_code == 2 and "VEILLE_DATABASE_URL" in result.output
    assert not (tmp_path / "new").exists()


@pytest.mark.sqlite_only
def test_veille_config_naming_a_folder_is_said_by_init_and_the_other_commands(
    tmp_path: Path, project_engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("VEILLE_CONFIG", str(folder))
    for args in (("init", "--brand", "Danone"), ("init", "--force"), ("db", "current")):
        result = run(None, *args)
        assert result.exit_code == 2, result.output
        assert f"{folder}: is a directory, not a configuration file" in result.output
        assert str(folder / "veille.toml") in result.output  # the hint names the file to give
    assert list(folder.iterdir()) == []


def test_init_writes_a_working_config(tmp_path: Path, project_engine: str) -> None:
    result = run(None, "init", "--dir", str(tmp_path), "--brand", "Danone", "--brand", "L'Oréal")
    assert result.exit_code == 0, result.output
    config = tmp_path / "config" / "veille.toml"
    # The database is made beside the config unless VEILLE_DATABASE_URL names another one.
    assert (tmp_path / "config" / "veille.db").exists() == (project_engine == "sqlite")
    listing = json.loads(run(config, "sources", "list", "--format", "json").output)
    # Without --opml: news search, Hacker News, GDELT and Mastodon, run for each brand.
    assert {row["kind"] for row in listing} == {"google_news", "hackernews", "gdelt", "mastodon"}
    assert {row["brand"] for row in listing} == {None}  # per-brand state appears once collected
    again = run(None, "init", "--dir", str(tmp_path), "--brand", "Nestlé")
    assert again.exit_code == 0 and "kept it" in again.output
    assert "Nestlé" not in config.read_text(encoding="utf-8")
    current = run(config, "db", "current")
    assert current.exit_code == 0 and "(latest)" in current.output
    upgraded = run(config, "db", "upgrade")
    assert upgraded.exit_code == 0 and "already at the latest" in upgraded.output


@pytest.mark.sqlite_only
def test_init_writes_where_the_other_commands_read(
    tmp_path: Path, project_engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "etc" / "my.toml"
    result = run(chosen, "init", "--brand", "Danone")
    assert result.exit_code == 0, result.output
    assert chosen.exists() and (tmp_path / "etc" / "veille.db").exists()
    assert f"Next: `veille --config {chosen} collect`" in result.output
    assert run(chosen, "sources", "list").exit_code == 0
    both = run(chosen, "init", "--dir", str(tmp_path))
    assert both.exit_code == 2 and "give one" in both.output
    # $VEILLE_CONFIG, as systemd and the container set it, is where init writes too.
    from_environment = tmp_path / "srv" / "veille.toml"
    monkeypatch.setenv("VEILLE_CONFIG", str(from_environment))
    assert run(None, "init", "--brand", "Danone").exit_code == 0
    assert from_environment.exists()
    assert run(None, "mentions").exit_code == 0
    # An explicit --dir still wins over the variable, and says where the others will read.
    elsewhere = run(None, "init", "--dir", str(tmp_path / "other"), "--brand", "Danone")
    assert elsewhere.exit_code == 0 and (tmp_path / "other" / "config" / "veille.toml").exists()
    assert f"VEILLE_CONFIG names {from_environment}" in elsewhere.output


def test_init_with_opml_makes_exactly_those_sources(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<opml version="2.0"><head/><body><outline text="Presse">'
        '<outline text="Un" xmlUrl="https://un.example.org/rss"/>'
        '<outline text="Deux" xmlUrl="https://deux.example.org/atom"/>'
        "</outline></body></opml>",
        encoding="utf-8",
    )
    result = run(None, "init", "--dir", str(tmp_path), "--brand", "Danone", "--opml", str(opml))
    assert result.exit_code == 0, result.output
    rows = _json(tmp_path / "config" / "veille.toml", "sources", "list")
    assert sorted(row["name"] for row in rows) == ["deux", "un"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[[brands]]\nname = 3\n", "brands[0].name"),
        ('[[brands]]\nname = "A"\nquery = "(danone"\n', "brands[0].query"),
        ('[[brands]]\nname = "A"\nlanguages = ["french"]\n', "brands[0].languages"),
        ('[http]\nconcurrency = "many"\n', "http.concurrency"),
        ("[http]\nspeed = 3\n", "http.speed"),
        ('[[sources]]\nname = "x"\nkind = "rss"\n', "sources[0].url"),
        (
            '[[sources]]\nname = "x"\nkind = "rss"\nuri = "https://a.fr/f"\n',
            "sources[0].url: required option for kind 'rss' is missing; sources[0].uri is no "
            "option: did you mean url?",
        ),
        (
            '[[sources]]\nname = "x"\nkind = "rss"\nfeed = "https://a.fr/f"\n',
            "sources[0].url: required option for kind 'rss' is missing; unknown option(s) "
            "given: sources[0].feed",
        ),
        ('[[sources]]\nname = "x"\nkind = "rss"\nurl = "ftp://x"\n', "sources[0].url"),
        ('[[sources]]\nname = "x"\nkind = "telepathy"\n', "sources[0].kind: unknown source kind"),
        (
            '[[sources]]\nname = "x"\nkind = "rss"\nurl = "https://a.fr/f"\nlink = "y"\n',
            "sources[0].link: unknown option for kind 'rss' (known: url, platform, language, "
            "name, interval, title, category, site_url)",
        ),
        ('[[sources]]\nkind = "opml"\nfile = "missing.opml"\n', "missing.opml"),
        ('[database]\nurl = "${VEILLE_TEST_UNSET_VARIABLE}"\n', "database.url"),
        ('[collect]\ninterval = "soon"\n', "collect.interval"),
        ("brands = [\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_message(tmp_path: Path, content: str, expected: str) -> None:
    config = tmp_path / "veille.toml"
    config.write_text(content, encoding="utf-8")
    result = run(config, "collect")
    assert result.exit_code == 2, result.output
    assert str(config) in result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.toml", "mentions")
    assert result.exit_code == 2
    assert "veille init" in result.output


def test_environment_overrides_and_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.settings import load_settings

    config = write_config(tmp_path, {"x": "https://example.org/feed"})
    text = config.read_text(encoding="utf-8").replace(
        "[http]", '[http]\nuser_agent = "veille-test ${VEILLE_TEST_CONTACT}"'
    )
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("VEILLE_TEST_CONTACT", "ops@example.org")
    monkeypatch.setenv("VEILLE_HTTP_CONCURRENCY", "7")
    monkeypatch.setenv("VEILLE_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    settings = load_settings(config)
    assert settings.http.user_agent == "veille-test ops@example.org"
    assert settings.http.concurrency == 7
    assert settings.database_url.endswith("other.db")


@pytest.mark.parametrize(
    ("zone", "documents"),
    # Honolulu's 24 November starts at 10:00 UTC, after the mention published at 07:15 UTC.
    [((), 5), (("--timezone", "Pacific/Honolulu"), 4), (("--timezone", "Europe/Paris"), 5)],
)
def test_reclassify_reads_since_in_the_time_zone(
    collected: Path, zone: tuple[str, ...], documents: int
) -> None:
    result = run(collected, "reclassify", "--all", "--quiet", "--since", "2026-11-24", *zone)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{documents} document(s) re-scored")


def test_digest_reads_since_in_the_time_zone(collected: Path, tmp_path: Path) -> None:
    def previewed(*zone: str) -> str:
        out = tmp_path / "-".join(zone or ("utc",)).replace("/", "-")
        result = run(
            collected, "digest", "--dry-run", "--to", "team@example.org", "--out", str(out),
            "--since", "2026-11-24", *zone,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        return result.output

    assert "(6 mention(s), nothing sent)" in previewed()
    assert "(5 mention(s), nothing sent)" in previewed("--timezone", "Pacific/Honolulu")
    bad = run(collected, "digest", "--dry-run", "--timezone", "Mars/Olympus")
    assert bad.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in bad.output


def test_query_test_reads_since_and_shows_times_in_the_time_zone(collected: Path) -> None:
    zone = ("--timezone", "Pacific/Kiritimati")  # UTC+14
    table = run(collected, "query", "test", "danone", "--since", "2026-11-24", *zone)
    assert table.exit_code == 0, table.output
    assert "since 2026-11-24 00:00 (Pacific/Kiritimati)" in table.output
    assert "date (Pacific/Kiritimati)" in table.output and "2026-11-24 21:15" in table.output
    # The same moment written in UTC selects the same documents.
    utc = run(collected, "query", "test", "danone", "--since", "2026-11-23T10:00:00Z")
    assert "5 document(s) since 2026-11-23 10:00 (UTC): 4 kept, 1 dropped." in utc.output
    assert "5 document(s) since 2026-11-24 00:00 (Pacific/Kiritimati): 4 kept" in table.output
    as_json = run(collected, "query", "test", "danone", *zone, "--format", "json")
    assert str(json.loads(as_json.output)["since"]).endswith("Z")  # JSON keeps UTC


def test_a_progress_bar_writes_nothing_where_standard_error_is_no_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from veille.cli.render import progress_bar

    # As in a cron job's log: the bar cannot be drawn there, and must not leave a blank line.
    with progress_bar("collecting", quiet=False, with_description=True) as progress:
        task = progress.add_task("", total=3)
        progress.update(task, completed=3, description="feed-0")
    assert capsys.readouterr().err == ""


ODD_OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>feeds</title></head><body>
<outline type="rss" text="Le&#10;Monde &#8232;éco" xmlUrl="https://www.lemonde.fr/rss/une.xml"/>
<outline type="rss" text="Copie" xmlUrl="https://www.lemonde.fr/rss/une.xml"/>
<outline type="rss" text="script" xmlUrl="javascript:alert(1)"/>
<outline type="rss" text="ftp" xmlUrl="ftp://example.org/feed.xml"/>
</body></opml>
"""


def test_importing_odd_feeds_leaves_a_valid_configuration(collected: Path, tmp_path: Path) -> None:
    opml = tmp_path / "odd.opml"
    opml.write_text(ODD_OPML, encoding="utf-8")
    result = run(collected, "sources", "import", str(opml))
    assert result.exit_code == 0, result.output
    # A title's line breaks are not written into the file; an address no feed source can have
    # is left out, named, rather than written into the file to be refused later.
    assert "Added 1 source(s)" in result.output
    assert "2 left out, their address not http(s): javascript:alert(1), ftp://" in result.output
    text = collected.read_text(encoding="utf-8")
    assert 'title = "Le Monde éco"\n' in text and "javascript:" not in text
    assert run(collected, "sources", "list").exit_code == 0


def test_a_configuration_is_replaced_only_by_a_valid_one(tmp_path: Path) -> None:
    from veille.errors import ConfigError
    from veille.project import _write_checked

    config = tmp_path / "veille.toml"
    valid = '[[brands]]\nname = "Danone"\nquery = "danone"\n'
    config.write_text(valid, encoding="utf-8")
    with pytest.raises(ConfigError, match="sources"):
        _write_checked(config, valid + '\n[[sources]]\nname = "x"\nkind = "rss"\nurl = "ftp://x"\n')
    assert config.read_text(encoding="utf-8") == valid, "the refused text replaced nothing"
    assert [path.name for path in tmp_path.iterdir()] == ["veille.toml"], "no file left over"
    # A valid one replaces it, keeping who may read it (a configuration may name secrets).
    config.chmod(0o600)
    longer = valid + '\n[[sources]]\nname = "x"\nkind = "rss"\nurl = "https://x.example/feed"\n'
    _write_checked(config, longer)
    assert config.read_text(encoding="utf-8") == longer
    assert config.stat().st_mode & 0o777 == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["veille.toml"]


def test_init_with_an_odd_opml_writes_a_valid_configuration(tmp_path: Path) -> None:
    opml = tmp_path / "odd.opml"
    opml.write_text(ODD_OPML, encoding="utf-8")
    result = run(None, "init", "--dir", str(tmp_path), "--opml", str(opml))
    assert result.exit_code == 0, result.output
    assert "(0 brand(s), 1 source(s))" in result.output
    assert "Left out 2 feed(s)" in result.output


def test_a_brand_removed_or_renamed_in_the_configuration_leaves_the_counts(
    collected: Path,
) -> None:
    def by_brand() -> dict[str, int]:
        result = run(collected, "stats", "--by", "brand", "--format", "json")
        assert result.exit_code == 0, result.output
        return {str(row["key"]): int(row["mentions"]) for row in json.loads(result.output)}

    assert by_brand() == {"Danone": 4, "Michelin": 2}
    # Renamed: the next pass finds its mentions again under the new name, once.
    text = collected.read_text(encoding="utf-8")
    collected.write_text(text.replace('name = "Michelin"', 'name = "Michelin Group"'))
    assert run(collected, "collect", "--all", "--quiet").exit_code == 0
    assert by_brand() == {"Danone": 4, "Michelin Group": 2}
    mentions = _json(collected, "mentions")
    assert {m["brand"] for m in mentions} == {"Danone", "Michelin Group"}
    # The old name still finds what it was given, when asked for.
    assert {m["brand"] for m in _json(collected, "mentions", "--brand", "Michelin")} == {"Michelin"}


def test_an_excel_export_is_csv_as_a_spreadsheet_in_french_opens_it(collected: Path) -> None:
    result = run(collected, "stats", "--by", "tone", "--format", "excel")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("\ufeffkey;mentions;share;positive;neutral;negative;")
    rows = [line.split(";") for line in result.output.splitlines()[1:]]
    assert rows and all("." not in cell for row in rows for cell in row[2:7])  # decimal commas
    listing = run(collected, "mentions", "--format", "excel")
    assert listing.output.startswith("\ufeffid;brand;platform;")
    # A negative number is a number, not a formula to neutralise: "-0,69", not "'-0,69".
    negative = run(collected, "mentions", "--tone", "negative", "--format", "excel").output
    rows = list(csv.DictReader(io.StringIO(negative.removeprefix("\ufeff")), delimiter=";"))
    sentiments = [row["sentiment"] for row in rows]
    assert sentiments and all(value.startswith("-0,") for value in sentiments), sentiments


def test_table_times_in_the_hour_lived_twice_say_which() -> None:
    paris = "Europe/Paris"
    assert short_time("2026-10-25T00:30:00Z", paris) == "2026-10-25 02:30 CEST"
    assert short_time("2026-10-25T01:30:00Z", paris) == "2026-10-25 02:30 CET"
    # Any other time needs no zone: the table's header names it.
    assert short_time("2026-10-25T02:30:00Z", paris) == "2026-10-25 03:30"
    assert short_time("2026-03-29T01:30:00Z", paris) == "2026-03-29 03:30"
    assert short_time("2026-10-25T00:30:00Z") == "2026-10-25 00:30"
