"""One listening pass: due sources → collectors → processing → store. Used by every front end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx

from veille.collectors.base import Collector, get_collector
from veille.errors import (
    ConfigError,
    FatalSourceError,
    SourceError,
    StoreError,
    StoreUnavailableError,
    internal_error_text,
)
from veille.fetch import Fetcher
from veille.polling import PollBounds, next_interval, wait_before_next_check, wait_until_due
from veille.process import processing_setup
from veille.processing_pool import Processed, Processing, ProcessingPool, process_count
from veille.save_batches import SaveBatches
from veille.settings import Settings, SourceConfig
from veille.store import BrandSpec, CollectionSave, SourceSpec, Store
from veille.timeutil import utcnow
from veille.types import Collected, SourceState

log = logging.getLogger(__name__)

# Sources a pass has under way at once, per request it may have in flight (see _Pass).
IN_FLIGHT_PER_REQUEST = 2
# How often a pass makes sure it still holds its run's lock (PostgreSQL; see keep_run_locks).
RUN_LOCK_CHECK_SECONDS = 10.0


@dataclass(slots=True)
class SourceOutcome:
    """What one source (or one source × brand for search sources) gave in this pass."""

    source: str
    brand: str | None = None
    items: int = 0
    # New mentions of the brand searched (every brand for a feed), and those of the other
    # brands a search's results named: they are matched against every brand.
    new_mentions: int = 0
    new_mentions_other_brands: int = 0
    new_documents: int = 0
    not_modified: bool = False
    error: str | None = None
    warning: str | None = None
    disabled: bool = False
    duration: float = 0.0


@dataclass(slots=True)
class RunReport:
    """The outcome of a pass: one line per source, and totals."""

    run_id: int
    started_at: datetime
    finished_at: datetime | None = None
    outcomes: list[SourceOutcome] = field(default_factory=list)
    # The units an --all pass left alone, as their server asked to wait (429/503 with
    # Retry-After, a rate limit's reset): (source, brand or None) → the end of the wait.
    held_back: dict[tuple[str, str | None], datetime] = field(default_factory=dict)
    # Brands whose query changed since some of their stored mentions were found, and when:
    # those mentions stay as found until `veille query rematch`.
    queries_changed: dict[str, datetime] = field(default_factory=dict)

    @property
    def new_mentions(self) -> int:
        """Mentions stored for the first time in this pass, of any brand."""
        return sum(o.new_mentions + o.new_mentions_other_brands for o in self.outcomes)

    @property
    def failed(self) -> int:
        """How many sources ended with an error."""
        return sum(1 for outcome in self.outcomes if outcome.error)

    @property
    def status(self) -> str:
        """``ok``, ``partial`` (some sources failed) or ``failed`` (all of them did)."""
        if not self.failed:
            return "ok"
        return "failed" if self.failed == len(self.outcomes) else "partial"


ProgressCallback = Callable[[SourceOutcome, int, int], None]  # outcome, done, total


@dataclass(frozen=True, slots=True)
class _Unit:
    source: SourceConfig
    collector: Collector
    brand: str | None


def sync_config(settings: Settings, store: Store) -> None:
    """Mirror the configuration's brands and sources into the database."""
    store.sync_config(
        [
            BrandSpec(b.name, b.query, tuple(b.languages), {"case_sensitive": b.case_sensitive})
            for b in settings.brands
        ],
        [SourceSpec(s.name, s.kind, dict(s.options)) for s in settings.sources],
    )


def run_once(
    settings: Settings,
    store: Store,
    *,
    sources: Sequence[str] = (),
    brands: Sequence[str] = (),
    include_not_due: bool = False,
    progress: ProgressCallback | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    pool: ProcessingPool | None = None,
) -> RunReport:
    """Collect every due source once (all of them with ``include_not_due``) and store mentions.

    ``sources`` limits the pass to those sources; ``brands`` limits search sources to those
    brands' queries (feeds are still matched against every brand, so nothing is missed).
    ``pool``, worker processes already started for the pass (``pool_for_new_sources``), does
    its processing; the pass stops it.
    """
    return asyncio.run(
        collect(
            settings,
            store,
            sources=sources,
            brands=brands,
            include_not_due=include_not_due,
            progress=progress,
            transport=transport,
            pool=pool,
        )
    )


async def collect(
    settings: Settings,
    store: Store,
    *,
    sources: Sequence[str] = (),
    brands: Sequence[str] = (),
    include_not_due: bool = False,
    progress: ProgressCallback | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    pool: ProcessingPool | None = None,
) -> RunReport:
    """The asynchronous body of :func:`run_once`."""
    for name in sources:
        settings.source(name)
    selected_brands = [settings.brand(name).name for name in brands] or [
        b.name for b in settings.brands
    ]
    if not settings.brands:
        raise ConfigError(
            "no brand is declared, so nothing can be matched",
            file=str(settings.config_path) if settings.config_path else None,
            key="brands",
            hint='add a [[brands]] table with name = "…"',
        )
    sync_config(settings, store)
    now = utcnow()
    per_brand = {
        s.name: selected_brands for s in settings.sources if get_collector(s.kind).per_brand
    }
    # On PostgreSQL, other workers may be passing over the same database: collect only what
    # this one claimed, a batch at a time, claiming more as fetches finish, so that workers
    # split the work by how fast each goes (on SQLite, where one process writes at a time,
    # every due source at once).
    batch = settings.http.concurrency if store.shares_work and not include_not_due else None
    # When each unit was claimed: its next check is counted from then (wait_until_due).
    claimed_at: dict[tuple[str, str | None], datetime] = {}
    # A pass still "running" whose process died (on SQLite every pass holds the collect lock;
    # on PostgreSQL its run's lock is free) is closed as failed rather than left running; on
    # PostgreSQL the sources it had claimed and not collected are due again now, not when its
    # claims' lease ends, so this pass collects them.
    store.close_interrupted_runs()
    report = RunReport(run_id=store.begin_run(now), started_at=now)
    if include_not_due and not sources:
        # Every source "due or not", but not against a server's wish (sources named are asked
        # whatever their state: the pass is theirs alone).
        report.held_back = {
            (source, brand): until
            for (source, brand), until in store.server_waits(now).items()
            if (brand in per_brand[source] if source in per_brand else brand is None)
        }
    report.queries_changed = store.outdated_brands()

    def claim(limit: int | None) -> list[tuple[str, str | None]]:
        moment = utcnow()
        units = store.claim_due(
            moment,
            names=sources,
            include_not_due=include_not_due,
            lease=settings.collect.claim_lease,
            per_brand=per_brand,
            limit=limit,
            run_id=report.run_id,  # a claim records its pass, to be given back if it dies
        )
        claimed_at.update(dict.fromkeys(units, moment))
        return units

    try:
        claimed = claim(batch)
    except BaseException:
        _close_stopped_pass(store, report.run_id, [])
        raise
    # One worker thread does the writes, in order, off the event loop, the saves waiting for it
    # together (save_batches); the items are processed in worker processes when the pass is
    # worth them, else in that thread too.
    processes = process_count(settings.collect.processes, len(claimed))
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="veille-store") as worker,
        contextlib.closing(Processing(settings.brands, processes, worker, pool)) as processing,
    ):
        async with Fetcher(settings.http, transport=transport) as fetcher:
            pass_context = _Pass(
                settings, store, fetcher, worker, processing, report.run_id, claimed_at
            )
            taken: set[tuple[str, str | None]] = set()
            pending: set[asyncio.Task[SourceOutcome]] = set()
            # Tasks queue themselves as they finish: waiting on the set of pending tasks instead
            # walks the whole set for every task that finishes (quadratic in the sources).
            finished: asyncio.Queue[asyncio.Task[SourceOutcome]] = asyncio.Queue()
            total = 0
            more = batch is not None and len(claimed) == batch
            # Whether this pass has looked, before finishing, for passes that died meanwhile.
            swept = False
            next_lock_check = time.monotonic() + RUN_LOCK_CHECK_SECONDS
            tasks: list[asyncio.Task[SourceOutcome]] = []
            try:
                while True:
                    fresh = set(claimed) - taken
                    # Most turns claim nothing new: no need to walk every configured source.
                    units = _units(settings.sources, selected_brands, fresh) if fresh else []
                    taken.update(claimed)
                    if units:
                        await pass_context.read_states(units)
                    for unit in units:
                        task = asyncio.create_task(pass_context.collect_unit(unit))
                        task.add_done_callback(finished.put_nowait)
                        pending.add(task)
                        tasks.append(task)
                    total += len(units)
                    if not pending:
                        if batch is not None and not swept:
                            # Another worker's pass may have died while this one ran: the
                            # sources it had claimed are collected now, or this pass, which
                            # stands for a whole one, would leave them until the next.
                            swept = True
                            if await asyncio.to_thread(store.close_interrupted_runs):
                                claimed = await asyncio.to_thread(claim, batch)
                                more = len(claimed) == batch
                                continue
                        break
                    done = [await finished.get()]
                    while not finished.empty():
                        done.append(finished.get_nowait())
                    pending.difference_update(done)
                    for task in done:
                        report.outcomes.append(task.result())
                        if progress is not None:
                            progress(task.result(), len(report.outcomes), total)
                    claimed = []
                    if time.monotonic() >= next_lock_check:
                        # Another worker must not take this pass for dead (see keep_run_locks).
                        await asyncio.to_thread(store.keep_run_locks)
                        next_lock_check = time.monotonic() + RUN_LOCK_CHECK_SECONDS
                    if more and batch is not None and len(pending) <= batch // 2:
                        wanted = batch - len(pending)
                        claimed = await asyncio.to_thread(claim, wanted)
                        more = len(claimed) == wanted
            except BaseException:
                # The pass stops (its database takes no writes, or Ctrl-C): the sources still
                # collecting are abandoned while the fetcher and the store's thread are still
                # there for them to stop in, and the errors the others ended with are not
                # reported again.
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                # Collected: those reported, and those whose task ended meanwhile (their next
                # check is recorded); the others' claims go back.
                ended = [
                    t.result()
                    for t in tasks
                    if t.done() and not t.cancelled() and not t.exception()
                ]
                collected = {(o.source, o.brand) for o in [*report.outcomes, *ended]}
                _close_stopped_pass(store, report.run_id, sorted(taken - collected, key=str))
                raise
    report.finished_at = utcnow()
    store.finish_run(report.run_id, report.finished_at, status=report.status)
    if not sources and not brands:
        # A pass limited to some sources or brands leaves the others due: it does not stand
        # for the scheduled pass, which must still catch up.
        store.note_whole_pass(report.started_at)
    if report.new_mentions:
        store.refresh_statistics()
    return report


def _has_new_entries(entries: Sequence[str], previous: SourceState) -> bool:
    """Whether an answer gave an item not in the one before, new or edited.

    A feed that stamps its build date (or a cache-busting comment) on every answer changes its
    bytes, not its items: polling it more often would find nothing more.
    """
    if not entries or not previous.seen_entries:
        return True  # nothing to compare with: the bytes changed, which is all that is known
    return not set(entries).issubset(previous.seen_entries)


def _close_stopped_pass(
    store: Store, run_id: int, uncollected: list[tuple[str, str | None]]
) -> None:
    """Leave a stopped pass's database as a finished one: its run closed as failed, and the
    sources it claimed and did not collect due again for the next pass (not at the lease's end).

    When the database is what stopped the pass, these writes fail too: the run's lock is let go
    all the same, so the next pass closes the run; the claims end with their lease.
    """
    now = utcnow()
    # The exception that stopped the pass is the one to report, not these.
    try:
        store.release_claims(uncollected, now)
    except Exception:
        log.debug("could not give back the claims of the stopped pass %s", run_id, exc_info=True)
    try:
        store.finish_run(run_id, now, status="failed")
    except Exception:
        log.debug("could not close the stopped pass %s", run_id, exc_info=True)


def _units(
    sources: Sequence[SourceConfig], brands: Sequence[str], claimed: set[tuple[str, str | None]]
) -> list[_Unit]:
    units: list[_Unit] = []
    for source in sources:
        collector_class = get_collector(source.kind)
        wanted: list[str | None] = list(brands) if collector_class.per_brand else [None]
        mine = [brand for brand in wanted if (source.name, brand) in claimed]
        if mine:
            collector = collector_class(
                source.name, collector_class.options_model(**source.options)
            )
            units.extend(_Unit(source, collector, brand) for brand in mine)
    return units


class _Pass:
    """State shared by the tasks of one pass."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        worker: ThreadPoolExecutor,
        processing: Processing,
        run_id: int,
        claimed_at: Mapping[tuple[str, str | None], datetime],
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.worker = worker
        self.processing = processing
        self.run_id = run_id
        self.claimed_at = claimed_at
        # Sources between their first request and their save: the fetches under way, and a
        # backlog as long again of fetched items waiting for the CPU. More would only hold
        # parsed items in memory (the whole pass's, when the network is faster than the CPU).
        self.in_flight = asyncio.Semaphore(IN_FLIGHT_PER_REQUEST * settings.http.concurrency)
        self.saves = SaveBatches(store, worker)
        # Items a source gave under this setup before are not processed again (stored then).
        self.setup = processing_setup(settings.brands)
        # What the units about to be collected remember, read together (read_states).
        self.states: dict[tuple[str, str | None], SourceState] = {}

    async def _in_worker(self, function: Callable[..., object], *args: object) -> object:
        return await asyncio.get_running_loop().run_in_executor(self.worker, function, *args)

    async def read_states(self, units: Sequence[_Unit]) -> None:
        """Read what these units remember in a few statements, not one per unit."""
        keys = [(unit.source.name, unit.brand) for unit in units]
        try:
            stored = await self._in_worker(self.store.load_states, keys)
        except Exception:
            # Each unit then reads its own, and fails alone if the database still cannot say.
            log.warning("reading the sources' states together failed", exc_info=True)
            return
        assert isinstance(stored, dict)
        # A unit without a stored state was never collected: it starts empty.
        self.states.update((key, stored.get(key, SourceState())) for key in keys)

    async def _state_of(self, unit: _Unit) -> SourceState:
        state = self.states.pop((unit.source.name, unit.brand), None)
        if state is not None:
            return state
        # Not among the units read together (read_states): read alone.
        read = await self._in_worker(self.store.load_state, unit.source.name, unit.brand)
        assert isinstance(read, SourceState)
        return read

    async def collect_unit(self, unit: _Unit) -> SourceOutcome:
        """Collect one source (× brand), store what it gave or record why it failed."""
        async with self.in_flight:
            return await self._collect_unit(unit)

    async def _collect_unit(self, unit: _Unit) -> SourceOutcome:
        outcome = SourceOutcome(source=unit.source.name, brand=unit.brand)
        started = time.monotonic()
        brand = self.settings.brand(unit.brand) if unit.brand else None
        try:
            state = await self._state_of(unit)
            if state.seen_for != self.setup:
                # The brands (or veille) changed since the source's last answer, which was read
                # for the old ones (or for ones not recorded, before revision 0012): asked for
                # conditionally, an unchanged source would answer "not modified" and its items
                # would never be read for the new brands.
                state = replace(state, etag=None, last_modified=None, content_hash=None)
            if state.etag is None and state.last_modified is None and state.content_hash is None:
                # Nothing is known of its last answer (a new source, or new brands): its items
                # will be processed, so the workers start loading their models now rather than
                # when the answer comes. A pass of unchanged sources starts none.
                self.processing.start()
            collect = unit.collector.collect
            if self.processing.pool is not None:
                # A feed is then read in the worker that processes its items.
                collect = getattr(unit.collector, "collect_unread", collect)
            # Search collectors keep their own watermark in state.cursor.
            collected = await collect(
                self.fetcher,
                state,
                query=brand.query if brand else None,
                since=None,
                languages=brand.languages if brand else (),
            )
            outcome.duration = time.monotonic() - started
            seen = frozenset(state.seen_entries) if state.seen_for == self.setup else frozenset()
            processed = await self.processing.process(collected, seen)
            save = self._collection_save(unit, collected, processed, outcome, state)
            counts = await self.saves.save(save)
            outcome.items = processed.given
            outcome.new_mentions = counts.new_mentions
            outcome.new_mentions_other_brands = counts.new_mentions_other_brands
            outcome.new_documents = counts.new_documents
            outcome.not_modified = collected.not_modified
            outcome.warning = processed.warning
        except SourceError as exc:
            outcome.duration = time.monotonic() - started
            outcome.disabled = isinstance(exc, FatalSourceError) and exc.status == 410
            outcome.error = _error_text(
                exc, disabled=unit.source.name if outcome.disabled else None
            )
            await self._in_worker(self._fail, unit, outcome, exc.retry_after)
        except StoreUnavailableError:
            # The database takes no writes now (a full disk): no source can be saved, nor its
            # failure recorded. The pass stops with this error.
            raise
        except StoreError as exc:
            # An operating problem, not a bug (no traceback): a deadlock or a dropped
            # connection costs this source only, unless its failure cannot be recorded either.
            outcome.duration = time.monotonic() - started
            outcome.error = str(exc)
            await self._in_worker(self._fail, unit, outcome, None)
        except Exception as exc:  # a bug in one source must not stop the others
            log.exception("collecting %s failed", unit.source.name)
            outcome.duration = time.monotonic() - started
            outcome.error = internal_error_text(exc)
            await self._in_worker(self._fail, unit, outcome, None)
        return outcome

    def _interval(self, unit: _Unit) -> timedelta:
        return unit.source.interval or self.settings.collect.interval

    def _next_check(self, unit: _Unit, wait: timedelta, now: datetime) -> datetime:
        """When the unit is due again: ``wait`` counted from when its pass claimed it."""
        claimed = self.claimed_at.get((unit.source.name, unit.brand), now)
        return claimed + wait_until_due(wait)

    def _collection_save(
        self,
        unit: _Unit,
        collected: Collected,
        processed: Processed,
        outcome: SourceOutcome,
        previous: SourceState,
    ) -> CollectionSave:
        now = utcnow()
        settings = self.settings.collect
        bounds = PollBounds(
            start=self._interval(unit),
            shortest=settings.min_interval,
            longest=settings.max_interval,
            adaptive=settings.adaptive,
        )
        changed = not collected.not_modified and _has_new_entries(processed.entries, previous)
        interval = next_interval(previous.check_interval, changed=changed, bounds=bounds)
        ttl = processed.ttl_seconds
        wait = wait_before_next_check(
            interval, timedelta(seconds=ttl) if ttl else None, settings.max_backoff
        )
        # An unchanged answer leaves the items seen as they were; a changed one replaces them.
        if collected.not_modified:
            state = replace(
                collected.state, seen_entries=previous.seen_entries, seen_for=previous.seen_for
            )
        else:
            state = replace(collected.state, seen_entries=processed.entries, seen_for=self.setup)
        return CollectionSave(
            run_id=self.run_id,
            source=unit.source.name,
            brand=unit.brand,
            items=processed.items,
            state=state,
            now=now,
            next_check_at=self._next_check(unit, wait, now),
            not_modified=collected.not_modified,
            duration=outcome.duration,
            warning=processed.warning,
            check_interval=interval,
            given=processed.given,
        )

    def _fail(self, unit: _Unit, outcome: SourceOutcome, retry_after: float | None) -> None:
        failures = self.store.consecutive_failures(unit.source.name, unit.brand) + 1
        backoff = min(self._interval(unit) * 2 ** (failures - 1), self.settings.collect.max_backoff)
        now = utcnow()
        next_check_at = self._next_check(unit, backoff, now)
        server_wait_until = None
        if retry_after:
            # A server asking for decades (or past what a date holds) waits the longest backoff;
            # what it asks for is waited in full, from now, even by a pass with --all.
            longest = self.settings.collect.max_backoff.total_seconds()
            server_wait_until = now + timedelta(seconds=min(retry_after, longest))
            next_check_at = max(next_check_at, server_wait_until)
        self.store.record_failure(
            self.run_id,
            unit.source.name,
            unit.brand,
            outcome.error or "unknown error",
            now=now,
            next_check_at=next_check_at,
            disable=outcome.disabled,
            duration=outcome.duration,
            server_wait_until=server_wait_until,
        )


def _error_text(exc: SourceError, *, disabled: str | None = None) -> str:
    """The error as recorded, with its hint; for a source it ``disabled``, how to enable it."""
    text = str(exc)
    hint = exc.hint
    if disabled is not None:
        # A disabled source is not asked again until someone says so: say how.
        command = f"veille collect --all --source {shlex.quote(disabled)}"
        again = f"once it is back at this address, `{command}` asks it again and enables it"
        hint = f"{hint}; {again}" if hint else again
    return f"{text} — {hint}" if hint else text
