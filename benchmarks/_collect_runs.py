"""Running the pollers of ``benchmarks.collect`` as real processes, timed and measured."""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.feedserver_fast import FeedWorld, Stats
from benchmarks.feedworld import BRAND

ROOT = Path(__file__).resolve().parents[1]
VEILLE = str(Path(sys.executable).with_name("veille"))


@dataclass(frozen=True)
class ProcessRun:
    """One child process: wall time, peak resident memory, exit code and output.

    ``peak_rss_mb`` is the process's own high-water mark (the kernel's); ``peak_tree_rss_mb``
    the highest sum of the resident memory of the process and the processes it started
    (veille's processing workers), sampled every ``TREE_SAMPLE_SECONDS``.
    """

    wall: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    peak_tree_rss_mb: float = 0.0


TREE_SAMPLE_SECONDS = 0.02


def _descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (Linux /proc; none where it is missing)."""
    found: list[int] = []
    waiting = [pid]
    while waiting:
        parent = waiting.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for thread in threads:
            try:
                with open(f"/proc/{parent}/task/{thread}/children") as children:
                    for child in children.read().split():
                        found.append(int(child))
                        waiting.append(int(child))
            except OSError:
                continue
    return found


def _resident_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class PassFigures:
    """One polling pass: the process, what the server answered, rows in the database after."""

    process: ProcessRun
    served: Stats
    mentions_after: int


def run_measured(command: list[str], folder: Path) -> ProcessRun:
    """Run ``command``, timing it and reading its peak RSS from the kernel (wait4)."""
    out_path = folder / "stdout.txt"
    peak_tree_kib = 0
    with out_path.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        while True:
            # ru_maxrss (KiB on Linux) covers the child and the processes it waited for: their
            # largest, never their sum, which the samples give.
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            tree = [process.pid, *_descendants(process.pid)]
            peak_tree_kib = max(peak_tree_kib, sum(map(_resident_kib, tree)))
            time.sleep(TREE_SAMPLE_SECONDS)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(
        wall,
        usage.ru_maxrss / 1024,
        process.returncode,
        out_path.read_text(),
        max(peak_tree_kib, usage.ru_maxrss) / 1024,
    )


def write_config(
    folder: Path, urls: list[str], concurrency: int, per_host: int, processes: int | str = "auto"
) -> Path:
    """A veille configuration polling every URL as an ``rss`` source, SQLite beside it."""
    processes_value = f'"{processes}"' if isinstance(processes, str) else str(processes)
    lines = [
        "[collect]",
        f"processes = {processes_value}",
        "",
        "[http]",
        f"concurrency = {concurrency}",
        f"per_host = {per_host}  # every feed is on 127.0.0.1",
        "",
        "[[brands]]",
        f'name = "{BRAND}"',
        f"query = '\"{BRAND}\"'",
        'languages = ["fr", "en"]  # as `veille init` writes it',
    ]
    for index, url in enumerate(urls):
        lines += ["", "[[sources]]", f'name = "feed-{index}"', 'kind = "rss"', f'url = "{url}"']
    path = folder / "veille.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def count_rows(database: Path, table: str) -> int:
    """Rows in one table of a SQLite file (0 when the file or table does not exist)."""
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        try:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def veille_pass(world: FeedWorld, config: Path) -> PassFigures:
    """One ``veille collect --all --quiet`` over the world, with the server's counts."""
    world.reset()
    process = run_measured(
        [VEILLE, "--config", str(config), "collect", "--all", "--quiet"], config.parent
    )
    if process.returncode != 0:
        raise RuntimeError(f"veille collect failed ({process.returncode}):\n{process.stdout}")
    mentions = count_rows(config.parent / "veille.db", "mentions")
    return PassFigures(process, world.stats(), mentions)


@dataclass(frozen=True)
class ReaderFigures:
    """The reader library's pass over the same world."""

    process: ProcessRun
    served: Stats
    update_seconds: float
    entries: int
    broken: int


def reader_installed() -> bool:
    """Whether the baseline library and the module its vendored feedparser needs are there."""
    import importlib.util

    return all(importlib.util.find_spec(name) for name in ("reader", "sgmllib"))


def reader_pass(world: FeedWorld, folder: Path, workers: int) -> ReaderFigures:
    """reader: add every feed to a fresh database and ``update_feeds(workers=…)`` once."""
    url_file = folder / "urls.txt"
    url_file.write_text("\n".join(world.feed_urls()))
    world.reset()
    process = run_measured(
        [
            sys.executable,
            "-m",
            "benchmarks._reader_baseline",
            str(folder / "reader.sqlite"),
            str(workers),
            str(url_file),
        ],
        folder,
    )
    if process.returncode != 0:
        raise RuntimeError(f"the reader baseline failed:\n{process.stdout}")
    result = json.loads(process.stdout.strip().splitlines()[-1])
    return ReaderFigures(
        process, world.stats(), result["update_seconds"], result["entries"], result["broken"]
    )


def median_wall(command: list[str], repeat: int) -> float:
    """Median wall time of ``command`` over ``repeat`` runs (after a warm-up when repeat > 1).

    Python writes and reuses compiled modules here, as it does by default on a user's machine:
    with PYTHONDONTWRITEBYTECODE set, every run would compile veille's modules from source again.
    """
    times = []
    warm_up = 1 if repeat > 1 else 0
    environment = {
        name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"
    }
    for run in range(repeat + warm_up):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, env=environment)
        if run >= warm_up:
            times.append(time.perf_counter() - started)
    return statistics.median(times)
