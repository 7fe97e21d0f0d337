"""``veille reclassify``: re-score stored documents after the classifier changed.

Every document keeps the version of the classifier that scored it (``CLASSIFIER_VERSION``). This
runs the classifier of a collecting pass again (the same languages, from every configured brand,
and the same text, from :mod:`veille.process`) on the documents whose version differs, or on
every selected one when asked, and writes the new language, sentiment, tone and version.

Collection classifies with the language the feed declared as a hint; that declaration is not
stored, so the language stored with the document stands in for it: a short text keeps the
language it was given, a longer one is detected again.

Mentions of brands configured with ``tone = "brand"`` are scored again on the sentences naming
the brand (:mod:`veille.classify.targeted`), with the document's new language; mentions of
brands back to ``tone = "document"`` lose their own tone and take the document's again. Brands
no longer configured keep what they have.

The work goes batch by batch, each written in its own transaction: running it while a
collecting pass runs is safe, and a run stopped half-way leaves the batches it wrote done.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime

from veille import stop_signals
from veille.classify import CLASSIFIER_VERSION, Classifier, tone_of
from veille.classify.names import name_labels, names_found, without_names
from veille.classify.targeted import BrandSentences
from veille.match import compile_query
from veille.normalize.domains import site_host
from veille.normalize.text import name_key
from veille.process import classified_text, document_author
from veille.settings import BrandConfig
from veille.store import Store
from veille.store.reclassify import MentionScores, NewScores, ScoredDocument, Selection
from veille.types import Classification

# Brand name (case-folded) → its sentences finder when its tone is "brand", None when "document".
BrandTones = Mapping[str, BrandSentences | None]

# Brand name (case-folded) → the labels of its query's terms that name it (names.name_labels).
BrandNames = Mapping[str, frozenset[str]]

# progress(documents re-scored so far, documents to re-score)
ReclassifyProgress = Callable[[int, int], None]


@dataclass
class ReclassifyReport:
    """What a reclassification did: documents re-scored, tones and languages changed, time."""

    rescored: int = 0
    tone_changes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (from, to) → count
    lang_changes: int = 0
    # mentions scored on their brand's sentences (before or now) whose tone, as listed, changed
    mention_tone_changes: int = 0
    seconds: float = 0.0

    @property
    def tones_changed(self) -> int:
        """Documents whose tone changed."""
        return sum(self.tone_changes.values())


def brand_tones(brands: Sequence[BrandConfig]) -> dict[str, BrandSentences | None]:
    """How each configured brand's mentions are scored, for :func:`rescore`."""
    return {
        name_key(brand.name): (
            BrandSentences(compile_query(brand.query, case_sensitive=brand.case_sensitive))
            if brand.tone == "brand"
            else None
        )
        for brand in brands
    }


def brand_names(brands: Sequence[BrandConfig]) -> BrandNames:
    """The terms of each configured brand's query that name it, for :func:`rescore`."""
    return {name_key(brand.name): name_labels(compile_query(brand.query).node) for brand in brands}


def rescore(
    documents: Sequence[ScoredDocument],
    classifier: Classifier,
    tones: BrandTones | None = None,
    names: BrandNames | None = None,
) -> list[NewScores]:
    """New scores for stored documents, classified as a collecting pass classifies them.

    With ``tones`` (see :func:`brand_tones`), the new own scores of their mentions that change;
    with ``names`` (see :func:`brand_names`), the brands' names found are left out of the tone,
    as a pass leaves them out. Their languages are found together, faster than one at a time.
    """
    texts = [(classified_text(d.title, d.text), d.lang) for d in documents]
    names = names or {}
    # The language is read off the whole text, names included.
    classifications = classifier.classify_many(
        [
            (without_names(text, _names_in(document, names)), hint)
            for (text, hint), document in zip(texts, documents, strict=True)
        ],
        classifier.languages_of(texts),
    )
    scores = []
    for document, classification in zip(documents, classifications, strict=True):
        scores.append(
            NewScores(
                id=document.id,
                lang=classification.lang,
                sentiment=classification.sentiment,
                tone=classification.tone,
                version=classification.version,
                replaces=document.version,
                mentions=_mention_scores(document, classification, tones or {}),
            )
        )
    return scores


def _names_in(document: ScoredDocument, names: BrandNames) -> list[str]:
    """The terms that found its brands' own names in a document, each once."""
    found = ((name_key(m.brand), m.matched_terms) for m in document.mentions)
    return names_found(found, names)


def _mention_scores(
    document: ScoredDocument, classification: Classification, tones: BrandTones
) -> tuple[MentionScores, ...]:
    """The mentions of a document whose own scores change."""
    changed = []
    for mention in document.mentions:
        key = name_key(mention.brand)
        if key not in tones:
            continue
        sentences = tones[key]
        sentiment: float | None = None
        if sentences is not None:
            sentiment = sentences.sentiment(
                title=document.title,
                text=document.text,
                lang=classification.lang,
                document_sentiment=classification.sentiment,
                matched_terms=mention.matched_terms,
                site=site_host(document.site, document.url),
                author=document_author(document.author_name, document.author_handle),
            )
        tone = None if sentiment is None else tone_of(sentiment)
        if (sentiment, tone) != (mention.sentiment, mention.tone):
            changed.append(MentionScores(mention.id, sentiment, tone))
    return tuple(changed)


def _brand_tone_changes(before: ScoredDocument, after: NewScores) -> int:
    """How many mentions with a tone of their own, before or now, are listed in another tone.

    A mention without one is listed in its document's tone; one that takes its brand's tone
    of the same value as its document's, or gives it up for it, is listed as before.
    """
    new_tones = {mention.id: mention.tone for mention in after.mentions}
    changed = 0
    for mention in before.mentions:
        own = new_tones.get(mention.id, mention.tone)
        if mention.tone is None and own is None:
            continue
        changed += (mention.tone or before.tone) != (own or after.tone)
    return changed


def reclassify(
    store: Store,
    classifier: Classifier,
    *,
    brands: Sequence[str] = (),
    since: datetime | None = None,
    everything: bool = False,
    batch_size: int = 500,
    progress: ReclassifyProgress | None = None,
    brand_settings: Sequence[BrandConfig] = (),
    processes: int | str = 0,
    report: ReclassifyReport | None = None,
) -> ReclassifyReport:
    """Re-score the stored documents not scored by this classifier version (all: everything).

    ``brands`` limits the work to documents those brands mention, ``since`` to those timed since
    then; each batch of ``batch_size`` documents is written in one transaction. The mentions of
    the configured ``brand_settings`` get their own tone as each brand's ``tone`` says.
    ``processes`` re-score in that many worker processes (``"auto"``: see
    ``veille.scoring_pool.scoring_processes``; 0: in this process). ``report``, when given, is
    the one filled in and returned, batch by batch: a caller stopped half-way (Ctrl-C) knows
    from it what was done.
    """
    # Imported here: veille.scoring_pool imports the scoring functions of this module.
    from veille.scoring_pool import scored_batches, scoring_processes

    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    started = time.monotonic()
    selection = Selection(CLASSIFIER_VERSION, tuple(brands), since)
    if everything:
        # Marked first, then re-scored as outdated ones are: a run stopped half-way leaves the
        # rest marked, and the next run re-scores only those.
        store.request_rescoring(selection)
    total = store.count_to_reclassify(selection)
    report = ReclassifyReport() if report is None else report
    done = 0
    # Batches are read by id, each after the last one read: reading ahead of the writes is safe.
    batches = store.documents_to_reclassify(selection, batch_size=batch_size)
    workers = scoring_processes(processes, total)
    # Closed on the way out, stopped or not: its worker processes are shut down then, not when
    # the interpreter gets round to it.
    with closing(scored_batches(batches, classifier, brand_settings, workers)) as scored:
        for batch, scores in scored:
            # Ctrl-C or SIGTERM during the save stops once the batch is counted: the report
            # says what the database holds.
            with stop_signals.held():
                # Fewer than the batch when another run re-scored some of them meanwhile.
                report.rescored += store.save_scores(scores)
                for before, after in zip(batch, scores, strict=True):
                    report.mention_tone_changes += _brand_tone_changes(before, after)
                    if before.tone != after.tone:
                        report.tone_changes[before.tone, after.tone] += 1
                    report.lang_changes += before.lang != after.lang
                report.seconds = time.monotonic() - started
            done += len(batch)
            if progress is not None:
                progress(done, max(total, done))
    report.seconds = time.monotonic() - started
    return report
