"""Benchmark the classifier on the shared evaluation sets and print the figures.

    .venv/bin/python benchmarks/bench_classify.py

Language identification: accuracy and texts/s of each candidate detector restricted to the
7 languages of the lingua test sets, and of veille's own `detect_language`.
French sentiment: Allociné accuracy (sign of the compound score; 0.0 counts as wrong) and
DEFT 2017 macro-F1 (±0.05 thresholds) of veille's analyzer and of vaderSentiment-fr.
English sentiment: VADER's Pearson r against the mean human rating (scaled /4) and 3-class
macro-F1 (±0.05 on both the score and the rating), as in Hutto & Gilbert (2014).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The evaluation readers live with the tests (they name the shared evaluation files).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.evaluation import (
    LANGID_LANGUAGES,
    label_of,
    macro_f1,
    pearson,
    read_langid,
    read_rated_texts,
    resolve_eval_dir,
    score_french_sets,
)

EVAL_DIR = resolve_eval_dir(Path(__file__).resolve().parents[2] / "shared" / "eval")


def _py3langid() -> Callable[[str], str | None]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGID_LANGUAGES))
    return lambda text: str(identifier.classify(text)[0])


def _langdetect() -> Callable[[str], str | None]:
    from langdetect import DetectorFactory, detector_factory

    DetectorFactory.seed = 0
    detector_factory.init_factory()
    factory: Any = detector_factory._factory

    def detect(text: str) -> str | None:
        detector = factory.create()
        detector.append(text)
        # langdetect cannot be restricted: take its most probable allowed language.
        for candidate in detector.get_probabilities():
            if candidate.lang in LANGID_LANGUAGES:
                return str(candidate.lang)
        return None

    return detect


def _lingua(high_accuracy: bool) -> Callable[[str], str | None]:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LANGID_LANGUAGES
    ]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    detector = (builder if high_accuracy else builder.with_low_accuracy_mode()).build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else None

    return detect


def _veille() -> Callable[[str], str | None]:
    from veille.classify.lang import detect_language

    return lambda text: detect_language(text, LANGID_LANGUAGES)


def _timed(function: Callable[[str], Any], texts: list[str]) -> tuple[list[Any], float]:
    start = time.perf_counter()
    results = [function(text) for text in texts]
    return results, len(texts) / (time.perf_counter() - start)


def bench_language() -> None:
    """Print accuracy and speed of each language detector on sentences and word pairs."""
    sets = {kind: read_langid(EVAL_DIR, kind) for kind in ("sentences", "word-pairs")}
    detectors = {
        "py3langid": _py3langid,
        "langdetect (seed 0)": _langdetect,
        "lingua low": lambda: _lingua(False),
        "lingua high": lambda: _lingua(True),
        "veille detect_language": _veille,
    }
    print("## Language identification (7 languages, restricted)")
    print(f"{'detector':<24} {'sentences acc':>13} {'texts/s':>9} {'pairs acc':>10} {'texts/s':>9}")
    for name, build in detectors.items():
        detect = build()
        detect("warm up the models")
        cells = []
        for samples in sets.values():
            found, rate = _timed(detect, [text for _lang, text in samples])
            hits = sum(f == lang for f, (lang, _text) in zip(found, samples, strict=True))
            cells.append(f"{hits / len(samples):>13.4f} {rate:>9,.0f}")
        print(f"{name:<24} {cells[0]} {cells[1][3:]}")


def bench_french() -> None:
    """Print French sentiment figures for veille's analyzer and for vaderSentiment-fr."""
    from veille.classify.french import french_analyzer

    scorers: dict[str, Callable[[str], float]] = {"veille french": french_analyzer().compound}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer
        baseline = SentimentIntensityAnalyzer()
        scorers["vaderSentiment-fr"] = lambda text: float(
            baseline.polarity_scores(text)["compound"]
        )
    except ImportError:
        print("(vaderSentiment-fr is not installed: no baseline)")
    print("\n## French sentiment")
    print(f"{'analyzer':<20} {'allocine acc':>12} {'deft macro-F1':>13} {'texts/s':>9}")
    texts = _french_text_count()
    for name, scorer in scorers.items():
        start = time.perf_counter()
        figures = score_french_sets(EVAL_DIR, scorer)
        rate = texts / (time.perf_counter() - start)
        print(
            f"{name:<20} {figures['allocine_accuracy']:>12.4f} {figures['deft_macro_f1']:>13.4f}"
            f" {rate:>9,.0f}"
        )


def _french_text_count() -> int:
    folder = EVAL_DIR / "sentiment_fr"
    return sum(
        len(path.read_text(encoding="utf-8").splitlines()) - 1 for path in folder.glob("*.tsv")
    )


def bench_english() -> None:
    """Print VADER's Pearson r and 3-class macro-F1 on the tweets and movie snippets."""
    from veille.classify.english import english_compound

    print("\n## English sentiment (VADER)")
    print(f"{'corpus':<16} {'pearson r':>9} {'macro-F1':>9} {'texts/s':>9}")
    for name, file in (("tweets", "tweets"), ("movie snippets", "movieReviewSnippets")):
        rated = read_rated_texts(EVAL_DIR / "sentiment_en" / f"{file}_GroundTruth.txt")
        scores, rate = _timed(english_compound, [text for _rating, text in rated])
        ratings = [rating for rating, _text in rated]
        f1 = macro_f1([label_of(r) for r in ratings], [label_of(s) for s in scores])
        print(f"{name:<16} {pearson(ratings, scores):>9.3f} {f1:>9.3f} {rate:>9,.0f}")


def bench_classifier() -> None:
    """Print end-to-end `Classifier.classify` throughput on French and English tweets."""
    from tests.support.evaluation import read_labelled_tsv
    from veille.classify import Classifier

    french = read_labelled_tsv(EVAL_DIR / "sentiment_fr" / "deft2017_tweets_fr.tsv")
    english = read_rated_texts(EVAL_DIR / "sentiment_en" / "tweets_GroundTruth.txt")
    texts = [text for _label, text in french] + [text for _rating, text in english]
    print(f"\n## Classifier.classify on {len(texts):,} tweets (French + English), one core")
    for languages in (None, ("en", "fr"), LANGID_LANGUAGES):
        classifier = Classifier(languages)
        classifier.classify("warm up the models")
        _results, rate = _timed(classifier.classify, texts)
        label = ",".join(languages) if languages else "all"
        print(f"languages={label:<22} {rate:>9,.0f} texts/s")


def main() -> int:
    """Run every benchmark; exit cleanly when the evaluation data is absent."""
    if not EVAL_DIR.is_dir():
        print(f"evaluation data not found at {EVAL_DIR} (set VEILLE_EVAL_DIR): nothing to measure")
        return 0
    bench_language()
    bench_french()
    bench_english()
    bench_classifier()
    return 0


if __name__ == "__main__":
    sys.exit(main())
