"""Several processes opening one empty SQLite database at once all get a ready database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OPEN_AND_COUNT = """
import sys
from veille.store import Store
store = Store.open(sys.argv[1])
print(store.current_revision())
store.close()
"""


def test_processes_opening_an_empty_database_take_turns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'veille.db'}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AND_COUNT, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, results
    revisions = {out.strip() for out, _ in results}
    assert len(revisions) == 1 and revisions != {"None"}
