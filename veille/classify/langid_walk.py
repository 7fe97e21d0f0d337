"""py3langid's n-gram counts, walked with NumPy over every position of a text at once.

py3langid counts a text's n-grams by walking its automaton one byte at a time in Python: most
of the time of identifying an article's language. Its automaton recognises byte strings of at
most `depth` bytes (6 in the model it ships), so the state it is in after a byte is the state
reached from its start by the `depth` bytes that end there, whatever came before. Those short
walks are taken for every position together, `depth` NumPy steps instead of one Python step
per byte: the counts are py3langid's, and so are the scores (tests compare them; when a model
is loaded, both walks are compared on a few kilobytes first).

Each walk costs some thirty NumPy calls, whatever the length: for the few hundred bytes of a
post, most of its time. The texts of a batch (a feed's items) are walked as one, each after a
byte that leads every state back to the start (a byte UTF-8 never holds, in no n-gram): each
text's counts are those of its own walk.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Sequence
from functools import cache
from itertools import pairwise
from typing import Any

# Below this many bytes py3langid's own walk is faster: NumPy's cost per call outweighs the
# bytes saved (the two cross at about 220 characters of French, `benchmarks/bench_langid.py`).
MIN_WALKED_BYTES = 224
# A deeper automaton would need as many steps: past this, py3langid's walk is kept.
MAX_DEPTH = 12
# Rows of the automaton read at once by the depth search: a quarter of a megabyte.
_ROWS_AT_ONCE = 256
# The byte between the texts of a batch: never in UTF-8, so in no n-gram of a model of text.
GAP_BYTE = 0xFF
# The most bytes walked at once: larger batches are split (and the sort keys stay in 63 bits).
MAX_BATCH_BYTES = 1 << 16


class WindowWalk:
    """py3langid's automaton as NumPy arrays, with its depth."""

    def __init__(
        self,
        nextmove: Any,
        rowbase: Any,
        output: Any,
        depth: int,
        gap_resets: bool | None = None,
    ) -> None:
        self.nextmove, self.rowbase, self.output, self.depth = nextmove, rowbase, output, depth
        if gap_resets is None:
            gap_resets = not nextmove.take(rowbase + GAP_BYTE).any()
        # Texts are walked together only where the gap byte leads every state to the start,
        # which gives no feature: else each text is walked alone.
        self.gap_resets = bool(len(output)) and output[0] < 0 and gap_resets
        self.feature_bits = max(1, int(output.max(initial=0)).bit_length())

    @classmethod
    def of(cls, identifier: Any, release: Callable[[], None] | None = None) -> WindowWalk | None:
        """The walk of a py3langid identifier's automaton, or None if it has another layout."""
        import numpy as np

        try:
            moves = identifier.tk_nextmove
            # py3langid keeps it in an array of the standard library, whose type code NumPy
            # reads as the same C type.
            nextmove = (
                np.frombuffer(moves, dtype=moves.typecode)
                if isinstance(moves, array)
                else np.asarray(moves)
            )
            rowbase = np.asarray(identifier._rowbase, dtype=np.intp)
            output = np.asarray(identifier.tk_output, dtype=np.intp)
        except (AttributeError, TypeError, ValueError):
            return None
        # Rows of 256 moves, one per byte, that the depth search reads whole.
        if len(nextmove) % 256 or (rowbase % 256).any() or len(rowbase) != len(output):
            return None
        depth, gap_resets = automaton_search(nextmove, rowbase, release)
        if depth is None:
            return None
        walk = cls(nextmove, rowbase, output, depth, gap_resets)
        return walk if walk.agrees_with(identifier) else None

    def agrees_with(self, identifier: Any) -> bool:
        """Whether py3langid's own walk counts as this one on a few kilobytes of bytes.

        The window holds for the automaton py3langid builds, whose state is the longest
        suffix of what it read that is an n-gram it knows. Another kind of automaton of the
        same depth may remember more than its last bytes: on bytes drawn at random it would
        differ at once, and py3langid's walk is then kept.
        """
        try:
            from py3langid.langid import visit_counts
        except ImportError:
            return False
        rng = random.Random(0)
        samples = [rng.randbytes(4096), "Été: l'équipe n'a pas gagné. Hello world!".encode() * 20]
        for data in samples:
            theirs = visit_counts(
                identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data
            )
            ours = self.counts(data)
            pairs = (
                [] if ours is None else list(zip(ours[0].tolist(), ours[1].tolist(), strict=True))
            )
            if pairs != list((theirs or {}).items()):
                return False
        return True

    def counts(self, data: bytes) -> tuple[Any, Any] | None:
        """The features found in ``data`` and their counts (as float32), or None if none."""
        import numpy as np

        moves, rowbase = self.nextmove, self.rowbase
        text = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
        size = len(text)
        states = np.zeros(size, dtype=np.intp)
        # At each step every position reads the byte `offset` before it; the first positions
        # of the text have fewer bytes behind them and start later.
        for offset in range(min(self.depth, size) - 1, -1, -1):
            targets = rowbase.take(states[offset:])
            targets += text[: size - offset]
            states[offset:] = moves.take(targets)
        features = self.output.take(states)
        features = features[features >= 0]
        if not len(features):
            return None
        # In the order of their first occurrence, as py3langid's counter holds them: its scores
        # then add up in the same order, to the same last bit. Sorting each feature with its
        # position behind it puts its first occurrence at the head of its run.
        shift = max(16, size.bit_length())
        keyed = features << shift
        keyed += np.arange(len(features))
        keyed.sort()
        grouped = keyed >> shift
        starts = np.flatnonzero(grouped[1:] != grouped[:-1]) + 1
        bounds = np.concatenate(([0], starts, [len(keyed)]))
        heads = bounds[:-1]
        order = np.argsort(keyed[heads] & ((1 << shift) - 1))
        return grouped[heads][order], np.diff(bounds)[order].astype(np.float32)

    def counts_many(self, datas: Sequence[bytes]) -> list[tuple[Any, Any] | None]:
        """``counts`` of each of ``datas``, the same arrays, found by walking them together."""
        if not self.gap_resets or len(datas) < 2:
            return [self.counts(data) for data in datas]
        found: list[tuple[Any, Any] | None] = []
        batch: list[bytes] = []
        size = 0
        for data in datas:
            if batch and size + len(data) > MAX_BATCH_BYTES:
                found += self._walk_together(batch)
                batch, size = [], 0
            batch.append(data)
            size += len(data) + 1
        return found + self._walk_together(batch)

    def _walk_together(self, datas: list[bytes]) -> list[tuple[Any, Any] | None]:
        import numpy as np

        # One gap byte suffices: whatever came before it, the state after it is the start's.
        gap = bytes([GAP_BYTE])
        joined = gap.join(datas)
        size = len(joined)
        position_bits, owner_bits = max(1, size.bit_length()), len(datas).bit_length()
        if len(datas) < 2 or position_bits + owner_bits + self.feature_bits > 62:
            return [self.counts(data) for data in datas]
        text = np.frombuffer(joined, dtype=np.uint8).astype(np.intp)
        states = np.zeros(size, dtype=np.intp)
        for offset in range(min(self.depth, size) - 1, -1, -1):
            targets = self.rowbase.take(states[offset:])
            targets += text[: size - offset]
            states[offset:] = self.nextmove.take(targets)
        features = self.output.take(states)
        positions = np.flatnonzero(features >= 0)
        starts = np.cumsum([0] + [len(data) + len(gap) for data in datas[:-1]])
        owners = np.searchsorted(starts, positions, side="right") - 1
        # As in `counts`, sorted by text, then feature, then position: the head of each run is
        # a feature's first occurrence in its text, and positions order texts as well.
        keyed = (owners << self.feature_bits | features[positions]) << position_bits
        keyed |= positions
        keyed.sort()
        grouped = keyed >> position_bits
        heads = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
        order = np.argsort(keyed[heads] & ((1 << position_bits) - 1))
        owned = grouped[heads][order]
        counts = np.diff(np.append(heads, len(keyed)))[order].astype(np.float32)
        each = owned & ((1 << self.feature_bits) - 1)
        cuts = np.searchsorted(owned >> self.feature_bits, np.arange(len(datas) + 1)).tolist()
        return [
            (each[start:end], counts[start:end]) if end > start else None
            for start, end in pairwise(cuts)
        ]


def automaton_depth(
    nextmove: Any, rowbase: Any, release: Callable[[], None] | None = None
) -> int | None:
    """The length of the longest path from the start to a state first reached by it.

    A breadth-first search: the depth at which each state is first reached is the length of
    the byte string it stands for. None past MAX_DEPTH. ``release`` is called after each few
    rows read (a mapped table then lets their pages go: the search reads each row once).
    """
    return automaton_search(nextmove, rowbase, release)[0]


def automaton_search(
    nextmove: Any, rowbase: Any, release: Callable[[], None] | None = None
) -> tuple[int | None, bool]:
    """``automaton_depth``, and whether ``GAP_BYTE`` leads every state reached to the start."""
    import numpy as np

    rows = nextmove.reshape(-1, 256)
    reached = np.zeros(len(rowbase), dtype=bool)
    reached[0] = True
    expanded = np.zeros(len(rows), dtype=bool)
    frontier, depth = np.zeros(1, dtype=np.intp), 0
    gap_resets = True
    while len(frontier):
        # States sharing a row of moves lead to the same states: each row is read once.
        # (Marked rather than `np.unique`d, which imports NumPy's masked arrays: 4 MB.)
        wanted = np.zeros(len(rows), dtype=bool)
        wanted[rowbase[frontier] // 256] = True
        wanted &= ~expanded
        new_rows = np.flatnonzero(wanted)
        expanded |= wanted
        found = np.zeros(len(rowbase), dtype=bool)
        # A few rows at a time: all of them at once would copy most of the table (39 MB).
        for start in range(0, len(new_rows), _ROWS_AT_ONCE):
            block = rows[new_rows[start : start + _ROWS_AT_ONCE]]
            found[block.ravel()] = True
            gap_resets = gap_resets and not block[:, GAP_BYTE].any()
            if release is not None:
                release()
        found &= ~reached
        frontier = np.flatnonzero(found)
        reached |= found
        if len(frontier):
            depth += 1
            if depth > MAX_DEPTH:
                return None, False
    return depth, gap_resets


def walked_identifier(identifier: Any, walk: WindowWalk) -> Any:
    """A copy of py3langid's ``identifier`` that counts the n-grams of longer texts by ``walk``."""
    base: Any = type(identifier)
    walked_class = _walked_class(base)
    walked = _slots_copy(identifier, walked_class)
    walked.window_walk = walk
    walked.counted = {}
    return walked


def _slots_copy(identifier: Any, klass: Any) -> Any:
    """A ``klass`` holding what ``identifier`` holds (py3langid's keeps its state in slots)."""
    copied = klass.__new__(klass)
    for kind in type(identifier).__mro__:
        for slot in getattr(kind, "__slots__", ()):
            if hasattr(identifier, slot):
                setattr(copied, slot, getattr(identifier, slot))
    return copied


@cache
def _walked_class(base: Any) -> Any:
    import numpy as np

    class WalkedIdentifier(base):
        # ``counted``: the counts of a batch's texts, found together (see ``classify_many``).
        __slots__ = ("counted", "window_walk")

        def _raw_score(self, data: bytes) -> Any:
            found = self.counted.get(data) if self.counted else None
            if found is None and len(data) >= MIN_WALKED_BYTES:
                found = self.window_walk.counts(data)
            if found is not None:
                features, counts = found
                # As py3langid's `_sparse_score`, on the columns of the current languages.
                return np.log1p(counts) @ self.nb_ptc[features] + self.nb_pc
            # Short texts, and py3langid's own score for a text without features.
            return super()._raw_score(data)

        def classify_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
            """``classify`` of each text, their n-grams counted in one walk."""
            if len(texts) < 2:
                return [self.classify(text) for text in texts]
            encoded = [self._encode(text) for text in texts]
            # A copy holds the batch's counts: the identifier itself stays shareable.
            batch = _slots_copy(self, type(self))
            batch.counted = dict(zip(encoded, self.window_walk.counts_many(encoded), strict=True))
            return [batch.classify(text) for text in texts]

    return WalkedIdentifier
