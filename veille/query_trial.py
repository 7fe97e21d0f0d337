"""``veille query test``: what a brand query would keep and drop among the stored documents.

Before an ambiguous brand ("Orange", "Total") is turned on, its query is tried on what is
already stored. Every document of the period is matched exactly as a collecting pass matches
it (the same matcher, fed the same fields by :func:`veille.process.matched_view`), with the
language stored with it.

Without a brand, each document is ``kept`` or ``dropped``. With a brand, the brand's current
mentions are ``kept`` (the query still keeps them) or ``dropped`` (it would drop them), and the
other stored documents that the query keeps are ``added``; the others are only counted.

Documents are read in batches, and of each verdict only the newest ``limit`` are kept in
memory, so a big database is never loaded whole.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from veille.match import BrandQuery, PreparedText
from veille.normalize.domains import readable_host
from veille.process import matched_view
from veille.store import Store
from veille.store.document_scan import ScannedDocument
from veille.timeutil import isoformat_utc
from veille.types import MatchResult

VERDICTS = ("dropped", "added", "kept")
# The fields of a listed document in JSON and CSV.
TRIAL_FIELDS = (
    "verdict", "document_id", "published_at", "collected_at", "site", "title", "url", "lang",
    "matched",
)  # fmt: skip
# progress(documents matched so far, documents in the period)
TrialProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class TrialEntry:
    """A listed document: its verdict, and what the query matched in it (none when dropped)."""

    verdict: str
    document_id: int
    time: datetime
    published_at: datetime | None
    collected_at: datetime
    title: str
    site: str | None
    url: str | None
    lang: str | None
    matched: tuple[str, ...]


@dataclass
class TrialReport:
    """How many documents a query keeps and drops, and the newest of each verdict."""

    query: str
    case_sensitive: bool
    brand: str | None
    since: datetime | None
    documents: int = 0
    kept: int = 0
    brand_mentions: int = 0  # the brand's current mentions among the documents
    brand_dropped: int = 0  # of those, the ones the query drops
    added: int = 0  # other documents the query keeps
    listed: dict[str, list[TrialEntry]] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        """Documents the query does not keep."""
        return self.documents - self.kept

    @property
    def brand_kept(self) -> int:
        """The brand's current mentions the query still keeps."""
        return self.brand_mentions - self.brand_dropped

    def entries(self) -> list[TrialEntry]:
        """Every listed document, verdict by verdict (dropped, added, kept), newest first."""
        return [entry for verdict in VERDICTS for entry in self.listed.get(verdict, [])]


def trial_view(document: ScannedDocument) -> PreparedText:
    """What brand queries see of a stored document: what a pass saw of it when collected."""
    return matched_view(
        title=document.title,
        text=document.text,
        site=document.site,
        url=document.url,
        author_name=document.author_name,
        author_handle=document.author_handle,
        lang=document.lang,
    )


class QueryTrial:
    """Matches documents one by one, counting verdicts and keeping the newest of each."""

    def __init__(
        self, query: BrandQuery, *, brand: str | None, since: datetime | None, limit: int
    ) -> None:
        self.query = query
        self.brand = brand
        self.limit = limit
        self.report = TrialReport(query.source, query.case_sensitive, brand, since)
        self._newest: dict[str, list[tuple[datetime, int, TrialEntry]]] = {}

    def verdict(self, document: ScannedDocument, matched: bool) -> str | None:
        """A document's verdict; None for a document the brand does not mention and still drops."""
        if self.brand is None:
            return "kept" if matched else "dropped"
        if document.mentioned:
            return "kept" if matched else "dropped"
        return "added" if matched else None

    def add(self, document: ScannedDocument, prepared: PreparedText | None = None) -> MatchResult:
        """Match one document (``prepared``: its :func:`trial_view`, when made already), count
        it, and return what the query found in it."""
        if prepared is None:
            prepared = trial_view(document)
        result = self.query.match_prepared(prepared)
        report = self.report
        report.documents += 1
        report.kept += result.matched
        if document.mentioned:
            report.brand_mentions += 1
            report.brand_dropped += not result.matched
        elif self.brand is not None:
            report.added += result.matched
        verdict = self.verdict(document, result.matched)
        if verdict is not None and self.limit > 0:
            self._remember(verdict, document, result.terms)
        return result

    def add_all(self, documents: Iterable[ScannedDocument]) -> None:
        """Match every document of an iterable."""
        for document in documents:
            self.add(document)

    def _remember(self, verdict: str, document: ScannedDocument, terms: tuple[str, ...]) -> None:
        entry = TrialEntry(
            verdict=verdict,
            document_id=document.id,
            time=document.time,
            published_at=document.published_at,
            collected_at=document.collected_at,
            title=document.title,
            site=readable_host(document.site),  # « beauté.fr », as mentions and stats show it
            url=document.url,
            lang=document.lang,
            matched=terms,
        )
        newest = self._newest.setdefault(verdict, [])
        # A min-heap of the newest `limit`: the oldest of them is the first to go.
        item = (document.time, document.id, entry)
        if len(newest) < self.limit:
            heapq.heappush(newest, item)
        elif item[:2] > newest[0][:2]:
            heapq.heapreplace(newest, item)

    def finish(self) -> TrialReport:
        """The report, each verdict's documents newest first."""
        self.report.listed = {
            verdict: [entry for *_, entry in sorted(items, key=lambda i: i[:2], reverse=True)]
            for verdict, items in self._newest.items()
        }
        return self.report


def try_query(
    store: Store,
    query: BrandQuery,
    *,
    brand: str | None = None,
    since: datetime | None = None,
    limit: int = 20,
    batch_size: int = 1000,
    progress: TrialProgress | None = None,
) -> TrialReport:
    """Match ``query`` on the documents timed since ``since``, beside ``brand``'s mentions."""
    total, _ = store.document_period(since)
    trial = QueryTrial(query, brand=brand, since=since, limit=limit)
    done = 0
    for batch in store.scan_documents(since=since, brand=brand, batch_size=batch_size):
        trial.add_all(batch)
        done += len(batch)
        if progress is not None:
            # Documents stored while the pass runs can make it read more than it counted.
            progress(done, max(total, done))
    return trial.finish()


def entry_record(entry: TrialEntry) -> dict[str, object]:
    """A listed document as other programs read it (the fields of ``TRIAL_FIELDS``)."""
    return {
        "verdict": entry.verdict,
        "document_id": entry.document_id,
        "published_at": isoformat_utc(entry.published_at),
        "collected_at": isoformat_utc(entry.collected_at),
        "site": entry.site,
        "title": entry.title,
        "url": entry.url,
        "lang": entry.lang,
        "matched": list(entry.matched),
    }


def report_record(report: TrialReport) -> dict[str, object]:
    """The whole report as other programs read it: the counts, then the listed documents."""
    with_brand = report.brand is not None
    return {
        "query": report.query,
        "case_sensitive": report.case_sensitive,
        "brand": report.brand,
        "since": isoformat_utc(report.since),
        "documents": report.documents,
        "kept": report.kept,
        "dropped": report.dropped,
        "mentions": (
            {
                "total": report.brand_mentions,
                "kept": report.brand_kept,
                "dropped": report.brand_dropped,
            }
            if with_brand
            else None
        ),
        "added": report.added if with_brand else None,
        "listed": [entry_record(entry) for entry in report.entries()],
    }
