"""The baseline poller: the ``reader`` library updating every feed of the world, in its own process.

    python -m benchmarks._reader_baseline DATABASE WORKERS URL_FILE

Prints one JSON line: seconds spent in ``update_feeds``, entries stored, feeds broken.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    """Add every feed of URL_FILE to a fresh reader database and update them all once."""
    from reader import make_reader

    database, workers, url_file = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    reader = make_reader(database)
    for url in url_file.read_text().split():
        reader.add_feed(url, exist_ok=True)
    started = time.perf_counter()
    reader.update_feeds(workers=workers)
    update_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "update_seconds": update_seconds,
                "entries": reader.get_entry_counts().total,
                "broken": reader.get_feed_counts(broken=True).total,
            }
        )
    )
    reader.close()


if __name__ == "__main__":
    main()
