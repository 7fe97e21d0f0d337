"""``veille collect`` end to end against real local feeds: every outcome recorded per source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.feedserver import FeedServer
from tests.support.project import (
    feed_bytes,
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)

pytestmark = pytest.mark.usefixtures("project_engine")


@pytest.fixture
def world(feed_server: FeedServer, tmp_path: Path) -> tuple[FeedServer, Path]:
    """Feeds that work and feeds that fail in every way a pass must survive."""
    server = feed_server
    server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    server.add("/en.atom", feed_bytes("tech_en.atom"), content_type="application/atom+xml")
    server.add(
        "/latin1.rss",
        feed_bytes("latin1_nodecl_nodates.rss"),
        content_type="application/rss+xml",
        etag=False,
        last_modified=False,
    )
    server.add("/moved.xml", redirect_to="/fr-new.xml", status=301)
    server.add("/fr-new.xml", feed_bytes("economie_fr.xml").replace(b"qe-2026", b"moved-2026"))
    server.add("/broken.xml", b"", status=500)
    server.add("/gone.xml", b"gone", status=410)
    server.add("/slow.xml", feed_bytes("economie_fr.xml"), delay=3)
    server.add("/truncated.xml", feed_bytes("tech_en.atom"), truncate_at=200)
    server.add(
        "/malformed.xml",
        feed_bytes("economie_fr.xml").replace(b"</channel>", b"<item><title>Danone &nbsp;"),
    )
    config = write_config(
        tmp_path,
        {name: server.url(f"/{path}") for name, path in (
            ("fr", "fr.xml"), ("en", "en.atom"), ("latin1", "latin1.rss"), ("moved", "moved.xml"),
            ("broken", "broken.xml"), ("gone", "gone.xml"), ("slow", "slow.xml"),
            ("truncated", "truncated.xml"), ("malformed", "malformed.xml"),
        )},
    )  # fmt: skip
    return server, config


def _health(config: Path) -> dict[str, dict[str, object]]:
    result = run(config, "sources", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.output)}


def _mentions(config: Path, *args: str) -> list[dict[str, object]]:
    result = run(config, "mentions", "--format", "json", "--limit", "500", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("processes", [0, 1])
def test_collect_records_every_outcome_and_keeps_going(
    world: tuple[FeedServer, Path], processes: int
) -> None:
    _, config = world
    # With a worker process, each feed is read there: its errors and warnings come back.
    config.write_text(f"[collect]\nprocesses = {processes}\n" + config.read_text())
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Run 1" in result.output
    health = _health(config)
    for working in ("fr", "en", "latin1", "moved", "malformed"):
        assert health[working]["last_ok_at"], working
        assert not health[working]["consecutive_failures"], working
    # A malformed feed gives what could be recovered, and says what was wrong with it.
    assert health["malformed"]["last_error"]
    for failing in ("broken", "gone", "slow", "truncated"):
        assert health[failing]["consecutive_failures"] == 1, failing
        assert health[failing]["last_error"], failing
    assert "500" in str(health["broken"]["last_error"])
    assert health["gone"]["disabled"] is True
    assert "time" in str(health["slow"]["last_error"]).lower()
    # The move is said once, where the pass's warnings go.
    assert "moved permanently to" in str(health["moved"]["last_error"])
    # A disabled source has no next check to show: it waits for a person.
    listing = run(config, "sources", "list").output
    gone = next(line for line in listing.splitlines() if "gone [disabled]" in line)
    assert "— (disabled)" in gone

    mentions = _mentions(config)
    by_source: dict[str, int] = {}
    for mention in mentions:
        by_source[str(mention["source"])] = by_source.get(str(mention["source"]), 0) + 1
    # fr: two Danone items (the stock market item names no brand); en: Danone + Michelin;
    # latin1: one item naming both brands; moved: the same two Danone stories under new GUIDs
    # but the same canonical links, so they are the documents already stored from "fr".
    assert by_source.get("fr") == 2
    assert by_source.get("en") == 2
    assert by_source.get("latin1") == 2
    assert "moved" not in by_source
    assert "malformed" not in by_source  # its items are the fr ones, already stored
    assert all(m["url"] and "utm_" not in str(m["url"]) for m in mentions)


def test_second_pass_is_conditional_and_stores_nothing(world: tuple[FeedServer, Path]) -> None:
    server, config = world
    assert run(config, "collect", "--quiet").exit_code == 0
    first = _mentions(config)
    result = run(config, "collect", "--all", "--quiet")
    assert result.exit_code == 0, result.output
    assert _mentions(config) == first
    second_fr = server.requests("/fr.xml")[-1]
    assert second_fr.headers.get("if-none-match")
    assert second_fr.status == 304
    # The moved source now asks the new URL directly.
    assert server.requests("/moved.xml") and len(server.requests("/moved.xml")) == 1
    assert server.requests("/fr-new.xml")[-1].status == 304
    # The gone source is disabled: never asked again.
    assert len(server.requests("/gone.xml")) == 1
    # Failures count up.
    assert _health(config)["broken"]["consecutive_failures"] == 2


def test_a_source_gone_says_how_to_enable_it_again_and_that_command_does(
    world: tuple[FeedServer, Path],
) -> None:
    server, config = world
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0
    error = str(_health(config)["gone"]["last_error"])
    hint = "once it is back at this address, `veille collect --all --source gone` asks it again"
    assert hint in error
    assert hint in " ".join(result.output.replace("│", " ").split())
    # The feed is back: the command the hint gives asks it and enables the source again.
    server.route("/gone.xml").status = 200
    server.set_body("/gone.xml", feed_bytes("economie_fr.xml"))
    assert run(config, "collect", "--quiet", "--all").exit_code == 0
    assert len(server.requests("/gone.xml")) == 1, "disabled: asked only when named"
    command = error.split("`veille ")[1].split("`")[0].split()
    assert run(config, *command, "--quiet").exit_code == 0
    assert len(server.requests("/gone.xml")) == 2
    health = _health(config)["gone"]
    assert (health["disabled"], health["consecutive_failures"]) == (False, 0)


def test_not_due_sources_wait_for_their_turn(world: tuple[FeedServer, Path]) -> None:
    server, config = world
    assert run(config, "collect", "--quiet").exit_code == 0
    asked = len(server.requests("/fr.xml"))
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0
    assert len(server.requests("/fr.xml")) == asked
    result = run(config, "collect", "--quiet", "--source", "fr", "--all")
    assert len(server.requests("/fr.xml")) == asked + 1


def test_new_items_are_added_on_a_later_pass(world: tuple[FeedServer, Path]) -> None:
    server, config = world
    assert run(config, "collect", "--quiet").exit_code == 0
    before = len(_mentions(config, "--brand", "danone"))
    body = feed_bytes("economie_fr.xml").replace(
        b"<item>",
        b"<item><title>Danone rach\xc3\xa8te une start-up</title>"
        b"<link>https://www.quotidien-economie.fr/danone-startup.html</link>"
        b"<guid>qe-2026-0009</guid></item><item>",
        1,
    )
    server.set_body("/fr.xml", body)
    result = run(config, "collect", "--quiet", "--all", "--source", "fr")
    assert result.exit_code == 0
    assert len(_mentions(config, "--brand", "danone")) == before + 1


def test_a_source_named_but_not_due_is_told_with_the_command_that_fetches_it(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    feed_server.add("/co.xml", feed_bytes("tech_en.atom"), content_type="application/atom+xml")
    config = write_config(
        tmp_path, {"fr": feed_server.url("/fr.xml"), "Presse & Co": feed_server.url("/co.xml")}
    )
    assert run(config, "collect", "--quiet").exit_code == 0
    asked = len(feed_server.requests("/co.xml"))
    result = run(config, "collect", "--quiet", "--source", "Presse & Co", "--brand", "Danone")
    assert result.exit_code == 0, result.output
    # Not "run --all": that would fetch every source, not only the one named.
    command = "veille collect --all --source 'Presse & Co' --brand Danone"
    assert result.output == (
        f"Not due now: Presse & Co. `{command}` fetches it now, due or not (`veille sources "
        "list` shows when each is checked next).\n"
    )
    assert len(feed_server.requests("/co.xml")) == asked
    both = run(config, "collect", "--quiet", "--source", "fr", "--source", "Presse & Co")
    assert "`veille collect --all --source fr --source 'Presse & Co'` fetches them now" in (
        both.output
    )
    fetched = run(config, "collect", "--quiet", "--all", "--source", "Presse & Co")
    assert fetched.exit_code == 0 and "Run " in fetched.output
    assert len(feed_server.requests("/co.xml")) == asked + 1


def test_unknown_source_and_brand_are_clean_errors(world: tuple[FeedServer, Path]) -> None:
    _, config = world
    result = run(config, "collect", "--source", "nope")
    assert result.exit_code == 2
    assert "unknown source 'nope'" in result.output
    assert "Traceback" not in result.output
    result = run(config, "collect", "--brand", "Nestlé")
    assert result.exit_code == 2
    assert "unknown brand" in result.output


def test_a_configuration_without_sources_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    result = run(config, "collect")
    assert result.exit_code == 0, result.output
    assert "No source is configured: add [[sources]]" in result.output
    assert "No source is due" not in result.output


@pytest.mark.sqlite_only  # on PostgreSQL passes share the work (tests/test_workers.py)
def test_a_second_pass_on_the_same_database_skips(world: tuple[FeedServer, Path]) -> None:
    from veille.locks import job_lock
    from veille.settings import load_settings

    server, config = world
    with job_lock(load_settings(config).database_url, "collect") as acquired:
        assert acquired
        result = run(config, "collect", "--quiet")
    assert result.exit_code == 0
    assert "Another collecting pass is running" in result.output
    assert server.requests() == []
    assert run(config, "collect", "--quiet").exit_code == 0
    assert server.requests()


@pytest.mark.sqlite_only  # PostgreSQL's autovacuum keeps its own statistics
def test_a_pass_that_stores_mentions_refreshes_sqlite_statistics(
    world: tuple[FeedServer, Path],
) -> None:
    import sqlite3

    _, config = world
    assert run(config, "collect", "--quiet").exit_code == 0
    with sqlite3.connect(config.parent / "veille.db") as connection:
        analysed = {row[0] for row in connection.execute("SELECT tbl FROM sqlite_stat1")}
    # The query planner knows the sizes of the tables the listings read.
    assert {"documents", "mentions"} <= analysed


def test_a_large_pass_lists_only_the_sources_with_something_to_say(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    from veille.cli.collect_cmd import FULL_TABLE_SOURCES

    quiet = FULL_TABLE_SOURCES + 5
    for index in range(quiet):
        feed_server.add(f"/quiet-{index}.xml", feed_bytes("economie_fr.xml"))
    feed_server.add("/broken.xml", b"", status=500)
    sources = {
        f"quiet-{index:02d}": feed_server.url(f"/quiet-{index}.xml") for index in range(quiet)
    }
    config = write_config(tmp_path, {**sources, "broken": feed_server.url("/broken.xml")})
    assert run(config, "collect", "--quiet").exit_code == 0
    # Every feed now answers 304: only the failing one has something to say.
    result = run(config, "collect", "--all", "--quiet")
    assert result.exit_code == 0, result.output
    assert "broken" in result.output
    assert "quiet-00" not in result.output
    assert f"from {quiet + 1} source(s); 1 failed." in result.output
    assert f"{quiet} source(s) with nothing new and no error are not listed." in result.output


def _feed_of_its_own(index: int, copies: int) -> bytes:
    """economie_fr.xml under links and GUIDs of its own, its items ``copies`` times over."""
    feed = feed_bytes("economie_fr.xml").decode()
    head, _, rest = feed.partition("<item>")
    items, _, tail = ("<item>" + rest).rpartition("</item>")
    copied = "".join(
        (items + "</item>")
        .replace("quotidien-economie.fr/", f"site-{index}-{copy}.example/")
        .replace("qe-2026-", f"qe-{index}-{copy}-")
        for copy in range(copies)
    )
    return (head + copied + tail).encode()


def test_a_large_first_pass_lists_the_sources_with_the_most_new_mentions_and_every_failure(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    from veille.cli.collect_cmd import FULL_TABLE_SOURCES, MOST_NEW_LISTED

    busy = FULL_TABLE_SOURCES + 5
    richest = range(busy - 3, busy)  # twice the items, so twice the mentions of the others
    for index in range(busy):
        body = _feed_of_its_own(index, 2 if index in richest else 1)
        feed_server.add(f"/busy-{index}.xml", body)
    feed_server.add("/broken.xml", b"", status=500)
    sources = {f"busy-{index:02d}": feed_server.url(f"/busy-{index}.xml") for index in range(busy)}
    config = write_config(tmp_path, {**sources, "broken": feed_server.url("/broken.xml")})
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    listed = [name for name in sources if f"{name} " in result.output]
    assert "broken" in result.output
    assert len(listed) == MOST_NEW_LISTED
    assert {f"busy-{index:02d}" for index in richest} <= set(listed)
    assert listed == sorted(listed)
    assert f"from {busy + 1} source(s); 1 failed." in result.output
    assert f"{busy - MOST_NEW_LISTED} more source(s) with new mentions are not listed" in (
        result.output
    )
    assert "nothing new and no error" not in result.output


def test_a_pass_where_most_sources_fail_lists_a_bounded_number_of_them(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    from veille.cli.collect_cmd import MOST_TROUBLED_LISTED

    failing = MOST_TROUBLED_LISTED + 7  # as when the network is down: every source fails
    for index in range(failing):
        feed_server.add(f"/down-{index}.xml", b"", status=500)
    sources = {
        f"down-{index:02d}": feed_server.url(f"/down-{index}.xml") for index in range(failing)
    }
    config = write_config(tmp_path, sources)
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    listed = [name for name in sources if f"{name} " in result.output]
    assert listed == sorted(sources)[:MOST_TROUBLED_LISTED], "the first ones by name"
    assert f"from {failing} source(s); {failing} failed." in result.output
    assert "7 more source(s) with an error or a warning are not listed" in result.output
    assert "nothing new and no error" not in result.output


def test_a_pass_left_running_by_a_dead_process_is_closed(
    world: tuple[FeedServer, Path], project_engine: str
) -> None:
    from veille.settings import load_settings
    from veille.store import Store
    from veille.store.schema import run_table

    _, config = world
    assert run(config, "collect", "--quiet", "--source", "fr").exit_code == 0
    store = Store.open(load_settings(config).database_url)
    try:
        # A pass that began and recorded one source, then lost its process.
        with store.engine.begin() as connection:
            connection.execute(run_table.update().values(status="running", finished_at=None))
        assert run(config, "collect", "--quiet", "--source", "en").exit_code == 0
        with store.engine.connect() as connection:
            rows = connection.execute(
                select(
                    run_table.c.status, run_table.c.finished_at, run_table.c.sources_total
                ).order_by(run_table.c.id)
            ).all()
    finally:
        store.close()
    assert rows[1][0] == "ok"
    # On SQLite one pass runs at a time; on PostgreSQL no session holds its run's lock (a live
    # worker's pass is left: tests/test_run_liveness.py). When it stopped is not known.
    assert rows[0] == ("failed", None, 1)
