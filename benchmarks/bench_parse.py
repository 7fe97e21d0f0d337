"""Feed reading: ``parse_feed`` (fast reader first) against feedparser alone, on recorded feeds.

Reads the feeds recorded in the project's tests (``tests/data/recorded``, ``tests/golden/rss``)
and, when they are beside the project, the evaluation payloads (``../shared/eval/payloads``).
Each body is parsed ``--repeat`` times by each path in turn, in the same run; the table gives
the CPU per item of each, and whether the fast reader read the body itself (otherwise it
declined, and ``parse_feed`` took feedparser's path).

    python benchmarks/bench_parse.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from veille.collectors._fast_feed import read_plain_feed  # noqa: E402
from veille.collectors.rss import (  # noqa: E402
    ParsedFeed,
    _feedparser_headers,
    _parse_with_feedparser,
    parse_feed,
)

URL = "https://feeds.example/flux.xml"
FEED_SUFFIXES = (".xml", ".rss", ".atom")


def recorded_feeds() -> list[Path]:
    """The recorded feeds with items, project's first, then the evaluation payloads if present."""
    folders = [ROOT / "tests" / "data" / "recorded", ROOT / "tests" / "golden" / "rss"]
    payloads = ROOT.parent / "shared" / "eval" / "payloads"
    if payloads.is_dir():
        folders.append(payloads)
    paths = [
        p for folder in folders for p in sorted(folder.rglob("*")) if p.suffix in FEED_SUFFIXES
    ]
    return [path for path in paths if _items(path.read_bytes())]


def _items(body: bytes) -> int:
    try:
        return len(_parse_with_feedparser(body, url=URL, source="bench").mentions)
    except Exception:  # an error payload: nothing to time
        return 0


def cpu_per_call(parse: Callable[..., ParsedFeed], body: bytes, repeat: int) -> float:
    """CPU seconds of one parse, the best of ``repeat`` (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        parse(body, url=URL, source="bench")
        best = min(best, time.process_time() - started)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"{'feed':<58} {'items':>5} {'fast?':>5} {'ms/item':>8} {'feedparser':>10} {'ratio':>6}")
    # (items, parse_feed CPU, feedparser CPU) over the bodies the fast reader reads, and the rest
    totals = {True: [0, 0.0, 0.0], False: [0, 0.0, 0.0]}
    for path in recorded_feeds():
        body = path.read_bytes()
        items = _items(body)
        fast = read_plain_feed(body, _feedparser_headers(None, URL)) is not None
        veille = cpu_per_call(parse_feed, body, args.repeat)
        alone = cpu_per_call(_parse_with_feedparser, body, args.repeat)
        for index, value in enumerate((items, veille, alone)):
            totals[fast][index] += value
        name = str(path.relative_to(path.parents[1]))
        print(
            f"{name:<58} {items:>5} {'yes' if fast else 'no':>5} {veille / items * 1000:>8.3f}"
            f" {alone / items * 1000:>10.3f} {alone / veille:>5.1f}×"
        )
    for fast, label in ((True, "read by the fast reader"), (False, "left to feedparser")):
        items, veille, alone = totals[fast]
        if items:
            print(
                f"{label}: {items} items, parse_feed {veille / items * 1000:.3f} ms/item,"
                f" feedparser alone {alone / items * 1000:.3f} ms/item ({alone / veille:.1f}×)"
            )


if __name__ == "__main__":
    main()
