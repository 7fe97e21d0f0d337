"""The Store: the object the pipeline, the command line and the dashboard use for the database."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from veille.errors import StoreError, UnknownNameError
from veille.store import alerts as stored_alerts
from veille.store import (
    claims,
    config_sync,
    digests,
    document_scan,
    document_writes,
    prune,
    queries,
    reclassify,
    rematch,
    runs,
    source_state,
    story_list,
    story_sightings,
    terms,
    writes,
)
from veille.store import stats as statistics
from veille.store.alerts import AlertRecord
from veille.store.db import (
    UPGRADE_HINT,
    connection_error,
    create_store_engine,
    current_revision,
    has_veille_tables,
    head_revision,
    is_known_revision,
    mask_url,
    savepoint,
    upgrade_database,
)
from veille.store.digests import DigestKey, DigestState
from veille.store.document_scan import ScannedDocument
from veille.store.prune import PruneProgress, PruneReport
from veille.store.reclassify import NewScores, ScoredDocument, Selection
from veille.store.rematch import MentionChanges, RematchedDocument
from veille.store.revisions import is_later_revision, other_tables, some_of
from veille.store.schema import brand_table, document_table, source_table, utcnow
from veille.store.specs import (
    BrandSpec,
    CollectionSave,
    MentionFilter,
    SaveCounts,
    SourceSpec,
    StoredItem,
)
from veille.types import SourceState

log = logging.getLogger(__name__)

# A SQLite file another process is creating the schema of can refuse a reader at once
# ("database is locked", without waiting for the busy timeout): the read is tried again.
_REVISION_READS = 20


def _read_revision(engine: Engine) -> str | None:
    """The database's schema revision, read again while a SQLite file is locked."""
    for attempt in range(_REVISION_READS):
        try:
            with engine.connect() as connection:
                return current_revision(connection)
        except OperationalError as exc:
            locked = engine.dialect.name == "sqlite" and "locked" in str(exc.orig)
            if not locked or attempt == _REVISION_READS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None  # not reached: the last attempt returns or raises


# The job_runs row of passes over every due source (not those limited to sources or brands).
WHOLE_PASS_JOB = "collect"
# A prune that went to its end, by hand or scheduled (``last_prune``).
PRUNE_JOB = "prune"


class Store:
    """Mentions, sources and runs in a SQLite or PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Writers announce themselves so that SQLite takes its write lock when they begin.
        self._writer = engine.execution_options(veille_write=True)
        # The connection holding the locks of this store's unfinished passes (PostgreSQL).
        self._run_locks_holder: Connection | None = None
        self._held_runs: set[int] = set()
        self._run_locks_mutex = threading.Lock()

    @classmethod
    def open(
        cls,
        url: str,
        *,
        upgrade_empty: bool = True,
        read_only: bool = False,
        create_schema: bool = True,
    ) -> Store:
        """Connect; create the schema in an empty database, refuse one not at the latest revision.

        ``upgrade_empty=False`` opens the database exactly as it is, neither creating nor
        checking the schema: for ``veille db upgrade`` and ``veille db current``.
        ``create_schema=False`` refuses a database without veille's schema instead of creating
        it there (a query command pointed at another application's file).
        ``read_only`` opens a connection that cannot write (for the dashboard) and refuses a
        database that is not at the latest revision, an empty one included: nothing is migrated.
        """
        engine = create_store_engine(url, read_only=read_only)
        try:
            revision = _read_revision(engine)
        except DBAPIError as exc:
            engine.dispose()
            raise connection_error(engine.url, exc) from None
        store = cls(engine)
        try:
            if read_only:
                store._check_current(revision)
            elif upgrade_empty:
                if revision is None and not create_schema:
                    raise StoreError(
                        f"{mask_url(engine.url)} holds no veille database: nothing was "
                        "collected into it",
                        hint="check [database] url in the configuration and "
                        "VEILLE_DATABASE_URL; `veille collect` creates veille's tables there",
                    )
                if revision is None:
                    store.upgrade()
                else:
                    store._check_revision(revision)
        except BaseException:
            store.close()
            raise
        return store

    def _check_current(self, revision: str | None) -> None:
        """Raise StoreError unless the database holds veille's schema at the latest revision."""
        if revision is None:
            self._check_revision(None)
            raise StoreError(
                f"the database {mask_url(self.engine.url)} holds no veille schema",
                hint=UPGRADE_HINT,
            )
        self._check_revision(revision)

    def _check_revision(self, revision: str | None) -> None:
        """Raise StoreError unless the database is at the revision this veille expects."""
        where = mask_url(self.engine.url)
        head = head_revision()
        if revision is None:
            with self._reading() as connection, connection.begin():
                # Another process may be creating the schema (tables and revision are committed
                # together): tables first, then the revision, so a schema seen half-way is never
                # taken for a foreign one, whatever the isolation level.
                if has_veille_tables(connection) and current_revision(connection) is None:
                    raise StoreError(
                        f"the database {where} has veille tables but no schema revision",
                        hint="it was not created by veille's migrations; use another database",
                    )
        elif not is_known_revision(revision) and is_later_revision(revision, head):
            raise StoreError(
                f"the database {where} is at schema revision {revision}, unknown to this veille "
                f"(which expects {head}); it was probably upgraded by a newer veille",
                hint="upgrade veille",
            )
        elif not is_known_revision(revision):
            raise StoreError(
                f"the database {where} is at schema revision {revision}, which is no revision "
                f"of veille's (this veille expects {head})",
                hint="check the database URL: this database was not made by veille, or its "
                "alembic_version was changed by hand",
            )
        elif revision != head:
            raise StoreError(
                f"the database {where} is at schema revision {revision}, veille expects {head}",
                hint=UPGRADE_HINT,
            )

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        # The database going away or staying locked is an operating problem, not a bug:
        # report it as a StoreError. Integrity and programming errors propagate unchanged.
        try:
            with self.engine.connect() as connection:
                yield connection
        except (OperationalError, InterfaceError) as exc:
            raise connection_error(self.engine.url, exc, doing="read from") from exc

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        try:
            with self._writer.begin() as connection:
                yield connection
        except (OperationalError, InterfaceError) as exc:
            raise connection_error(self.engine.url, exc, doing="write to") from exc

    def close(self) -> None:
        """Close every pooled connection, and let go of the locks of passes left unfinished."""
        with self._run_locks_mutex:
            self._drop_run_locks()
        self.engine.dispose()

    def upgrade(
        self,
        *,
        starting: Callable[[str | None], None] | None = None,
        beside_other_tables: bool = False,
    ) -> str:
        """Migrate the database to the latest schema and return the revision it is at.

        ``starting`` is told the revision found once the migration lock is held (see
        ``upgrade_database``): what this upgrade starts from, whoever migrated meanwhile.
        A database without veille's schema that holds other tables is refused (most likely a
        wrong URL, another application's database) unless ``beside_other_tables``.
        """
        current = self.current_revision()
        if current is None or not is_known_revision(current):
            # Refuse foreign tables and newer revisions; an older revision is what upgrades fix.
            self._check_revision(current)
        if current is None and not beside_other_tables:
            others = self.other_tables()
            if others:
                raise StoreError(
                    f"the database {mask_url(self.engine.url)} holds no veille schema but other "
                    f"tables ({some_of(others)}): veille's tables were not written into it",
                    hint="check the database URL (VEILLE_DATABASE_URL or [database] url); to put "
                    "veille's tables beside those, run `veille db upgrade --beside-other-tables`",
                )
        try:
            revision = upgrade_database(self.engine, starting=starting)
        except (OperationalError, InterfaceError) as exc:  # a full disk, the server gone
            raise connection_error(self.engine.url, exc, doing="upgrade") from exc
        if revision is None:
            raise StoreError("the upgrade left the database without a revision")
        return revision

    def current_revision(self) -> str | None:
        """Return the schema revision recorded in the database (None when empty)."""
        with self._reading() as connection:
            return current_revision(connection)

    def other_tables(self) -> list[str]:
        """The database's tables that are not veille's (another application's), by name."""
        with self._reading() as connection:
            return other_tables(connection)

    def head_revision(self) -> str:
        """Return the schema revision this version of veille expects."""
        return head_revision()

    def sync_config(self, brands: Sequence[BrandSpec], sources: Sequence[SourceSpec]) -> None:
        """Mirror the configured brands and sources; the others become inactive, history kept."""
        with self._writing() as connection:
            config_sync.sync_config(connection, brands, sources, utcnow())

    def due_sources(
        self, now: datetime, *, names: Sequence[str] = (), include_not_due: bool = False
    ) -> list[str]:
        """Return the active, enabled sources due at ``now`` (all of them with include_not_due)."""
        with self._reading() as connection:
            return source_state.due_sources(
                connection, now, names=names, include_not_due=include_not_due
            )

    # Several workers (veille/store/claims.py): each due source (× brand) claimed by one of them.

    def claim_due(
        self,
        now: datetime,
        *,
        names: Sequence[str] = (),
        include_not_due: bool = False,
        lease: timedelta,
        per_brand: Mapping[str, Sequence[str]] | None = None,
        limit: int | None = None,
        run_id: int | None = None,
    ) -> list[tuple[str, str | None]]:
        """Claim the due (source, brand) units for this pass; SQLite: the due ones, unclaimed.

        ``per_brand`` maps the sources collected per brand to the brands this pass collects;
        the other sources give one unit each, with brand None. On PostgreSQL the units are
        locked with ``FOR UPDATE SKIP LOCKED`` and not due for other workers until
        ``now + lease`` (or until the pass records their real next check, or is found dead:
        ``run_id``, the claiming pass, is recorded with each claim), and at most ``limit`` are
        claimed at once; on SQLite ``limit`` and ``run_id`` are ignored (see ``shares_work``).
        """
        per_brand = per_brand or {}
        if not self.shares_work:
            with self._reading() as connection:
                due = source_state.due_sources(
                    connection, now, names=names, include_not_due=include_not_due
                )
                waits = source_state.server_waits(connection, now)
            # A per-brand source is due as a whole; its brands a server asked to wait are not.
            return [
                unit
                for unit in claims.units_of(due, per_brand)
                if unit not in waits or (include_not_due and unit[0] in names)
            ]
        return claims.claim_due(
            self._writing,
            now,
            names=names,
            include_not_due=include_not_due,
            lease=lease,
            per_brand=per_brand,
            limit=limit,
            run_id=run_id,
        )

    @property
    def shares_work(self) -> bool:
        """Whether several passes may collect at once, each claiming its units (PostgreSQL)."""
        return self.engine.dialect.name == "postgresql"

    def server_waits(self, now: datetime) -> dict[tuple[str, str | None], datetime]:
        """The (source, brand or None) units within a wait their server asked for, and its end."""
        with self._reading() as connection:
            return source_state.server_waits(connection, now)

    def load_state(self, source: str, brand: str | None = None) -> SourceState:
        """Return what a source remembers between passes (empty when never collected)."""
        with self._reading() as connection:
            return source_state.load_state(connection, source, brand)

    def load_states(
        self, units: Sequence[tuple[str, str | None]]
    ) -> dict[tuple[str, str | None], SourceState]:
        """What each (source, brand or None) remembers, for those with a stored state."""
        with self._reading() as connection:
            return source_state.load_states(connection, units)

    def collected_sources(self, names: Sequence[str]) -> set[str]:
        """Those of ``names`` collected at least once (with a stored state for some brand)."""
        with self._reading() as connection:
            return source_state.collected_sources(connection, names)

    def moved_feed_addresses(self, configured: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
        """The address each feed source of ``configured`` (name → options) is read at, by name,
        for those a permanent redirect moved (see ``source_state.moved_feed_addresses``)."""
        with self._reading() as connection:
            return source_state.moved_feed_addresses(connection, configured)

    def consecutive_failures(self, source: str, brand: str | None = None) -> int:
        """Return how many passes in a row failed for a source."""
        with self._reading() as connection:
            return source_state.consecutive_failures(connection, source, brand)

    def begin_run(self, now: datetime) -> int:
        """Record the start of a collection pass and return its id.

        On PostgreSQL the pass also takes its run's lock, on a connection this store keeps for
        its passes' locks until they finish: so other workers can tell a live pass from one
        whose process died.
        """
        if not self.shares_work:
            with self._writing() as connection:
                return runs.begin_run(connection, now)
        with self._run_locks_mutex:
            try:
                holder = self._live_holder()
                with holder.begin():
                    # Locked before the row is committed: never seen running without its lock.
                    run_id = runs.begin_run(holder, now)
                    runs.hold_run_lock(holder, run_id)
            except (OperationalError, InterfaceError) as exc:
                self._drop_holder()
                raise connection_error(self.engine.url, exc, doing="write to") from exc
            self._held_runs.add(run_id)
        return run_id

    def keep_run_locks(self) -> None:
        """Take again the locks of this store's unfinished passes if their connection was lost.

        A PostgreSQL session can end under a live pass (the server restarted, a proxy or an
        idle timeout closed the connection): its locks go with it, and another worker would
        take the pass for dead and mark it failed. Called now and then during a pass, this
        notices, holds the locks on a new connection and marks the pass running again. Nothing
        to do on SQLite.
        """
        if not self.shares_work:
            return
        with self._run_locks_mutex:
            if not self._held_runs:
                return
            try:
                self._live_holder()
            except (OperationalError, InterfaceError) as exc:
                self._drop_holder()
                raise connection_error(self.engine.url, exc, doing="write to") from exc

    def _live_holder(self) -> Connection:
        """The connection holding the passes' locks, replaced if its session has ended.

        On a new connection the locks of the unfinished passes are taken again and these passes
        marked running again (another worker may have closed them as dead meanwhile). The
        caller holds the mutex.
        """
        holder = self._run_locks_holder
        if holder is not None:
            try:
                with holder.begin():
                    holder.exec_driver_sql("SELECT 1")
                return holder
            except SQLAlchemyError:
                if self._held_runs:
                    held = sorted(self._held_runs)
                    log.warning("lost the connection holding the locks of passes %s", held)
            self._drop_holder()
        self._run_locks_holder = holder = self.engine.connect()
        if self._held_runs:
            with holder.begin():
                for run_id in sorted(self._held_runs):
                    runs.hold_run_lock(holder, run_id)
                    runs.reopen_run(holder, run_id)
        return holder

    def _release_run_lock(self, run_id: int) -> None:
        with self._run_locks_mutex:
            if run_id not in self._held_runs:
                return
            self._held_runs.discard(run_id)
            holder = self._run_locks_holder
            if not self._held_runs:
                self._drop_run_locks()  # ending the session lets its locks go
                return
            if holder is None:
                return  # no session holds the lock; the other passes' are taken again later
            try:
                with holder.begin():
                    runs.release_run_lock(holder, run_id)
            except (OperationalError, InterfaceError):
                self._drop_holder()

    def _drop_run_locks(self) -> None:
        """Forget every pass's lock and close the connection holding them, which lets them go."""
        self._held_runs.clear()
        self._drop_holder()

    def _drop_holder(self) -> None:
        """Close the connection holding the passes' locks for good, which lets them all go.

        Returned to the pool instead, it would keep its session's locks for its next user. The
        passes still unfinished take theirs again on the next connection (``_live_holder``).
        """
        holder, self._run_locks_holder = self._run_locks_holder, None
        if holder is not None:
            with suppress(Exception):
                holder.invalidate()
            with suppress(Exception):
                holder.close()

    def save_collection(
        self,
        run_id: int,
        source: str,
        brand: str | None,
        items: Sequence[StoredItem],
        state: SourceState,
        *,
        now: datetime,
        next_check_at: datetime,
        not_modified: bool,
        duration: float,
        warning: str | None = None,
        check_interval: timedelta | None = None,
    ) -> SaveCounts:
        """Save one collection in one transaction: documents, mentions, state, run record.

        ``check_interval`` is the interval this check chose (``veille/polling.py``), kept for
        the next one to adapt.
        """
        save = CollectionSave(
            run_id, source, brand, items, state, now=now, next_check_at=next_check_at,
            not_modified=not_modified, duration=duration, warning=warning,
            check_interval=check_interval,
        )  # fmt: skip
        with self._writing() as connection:
            return _save_one(connection, save)

    def save_collections(self, saves: Sequence[CollectionSave]) -> list[SaveCounts | Exception]:
        """Save several collections in one transaction, each under a savepoint of its own.

        A save that fails takes back only its own writes: its exception comes back in its
        place and the others are committed. One commit for a pass's sources that are ready
        together costs far less than one each (fewer full-text segments and index pages
        written), and each source is still saved whole or not at all. Raises when the
        transaction itself cannot be committed, in which case none of them is saved. They are
        saved together first, in a few statements for them all (``writes.save_together``); when
        that fails, its writes are taken back and each is saved under its own savepoint.
        """
        results: list[SaveCounts | Exception] = []
        with self._writing() as connection:
            known = None
            if len(saves) > 1:
                items = (item for save in saves for item in save.items)
                document_writes.lock_for_saves(connection, items)
                known = writes.known_ids(connection, (save.source for save in saves))
                if writes.can_save_together(saves, known):
                    try:
                        with savepoint(connection):
                            return list(writes.save_together(connection, saves, known))
                    except Exception:  # one of them is bad: each is saved alone below
                        log.debug("saving %d together failed", len(saves), exc_info=True)
            for save in saves:
                try:
                    with savepoint(connection):
                        results.append(_save_one(connection, save, known))
                except (OperationalError, InterfaceError) as exc:
                    results.append(connection_error(self.engine.url, exc, doing="write to"))
                except Exception as exc:  # one source's bad data must not cost the others
                    results.append(exc)
        return results

    def record_failure(
        self,
        run_id: int,
        source: str,
        brand: str | None,
        message: str,
        *,
        now: datetime,
        next_check_at: datetime,
        disable: bool = False,
        duration: float = 0.0,
        server_wait_until: datetime | None = None,
    ) -> int:
        """Record a failed collection (disabling the source if asked); return the failure count.

        ``server_wait_until``: the end of the wait the server asked for, if it did.
        """
        with self._writing() as connection:
            return writes.record_failure(
                connection,
                run_id,
                source,
                brand,
                message,
                now=now,
                next_check_at=next_check_at,
                disable=disable,
                duration=duration,
                server_wait_until=server_wait_until,
            )

    def release_claims(self, units: Sequence[tuple[str, str | None]], now: datetime) -> None:
        """Make due again the units a stopped pass claimed and never collected (PostgreSQL).

        On SQLite a pass claims nothing: what it did not collect is still due.
        """
        if self.shares_work:
            with self._writing() as connection:
                claims.release(connection, units, now)

    def close_interrupted_runs(self, now: datetime | None = None) -> int:
        """Mark as failed the passes a dead process left "running"; return how many.

        On SQLite, whose passes take the collect lock, every "running" pass is such. On a shared
        PostgreSQL database only those whose run lock no session holds (see ``begin_run``);
        the sources they claimed and did not collect are due again at ``now`` (default: the
        current time) rather than when their lease ends.
        """
        with self._writing() as connection:
            if not self.shares_work:
                return runs.close_interrupted_runs(connection, None)
            dead = runs.dead_runs(connection)
            claims.release_dead(connection, dead, now or utcnow())
            return runs.close_interrupted_runs(connection, dead)

    def finish_run(self, run_id: int, now: datetime, *, status: str) -> None:
        """Close a collection pass with its status (running, ok, partial or failed)."""
        try:
            with self._writing() as connection:
                runs.finish_run(connection, run_id, now, status=status)
        finally:
            if status != "running":
                # Even when the row could not be written (the database went away): a pass
                # left "running" without its lock is closed as failed by the next one.
                self._release_run_lock(run_id)

    def note_whole_pass(self, started_at: datetime) -> None:
        """Record that a pass over every due source started at ``started_at`` has finished."""
        with self._writing() as connection:
            runs.note_job_run(connection, WHOLE_PASS_JOB, started_at)

    def last_whole_pass(self) -> datetime | None:
        """When the last finished pass over every due source started, or None if none did."""
        with self._reading() as connection:
            return runs.last_job_run(connection, WHOLE_PASS_JOB)

    def refresh_statistics(self) -> None:
        """Refresh the query planner's statistics on SQLite (PostgreSQL's autovacuum does it).

        Without them SQLite guesses, and picks plans that are many times slower on a big
        database. Sampling a thousand rows per index keeps this to milliseconds at any size.
        """
        if self.engine.dialect.name != "sqlite":
            return
        with self._writing() as connection:
            connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
            connection.exec_driver_sql("ANALYZE")

    def platforms(self) -> list[str]:
        """The platforms of the stored documents, sorted."""
        query = select(document_table.c.platform).distinct().order_by(document_table.c.platform)
        with self._reading() as connection:
            return list(connection.execute(query).scalars())

    def query_terms(self) -> list[str]:
        """The terms the stored brands' queries look for, as mentions store them, sorted."""
        with self._reading() as connection:
            return terms.query_terms(connection)

    def known_platform(self, platform: str) -> str:
        """``platform`` in lower case, as stored, when veille's collectors give it or a stored
        document has it; otherwise an ``UnknownNameError`` listing those."""
        from veille.records import PLATFORMS

        wanted = platform.strip().lower()
        if wanted in PLATFORMS:
            return wanted
        stored = self.platforms()
        if wanted in stored:
            return wanted
        raise UnknownNameError("platform", platform, [*PLATFORMS, *stored])

    def known_term(self, term: str, configured_queries: Iterable[str] = ()) -> str:
        """``term`` as given, when a brand's query holds it (a stored brand's, one of
        ``configured_queries``: those of brands no pass has collected yet) or a stored mention
        was found by it; otherwise an ``UnknownNameError`` listing the queries' terms."""
        configured = terms.queries_terms(configured_queries)
        key = terms.term_key(term)
        if any(terms.term_key(label) == key for label in configured) or self.knows_term(term):
            return term
        known = [*self.query_terms(), *configured]
        raise UnknownNameError("term", term, known, none="none in the brands' queries")

    def knows_term(self, term: str) -> bool:
        """Whether ``term`` names a term of a stored brand's query (case, accents, quotes and
        ``case:`` aside), or one a stored mention was found by."""
        key = terms.term_key(term)
        with self._reading() as connection:
            if any(terms.term_key(label) == key for label in terms.query_terms(connection)):
                return True
            return terms.some_mention_found_by(connection, term)

    def list_mentions(self, f: MentionFilter) -> list[dict[str, object]]:
        """Return the filtered mentions, newest first, with the command-line contract fields."""
        with self._reading() as connection:
            return queries.list_mentions(connection, f)

    def iter_mentions(
        self, f: MentionFilter, batch_size: int = 1000
    ) -> Iterator[list[dict[str, object]]]:
        """``list_mentions`` in batches, read in one query (on one connection while iterated)."""
        with self._reading() as connection:
            yield from queries.iter_mentions(connection, f, batch_size)

    def list_stories(self, f: MentionFilter) -> list[dict[str, object]]:
        """Return the filtered mentions grouped by story, the story seen most recently first."""
        with self._reading() as connection:
            return story_list.list_stories(connection, f)

    def iter_stories(self, f: MentionFilter) -> Iterator[list[dict[str, object]]]:
        """``list_stories`` in batches, grouped in one query (on one connection while iterated)."""
        with self._reading() as connection:
            yield from story_list.iter_stories(connection, f)

    def count_stories(self, f: MentionFilter) -> int:
        """How many stories ``list_stories`` has for ``f`` (its limit and offset aside)."""
        with self._reading() as connection:
            return story_list.count_stories(connection, f)

    def story_sightings(
        self, story_id: str, brands: Sequence[str] = (), *, limit: int | None, offset: int = 0
    ) -> story_sightings.StorySightings:
        """A page of one story's sightings (one per document, its brands together), how many
        there are and on which sites; see ``veille.store.story_sightings``."""
        with self._reading() as connection:
            return story_sightings.story_sightings(
                connection, story_id, brands, limit=limit, offset=offset
            )

    def stats(self, f: MentionFilter, by: str, timezone: str = "UTC") -> list[dict[str, object]]:
        """Return mention counts, shares, tones, engagement and reach per brand, platform, day…

        Days, weeks and months are those of ``timezone`` (an IANA name).
        """
        with self._reading() as connection:
            return statistics.stats(connection, f, by, timezone)

    def stats_of_each(
        self, f: MentionFilter, keys: Sequence[str], timezone: str = "UTC"
    ) -> dict[str, list[dict[str, object]]]:
        """``stats`` by each of several keys (not term nor hashtag), reading the mentions once."""
        with self._reading() as connection:
            return statistics.stats_of_each(connection, f, keys, timezone)

    def source_health(self) -> list[dict[str, object]]:
        """Return the health of every source (per brand where collected per brand)."""
        with self._reading() as connection:
            return source_state.source_health(connection)

    def brand_names(self, *, active_only: bool = False) -> list[str]:
        """Return the stored brand names, sorted (inactive ones too unless ``active_only``)."""
        query = select(brand_table.c.name).order_by(brand_table.c.name)
        if active_only:
            query = query.where(brand_table.c.active.is_(True))
        with self._reading() as connection:
            return list(connection.execute(query).scalars())

    def source_names(self, *, active_only: bool = False) -> list[str]:
        """Return the stored source names, sorted (inactive ones too unless ``active_only``)."""
        query = select(source_table.c.name).order_by(source_table.c.name)
        if active_only:
            query = query.where(source_table.c.active.is_(True))
        with self._reading() as connection:
            return list(connection.execute(query).scalars())

    def load_digest(self, key: DigestKey) -> DigestState | None:
        """Return a digest's watermark and status (None when never attempted)."""
        with self._reading() as connection:
            return digests.load_digest(connection, key)

    def claim_digest(self, key: DigestKey, now: datetime, lease: timedelta) -> DigestState | None:
        """Claim a digest for sending; None when another process is sending it."""
        with self._writing() as connection:
            return digests.claim_digest(connection, key, now, lease)

    def release_digest(self, key: DigestKey) -> None:
        """Give up a digest claim without recording a send."""
        with self._writing() as connection:
            digests.release_digest(connection, key)

    def record_digest_send(
        self,
        key: DigestKey,
        *,
        now: datetime,
        status: str,
        mentions: int,
        watermark: int | None = None,
        error: str | None = None,
    ) -> None:
        """Log a send attempt (sent, empty or failed) and, once accepted, move the watermark."""
        with self._writing() as connection:
            digests.record_send(
                connection,
                key,
                now=now,
                status=status,
                mentions=mentions,
                watermark=watermark,
                error=error,
            )

    def last_digest_completed(self, keys: Sequence[DigestKey]) -> datetime | None:
        """When each of these digests was last accepted or found empty (the earliest), or None
        when one never was."""
        with self._reading() as connection:
            return digests.last_completed_at(connection, keys)

    def digest_sends(self, key: DigestKey) -> list[dict[str, object]]:
        """Return a digest's log of sends, oldest first."""
        with self._reading() as connection:
            return digests.digest_sends(connection, key)

    def digest_mentions(
        self,
        brands: Sequence[str],
        *,
        after_id: int | None,
        up_to: int | None = None,
        since: datetime | None = None,
    ) -> list[dict[str, object]]:
        """Return the brands' mentions above a digest watermark, oldest first."""
        with self._reading() as connection:
            return digests.new_mentions(
                connection, brands, after_id=after_id, up_to=up_to, since=since
            )

    def last_mention_id(self, brands: Sequence[str]) -> int | None:
        """The highest id of the brands' mentions, every lower one committed (None for none)."""
        with self._reading() as connection:
            return digests.last_mention_id(connection, brands)

    # Spike alerts (veille/store/alerts.py): the mentions they count, and the log of alerts.

    def alert_events(
        self,
        brands: Sequence[str],
        since: datetime,
        seen_until: datetime,
        *,
        seen_after: datetime | None = None,
    ) -> list[tuple[str, datetime, bool]]:
        """(brand, time, negative) of the brands' mentions timed after ``since``, seen by then
        (and first seen after ``seen_after``, when given)."""
        with self._reading() as connection:
            return stored_alerts.mention_events(connection, brands, since, seen_until, seen_after)

    def brands_created_at(self, brands: Sequence[str]) -> dict[str, datetime]:
        """When each of the brands was first configured."""
        with self._reading() as connection:
            return stored_alerts.brands_created_at(connection, brands)

    def alert_window_mentions(
        self,
        brand: str,
        *,
        after: datetime,
        seen_until: datetime,
        negative_only: bool,
        limit: int,
    ) -> list[dict[str, object]]:
        """The mentions of a spike's window, most engaged first, then most recent."""
        with self._reading() as connection:
            return stored_alerts.window_mentions(
                connection,
                brand,
                after=after,
                seen_until=seen_until,
                negative_only=negative_only,
                limit=limit,
            )

    def fired_alert_keys(self, since: datetime) -> set[tuple[str, str, str]]:
        """(brand, signal, horizon) of every alert fired after ``since``."""
        with self._reading() as connection:
            return stored_alerts.fired_keys(connection, since)

    def last_reported_alerts(
        self, keys: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], AlertRecord]:
        """The latest alert sent or recorded of each (brand, signal, horizon) among ``keys``."""
        with self._reading() as connection:
            return stored_alerts.last_reported(connection, keys)

    def note_alert_check(self, checked_at: datetime) -> None:
        """Record that the alerts were checked (a check that finds nothing leaves no alert)."""
        with self._writing() as connection:
            stored_alerts.note_check(connection, checked_at)

    def last_alert_check(self) -> datetime | None:
        """When the alerts were last checked for real, or None if never."""
        with self._reading() as connection:
            return stored_alerts.last_check(connection)

    def record_alerts(self, records: Sequence[AlertRecord]) -> list[AlertRecord]:
        """Insert new alerts; return them with their ids."""
        with self._writing() as connection:
            return stored_alerts.record_alerts(connection, records)

    def unsent_alerts(self, since: datetime) -> list[AlertRecord]:
        """Alerts fired after ``since`` that no mail server accepted yet, oldest first."""
        with self._reading() as connection:
            return stored_alerts.unsent_alerts(connection, since)

    def expire_alerts(self, before: datetime) -> int:
        """Mark unsent alerts fired at or before ``before`` as expired; return how many."""
        with self._writing() as connection:
            return stored_alerts.expire_alerts(connection, before)

    def mark_alerts(
        self, ids: Sequence[int], *, status: str, now: datetime, error: str | None = None
    ) -> None:
        """Record the outcome of a send attempt (sent or failed) for these alerts."""
        with self._writing() as connection:
            stored_alerts.mark_alerts(connection, ids, status=status, now=now, error=error)

    def list_alerts(self, since: datetime | None = None) -> list[AlertRecord]:
        """Every alert (fired after ``since`` when given), oldest first."""
        with self._reading() as connection:
            return stored_alerts.list_alerts(connection, since)

    # Retention (veille/store/prune.py): old mentions, orphaned documents and old runs.

    def prune(
        self,
        older_than: datetime,
        *,
        dry_run: bool,
        batch_size: int = 1000,
        progress: PruneProgress | None = None,
    ) -> PruneReport:
        """Remove mentions and runs older than a time, then orphaned documents, in batches."""
        if dry_run:
            with self._reading() as connection:
                return prune.count_prunable(connection, older_than)
        started = utcnow()
        report = prune.prune(self._writing, older_than, batch_size=batch_size, progress=progress)
        with self._writing() as connection:
            runs.note_job_run(connection, PRUNE_JOB, started)
        return report

    def last_prune(self) -> datetime | None:
        """When the last prune that went to its end started, or None if none did."""
        with self._reading() as connection:
            return runs.last_job_run(connection, PRUNE_JOB)

    # Passes over many stored documents, one short transaction per batch of them.

    def document_period(self, since: datetime | None) -> tuple[int, int]:
        """How many documents are timed since ``since`` (all: None), and the id to read after."""
        with self._reading() as connection:
            return document_scan.period_extent(connection, since)

    def scan_documents(
        self, *, since: datetime | None, brand: str | None = None, batch_size: int = 1000
    ) -> Iterator[list[ScannedDocument]]:
        """Documents since ``since`` in batches by id, marked when ``brand`` mentions them.

        A brand not stored yet (configured, never collected) mentions none of them.
        """
        with self._reading() as connection:
            brand_id = None if brand is None else document_scan.brand_id(connection, brand)
            _, after = document_scan.period_extent(connection, since)
        while True:
            with self._reading() as connection:
                batch = document_scan.read_documents(
                    connection, since=since, brand_id=brand_id, after=after, limit=batch_size
                )
            if batch:
                yield batch
                after = batch[-1].id
            if len(batch) < batch_size:
                return

    def count_to_reclassify(self, selection: Selection) -> int:
        """How many stored documents a reclassification covers."""
        with self._reading() as connection:
            return reclassify.count_selected(connection, selection)

    def documents_to_reclassify(
        self, selection: Selection, *, batch_size: int = 500
    ) -> Iterator[list[ScoredDocument]]:
        """The documents a reclassification covers, in batches, in id order (keyset)."""
        after = 0
        while True:
            with self._reading() as connection:
                batch = reclassify.read_selected(
                    connection, selection, after=after, limit=batch_size
                )
            if batch:
                yield batch
                after = batch[-1].id
            if len(batch) < batch_size:
                return

    def request_rescoring(self, selection: Selection, *, batch_size: int = 5000) -> None:
        """Mark the selection's documents for re-scoring, whatever version scored them, in
        short transactions; a marking stopped half-way goes on where it stopped."""
        with self._reading() as connection:
            after: int | None = reclassify.marking_resumes_after(connection, selection)
        while after is not None:
            with self._writing() as connection:
                after = reclassify.mark_for_rescoring(
                    connection, selection, after=after, limit=batch_size
                )

    def save_scores(self, scores: Sequence[NewScores]) -> int:
        """Write re-scored languages and tones in one transaction; return how many took them."""
        with self._writing() as connection:
            return reclassify.write_scores(connection, scores)

    # Stored mentions matched again with the configured queries (veille/store/rematch.py).

    def brand_ids(self, names: Sequence[str]) -> dict[str, int]:
        """The ids of the stored brands among ``names``, by name."""
        with self._reading() as connection:
            return rematch.brand_ids(connection, names)

    def documents_to_rematch(
        self, *, since: datetime | None, brands: Sequence[int], batch_size: int = 1000
    ) -> Iterator[list[RematchedDocument]]:
        """Documents since ``since`` in batches by id, with the mentions of the brands (ids)."""
        with self._reading() as connection:
            _, after = document_scan.period_extent(connection, since)
        while True:
            with self._reading() as connection:
                batch = rematch.read_batch(
                    connection, since=since, brands=brands, after=after, limit=batch_size
                )
            if batch:
                yield batch
                after = batch[-1].document.id
            if len(batch) < batch_size:
                return

    def save_rematch(self, changes: MentionChanges) -> tuple[int, int, int]:
        """Write one batch of a rematch; return the mentions removed, rewritten and added."""
        with self._writing() as connection:
            return rematch.write_changes(connection, changes)

    def forget_items_seen(self, setup: str) -> None:
        """Let passes read again the items sources gave under another setup than ``setup``."""
        with self._writing() as connection:
            rematch.forget_items_seen(connection, setup)

    def note_rematched(self, queries: dict[str, str]) -> None:
        """Brands (name → query) whose every stored mention was just matched with that query."""
        with self._writing() as connection:
            rematch.note_rematched(connection, queries)

    def outdated_brands(self) -> dict[str, datetime]:
        """Configured brands whose query changed since some of their mentions were stored, with
        when it did."""
        with self._reading() as connection:
            return rematch.outdated_brands(connection)


def _save_one(
    connection: Connection, save: CollectionSave, known: writes.KnownIds | None = None
) -> SaveCounts:
    return writes.save_collection(
        connection,
        save.run_id,
        save.source,
        save.brand,
        save.items,
        save.state,
        now=save.now,
        next_check_at=save.next_check_at,
        not_modified=save.not_modified,
        duration=save.duration,
        warning=save.warning,
        check_interval=save.check_interval,
        given=save.given,
        known=known,
    )
