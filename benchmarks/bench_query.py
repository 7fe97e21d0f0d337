"""Query latency on a million mentions: the listing, the per-author statistics and full-text search.

Loads the synthetic corpus of ``querydata`` (``--rows`` mentions) into a SQLite file and into a
fresh PostgreSQL database (``veille_bench_<random>`` on 127.0.0.1:5432, user postgres, dropped
afterwards), then times the queries the product runs most, through ``Store.list_mentions`` and
``Store.stats`` exactly as ``veille mentions`` and ``veille stats`` call them:

- list: one brand, the last 30 days, one tone, limit 50 (every brand × tone in turn), and one
  brand with no period;
- stats by author: one brand, the last 30 days (every brand in turn);
- stats by hashtag: the same, read from the stored hashtags (``document_hashtags``);
- search: a frequent, a less common and a rare word, a phrase (ranked, limit 50; four of each
  in turn), and a frequent word within one brand's negative mentions of the last 30 days;
- overview: what the dashboard's overview page reads for one brand and the last 30 days
  (``build_overview``: its statistics, hashtags and latest negatives; every brand in turn);
- alerts: the mention times an hourly spike check reads (``Store.alert_events``: every brand,
  the last 1, 8 or 29 days in turn).

Each query also runs against a baseline in the same run: the listing and statistics on a copy
of the database without its query indexes (keys and uniqueness constraints only), the searches
as a ``LIKE '%term%'`` scan (ILIKE on PostgreSQL) instead of the full-text index, and the
hashtags as they were counted before they were stored: by reading the title and text of every
filtered mention.

    python benchmarks/bench_query.py [--rows 1000000] [--engine both] [--repeat 30]
        [--baseline-repeat 10] [--sqlite-file PATH] [--postgres-db NAME] [--explain]
        [--cases overview,list]

``--sqlite-file`` and ``--postgres-db`` keep the loaded database (and reuse it next time when
it holds the same number of mentions, upgrading its schema first if needed).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import queryload
from querydata import ANCHOR, BRANDS, RARE, TONES
from queryload import timed_load
from sqlalchemy import ColumnElement, event, or_, select
from sqlalchemy.engine import make_url

from veille.store import MentionFilter, Store
from veille.store.hashtags import document_hashtags
from veille.store.queries import filter_conditions, filtered_query, mention_time
from veille.store.schema import brand_table, document_table, mention_table, source_table
from veille.store.search import parse_search
from veille.web.overview import build_overview

SINCE = ANCHOR - timedelta(days=30)
SEARCHES = {
    "frequent word": ["prix", "grève", "price", "strike"],  # in 6 to 10 % of mentions
    "less common word": [RARE[40], RARE[80], RARE[150], RARE[250]],  # 0.3 to 2 %
    "rare word": [RARE[500], RARE[900], RARE[1300], RARE[1700]],  # 0.04 to 0.15 %
    "phrase": ['"service client"', '"supply chain"', '"pouvoir d\'achat"', '"data breach"'],
}


@dataclass(frozen=True)
class Case:
    """One timed query: its filters in turn, how to run it, its target and its baseline."""

    name: str
    target_ms: float
    variants: list[MentionFilter]
    by: str | None = None  # a statistics dimension, "overview" or "alerts"; None lists mentions

    @property
    def is_search(self) -> bool:
        """Whether the case is a full-text search (its baseline is a LIKE scan)."""
        return self.variants[0].search is not None

    @property
    def baseline(self) -> str:
        """What the case is compared with in the same run."""
        if self.is_search:
            return "LIKE scan"
        return "texts read" if self.by == "hashtag" else "no query indexes"


CASES = [
    Case(
        "list: brand + 30 days + tone",
        50,
        [MentionFilter(brands=(b,), since=SINCE, tone=t, limit=50) for b in BRANDS for t in TONES],
    ),
    # Not a target of the issues: `veille mentions --brand X` with no period.
    Case("list: brand, no period", 50, [MentionFilter(brands=(b,), limit=50) for b in BRANDS]),
    Case(
        "stats by author: brand + 30 days",
        300,
        [MentionFilter(brands=(b,), since=SINCE, limit=None) for b in BRANDS],
        by="author",
    ),
    # Not a target of the issues: the statistics of the overview's hashtag card.
    Case(
        "stats by hashtag: brand + 30 days",
        300,
        [MentionFilter(brands=(b,), since=SINCE, limit=None) for b in BRANDS],
        by="hashtag",
    ),
    *(
        Case(f"search: {kind}", 100, [MentionFilter(search=term, limit=50) for term in terms])
        for kind, terms in SEARCHES.items()
    ),
    Case(
        "search: word, brand + 30 days + tone",
        100,
        [
            MentionFilter(brands=(b,), since=SINCE, tone="negative", search=term, limit=50)
            for b in BRANDS
            for term in ("prix", "price")
        ],
    ),
    # Not a target of the issues: a page a person waits for should come within a second.
    Case(
        "overview: brand + 30 days",
        1000,
        [MentionFilter(brands=(b,), since=SINCE, limit=None) for b in BRANDS],
        by="overview",
    ),
    # Not a target of the issues either: a background check every hour.
    Case(
        "alerts: every brand, 1-29 days",
        1000,
        [MentionFilter(since=ANCHOR - timedelta(days=days), limit=None) for days in (1, 8, 29)],
        by="alerts",
    ),
]


@dataclass(frozen=True)
class Figures:
    """Latency percentiles of one query, in milliseconds."""

    p50: float
    p95: float

    @classmethod
    def of(cls, seconds: list[float]) -> Figures:
        """The percentiles of timed runs."""
        p50, p95 = np.percentile(np.array(seconds) * 1000, [50, 95])
        return cls(float(p50), float(p95))


def run(store: Store, case: Case, f: MentionFilter) -> object:
    """Run the query as the command line (or, for the overview, the dashboard) does."""
    if case.by == "overview":
        return build_overview(store, f)
    if case.by == "alerts":
        assert f.since is not None
        return store.alert_events(list(BRANDS), f.since, ANCHOR)
    return store.stats(f, case.by) if case.by else store.list_mentions(f)


def _contains(dialect: str, column: Any, phrase: str) -> ColumnElement[bool]:
    # SQLite's LIKE already ignores ASCII case; PostgreSQL needs ILIKE.
    if dialect == "postgresql":
        return column.icontains(phrase, autoescape=True)
    return column.contains(phrase, autoescape=True)


def like_search(store: Store, f: MentionFilter) -> list[Any]:
    """The search baseline: the listing's query with LIKE scans of title and text, newest first
    (a substring scan has no relevance to rank by)."""
    with store.engine.connect() as connection:
        dialect = connection.dialect.name
        conditions = filter_conditions(connection, replace(f, search=None))
        for phrase in parse_search(f.search or "").required:
            title, text = (
                _contains(dialect, c, phrase)
                for c in (document_table.c.title, document_table.c.text)
            )
            conditions.append(or_(title, text))
        query = (
            select(mention_table, brand_table.c.name, source_table.c.name, document_table)
            .select_from(mention_table)
            .join(document_table, document_table.c.id == mention_table.c.document_id)
            .join(brand_table, brand_table.c.id == mention_table.c.brand_id)
            .outerjoin(source_table, source_table.c.id == mention_table.c.source_id)
            .where(*conditions)
            .order_by(mention_time.desc(), mention_table.c.id.desc())
            .limit(f.limit)
        )
        return list(connection.execute(query).all())


def scanned_hashtags(store: Store, f: MentionFilter) -> list[tuple[str, int]]:
    """The hashtag baseline: every filtered mention's title and text read, its tags counted
    once per mention whatever their case (the tone and reach sums left out), most used first."""
    counts: Counter[str] = Counter()
    spellings: Counter[tuple[str, str]] = Counter()
    with store.engine.connect() as connection:
        columns = (document_table.c.title, document_table.c.text)
        query = filtered_query(connection, f, *columns).query
        for title, text in connection.execution_options(yield_per=2000).execute(query):
            found = document_hashtags(title or "", text or "")
            counts.update(found.keys())
            spellings.update(found.items())
    return counts.most_common()


def match_count(store: Store, f: MentionFilter) -> int:
    """How many mentions a search finds in all."""
    return sum(int(str(row["mentions"])) for row in store.stats(replace(f, limit=None), "lang"))


def timings(
    call: Callable[[MentionFilter], object], variants: list[MentionFilter], repeat: int
) -> Figures:
    """Run every variant once to warm up, then ``repeat`` timed runs taking the variants in turn."""
    for f in variants:
        call(f)
    seconds = []
    for index in range(repeat):
        f = variants[index % len(variants)]
        started = time.perf_counter()
        call(f)
        seconds.append(time.perf_counter() - started)
    return Figures.of(seconds)


def explain(store: Store, case: Case) -> str:
    """The plans of the case's first variant (EXPLAIN ANALYZE on PostgreSQL)."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        run(store, case, case.variants[0])
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    postgres = store.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS)" if postgres else "EXPLAIN QUERY PLAN"
    plans = []
    with store.engine.connect() as connection:
        for statement, parameters in sent:
            if "JOIN" in statement:  # not the brand-name lookups
                rows = connection.exec_driver_sql(f"{prefix} {statement}", parameters).all()
                plans.append("\n".join(str(row[0] if postgres else row[-1]) for row in rows))
    return "\n--\n".join(plans)


@contextmanager
def loaded_database(engine: str, rows: int, keep: str | None) -> Iterator[str]:
    """Yield the URL of a database holding the corpus: kept (and reused) when named."""
    if engine == "sqlite":
        folder = None if keep else tempfile.TemporaryDirectory(prefix="veille-bench-")
        path = Path(keep) if keep else Path(folder.name) / "bench.db"  # type: ignore[union-attr]
        try:
            yield _prepared(f"sqlite:///{path}", engine, rows)
        finally:
            if folder is not None:
                folder.cleanup()
        return
    name = keep or f"veille_bench_{secrets.token_hex(4)}"
    if not queryload.postgres_database_exists(name):
        queryload.create_postgres_database(name)
    try:
        yield _prepared(queryload.postgres_url(name), engine, rows)
    finally:
        if not keep:
            queryload.drop_postgres_database(name)


def _prepared(url: str, engine: str, rows: int) -> str:
    """Load the corpus into the database unless it holds it already; return the URL."""
    store = Store.open(url, upgrade_empty=False)
    try:
        revision = store.current_revision()
        if revision is not None:
            held = queryload.mention_count(store)
            if held != rows:
                raise SystemExit(f"{make_url(url).database} holds {held:,} mentions, not {rows:,}")
            if revision != store.head_revision():
                started = time.perf_counter()
                store.upgrade()
                queryload.analyze(store)
                print(f"  {engine}: schema upgraded in {time.perf_counter() - started:.1f} s")
            print(f"  {engine}: reusing {make_url(url).database} ({held:,} mentions)")
            return url
        store.upgrade()
        seconds = timed_load(store, engine, rows)
        print(f"  {engine}: loaded {rows:,} mentions in {seconds:.0f} s ({rows / seconds:,.0f}/s)")
    finally:
        store.close()
    return url


def measure(
    engine: str, url: str, cases: list[Case], args: argparse.Namespace
) -> list[tuple[Case, Figures, Figures]]:
    """Time every case and its baseline on one engine's loaded database."""
    store = Store.open(url)
    results: dict[str, tuple[Figures, Figures | None]] = {}
    try:
        for case in cases:
            figures = timings(partial(run, store, case), case.variants, args.repeat)
            baseline = None
            if case.is_search:
                baseline = timings(partial(like_search, store), case.variants, args.baseline_repeat)
            elif case.by == "hashtag":
                scan = partial(scanned_hashtags, store)
                baseline = timings(scan, case.variants, args.baseline_repeat)
            results[case.name] = (figures, baseline)
            print(
                f"  {engine}: {case.name:<38} p50 {figures.p50:8.1f} ms  p95 {figures.p95:8.1f} ms"
            )
            if args.explain:
                print(explain(store, case))
        if args.matches:
            for case in cases:
                for f in case.variants if case.is_search else ():
                    print(f"  {engine}: {f.search!r} matches {match_count(store, f):,} mentions")
    finally:
        store.close()
    if any(case.baseline == "no query indexes" for case in cases):
        with queryload.index_free_copy(url) as (copy_url, dropped):
            print(f"  {engine}: baseline copy without {', '.join(dropped)}")
            copy = Store.open(copy_url)
            try:
                for case in cases:
                    if case.baseline == "no query indexes":
                        baseline = timings(
                            partial(run, copy, case), case.variants, args.baseline_repeat
                        )
                        results[case.name] = (results[case.name][0], baseline)
            finally:
                copy.close()
    return [(case, *results[case.name]) for case in cases]  # type: ignore[misc]


def report(engine: str, results: list[tuple[Case, Figures, Figures]]) -> None:
    """Print one engine's figures as a Markdown table."""
    print(
        f"\n| {engine} | p50 ms | p95 ms | target p95 | baseline | p50 ms | p95 ms | p95 speed-up |"
    )
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for case, figures, baseline in results:
        met = "✓" if figures.p95 <= case.target_ms else "✗"
        kind = case.baseline
        speed_up = baseline.p95 / figures.p95
        print(
            f"| {case.name} | {figures.p50:.1f} | {figures.p95:.1f} | ≤ {case.target_ms:.0f} {met} "
            f"| {kind} | {baseline.p50:.1f} | {baseline.p95:.1f} | {speed_up:.1f}× |"
        )


def main() -> None:
    """Load the corpus into each engine, time the queries and their baselines, print tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="mentions to load")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query")
    parser.add_argument("--baseline-repeat", type=int, default=10, help="timed runs per baseline")
    parser.add_argument("--sqlite-file", help="keep the SQLite database here (reused if loaded)")
    parser.add_argument("--postgres-db", help="keep the PostgreSQL database under this name")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    parser.add_argument(
        "--matches", action="store_true", help="print how many mentions each search finds"
    )
    parser.add_argument(
        "--cases",
        help="only the cases whose names start with these words, comma-separated (overview,list)",
    )
    args = parser.parse_args()
    cases = CASES
    if args.cases:
        wanted = tuple(word.strip() for word in args.cases.split(",") if word.strip())
        cases = [case for case in CASES if case.name.startswith(wanted)]
        if not cases:
            parser.error(f"no case starts with {args.cases!r}: {', '.join(c.name for c in CASES)}")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    tables = []
    for engine in engines:
        if engine == "postgresql":
            reason = queryload.postgres_available()
            if reason is not None:
                print(f"PostgreSQL skipped: no server at 127.0.0.1:5432 ({reason})")
                continue
        print(f"{engine}: {args.rows:,} mentions")
        keep = args.sqlite_file if engine == "sqlite" else args.postgres_db
        with loaded_database(engine, args.rows, keep) as url:
            tables.append((engine, measure(engine, url, cases, args)))
    for engine, results in tables:
        report(engine, results)


if __name__ == "__main__":
    main()
