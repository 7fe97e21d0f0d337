"""Worker processes that re-score stored documents for ``veille reclassify`` on several CPUs.

Re-scoring is nearly all classification (language, then sentiment): the process that reads
and writes the batches has little else to do. With workers, it reads batches ahead, hands them
out, and writes each batch's scores in the order read, so a run stopped half-way leaves every
batch before the last one it wrote done. Workers are spawned, never forked, like those of a
collecting pass (``veille.processing_pool``), and ignore Ctrl-C and SIGTERM from the moment they
start (``veille.stop_signals``): the command stops them once it has written the batch in hand
(a terminal's Ctrl-C and a service manager's SIGTERM reach every process of the group), and
they end with it if it is killed outright.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from veille.classify import Classifier
from veille.processing_pool import AUTO_MAX_PROCESSES, exit_with_parent, usable_cpus
from veille.reclassify import BrandNames, BrandTones, brand_names, brand_tones, rescore
from veille.settings import BrandConfig
from veille.stop_signals import blocked_for_workers, ignored_in_worker
from veille.store.reclassify import NewScores, ScoredDocument

log = logging.getLogger(__name__)

Batch = Sequence[ScoredDocument]


# "auto": starting workers (a second or so each, loading the models) pays from about here on.
AUTO_MIN_DOCUMENTS = 20_000


def scoring_processes(setting: int | str, documents: int) -> int:
    """How many worker processes re-score ``documents`` documents (0: none, in this process).

    ``"auto"`` takes every usable CPU, at most ``AUTO_MAX_PROCESSES``: unlike a collecting
    pass, the process that hands out the batches is mostly idle. Fewer than
    ``AUTO_MIN_DOCUMENTS``, or one CPU, are not worth starting processes for.
    """
    if setting != "auto":
        return int(setting)
    cpus = usable_cpus()
    if documents < AUTO_MIN_DOCUMENTS or cpus < 2:
        return 0
    return min(cpus, AUTO_MAX_PROCESSES)


def scored_batches(
    batches: Iterable[Batch],
    classifier: Classifier,
    brands: Sequence[BrandConfig],
    processes: int,
) -> Generator[tuple[Batch, list[NewScores]]]:
    """Each batch with its new scores, in the order read, scored in ``processes`` workers.

    Reads at most one batch per worker ahead of the one given back. A worker that dies (killed
    for memory, say) costs only speed: its batches, and the rest, are scored here.
    """
    tones, names = brand_tones(brands), brand_names(brands)
    if processes < 1:
        for batch in batches:
            yield batch, rescore(batch, classifier, tones, names)
        return
    executor = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(classifier, tuple(brands)),
    )
    pending: deque[tuple[Batch, Future[list[NewScores]] | None]] = deque()
    in_workers = True
    try:
        for batch in batches:
            submitted, in_workers = _submitted(executor, batch, in_workers)
            pending.append((batch, submitted))
            while len(pending) > processes:
                done, future = pending.popleft()
                scores, in_workers = _scores(done, future, classifier, tones, names, in_workers)
                yield done, scores
        while pending:
            done, future = pending.popleft()
            scores, in_workers = _scores(done, future, classifier, tones, names, in_workers)
            yield done, scores
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


_STOPPED = "a re-scoring worker stopped; the rest is re-scored in this process"


def _submitted(
    executor: ProcessPoolExecutor, batch: Batch, in_workers: bool
) -> tuple[Future[list[NewScores]] | None, bool]:
    """The batch handed to a worker, or None once the workers are given up (and whether)."""
    if not in_workers:
        return None, False
    try:
        # A worker is started by the submit that finds none idle.
        with blocked_for_workers():
            return executor.submit(rescore_in_worker, batch), True
    except BrokenProcessPool:
        # A worker died and the pool knows it before the batches it held say so.
        log.warning(_STOPPED)
    except OSError as exc:  # the system refused a worker process (a process limit)
        log.warning("no re-scoring worker could start (%s); re-scoring in this process", exc)
    return None, False


def _scores(
    batch: Batch,
    future: Future[list[NewScores]] | None,
    classifier: Classifier,
    tones: BrandTones,
    names: BrandNames,
    in_workers: bool,
) -> tuple[list[NewScores], bool]:
    """A batch's scores from its worker, or from this process once a worker has died."""
    if future is not None:
        try:
            return future.result(), in_workers
        except BrokenProcessPool:
            if in_workers:
                log.warning(_STOPPED)
    return rescore(batch, classifier, tones, names), False


# The worker process's classifier, brand tones and names, set by its initializer.
_worker_scoring: tuple[Classifier, BrandTones, BrandNames] | None = None


def _start_worker(classifier: Classifier, brands: tuple[BrandConfig, ...]) -> None:
    global _worker_scoring
    ignored_in_worker()
    exit_with_parent()
    _worker_scoring = (classifier, brand_tones(brands), brand_names(brands))


def rescore_in_worker(batch: Batch) -> list[NewScores]:
    """In a worker: the new scores of one batch, as ``veille.reclassify.rescore`` gives them."""
    if _worker_scoring is None:
        raise RuntimeError("the worker process was not started by scored_batches")
    classifier, tones, names = _worker_scoring
    return rescore(batch, classifier, tones, names)
