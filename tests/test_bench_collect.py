"""The collection benchmark's feed world and harness, on a tiny world (figures are not checked)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from benchmarks import collect
from benchmarks.feedserver_fast import FeedWorld, WorldSpec


def test_feed_world_answers_conditional_gets_and_counts_them() -> None:
    with FeedWorld(WorldSpec(feeds=3, items=2, latency=0)) as world:
        url = world.feed_urls()[1]
        first = httpx.get(url)
        assert first.status_code == 200
        assert b"<item>" in first.content
        again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
        since = httpx.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert (again.status_code, again.content) == (304, b"")
        assert since.status_code == 304
        stats = world.stats()
        assert stats.statuses == {200: 1, 304: 2}
        assert stats.bytes_sent > len(first.content)
        world.reset()
        assert world.stats().requests == 0


def test_feed_world_faults_fail_once_then_serve() -> None:
    spec = WorldSpec(feeds=1, items=2, latency=0, error_share=1.0, truncate_share=1.0)
    with FeedWorld(spec) as world:
        url = world.feed_urls()[0]
        busy = httpx.get(url)
        assert (busy.status_code, busy.headers["retry-after"]) == (503, "1")
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(url)  # the whole length announced, half of it sent
        assert httpx.get(url).status_code == 200


def test_harness_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    collect.main(
        ["--feeds", "4", "--items", "5", "--latency", "0", "--no-reader",
         "--ingest-feeds", "2", "--startup-repeat", "1"]
    )  # fmt: skip
    output = capsys.readouterr().out
    table = [line for line in output.splitlines() if line.startswith("| ")]
    figures = [line.split(" | ")[0].removeprefix("| ") for line in table[2:]]
    assert len(figures) == 14
    for words in ("network bound", "feed server alone", "reader", "answered 304", "bytes",
                  "new mention rows", "mentions/s", "veille / naive", "peak RSS",
                  "simulated week", "--help", "mentions --limit 10",
                  "changed feeds, one new item each"):  # fmt: skip
        assert any(words in figure for figure in figures), words
    # Four feeds fetched then all answered 304, and the second pass stored nothing new.
    assert "4 requests {200: 4}" in output
    assert "4 requests {304: 4}" in output
    assert "| re-poll: new mention rows | 0 |" in output
    # Then each feed gained an item: both third passes fetch them again and store the same.
    assert output.count("4 requests {200: 4}") == 3
    changed = next(line for line in table if line.startswith("| changed feeds: new mention"))
    assert changed.endswith("| equal | yes |")


def test_harness_rounds_compare_worker_processes_with_one_process(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = collect._arguments(
        ["--feeds", "4", "--items", "5", "--latency", "0", "--processes", "1", "--rounds", "2"]
    )
    with FeedWorld(WorldSpec(feeds=4, items=5, latency=0)) as world:
        rounds = collect._poll_rounds(world, tmp_path, args, 1, reader=False)
    output = capsys.readouterr().out
    for heading in ("round 1, pass 1:", "pass 2:", "round 1, pass 1, processes = 0:",
                    "round 2, pass 1:", "round 2, pass 1, processes = 0:"):  # fmt: skip
        assert f"veille {heading}" in output, heading
    # Each round's first pass starts from a fresh database and fetches every feed.
    assert output.count("4 requests {200: 4}") == 4
    assert [len(rounds.firsts), len(rounds.singles), len(rounds.readers)] == [2, 2, 0]
    walls = sorted(one.process.wall for one in rounds.singles)
    assert rounds.walls("single") == f"{walls[0]:.2f} ({walls[0]:.2f}–{walls[1]:.2f})"
    assert rounds.second.served.statuses == {304: 4}
    assert rounds.peak_rss() == max(one.process.peak_tree_rss_mb for one in rounds.firsts)


def test_the_simulated_week_polls_quiet_sources_less_and_busy_ones_more() -> None:
    from benchmarks.polling import run_week

    adaptive, fixed = run_week(sources=200, days=7)
    assert fixed.requests == 200 * 7 * 24  # every hour, at every source
    assert adaptive.requests < fixed.requests
    # Checks land where the changes are: more of them find something new.
    assert adaptive.useful / adaptive.requests > fixed.useful / fixed.requests


def test_the_reclassify_benchmark_times_workers_against_one_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import reclassify as bench_reclassify

    bench_reclassify.main(["--documents", "150", "--rounds", "1"])
    output = capsys.readouterr().out
    assert "150 documents" in output
    assert output.count("150 document(s) re-scored") == 2
    assert "| workers (--processes auto) |" in output


def test_the_language_benchmark_times_both_walks_on_the_same_texts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import bench_langid

    bench_langid.main(["--texts", "30", "--rounds", "1"])
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith("| ") and line[2].isdigit()]
    assert [row.split(" | ")[0] for row in rows] == [f"| {n}" for n in bench_langid.LENGTHS]
    # Every length gave the same languages and scores through both walks, one text or a
    # feed's texts at a time.
    assert all(row.endswith("| yes |") and row.count("×") == 2 for row in rows)
