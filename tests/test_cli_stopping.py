"""``reclassify``, ``query rematch`` and ``prune`` stopped by Ctrl-C or SIGTERM: what they did,
said; 130 or 143.

Each command runs in a process of its own, in a session of its own, and the signal goes to the
whole process group, as a terminal's Ctrl-C or a service manager's stop sends it: the worker
processes of ``reclassify`` receive it too.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.project import run, write_config
from tests.support.stores import T0, configure, make_item
from veille.classify import CLASSIFIER_VERSION
from veille.settings import load_settings
from veille.store import BrandSpec, SourceSpec, Store
from veille.store.schema import document_table, mention_table, run_table, utcnow
from veille.types import Classification, SourceState

TEXT = "Je n'ai jamais été aussi déçu par ce yaourt, une honte absolue et un goût affreux. " * 4


@pytest.fixture(name="project")
def project_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project on its default SQLite file (the commands' own engine does not matter here)."""
    monkeypatch.delenv("VEILLE_DATABASE_URL", raising=False)
    return write_config(tmp_path, {})


@pytest.fixture(name="store")
def store_fixture(project: Path) -> Iterator[Store]:
    """The project's store, with the tests' brands and sources."""
    store = Store.open(load_settings(project).database_url)
    configure(store)
    try:
        yield store
    finally:
        store.close()


def fill(store: Store, documents: int, *, published_at: datetime = T0) -> None:
    """Store ``documents`` documents scored by an older classifier, a thousand to a pass, the
    passes made when they were published."""
    old = Classification("fr", 0.5, "positive", "lang-old+sent-old-0")
    for start in range(0, documents, 1000):
        items = [
            replace(make_item(f"d{n}", text=TEXT, published_at=published_at), classification=old)
            for n in range(start, min(start + 1000, documents))
        ]
        run_id = store.begin_run(published_at)
        store.save_collection(
            run_id,
            "lemonde",
            None,
            items,
            SourceState(),
            now=published_at,
            next_check_at=published_at + timedelta(hours=1),
            not_modified=False,
            duration=0.1,
        )
        store.finish_run(run_id, published_at, status="ok")


def count(store: Store, query: object) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())  # type: ignore[call-overload]


def rescored(store: Store) -> int:
    """Documents scored by the current classifier."""
    return count(
        store,
        select(func.count())
        .select_from(document_table)
        .where(document_table.c.classifier_version == CLASSIFIER_VERSION),
    )


def mentions(store: Store) -> int:
    return count(store, select(func.count()).select_from(mention_table))


def stored(store: Store) -> tuple[int, int, int]:
    """Mentions, documents and runs stored."""
    tables = (mention_table, document_table, run_table)
    return tuple(count(store, select(func.count()).select_from(table)) for table in tables)  # type: ignore[return-value]


def stop_when(
    config: Path, args: list[str], ready: Callable[[], bool], signum: int
) -> tuple[int, str]:
    """Run veille with ``args``, send ``signum`` to its process group once ``ready`` holds;
    return its exit status and stderr."""
    command = [sys.executable, "-m", "veille", "--config", str(config), *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_stop_signals_as_by_default,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the command never got going"
            time.sleep(0.01)
        os.killpg(process.pid, signum)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert out == ""
    return process.returncode, err


def _stop_signals_as_by_default() -> None:
    """In the command's process: Ctrl-C and SIGTERM act, even when the tests run with them
    ignored or blocked (a background job of a shell ignores Ctrl-C, and its children too)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT, signal.SIGTERM))


STOPS = [(signal.SIGINT, 130, "Interrupted"), (signal.SIGTERM, 143, "Stopped (SIGTERM)")]


@pytest.mark.parametrize(
    ("signum", "status", "said", "processes"),
    [(*STOPS[0], "2"), (*STOPS[1], "2"), (*STOPS[1], "0")],
    ids=["ctrl-c-workers", "sigterm-workers", "sigterm-in-process"],
)
def test_a_stopped_reclassify_says_what_it_re_scored_and_the_next_run_does_the_rest(
    project: Path, store: Store, signum: int, status: int, said: str, processes: str
) -> None:
    documents = 20_000
    fill(store, documents)
    args = ["reclassify", "--quiet", "--batch-size", "20", "--processes", processes]
    code, err = stop_when(project, args, lambda: rescored(store) > 0, signum)

    assert code == status, err
    done = rescored(store)
    assert 0 < done < documents
    match = re.fullmatch(
        rf"{re.escape(said)}: (\d+) document\(s\) re-scored in [\d.]+s are saved; run the "
        r"command again to re-score the rest\.\n",
        err,
    )
    assert match is not None, err  # no traceback, no warning of leaked semaphores
    assert int(match[1]) == done
    rest = run(project, "reclassify", "--quiet")
    assert rest.exit_code == 0, rest.output
    assert rest.stdout.startswith(f"{documents - done} document(s) re-scored in ")


@pytest.mark.parametrize(("signum", "status", "said"), STOPS, ids=["ctrl-c", "sigterm"])
def test_a_stopped_prune_says_what_it_removed_and_the_next_run_removes_the_rest(
    project: Path, store: Store, signum: int, status: int, said: str
) -> None:
    documents = 3000
    fill(store, documents, published_at=utcnow() - timedelta(days=800))
    before = stored(store)
    # A transaction per row, each with its progress line on stderr: more lines than a pipe
    # holds, so the command cannot end before the signal (stderr is read after it). Wherever
    # the signal lands, what the command says is checked against the database.
    args = ["prune", "--older-than", "365d", "--batch-size", "1"]
    code, err = stop_when(project, args, lambda: mentions(store) < documents, signum)

    assert code == status, err
    left = stored(store)
    match = re.search(
        rf"^{re.escape(said)}: removed (\d+) mention\(s\), (\d+) document\(s\), (\d+) run\(s\); "
        r"run the command again to remove the rest\.\n\Z",
        err,
        re.MULTILINE,
    )
    assert match is not None, err
    assert tuple(map(int, match.groups())) == tuple(
        b - a for b, a in zip(before, left, strict=True)
    )
    assert "Traceback" not in err
    rest = run(project, "prune", "--older-than", "365d")
    assert rest.exit_code == 0, rest.output
    mentions_left, documents_left, runs_left = left
    # The mention stored last stays, and its document.
    assert (
        f"removed {mentions_left - 1} mention(s), {documents_left - 1} document(s), "
        f"{runs_left} run(s)"
    ) in rest.stdout


@pytest.mark.parametrize(("signum", "status", "said"), STOPS, ids=["ctrl-c", "sigterm"])
def test_a_stopped_rematch_says_what_it_saved_and_the_next_run_does_the_rest(
    project: Path, signum: int, status: int, said: str
) -> None:
    store = Store.open(load_settings(project).database_url)
    try:
        # Mentions of the project's Danone whose documents its query (danone*) does not find.
        store.sync_config(
            [BrandSpec("Danone", "danone*"), BrandSpec("Michelin", '"Michelin"')],
            [SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"})],
        )
        documents = 5000
        items = [make_item(f"d{n}", brands=("Danone",), text=TEXT) for n in range(documents)]
        run_id = store.begin_run(T0)
        store.save_collection(
            run_id,
            "lemonde",
            None,
            items,
            SourceState(),
            now=T0,
            next_check_at=T0 + timedelta(hours=1),
            not_modified=False,
            duration=0.1,
        )
        args = ["query", "rematch", "--quiet", "--batch-size", "20"]
        code, err = stop_when(project, args, lambda: mentions(store) < documents, signum)

        assert code == status, err
        removed = documents - mentions(store)
        assert 0 < removed < documents
        match = re.fullmatch(
            rf"{re.escape(said)}: (\d+) mention\(s\) removed, 0 rewritten and 0 added are saved "
            r"\((\d+) document\(s\) matched\); run the command again to match the rest\.\n",
            err,
        )
        assert match is not None, err
        assert int(match[1]) == removed and int(match[2]) >= removed
        rest = run(project, "query", "rematch", "--quiet")
        assert rest.exit_code == 0, rest.output
        assert rest.stdout.endswith(
            f"{documents - removed} mention(s) removed, 0 rewritten and 0 added.\n"
        )
        assert mentions(store) == 0
    finally:
        store.close()
