"""Worker processes that read a pass's feeds and process their items on the other CPUs.

One Python process runs one core's worth of Python at a time: in a pass over many feeds, the
process that fetches and stores would otherwise also do all the reading and processing. With a
pool, each source's collection goes to a worker process: a feed's body still unread (the
worker parses it), other sources' raw items. The worker processes them (``MentionProcessor``,
plus the story signature of each item kept) and sends back the stored items only, which the
pass stores in order.

Workers are started with ``spawn``, never ``fork``: the pass's process has threads (the store's
worker, the event loop) whose locks a forked child would inherit mid-use. They load their models
once, while the first feeds are fetched (a pass starts them as soon as a source is sure to answer
in full; ``veille collect`` even before the pass, for sources never collected, and before it
opens the store when the database is new), and ignore Ctrl-C and SIGTERM from the moment they start
(``veille.stop_signals``): the pass stops them itself.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from veille.settings import BrandConfig, Settings
from veille.stop_signals import blocked_for_workers, ignored_in_worker
from veille.types import Collected, RawMention, ReadItems, StoredItem

if TYPE_CHECKING:
    from veille.process import MentionProcessor
    from veille.store import Store

log = logging.getLogger(__name__)

# What a worker gives back (see process_in_worker).
WorkerResult = tuple[ReadItems | None, int, list[StoredItem], tuple[str, ...]]

# "auto": one process fewer than the usable CPUs (the pass's own process keeps one), at most this.
AUTO_MAX_PROCESSES = 4
# "auto": a pass over fewer sources does not pay for starting a process (about a second of CPU).
AUTO_MIN_SOURCES = 20


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def process_count(setting: int | str, sources: int) -> int:
    """How many worker processes a pass over ``sources`` sources uses (0: none)."""
    if setting != "auto":
        return int(setting)
    if sources < AUTO_MIN_SOURCES:
        return 0
    return max(0, min(usable_cpus() - 1, AUTO_MAX_PROCESSES))


def pool_for_new_sources(
    settings: Settings, store: Store | None, sources: Sequence[str] = ()
) -> ProcessingPool | None:
    """A started pool, when the pass over ``sources`` (every one if empty) will read new ones.

    Sources never collected answer in full, so their items will be processed: the workers can
    load their models while the pass's own process loads its modules and prepares the pass. As
    in the pass, there are workers only for enough such sources (see ``process_count``), and
    none when every source was collected before (they may all answer "not modified"): the pass
    starts them itself on its first new answer. ``store`` None: the database does not exist
    yet, so no source was collected (the workers then start before the store is even opened).
    """
    names = list(sources) or [source.name for source in settings.sources]
    collected = store.collected_sources(names) if store is not None else set()
    new = [name for name in names if name not in collected]
    processes = process_count(settings.collect.processes, len(new)) if new else 0
    if not processes:
        return None
    pool = ProcessingPool(settings.brands, processes)
    try:
        pool.start()
    except OSError as exc:
        # The pass tries again when it needs them, and goes on without them if it cannot.
        log.warning("no processing worker could start (%s)", exc)
        pool.close()
        return None
    return pool


class ProcessingPool:
    """A pool of worker processes, started by ``start`` or else on the first items it is given."""

    def __init__(self, brands: Sequence[BrandConfig], processes: int) -> None:
        if processes < 1:
            raise ValueError("a processing pool needs at least one process")
        self.brands = tuple(brands)
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start every worker now (each loads its models), not on the first items given."""
        if self._executor is None:
            executor = self._executor = self._new_executor()
            # A process is started per task submitted while none is idle, up to the maximum.
            with blocked_for_workers():
                for _ in range(self.processes):
                    executor.submit(_ready)

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.brands,),
        )

    def submit(
        self, collected: Collected, seen: frozenset[str] = frozenset()
    ) -> Future[WorkerResult]:
        """Read (when unread) and process a collection's items not ``seen``, in a worker.

        The future gives what ``process_in_worker`` returns, or raises ``BrokenProcessPool`` if
        a worker died, or the ``SourceError`` of a body that could not be read.
        """
        if self._executor is None:
            self._executor = self._new_executor()
        # One worker leaves the pass's own process CPU to spare: the store computes the story
        # signatures as it saves. Several keep that process busy: each computes its items'.
        stories = self.processes > 1
        with blocked_for_workers():  # the submit that finds no worker idle starts one
            return self._executor.submit(
                process_in_worker, collected.unread, collected.mentions, seen, stories
            )

    def close(self) -> None:
        """Stop the workers, dropping what they have not started."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> ProcessingPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(slots=True)
class Processed:
    """A source's collection once read and processed: what to store and what to record."""

    items: list[StoredItem]  # the items worth storing, classified
    given: int  # how many items the source gave, worth storing or not
    warning: str | None
    ttl_seconds: int | None
    entries: tuple[str, ...] = ()  # the keys of all the items given (veille.process.entry_key)


class Processing:
    """Where a pass's items are processed: in worker processes, or in the pass's store thread.

    Without processes, once a worker has died (killed for memory, say), or when none could
    start, items are processed in ``thread``, the executor that also stores them; the items of a
    worker that died are processed there again, so none is lost.
    """

    def __init__(
        self,
        brands: Sequence[BrandConfig],
        processes: int,
        thread: Executor,
        pool: ProcessingPool | None = None,
    ) -> None:
        self.brands = tuple(brands)
        self.thread = thread
        # A pool the caller started early (pool_for_new_sources) serves the pass as its own.
        self.pool = pool or (ProcessingPool(brands, processes) if processes else None)
        self._processor: MentionProcessor | None = None

    @property
    def processor(self) -> MentionProcessor:
        """The in-thread processor, built (models loaded) when it is first needed.

        A pass whose sources all answer 304 loads no model. Loading mid-pass holds the
        interpreter at most a few tens of milliseconds at a time: requests in flight do not
        starve.
        """
        if self._processor is None:
            from veille.process import MentionProcessor

            self._processor = MentionProcessor(self.brands)
        return self._processor

    async def process(self, collected: Collected, seen: frozenset[str] = frozenset()) -> Processed:
        """Read a collection's body if it is unread, and process its items not ``seen``.

        ``seen`` holds the keys of items already processed under the same setup
        (``veille.process.entry_key``): they were stored then, if they were worth it.
        """
        if not collected.mentions and collected.unread is None:
            return Processed([], 0, collected.warning, collected.ttl_seconds)
        pool = self.pool
        if pool is not None:
            try:
                submitted = pool.submit(collected, seen)
                read, given, items, entries = await asyncio.wrap_future(submitted)
            except BrokenProcessPool as exc:
                # Every source waiting on the pool learns it broke; the first one stops it.
                self._without(pool, f"a processing worker stopped ({exc})")
            except OSError as exc:  # the system refused a worker process (a process limit)
                self._without(pool, f"no processing worker could start ({exc})")
            else:
                hints = collected if read is None else collected.with_items(read)
                return Processed(items, given, hints.warning, hints.ttl_seconds, entries)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.thread, self._process_here, collected, seen)

    def _process_here(self, collected: Collected, seen: frozenset[str]) -> Processed:
        from veille.process import unseen

        collected = collected.read()
        mentions = collected.mentions
        fresh, entries = unseen(mentions, seen)
        items = self.processor.process(fresh) if fresh else []
        return Processed(items, len(mentions), collected.warning, collected.ttl_seconds, entries)

    def _without(self, pool: ProcessingPool, why: str) -> None:
        """Stop using ``pool``: what is left is processed in ``thread``."""
        if self.pool is pool:
            log.warning("%s; going on without them", why)
            pool.close()
            self.pool = None

    def start(self) -> None:
        """Start the worker processes now, if there are any and they have not started."""
        pool = self.pool
        if pool is not None:
            try:
                pool.start()
            except OSError as exc:
                self._without(pool, f"no processing worker could start ({exc})")

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self.pool is not None:
            self.pool.close()


# The worker process's own processor, built by its initializer.
_worker_processor = None


def exit_with_parent() -> None:
    """In a worker process: end it as soon as the process that started it ends.

    A pass killed outright (a service manager's SIGTERM, SIGKILL) cannot stop its workers, and
    a worker waiting for work never hears that its parent is gone (it holds both ends of its
    queue's pipe): it would wait forever, with its models' memory.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # a parent's join waits for it to end
        os._exit(0)

    threading.Thread(target=watch, name="veille-parent-watch", daemon=True).start()


def _start_worker(brands: Sequence[BrandConfig]) -> None:
    global _worker_processor
    ignored_in_worker()
    exit_with_parent()
    from veille.process import MentionProcessor

    _worker_processor = MentionProcessor(brands)
    _worker_processor.warm_up()


def _ready() -> None:
    """A task that only makes a worker start (see ProcessingPool.start)."""


def process_in_worker(
    unread: Callable[[], ReadItems] | None,
    raws: Sequence[RawMention],
    seen: frozenset[str] = frozenset(),
    stories: bool = True,
) -> WorkerResult:
    """In a worker: read the body (if unread), then process its items (else ``raws``) not seen.

    Returns what reading said of the source (its items left out: only the stored ones go
    back), how many items there were, the stored items (each with its story signature when
    ``stories``), and the keys of all the items (``veille.process.entry_key``).
    """
    from veille.normalize.story import story_signature
    from veille.process import unseen

    if _worker_processor is None:
        raise RuntimeError("the worker process was not started by a ProcessingPool")
    read = unread() if unread is not None else None
    mentions = read.mentions if read is not None else raws
    fresh, entries = unseen(mentions, seen)
    items = _worker_processor.process(fresh) if fresh else []
    if stories:
        items = [
            replace(item, story=story_signature(item.document.title, item.document.text))
            for item in items
        ]
    hints = None if read is None else ReadItems([], read.warning, read.ttl_seconds)
    return hints, len(mentions), items, entries
