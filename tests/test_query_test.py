"""``veille query test``: an ambiguous brand's query tried on stored documents, on both engines.

The feed holds "Orange" the telecom operator and "orange" the fruit. The brand Orange is
configured with a naive query (``title:orange``) that catches both; the commands try better
queries against what that collected.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import Result

from tests.support.feedserver import FeedServer
from tests.support.project import (
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from veille.query_trial import TRIAL_FIELDS

pytestmark = pytest.mark.usefixtures("project_engine")

BRANDS = """
[[brands]]
name = "Orange"
query = "title:orange"

[[brands]]
name = "Bouygues"
query = '"Bouygues Telecom"'
"""

# (key, hours ago, site, title, text), newest first.
ITEMS = [
    (
        "fibre",
        1,
        "telecoms-info.fr",
        "Orange lance une offre fibre à 8 Gbit/s",
        "L'opérateur Orange annonce une nouvelle box pour ses abonnés.",
    ),
    (
        "tweet",
        2,
        "reseau-social.example",
        "@Orange : la fibre arrive enfin dans mon quartier",
        "Merci à l'opérateur Orange pour le raccordement.",
    ),
    (
        "5g",
        3,
        "telecoms-info.fr",
        "Orange accélère le déploiement de la 5G",
        "Le groupe annonce deux mille nouvelles antennes cette année.",
    ),
    (
        "tarte",
        4,
        "cuisine-facile.fr",
        "Recette : tarte à l'orange et aux amandes",
        "Pressez une orange bien mûre, ajoutez le zeste et le sucre.",
    ),
    (
        "jus",
        5,
        "agri-marches.fr",
        "Le jus d'orange plus cher cette année",
        "Les récoltes d'oranges au Brésil ont souffert de la sécheresse.",
    ),
    (
        "reseau",
        6,
        "telecoms-info.fr",
        "Bouygues Telecom partage son réseau 5G",
        "Bouygues Telecom s'accorde avec l'opérateur Orange dans les zones rurales.",
    ),
    (
        "box",
        7,
        "telecoms-info.fr",
        "Bouygues Telecom lance une box",
        "Bouygues Telecom présente une box plus rapide.",
    ),
    (
        "archive",
        24 * 60,
        "telecoms-info.fr",
        "Orange : la fibre dans toutes les villes",
        "L'opérateur Orange a raccordé dix millions de foyers.",
    ),
]
TITLES = {key: title for key, _, _, title, _ in ITEMS}


def _feed(now: datetime) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://www.{site}/{key}</link>"
        f"<description>{text}</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=hours))}</pubDate></item>"
        for key, hours, site, title, text in ITEMS
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Actualités</title><link>https://www.telecoms-info.fr/</link><language>fr</language>"
        f"{items}</channel></rss>"
    ).encode()


@pytest.fixture
def collected(feed_server: FeedServer, tmp_path: Path) -> Path:
    """A project with brands Orange and Bouygues, its feed collected once."""
    feed_server.add("/actu.xml", _feed(datetime.now(UTC)))
    config = write_config(tmp_path, {"actu": feed_server.url("/actu.xml")}, extra=BRANDS)
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    return config


def _trial(config: Path, *args: str) -> dict[str, object]:
    result = run(config, "query", "test", *args, "--quiet", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _keys(report: dict[str, object], verdict: str) -> list[str]:
    """The listed documents of a verdict as item keys, in the order listed."""
    by_title = {title: key for key, title in TITLES.items()}
    listed = report["listed"]
    assert isinstance(listed, list)
    return [by_title[entry["title"]] for entry in listed if entry["verdict"] == verdict]


def test_the_stored_mentions_are_what_the_naive_query_caught(collected: Path) -> None:
    result = run(collected, "mentions", "--brand", "Orange", "--format", "json")
    titles = {mention["title"] for mention in json.loads(result.stdout)}
    expected = {"fibre", "tweet", "5g", "tarte", "jus", "archive"}
    assert titles == {TITLES[key] for key in expected}


def test_not_drops_the_fruit_among_every_stored_document(collected: Path) -> None:
    report = _trial(collected, "orange NOT (recette OR jus OR fruit*)")
    assert report["brand"] is None and report["mentions"] is None and report["added"] is None
    # The archive is older than the default 30 days: not counted.
    assert (report["documents"], report["kept"], report["dropped"]) == (7, 4, 3)
    assert _keys(report, "kept") == ["fibre", "tweet", "5g", "reseau"]
    assert _keys(report, "dropped") == ["tarte", "jus", "box"]
    kept = [entry for entry in report["listed"] if entry["verdict"] == "kept"]  # type: ignore[attr-defined]
    assert all(entry["matched"] == ["orange"] for entry in kept)


def test_near_against_the_brand_lists_what_it_drops_and_newly_keeps(collected: Path) -> None:
    report = _trial(collected, "orange NEAR/3 opérateur", "--brand", "orange")
    assert report["brand"] == "Orange"
    # Of the brand's five mentions of the last 30 days, only those with "opérateur Orange" stay.
    assert report["mentions"] == {"total": 5, "kept": 2, "dropped": 3}
    assert _keys(report, "kept") == ["fibre", "tweet"]
    assert _keys(report, "dropped") == ["5g", "tarte", "jus"]
    # A Bouygues article naming the operator Orange in its text: the new query would keep it.
    assert report["added"] == 1
    assert _keys(report, "added") == ["reseau"]
    added = next(e for e in report["listed"] if e["verdict"] == "added")  # type: ignore[attr-defined]
    assert added["matched"] == ["orange", "opérateur"]
    assert (report["documents"], report["kept"]) == (7, 3)


def test_title_scope(collected: Path) -> None:
    report = _trial(collected, "title:orange NOT title:(recette OR jus)", "--brand", "Orange")
    assert report["mentions"] == {"total": 5, "kept": 3, "dropped": 2}
    assert _keys(report, "dropped") == ["tarte", "jus"]
    assert _keys(report, "added") == []


def test_case_sensitive_keeps_the_company_name(collected: Path) -> None:
    insensitive = _trial(collected, "orange")
    sensitive = _trial(collected, "Orange", "--case-sensitive")
    assert sensitive["case_sensitive"] is True and insensitive["case_sensitive"] is False
    assert set(_keys(insensitive, "kept")) >= {"tarte", "jus"}
    assert _keys(sensitive, "kept") == ["fibre", "tweet", "5g", "reseau"]


def test_since_limit_and_batches(collected: Path) -> None:
    everything = _trial(collected, "orange", "--since", "90d", "--batch-size", "2")
    assert (everything["documents"], everything["kept"]) == (8, 7)
    assert _keys(everything, "kept")[-1] == "archive"
    limited = _trial(collected, "orange", "--since", "90d", "--limit", "1", "--batch-size", "3")
    assert (limited["documents"], limited["kept"], limited["dropped"]) == (8, 7, 1)
    assert _keys(limited, "kept") == ["fibre"] and _keys(limited, "dropped") == ["box"]


def test_jsonl_and_csv_list_the_documents(collected: Path) -> None:
    args = ("query", "test", "orange NEAR/3 opérateur", "--brand", "Orange", "--quiet")
    jsonl = run(collected, *args, "--format", "jsonl")
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [tuple(line) for line in lines] == [TRIAL_FIELDS] * 6
    assert [line["verdict"] for line in lines] == ["dropped"] * 3 + ["added"] + ["kept"] * 2
    assert "5 current mention(s), 2 kept and 3 dropped" in jsonl.stderr
    as_csv = run(collected, *args, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["document_id"] for row in rows] == [str(line["document_id"]) for line in lines]
    tweet = next(row for row in rows if "fibre arrive" in row["title"])
    # A cell starting with "@" would be run as a formula by a spreadsheet.
    assert tweet["title"] == "'" + TITLES["tweet"]
    assert tweet["matched"] == "orange; opérateur"


def test_table(collected: Path) -> None:
    result = run(collected, "query", "test", "orange NEAR/3 opérateur", "--brand", "Orange")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "current mentions it would drop" in out and "other documents it would newly keep" in out
    assert TITLES["tarte"] in out and TITLES["reseau"] in out
    assert "Orange: of its 5 current mention(s), 2 kept and 3 dropped" in out
    assert "1 other document(s) newly kept" in out


def _fails(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    for needle in needles:
        assert needle in result.output


def test_a_query_that_does_not_parse_exits_2_with_its_position(collected: Path) -> None:
    _fails(run(collected, "query", "test", "orange AND (fibre"), "position 11")
    _fails(run(collected, "query", "test", "orange NEAR/3"), "position 7", "NEAR/3")


def test_an_unknown_brand_exits_2(collected: Path) -> None:
    _fails(run(collected, "query", "test", "orange", "--brand", "Free"), "unknown brand 'Free'")


def test_a_brand_configured_but_never_collected_has_no_mentions(collected: Path) -> None:
    with collected.open("a", encoding="utf-8") as config:
        config.write('\n[[brands]]\nname = "Sosh"\nquery = "sosh"\n')
    report = _trial(collected, "orange NEAR/3 opérateur", "--brand", "Sosh")
    assert report["mentions"] == {"total": 0, "kept": 0, "dropped": 0}
    assert report["added"] == report["kept"] == 3
    assert _keys(report, "added") == ["fibre", "tweet", "reseau"]
    reclassified = run(collected, "reclassify", "--brand", "Sosh", "--quiet")
    assert reclassified.exit_code == 0, reclassified.output
    assert reclassified.stdout.startswith("0 document(s) re-scored")


def test_sites_are_shown_as_written(feed_server: FeedServer, tmp_path: Path) -> None:
    now = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    feed_server.add(
        "/beaute.xml",
        (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            "<title>Beauté</title><link>https://www.beauté.fr/</link>"
            "<item><title>Orange et la fibre</title><link>https://www.beauté.fr/a</link>"
            f"<pubDate>{now}</pubDate></item></channel></rss>"
        ).encode(),
    )
    config = write_config(tmp_path, {"beaute": feed_server.url("/beaute.xml")}, extra=BRANDS)
    assert run(config, "collect", "--quiet").exit_code == 0
    report = _trial(config, "orange")
    assert [entry["site"] for entry in report["listed"]] == ["beauté.fr"]  # type: ignore[index,union-attr]
    table = run(config, "query", "test", "orange")
    assert "beauté.fr" in table.stdout and "xn--" not in table.stdout


def test_lower_case_operators_are_words_and_a_note_says_so(collected: Path) -> None:
    result = run(collected, "query", "test", "orange not recette", "--quiet")
    assert result.exit_code == 0, result.output
    assert "note: not: operators are written in capitals" in result.stderr
    assert "the query reads as: orange AND not AND recette" in result.stderr
    result = run(collected, "query", "test", "orange near/5 fibre or jus", "--quiet")
    assert "note: near/5, or: operators" in result.stderr
    quiet = run(collected, "query", "test", "orange NOT recette OR jus", "--quiet")
    assert quiet.exit_code == 0 and "note:" not in quiet.stderr


def test_a_configured_query_with_operators_as_words_is_told_once_by_every_command(
    collected: Path,
) -> None:
    with collected.open("a", encoding="utf-8") as config:
        config.write("\n[[brands]]\nname = \"Sosh\"\nquery = 'sosh or orange OU box'\n")
    warning = (
        f"warning: {collected}: brands[4].query: (brand 'Sosh') or: operators are written in "
        "capitals (AND, OR, NOT, NEAR/5); in lower case they are words; OU: operators are "
        'written in English (OR for OU); in French they are words; write "or" in quotes when '
        "the word is meant, and the query reads as: sosh AND or AND orange AND OU AND box\n"
    )
    for command in (["collect", "--quiet"], ["mentions"], ["sources", "list"]):
        result = run(collected, *command)
        assert result.exit_code == 0, result.output
        assert result.stderr.count(warning) == 1, (command, result.stderr)
    # The configured query tried again: told once, as configured.
    tried = run(collected, "query", "test", "sosh or orange OU box", "--quiet")
    assert tried.exit_code == 0 and tried.stderr.count("operators are written") == 2
    assert tried.stderr.count("or: operators") == 1
    # Quoted, the words are meant: nothing is told.
    with collected.open("a", encoding="utf-8") as config:
        config.write('\n[[brands]]\nname = "Or"\nquery = \'"or" NEAR/2 bijoux\'\n')
    assert run(collected, "mentions").stderr.count("warning:") == 1


def test_a_query_may_start_with_a_minus(collected: Path) -> None:
    def listed(*args: str) -> object:
        report = _trial(collected, *args)
        return report["kept"], report["dropped"], report["listed"]

    assert listed("-recette orange", "--brand", "Orange") == listed(
        "orange NOT recette", "--brand", "Orange"
    )
    after = run(collected, "query", "test", "--quiet", "--format", "json", "--", "-recette orange")
    assert after.exit_code == 0, after.output
    assert json.loads(after.stdout)["listed"] == listed("orange NOT recette")[2]
    # Before or after the options; a mistyped option is still one.
    assert listed("--brand", "Orange", "-recette orange") == listed(
        "orange NOT recette", "--brand", "Orange"
    )
    assert listed("-q", "-recette orange") == listed("orange NOT recette")
    mistyped = run(collected, "query", "test", "orange", "--brnad", "Orange")
    assert mistyped.exit_code == 2 and "No such option '--brnad'" in mistyped.output
