"""Language identification on the shared lingua test sentences, restricted to 7 languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.evaluation import LANGID_LANGUAGES, read_langid, resolve_eval_dir
from veille.classify.lang import detect_language

EVAL_DIR = resolve_eval_dir(Path(__file__).resolve().parents[2] / "shared" / "eval")
LANGID_DIR = EVAL_DIR / "langid"

pytestmark = pytest.mark.skipif(
    not LANGID_DIR.is_dir(), reason=f"language-id evaluation data not found in {LANGID_DIR}"
)


def _accuracy(kind: str) -> float:
    samples = read_langid(EVAL_DIR, kind)
    hits = sum(detect_language(text, LANGID_LANGUAGES) == lang for lang, text in samples)
    return hits / len(samples)


def test_sentences_accuracy() -> None:
    # Measured 0.9977 (benchmarks/quality.py); the target is 0.99.
    assert _accuracy("sentences") >= 0.99


def test_word_pairs_accuracy() -> None:
    # Two words are hard; lingua publishes 69–94 % per language for these sets. Measured
    # 0.9143; the target is 0.90.
    assert _accuracy("word-pairs") >= 0.90
