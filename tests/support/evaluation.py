"""Measuring the classifier: metrics and readers for the evaluation sets it is tested on.

The evaluation data is not part of veille; tests and benchmarks pass its folder in (the
`VEILLE_EVAL_DIR` environment variable overrides their default).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

EVAL_DIR_VARIABLE = "VEILLE_EVAL_DIR"
LANGID_LANGUAGES = ("de", "en", "es", "fr", "it", "nl", "pt")
# VADER's ratings go from -4 to +4.
RATING_SCALE = 4.0


def resolve_eval_dir(default: Path) -> Path:
    """Return the evaluation folder: $VEILLE_EVAL_DIR when set, else `default`."""
    override = os.environ.get(EVAL_DIR_VARIABLE)
    return Path(override) if override else default


def read_langid(eval_dir: Path, kind: str) -> list[tuple[str, str]]:
    """Read (language, text) pairs of `langid/<kind>/<lang>.txt` (kind: sentences, word-pairs)."""
    samples: list[tuple[str, str]] = []
    for lang in LANGID_LANGUAGES:
        path = eval_dir / "langid" / kind / f"{lang}.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                samples.append((lang, line.strip()))
    return samples


def read_labelled_tsv(path: Path) -> list[tuple[str, str]]:
    """Read (label, text) rows of a `label<TAB>text` file with a header line."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [(row[0], row[1]) for row in rows if len(row) >= 2]


def read_rated_texts(path: Path) -> list[tuple[float, str]]:
    """Read (mean rating scaled to [-1, 1], text) rows of a VADER ground-truth file."""
    rated: list[tuple[float, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.rstrip("\r").split("\t", 2)
        if len(parts) == 3:
            rated.append((float(parts[1]) / RATING_SCALE, parts[2]))
    return rated


def label_of(score: float, threshold: float = 0.05) -> str:
    """Return positive / neutral / negative for a score, with ±`threshold` as the neutral band."""
    if score >= threshold:
        return "positive"
    if score <= -threshold:
        return "negative"
    return "neutral"


def polarity_of(score: float) -> str:
    """Return positive or negative by the sign of a score; 0.0 counts as neither (wrong)."""
    if score > 0:
        return "positive"
    if score < 0:
        return "negative"
    return "neutral"


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Return the share of predictions equal to the gold labels."""
    hits = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return hits / len(gold) if gold else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Return the unweighted mean of per-class F1 over the classes present in `gold`."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Return Pearson's correlation coefficient of two equally long series."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    return cov / math.sqrt(var_x * var_y) if var_x and var_y else 0.0


def score_french_sets(eval_dir: Path, scorer: Callable[[str], float]) -> dict[str, float]:
    """Return Allociné accuracy (sign of the score) and DEFT macro-F1 (±0.05) of `scorer`."""
    allocine = read_labelled_tsv(eval_dir / "sentiment_fr" / "allocine_tvseries_reviews_fr.tsv")
    deft = read_labelled_tsv(eval_dir / "sentiment_fr" / "deft2017_tweets_fr.tsv")
    allocine_predicted = [polarity_of(scorer(text)) for _label, text in allocine]
    deft_predicted = [label_of(scorer(text)) for _label, text in deft]
    return {
        "allocine_accuracy": accuracy([label for label, _ in allocine], allocine_predicted),
        "deft_macro_f1": macro_f1([label for label, _ in deft], deft_predicted),
    }
