"""Collection at scale: poll time, re-poll cost, ingest CPU, memory and start-up, in one run.

    python -m benchmarks.collect [--feeds 1000] [--items 20] [--latency 0.1]
                                 [--concurrency 100] [--per-host 100] [--faults 0.0]
                                 [--processes auto] [--rounds 1]

A feed world (``feedserver_fast``: N generated feeds on 127.0.0.1, each answer ``latency``
seconds late, strong ETags and Last-Modified) is polled by a real ``veille collect`` process,
twice (the second pass right after the first, answered by 304s), then once more into a fresh
database with ``processes = 0`` (when the first used worker processes), then by the ``reader``
library (``update_feeds(workers=16)``) on the same world. ``--rounds`` repeats the first
passes and reader's, alternating them, and keeps the median of each. The ingest figures are
``bench_ingest``'s (veille against a naive pipeline on one core), and ``polling``'s simulated
week (adaptive polling against fixed intervals). Every figure is printed in
one table with its target. All feeds are on one host, so the per-host limit (4 by default,
politeness towards real publishers) is raised to the global concurrency: the run says so.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import _collect_runs as runs
from benchmarks.bench_ingest import run_ingest
from benchmarks.feedserver_fast import FeedWorld, WorldSpec, probe_capacity
from benchmarks.polling import run_week
from veille.processing_pool import process_count

_INSTALL_READER = "Install it with: pip install -e '.[bench]'  (reader and sgmllib3k)"


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    figure: str
    veille: str
    baseline: str
    target: str
    met: bool | None  # None: no target, or not measured


def _mark(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "NO")


def print_table(rows: list[Row]) -> None:
    """The figures as a Markdown table."""
    print("| figure | veille | baseline | target | met? |")
    print("| --- | ---: | ---: | --- | :---: |")
    for row in rows:
        print(f"| {row.figure} | {row.veille} | {row.baseline} | {row.target} | {_mark(row.met)} |")


def _print_pass(label: str, figures: runs.PassFigures) -> None:
    # veille's closing summary, which the console may have wrapped over several lines.
    lines = figures.process.stdout.strip().splitlines()
    start = max((i for i, line in enumerate(lines) if "new mention(s)" in line), default=-1)
    summary = " ".join(line.strip() for line in lines[start:])
    print(
        f"veille {label}: {figures.process.wall:.2f} s, peak RSS "
        f"{figures.process.peak_tree_rss_mb:.0f} MB with its workers "
        f"({figures.process.peak_rss_mb:.0f} MB alone), {figures.served.requests} requests "
        f"{dict(figures.served.statuses)}, {figures.served.bytes_sent / 1e6:.2f} MB served, "
        f"{figures.mentions_after} mentions stored; {summary}"
    )


@dataclass
class PollRounds:
    """Every round's first passes and reader run; the median ones stand for the round."""

    config: Path  # the first round's, which the second pass and the start-up timings use
    second: runs.PassFigures
    firsts: list[runs.PassFigures] = field(default_factory=list)
    singles: list[runs.PassFigures] = field(default_factory=list)  # processes = 0
    readers: list[runs.ReaderFigures] = field(default_factory=list)

    @staticmethod
    def _median(figures: list[Any]) -> Any:
        return sorted(figures, key=lambda one: one.process.wall)[(len(figures) - 1) // 2]

    @property
    def first(self) -> runs.PassFigures:
        return self._median(self.firsts)

    @property
    def single(self) -> runs.PassFigures | None:
        return self._median(self.singles) if self.singles else None

    @property
    def reader(self) -> runs.ReaderFigures | None:
        return self._median(self.readers) if self.readers else None

    def walls(self, which: str) -> str:
        """The median wall time of ``firsts``, ``singles`` or ``readers``, and their range."""
        figures: list[Any] = list(getattr(self, f"{which}s"))
        median = f"{self._median(figures).process.wall:.2f}"
        if len(figures) == 1:
            return median
        walls = sorted(one.process.wall for one in figures)
        return f"{median} ({walls[0]:.2f}–{walls[-1]:.2f})"

    def peak_rss(self) -> float:
        """The highest peak of the first passes, with their workers."""
        return max(one.process.peak_tree_rss_mb for one in self.firsts)


def _changed_feeds(world: FeedWorld, config: Path) -> tuple[runs.PassFigures, runs.PassFigures]:
    """Pass 3, every feed having gained one item: veille's, then the same pass into a copy of
    its database that forgot the items it saw (every item processed again, as before)."""
    forgetful = config.parent.with_name(f"{config.parent.name}-every-item")
    forgetful.mkdir()
    for path in config.parent.glob("veille.*"):
        if path.is_file() and not path.name.endswith(".lock"):
            shutil.copy2(path, forgetful / path.name)
    with sqlite3.connect(forgetful / "veille.db") as connection:
        connection.execute("UPDATE source_state SET seen_entries = NULL, seen_for = NULL")
    world.advance()
    every = runs.veille_pass(world, forgetful / config.name)
    _print_pass("pass 3, every item processed again", every)
    ours = runs.veille_pass(world, config)
    _print_pass("pass 3, seen items skipped", ours)
    return ours, every


def _poll_rounds(
    world: FeedWorld, folder: Path, args: argparse.Namespace, processes: int | str, reader: bool
) -> PollRounds:
    """Pass 1 (and pass 2 after the first), pass 1 with processes = 0, reader: per round."""
    collected: PollRounds | None = None
    for index in range(max(1, args.rounds)):
        here = folder / f"round-{index + 1}"
        (here / "one-process").mkdir(parents=True)
        urls = world.feed_urls()
        config = runs.write_config(here, urls, args.concurrency, args.per_host, processes)
        first = runs.veille_pass(world, config)
        _print_pass(f"round {index + 1}, pass 1", first)
        if collected is None:
            second = runs.veille_pass(world, config)
            _print_pass("pass 2", second)
            collected = PollRounds(config, second)
        collected.firsts.append(first)
        if process_count(processes, args.feeds):
            # The same first pass into a fresh database, all of it in one process.
            single_config = runs.write_config(
                here / "one-process", urls, args.concurrency, args.per_host, 0
            )
            collected.singles.append(runs.veille_pass(world, single_config))
            _print_pass(f"round {index + 1}, pass 1, processes = 0", collected.singles[-1])
        if reader:
            figures = runs.reader_pass(world, here, args.reader_workers)
            collected.readers.append(figures)
            print(
                f"round {index + 1}, reader: {figures.process.wall:.2f} s in all, update_feeds "
                f"{figures.update_seconds:.2f} s, {figures.served.requests} requests "
                f"{dict(figures.served.statuses)}, {figures.entries} entries, "
                f"{figures.broken} feeds broken"
            )
    assert collected is not None
    return collected


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--share", type=float, default=0.3, help="share of items naming the brand")
    parser.add_argument(
        "--templated", action="store_true", help="repetitive feeds: story grouping's worst case"
    )
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=100, help="veille [http] concurrency")
    parser.add_argument("--per-host", type=int, default=100, help="veille [http] per_host")
    parser.add_argument(
        "--processes", default="auto", help='veille [collect] processes ("auto" or a number)'
    )
    parser.add_argument("--faults", type=float, default=0.0, help="share of 503/slow/truncated")
    parser.add_argument("--reader-workers", type=int, default=16)
    parser.add_argument("--no-reader", action="store_true", help="skip the reader baseline")
    parser.add_argument("--ingest-feeds", type=int, default=200, help="feeds for the ingest CPU")
    parser.add_argument("--startup-repeat", type=int, default=5)
    parser.add_argument(
        "--rounds", type=int, default=1, help="first passes (and reader runs) to take the median of"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Build the world, run every measurement, print the table."""
    args = _arguments(argv)
    processes: int | str = "auto" if args.processes == "auto" else int(args.processes)
    spec = WorldSpec(
        feeds=args.feeds, items=args.items, mention_share=args.share, templated=args.templated,
        latency=args.latency,
        error_share=args.faults, slow_share=args.faults, truncate_share=args.faults,
    )  # fmt: skip
    with_reader = not args.no_reader and runs.reader_installed()
    if not args.no_reader and not with_reader:
        print(f"reader is not installed: its baseline is skipped. {_INSTALL_READER}")
    bound = args.feeds * args.latency / args.concurrency
    print(
        f"World: {args.feeds} {'templated ' if args.templated else ''}feeds × {args.items} "
        f"items, brand in {args.share:.0%} of items, "
        f"{args.latency * 1000:.0f} ms per request, faults {args.faults:.0%}; veille "
        f"concurrency {args.concurrency}, per_host {args.per_host} (raised from 4: every feed "
        f"is on 127.0.0.1), processes {processes} "
        f"({process_count(processes, args.feeds)} on this machine)."
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as temp, FeedWorld(spec) as world:
        folder = Path(temp)
        probe = probe_capacity(world, args.concurrency)
        world.reset()
        print(f"feed server alone (minimal client, concurrency {args.concurrency}): {probe:.2f} s")
        rounds = _poll_rounds(world, folder, args, processes, with_reader)
        config = rounds.config
        help_time = runs.median_wall([runs.VEILLE, "--help"], args.startup_repeat)
        mentions_time = runs.median_wall(
            [runs.VEILLE, "--config", str(config), "mentions", "--limit", "10"],
            args.startup_repeat,
        )
        changed, changed_every = _changed_feeds(world, config)
    ours, naive = run_ingest(args.ingest_feeds, args.items, args.share, templated=args.templated)
    print(ours.line())
    print(naive.line())
    adaptive, fixed = run_week()
    for week in (adaptive, fixed):
        print(
            f"simulated week, {week.label}: {week.requests:,} requests, "
            f"{week.useful / week.requests:.1%} found a change, "
            f"median wait for a change {week.median_delay:.2f} h"
        )

    first, second, single, reader = rounds.first, rounds.second, rounds.single, rounds.reader
    wall = first.process.wall
    rows.append(Row(
        f"poll {args.feeds} feeds: wall s (baseline: network bound)", rounds.walls("first"),
        f"{bound:.2f}", "≤ 1.3 × bound", wall <= 1.3 * bound,
    ))  # fmt: skip
    if single is not None:
        rows.append(Row(
            f"poll {args.feeds} feeds, processes = 0: wall s (not a target)",
            rounds.walls("single"), f"{bound:.2f}", "", None,
        ))  # fmt: skip
    rows.append(Row(
        "feed server alone: wall s, minimal client (not a target)", f"{probe:.2f}",
        f"{bound:.2f}", "≈ bound", None,
    ))  # fmt: skip
    if reader is not None:
        speedup = reader.process.wall / wall
        rows.append(Row(
            f"poll {args.feeds} feeds: wall s (baseline: reader, workers={args.reader_workers})",
            rounds.walls("first"), rounds.walls("reader"), "≥ 2 × faster",
            speedup >= 2,
        ))  # fmt: skip
    else:
        rows.append(Row("poll: wall s against reader", f"{wall:.2f}", "skipped", "≥ 2 × faster",
                        None))  # fmt: skip
    share_304 = second.served.statuses[304] / max(second.served.requests, 1)
    byte_share = second.served.bytes_sent / max(first.served.bytes_sent, 1)
    new_rows = second.mentions_after - first.mentions_after
    rows += [
        Row("re-poll: answered 304", f"{share_304:.1%}", "", "≥ 95 %", share_304 >= 0.95),
        Row("re-poll: bytes, share of first pass", f"{byte_share:.2%}",
            f"{first.served.bytes_sent / 1e6:.1f} MB", "≤ 5 %", byte_share <= 0.05),
        Row("re-poll: new mention rows", str(new_rows), "", "0", new_rows == 0),
    ]  # fmt: skip
    rows += [
        Row("changed feeds, one new item each: wall s (baseline: every item processed again)",
            f"{changed.process.wall:.2f}", f"{changed_every.process.wall:.2f}", "(not a target)",
            None),
        Row("changed feeds: new mention rows (baseline: every item processed again)",
            str(changed.mentions_after - second.mentions_after),
            str(changed_every.mentions_after - second.mentions_after), "equal",
            changed.mentions_after == changed_every.mentions_after),
    ]  # fmt: skip
    rate, naive_rate = ours.mentions_per_cpu_second, naive.mentions_per_cpu_second
    rows += [
        Row(f"ingest: mentions/s on one core ({args.ingest_feeds} feeds; baseline: naive)",
            f"{rate:,.0f}", f"{naive_rate:,.0f}", "≥ 3,000", rate >= 3000),
        Row("ingest: veille / naive", f"{rate / naive_rate:.1f}×", "", "≥ 5 ×",
            rate >= 5 * naive_rate),
        Row(f"peak RSS, {args.feeds}-feed pass, with its workers: MB (baseline: reader)",
            f"{rounds.peak_rss():.0f}",
            f"{reader.process.peak_tree_rss_mb:.0f}" if reader else "skipped", "≤ 250",
            rounds.peak_rss() <= 250),
        Row("adaptive polling: requests over a simulated week (baseline: fixed 1 h)",
            f"{adaptive.requests:,}", f"{fixed.requests:,}", "fewer",
            adaptive.requests < fixed.requests),
        Row("start-up: veille --help, s", f"{help_time:.2f}", "", "≤ 0.3", help_time <= 0.3),
        Row("start-up: veille mentions --limit 10, s", f"{mentions_time:.2f}", "", "≤ 0.5",
            mentions_time <= 0.5),
    ]  # fmt: skip
    print()
    print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
