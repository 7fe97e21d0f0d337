"""Re-scoring in worker processes: the same scores as in one process, in the order read."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator

import pytest

from tests.support.processes import refuse_new_processes, signalling_workers
from veille import scoring_pool
from veille.classify import Classifier
from veille.reclassify import rescore
from veille.scoring_pool import AUTO_MIN_DOCUMENTS, scored_batches, scoring_processes
from veille.store.reclassify import ScoredDocument

CLASSIFIER = Classifier(["fr", "en"])
TEXTS = [
    "Je n'ai jamais été aussi déçu par ce yaourt, une honte absolue.",
    "I absolutely love this wonderful product, the quality is great.",
    "La réunion du conseil a lieu mardi à Lyon.",
    "The service was slow and the staff rude, never again.",
    "Un accueil chaleureux et un repas délicieux, bravo à toute l'équipe !",
    "Boycott de la marque après la cyberattaque.",
]


def _document(number: int) -> ScoredDocument:
    return ScoredDocument(
        id=number,
        title=f"Titre {number}",
        text=TEXTS[number % len(TEXTS)],
        lang="fr",
        sentiment=0.0,
        tone="neutral",
        version="old-0",
    )


def _batches(count: int, size: int) -> list[list[ScoredDocument]]:
    return [[_document(b * size + n) for n in range(size)] for b in range(count)]


def test_workers_give_each_batch_its_scores_in_the_order_read() -> None:
    batches = _batches(7, 3)
    scored = list(scored_batches(iter(batches), CLASSIFIER, (), processes=2))
    assert [batch for batch, _ in scored] == batches
    for batch, scores in scored:
        assert scores == rescore(batch, CLASSIFIER, {})
    assert {score.tone for _, scores in scored for score in scores} == {
        "positive",
        "negative",
        "neutral",
    }


def _killing_the_workers(
    batches: list[list[ScoredDocument]], pause: float = 0.0
) -> Iterator[list[ScoredDocument]]:
    yield batches[0]
    # The first batch went to the worker: kill it before the next is read.
    deadline = time.monotonic() + 60
    while not (workers := [c.pid for c in multiprocessing.active_children() if c.pid]):
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.05)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    time.sleep(pause)
    yield from batches[1:]


# Without a pause the next batch is handed out before the pool learns of the death; after one,
# the pool refuses it.
@pytest.mark.parametrize("pause", [0.0, 1.0])
def test_a_worker_that_dies_costs_only_speed(
    caplog: pytest.LogCaptureFixture, pause: float
) -> None:
    batches = _batches(4, 2)
    with caplog.at_level(logging.WARNING, logger="veille.scoring_pool"):
        killing = _killing_the_workers(batches, pause)
        scored = list(scored_batches(killing, CLASSIFIER, (), processes=1))
    assert "a re-scoring worker stopped" in caplog.text
    assert [batch for batch, _ in scored] == batches, "no batch lost"
    for batch, scores in scored:
        assert scores == rescore(batch, CLASSIFIER, {})


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_workers_ignore_ctrl_c_and_sigterm_from_the_moment_they_start(
    caplog: pytest.LogCaptureFixture, signum: int
) -> None:
    batches = _batches(6, 2)
    with caplog.at_level(logging.WARNING, logger="veille.scoring_pool"), signalling_workers(signum):
        scored = list(scored_batches(iter(batches), CLASSIFIER, (), processes=2))
    assert caplog.text == "", "no worker stopped"
    assert [batch for batch, _ in scored] == batches


def test_workers_that_cannot_start_cost_only_speed(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_new_processes(monkeypatch)
    batches = _batches(3, 2)
    with caplog.at_level(logging.WARNING, logger="veille.scoring_pool"):
        scored = list(scored_batches(iter(batches), CLASSIFIER, (), processes=2))
    assert "no re-scoring worker could start" in caplog.text
    assert [batch for batch, _ in scored] == batches, "no batch lost"
    for batch, scores in scored:
        assert scores == rescore(batch, CLASSIFIER, {})


def test_auto_takes_the_cpus_for_a_large_run_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scoring_pool, "usable_cpus", lambda: 8)
    assert scoring_processes("auto", AUTO_MIN_DOCUMENTS) == 4
    assert scoring_processes("auto", AUTO_MIN_DOCUMENTS - 1) == 0
    assert scoring_processes(3, 10) == 3
    assert scoring_processes(0, 10**6) == 0
    monkeypatch.setattr(scoring_pool, "usable_cpus", lambda: 2)
    assert scoring_processes("auto", 10**6) == 2
    monkeypatch.setattr(scoring_pool, "usable_cpus", lambda: 1)
    assert scoring_processes("auto", 10**6) == 0
