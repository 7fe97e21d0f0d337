"""``veille reclassify``: re-score stored documents after the classifier changed.

Every document keeps the version of the classifier that scored it (``CLASSIFIER_VERSION``). This
runs the classifier of a collecting pass again (the same languages, from every configured brand,
and the same text, from :mod:`veille.process`) on the documents whose version differs, or on
every selected one when asked, and writes the new language, sentiment, tone and version.

Collection classifies with the language the feed declared as a hint; that declaration is not
stored, so the language stored with the document stands in for it: a short text keeps the
language it was given, a longer one is detected again.

The work goes batch by batch, each written in its own transaction: running it while a
collecting pass runs is safe, and a run stopped half-way leaves the batches it wrote done.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from veille.classify import CLASSIFIER_VERSION, Classifier
from veille.process import classified_text
from veille.store import Store
from veille.store.reclassify import NewScores, ScoredDocument, Selection

# progress(documents re-scored so far, documents to re-score)
ReclassifyProgress = Callable[[int, int], None]


@dataclass
class ReclassifyReport:
    """What a reclassification did: documents re-scored, tones and languages changed, time."""

    rescored: int = 0
    tone_changes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (from, to) → count
    lang_changes: int = 0
    seconds: float = 0.0

    @property
    def tones_changed(self) -> int:
        """Documents whose tone changed."""
        return sum(self.tone_changes.values())


def rescore(documents: Sequence[ScoredDocument], classifier: Classifier) -> list[NewScores]:
    """New scores for stored documents, classified as a collecting pass classifies them."""
    scores = []
    for document in documents:
        classification = classifier.classify(
            classified_text(document.title, document.text), lang_hint=document.lang
        )
        scores.append(
            NewScores(
                id=document.id,
                lang=classification.lang,
                sentiment=classification.sentiment,
                tone=classification.tone,
                version=classification.version,
                replaces=document.version,
            )
        )
    return scores


def reclassify(
    store: Store,
    classifier: Classifier,
    *,
    brands: Sequence[str] = (),
    since: datetime | None = None,
    everything: bool = False,
    batch_size: int = 500,
    progress: ReclassifyProgress | None = None,
) -> ReclassifyReport:
    """Re-score the stored documents not scored by this classifier version (all: everything).

    ``brands`` limits the work to documents those brands mention, ``since`` to those timed since
    then; each batch of ``batch_size`` documents is written in one transaction.
    """
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    started = time.monotonic()
    selection = Selection(CLASSIFIER_VERSION, tuple(brands), since, everything)
    total = store.count_to_reclassify(selection)
    report = ReclassifyReport()
    done = 0
    for batch in store.documents_to_reclassify(selection, batch_size=batch_size):
        scores = rescore(batch, classifier)
        # Fewer than the batch when another run re-scored some of these documents meanwhile.
        report.rescored += store.save_scores(scores)
        for before, after in zip(batch, scores, strict=True):
            if before.tone != after.tone:
                report.tone_changes[before.tone, after.tone] += 1
            report.lang_changes += before.lang != after.lang
        done += len(batch)
        if progress is not None:
            progress(done, max(total, done))
    report.seconds = time.monotonic() - started
    return report
