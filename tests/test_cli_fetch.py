"""``veille fetch``: one try of a collector, every item printed with what the query kept."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import feed_bytes, run


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # works without a configuration file
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)


def test_fetch_prints_every_item_with_its_matched_terms(feed_server: FeedServer) -> None:
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    result = run(
        None, "fetch", "rss", "--query", "danone", "--option", f"url={feed_server.url('/fr.xml')}"
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert len(lines) == 3
    by_title = {line["title"]: line for line in lines}
    kept = by_title["Danone annonce des résultats excellents et une croissance remarquable"]
    assert kept["matched"] == ["danone"] and kept["kept"] is True
    assert kept["tone"] == "positive" and kept["lang"] == "fr"
    assert kept["url"] == "https://www.quotidien-economie.fr/entreprises/danone-resultats.html"
    assert kept["author"] == "Claire Martin"
    dropped = by_title["La Bourse de Paris termine la séance en légère hausse"]
    assert dropped["matched"] == [] and dropped["kept"] is False
    assert "3 item(s) returned, 2 kept by the query." in result.output
    assert len(feed_server.requests("/fr.xml")) == 1


def test_fetch_finds_the_accented_words_of_a_feed_with_a_stray_latin1_byte(
    feed_server: FeedServer,
) -> None:
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>J</title>'
        "<item><title>Danone : la société française répond</title><guid>1</guid></item>"
        "<item><title>Danone : autre article</title><guid>2</guid>"
        "<description>Un café mal encodé.</description></item></channel></rss>"
    ).encode()
    feed_server.add("/mixed.xml", feed.replace("café".encode(), b"caf\xe9"))
    url = feed_server.url("/mixed.xml")
    result = run(None, "fetch", "rss", "--query", '"société française"', "--option", f"url={url}")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [(line["title"], line["kept"]) for line in lines] == [
        ("Danone : la société française répond", True),
        ("Danone : autre article", False),
    ]
    assert lines[1]["text"] == "Un café mal encodé."
    assert "warning: 1 byte not in UTF-8 read as windows-1252 (the first on line 1)" in (
        result.output
    )


def test_fetch_a_query_of_scopes_alone_keeps_with_no_term(feed_server: FeedServer) -> None:
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    url = feed_server.url("/fr.xml")
    query = "site:quotidien-economie.fr"
    result = run(None, "fetch", "rss", "--query", query, "--option", f"url={url}")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert lines and all(line["kept"] and line["matched"] == [] for line in lines)
    assert f"{len(lines)} item(s) returned, {len(lines)} kept by the query." in result.output
    assert "note:" not in result.stderr


def test_fetch_tells_how_a_query_with_operators_as_words_reads(feed_server: FeedServer) -> None:
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    url = feed_server.url("/fr.xml")
    result = run(None, "fetch", "rss", "--query", "danone OU evian", "--option", f"url={url}")
    assert result.exit_code == 0, result.output
    assert "note: OU: operators are written in English (OR for OU)" in result.stderr
    assert "the query reads as: danone AND OU AND evian" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fetch", "telepathy", "--query", "x"], "KIND: unknown source kind 'telepathy'"),
        (["fetch", "rss", "--query", "x"], "--option url=…: required option for kind 'rss'"),
        (
            ["fetch", "rss", "--query", "x", "--option", "uri=http://127.0.0.1:9/"],
            "--option url=…: required option for kind 'rss' is missing; --option uri=… is no "
            "option: did you mean url?",
        ),
        (
            [
                "fetch",
                "rss",
                "--query",
                "x",
                "--option",
                "url=http://127.0.0.1:9/",
                "--option",
                "l=1",
            ],
            "--option l=…: unknown option for kind 'rss' (known: url, platform, language)",
        ),
        (["fetch", "rss", "--query", "x", "--base-url", "http://127.0.0.1:9/"], "--option url="),
        (["fetch", "rss", "--query", "x", "--option", "nonsense"], "expected KEY=VALUE"),
        (["fetch", "rss", "--query", "x", "--option", "url=ftp://x"], "http"),
        (["fetch", "rss", "--query", "(x", "--option", "url=http://127.0.0.1:9/"], "query"),
        (["fetch", "rss"], "--query"),
    ],
)
def test_fetch_bad_input_exits_2(args: list[str], message: str) -> None:
    result = run(None, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_fetch_reports_a_failing_source_cleanly(feed_server: FeedServer) -> None:
    feed_server.add("/gone.xml", b"", status=410)
    result = run(
        None, "fetch", "rss", "--query", "x", "--option", f"url={feed_server.url('/gone.xml')}"
    )
    assert result.exit_code == 1
    assert "410" in result.output and "Traceback" not in result.output


def test_fetch_a_search_source_at_another_base_url(feed_server: FeedServer) -> None:
    from tests.scenarios.hackernews import SCENARIO

    options = SCENARIO.serve(feed_server)
    result = run(
        None,
        "fetch",
        "hackernews",
        "--query",
        "danone",
        "--base-url",
        feed_server.base_url,
        "--option",
        f"hitsPerPage={options['hitsPerPage']}",
        "--option",
        "max_pages=1",
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert lines and {line["platform"] for line in lines} == {"hackernews"}
    assert all(line["source"] == "hackernews" for line in lines)
    searches = [r for r in feed_server.requests() if r.path.startswith(SCENARIO.search_path)]
    assert len(searches) == 1  # max_pages=1 from --option, read as a number
    # The search had a second page: the collector's warning is shown, as a pass records it.
    assert "warning: about " in result.output and "older Hacker News hits left unread" in (
        result.output
    )


@pytest.mark.parametrize(
    ("kind", "scenario", "sign_in_path"),
    [
        ("bluesky", "tests.scenarios.bluesky", "/xrpc/com.atproto.server.createSession"),
        ("reddit", "tests.scenarios.reddit", "/api/v1/access_token"),
    ],
)
def test_base_url_also_moves_the_sign_in_address(
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    scenario: str,
    sign_in_path: str,
) -> None:
    served = importlib.import_module(scenario)
    for name, value in served.SCENARIO.env.items():
        monkeypatch.setenv(name, value)
    served.SCENARIO.serve(feed_server)
    result = run(None, "fetch", kind, "--query", "danone", "--base-url", feed_server.base_url)
    assert result.exit_code == 0, result.output
    assert len(feed_server.requests(sign_in_path)) == 1


def test_a_failed_fetch_names_the_kind_and_says_to_run_it_again() -> None:
    result = run(
        None, "fetch", "hackernews", "--query", "danone", "--base-url", "http://127.0.0.1:9"
    )
    assert result.exit_code == 1
    assert "Error: hackernews: could not connect to http://127.0.0.1:9/" in result.output
    assert "Hint: check the host name and that the server is up; run the command again later" in (
        result.output
    )
    assert "later pass" not in result.output and "fetch:" not in result.output


EVAL_DIR = Path(
    os.environ.get("VEILLE_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)


@pytest.mark.parametrize(
    ("query", "kept"),
    [('"brent crude" OR brent', 0), ('"crude oil" OR brent', 1)],
)
def test_google_news_results_are_matched_on_their_headlines_alone(
    feed_server: FeedServer, query: str, kept: int
) -> None:
    """As the README's gaps for google_news say, with its figures: Google found these six for
    "Brent crude oil price" in their bodies, which its feed does not give."""
    payload = EVAL_DIR / "payloads" / "google_news_rss" / "rcb_google_news_brent_crude.xml"
    if not payload.exists():
        pytest.skip(f"{payload} is not present")
    feed_server.override("/rss/search", payload.read_bytes())
    base = feed_server.base_url
    result = run(None, "fetch", "google_news", "--query", query, "--base-url", base)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert len(lines) == 6
    assert all(line["title"] and not line["text"] for line in lines)
    assert f"6 item(s) returned, {kept} kept by the query." in result.output
