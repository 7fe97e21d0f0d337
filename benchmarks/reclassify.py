"""Re-scoring after an upgrade: ``veille reclassify --all`` in worker processes against one process.

Builds a SQLite database of generated French and English articles naming the brand (``feedworld``
items stored through veille's own path, then copied under new identities up to ``--documents``),
then runs ``veille reclassify --all --quiet`` on it with ``--processes 0`` and with
``--processes auto``, alternately, ``--rounds`` times each, and prints the wall time of each run
and the medians. Every run re-scores every document, so the runs compare like with like.

    .venv/bin/python benchmarks/reclassify.py [--documents 100000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._collect_runs import VEILLE, write_config
from benchmarks.bench_ingest import VeillePipeline
from benchmarks.feedworld import make_feed

SEED_FEEDS = 200  # of 20 items, each naming the brand; copies make up the rest
# Columns a copy keeps (its id, identity and engagement figures are its own).
_COPIED = (
    "canonical_url, url, title, text, platform, site, source_id, published_at, collected_at, "
    "lang, sentiment, tone, classifier_version, fingerprint, story_id"
)


def build_database(folder: Path, documents: int) -> int:
    """Fill ``folder/veille.db`` with at least ``documents`` documents; return how many."""
    pipeline = VeillePipeline()
    pipeline.load()
    database = folder / "veille.db"
    feeds = max(1, min(SEED_FEEDS, documents // 20))
    pipeline.prepare(database, feeds)
    pipeline.run([make_feed(index, 20, 1.0) for index in range(feeds)])
    pipeline.close()
    with sqlite3.connect(database) as connection:
        copy = 0
        while (count := connection.execute("SELECT count(*) FROM documents").fetchone()[0]) < (
            documents
        ):
            copy += 1
            connection.execute(
                f"INSERT INTO documents (identity, {_COPIED}) "
                f"SELECT identity || ':{copy}', {_COPIED} FROM documents LIMIT ?",
                (documents - count,),
            )
    return int(count)


def timed_run(config: Path, processes: str) -> float:
    """Wall seconds of one ``veille reclassify --all`` over the whole database."""
    command = [VEILLE, "--config", str(config), "reclassify", "--all", "--quiet"]
    started = time.perf_counter()
    result = subprocess.run([*command, "--processes", processes], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"veille reclassify failed:\n{result.stdout}{result.stderr}")
    print(f"--processes {processes}: {wall:.2f} s ({result.stdout.strip()})", flush=True)
    return wall


def main(argv: list[str] | None = None) -> None:
    """Build the database, time both ways alternately, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="veille-reclassify-") as name:
        folder = Path(name)
        count = build_database(folder, args.documents)
        config = write_config(folder, [], concurrency=10, per_host=4)
        print(f"{count} documents")
        walls: dict[str, list[float]] = {"0": [], "auto": []}
        for _ in range(args.rounds):
            for processes in walls:
                walls[processes].append(timed_run(config, processes))
    one, workers = (statistics.median(walls[key]) for key in ("0", "auto"))
    print()
    print("| re-scoring | wall s (median) | documents/s |")
    print("| --- | ---: | ---: |")
    print(f"| one process (--processes 0) | {one:.2f} | {count / one:,.0f} |")
    print(f"| workers (--processes auto) | {workers:.2f} | {count / workers:,.0f} |")
    print(f"\nworkers / one process: {one / workers:.2f}× faster")


if __name__ == "__main__":
    main()
