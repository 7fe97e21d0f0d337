"""``veille query rematch``: the stored mentions brought in line with the configured brand queries.

A brand's mentions are found by its query when an item is collected, and stay: a query narrowed
later leaves the mentions it no longer keeps, and a query widened finds only what sources give
from then on. This matches each configured brand's current query against the stored documents
again, exactly as ``veille query test --brand`` does (the same :class:`QueryTrial`, so that the
two always agree), and writes what it predicts: the brand's mentions the query no longer keeps
are removed, those it keeps take the terms it finds now, and the stored documents it now keeps
get a mention. Documents stay, even one no mention names any more (its story and identity are
still what a pass compares new items with).

Mentions of brands with ``tone = "brand"`` that it keeps or adds are scored on the sentences
naming the brand, with the stored language and document tone, as a pass scores them. A mention
added takes the time its document was collected as first sighting, so that an undated document
stored long ago is no spike; digests, which send the mentions above their watermark, send it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from veille import stop_signals
from veille.classify import tone_of
from veille.classify.targeted import BrandSentences
from veille.match import compile_query
from veille.normalize.domains import site_host
from veille.process import document_author, processing_setup
from veille.query_trial import QueryTrial, TrialReport, trial_view
from veille.settings import BrandConfig, Settings
from veille.store import Store
from veille.store.rematch import (
    BrandMention,
    KeptMention,
    MentionChanges,
    NewMention,
    RematchedDocument,
)
from veille.types import MatchResult

# progress(documents matched so far, documents in the period)
RematchProgress = Callable[[int, int], None]


@dataclass
class RematchReport:
    """What a rematch found (``trials``, one per brand, as ``query test --brand`` counts) and
    what it saved (nothing on a dry run)."""

    dry_run: bool
    since: datetime | None
    trials: dict[str, TrialReport] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)  # kept, with other terms or tone
    documents: int = 0  # documents matched so far
    removed: int = 0  # saved
    added: int = 0  # saved
    retermed: int = 0  # saved
    seconds: float = 0.0

    @property
    def changes(self) -> int:
        """Mentions found to remove, add or rewrite, over every brand."""
        return sum(
            t.brand_dropped + t.added + self.rewritten.get(name, 0)
            for name, t in self.trials.items()
        )


@dataclass(frozen=True)
class _Brand:
    """A rematched brand: its configuration, query, stored id and sentences finder."""

    config: BrandConfig
    trial: QueryTrial
    stored_id: int | None
    sentences: BrandSentences | None


def rematch(
    settings: Settings,
    store: Store,
    *,
    brands: Sequence[str] = (),
    since: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 1000,
    progress: RematchProgress | None = None,
    report: RematchReport | None = None,
) -> RematchReport:
    """Match the configured brands' queries (``brands``: those only) on the stored documents
    timed since ``since`` (all: None), and write what changes, batch by batch.

    Unless ``dry_run``, the configuration is mirrored into the store first (a brand configured
    since the last pass is stored then). ``report``, when given, is filled in batch by batch: a
    caller stopped half-way knows from it what was saved.
    """
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    started = time.monotonic()
    report = RematchReport(dry_run, since) if report is None else report
    configs = [settings.brand(name) for name in brands] or list(settings.brands)
    if not dry_run:
        from veille.pipeline import sync_config

        sync_config(settings, store)
        store.forget_items_seen(processing_setup(settings.brands))
    ids = store.brand_ids([config.name for config in configs])
    rematched = [_brand(config, ids.get(config.name), since) for config in configs]
    report.trials = {b.config.name: b.trial.report for b in rematched}
    report.rewritten = dict.fromkeys(report.trials, 0)
    total, _ = store.document_period(since)
    stored_ids = [b.stored_id for b in rematched if b.stored_id is not None]
    for batch in store.documents_to_rematch(since=since, brands=stored_ids, batch_size=batch_size):
        changes = MentionChanges()
        for document in batch:
            _rematch_document(document, rematched, changes, report)
        # Ctrl-C or SIGTERM during the save stops once the batch is counted.
        with stop_signals.held():
            if changes and not dry_run:
                removed, retermed, added = store.save_rematch(changes)
                report.removed += removed
                report.retermed += retermed
                report.added += added
            report.documents += len(batch)
        report.seconds = time.monotonic() - started
        if progress is not None:
            # Documents stored while it runs can make it read more than it counted.
            progress(report.documents, max(total, report.documents))
    if not dry_run and since is None:
        store.note_rematched({b.config.name: b.config.query for b in rematched})
    report.seconds = time.monotonic() - started
    return report


def _brand(config: BrandConfig, stored_id: int | None, since: datetime | None) -> _Brand:
    query = compile_query(config.query, case_sensitive=config.case_sensitive)
    return _Brand(
        config,
        QueryTrial(query, brand=config.name, since=since, limit=0),
        stored_id,
        BrandSentences(query) if config.tone == "brand" else None,
    )


def _rematch_document(
    stored: RematchedDocument,
    brands: Sequence[_Brand],
    changes: MentionChanges,
    report: RematchReport,
) -> None:
    """Match one document for every brand, noting what changes."""
    prepared = trial_view(stored.document)
    for brand in brands:
        mention = None if brand.stored_id is None else stored.mentions.get(brand.stored_id)
        # As query test sees it: the brand's mention, if any.
        seen = replace(
            stored.document,
            mentioned=mention is not None,
            matched_terms=() if mention is None else mention.matched_terms,
        )
        result = brand.trial.add(seen, prepared)
        if mention is not None and not result.matched:
            changes.removed.append(mention.id)
        elif mention is not None:
            _keep(stored, brand, mention, result, changes, report)
        elif result.matched and brand.stored_id is not None:
            sentiment, tone = _own_tone(stored, brand, result)
            changes.added.append(
                NewMention(
                    document_id=stored.document.id,
                    brand_id=brand.stored_id,
                    source_id=stored.source_id,
                    matched_terms=result.terms,
                    first_seen_at=stored.document.collected_at,
                    sentiment=sentiment,
                    tone=tone,
                    backlog=stored.backlog,
                )
            )


def _keep(
    stored: RematchedDocument,
    brand: _Brand,
    mention: BrandMention,
    result: MatchResult,
    changes: MentionChanges,
    report: RematchReport,
) -> None:
    """Note the new terms (and own tone) of a mention the query keeps, when they change."""
    sentiment, tone = mention.sentiment, mention.tone
    if brand.sentences is not None:
        sentiment, tone = _own_tone(stored, brand, result)
    if (result.terms, sentiment, tone) != (mention.matched_terms, mention.sentiment, mention.tone):
        changes.rewritten.append(KeptMention(mention.id, result.terms, sentiment, tone))
        report.rewritten[brand.config.name] += 1


def _own_tone(
    stored: RematchedDocument, brand: _Brand, result: MatchResult
) -> tuple[float | None, str | None]:
    """A mention's own tone: that of the sentences naming the brand; None: the document's."""
    if brand.sentences is None:
        return None, None
    document = stored.document
    score = brand.sentences.sentiment(
        title=document.title,
        text=document.text,
        lang=document.lang,
        document_sentiment=stored.sentiment,
        matched_terms=result.terms,
        site=site_host(document.site, document.url),
        author=document_author(document.author_name, document.author_handle),
    )
    return score, tone_of(score)
