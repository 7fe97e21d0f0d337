"""Language identification of articles: py3langid's own walk against veille's NumPy walk.

veille counts py3langid's n-grams with `veille.classify.langid_walk` for texts of 224 bytes or
more, and with py3langid's own byte-by-byte walk below that; both give the same languages and
scores to the last bit. A pass classifies the items of a feed that name a brand together
(`classify_many`: one walk for them all). This times the three on the same texts in the same
run, for texts of several lengths (French and English sentences of the feed world, restricted to
fr and en as `veille init` writes it): CPU microseconds per text, the best of a few passes;
together, BATCH texts at a time (a feed of the benchmarks' world names its brand in about 6 of
its 20 items).

    python benchmarks/bench_langid.py [--texts 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.feedworld import article_text

LENGTHS = (80, 150, 250, 300, 600)  # characters; veille reads at most 600 (DETECTION_CHARS)
LANGUAGES = ("en", "fr")
BATCH = 6


def _best_microseconds(
    classify: Callable[[Any], object], texts: Sequence[Any], rounds: int
) -> float:
    """CPU microseconds per call of ``classify`` on each of ``texts``, the best of ``rounds``."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for text in texts:
            classify(text)
        best = min(best, time.process_time() - started)
    return best / len(texts) * 1e6


def main(argv: list[str] | None = None) -> None:
    """Time both walks on texts of each length and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000, help="texts of each length")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    from veille.classify import lang
    from veille.classify.langid_restricted import restricted_identifier

    full = lang._py3langid_full()
    walked = restricted_identifier(full, LANGUAGES)
    own = copy.copy(full)  # py3langid's own identifier, narrowed its own way
    own.set_languages(list(LANGUAGES))
    print(f"{args.texts} texts of each length, languages {', '.join(LANGUAGES)}")
    print(
        f"| characters | py3langid's walk: µs/text | veille's walk: µs/text | ratio "
        f"| together, {BATCH} at a time: µs/text | ratio | same |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | :---: |")
    for length in LENGTHS:
        texts = [article_text(n, length, french=n % 3 != 0) for n in range(args.texts)]
        batches = [texts[start : start + BATCH] for start in range(0, len(texts), BATCH)]
        expected = [own.classify(text) for text in texts]
        same = [walked.classify(text) for text in texts] == expected and [
            found for batch in batches for found in walked.classify_many(batch)
        ] == expected
        baseline = _best_microseconds(own.classify, texts, args.rounds)
        ours = _best_microseconds(walked.classify, texts, args.rounds)
        together = (
            _best_microseconds(walked.classify_many, batches, args.rounds) * len(batches)
        ) / len(texts)
        print(
            f"| {length} | {baseline:.1f} | {ours:.1f} | {baseline / ours:.2f}× "
            f"| {together:.1f} | {baseline / together:.2f}× | {'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()
