"""veille's reading of py3langid's model gives exactly what py3langid's own loader gives."""

from __future__ import annotations

import io
import lzma
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from py3langid.modelio import save_model

from veille.classify import langid_model
from veille.classify.langid_model import load_identifier

PARTS = ("nb_ptc", "nb_pc", "nb_classes", "tk_nextmove", "tk_row", "tk_output", "_rowbase")


def _same(ours: Any, theirs: Any) -> None:
    for part in PARTS:
        mine, reference = getattr(ours, part), getattr(theirs, part)
        if isinstance(reference, np.ndarray):
            assert mine.dtype == reference.dtype, part
            assert np.array_equal(mine, reference), part
        else:
            assert type(mine) is type(reference), part
            assert getattr(mine, "typecode", None) == getattr(reference, "typecode", None), part
            assert mine == reference, part


def test_the_shipped_model_reads_as_py3langid_reads_it() -> None:
    ours = load_identifier(MODEL_FILE)
    _same(ours, LanguageIdentifier.from_model_file(MODEL_FILE))
    assert ours.classify("Le service client a été vraiment excellent")[0] == "fr"


def _toy_model() -> tuple[Any, ...]:
    # Two languages, three features, an automaton of 300 states (a table of uint16; the shipped
    # model's is of uint32).
    states = 300
    rng = np.random.default_rng(0)
    nextmove = rng.integers(0, states, size=states * 256, dtype=np.uint32)
    output = [int(n) % 3 if n % 5 == 0 else -1 for n in range(states)]
    ptc = rng.random((3, 2)).astype(np.float32)
    return (
        ptc,
        np.array([-0.5, -0.9], dtype=np.float32),
        ["en", "fr"],
        nextmove,
        list(range(states)),
        output,
    )


@pytest.fixture
def declined(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each automaton table met was left to py3langid's loader."""
    seen: list[bool] = []
    real_read = langid_model._read_unsigned

    def watched_read(member: Any) -> Any:
        table = real_read(member)
        seen.append(table is None)
        return table

    monkeypatch.setattr(langid_model, "_read_unsigned", watched_read)
    return seen


def test_a_model_saved_by_py3langid_reads_the_same(tmp_path: Path, declined: list[bool]) -> None:
    path = tmp_path / "model.npz.xz"
    save_model(path, _toy_model())
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    assert declined == [False]


def test_another_layout_is_left_to_py3langid(tmp_path: Path, declined: list[bool]) -> None:
    # The same parts, the automaton stored big-endian: not a table read as it is.
    path = tmp_path / "model.npz.xz"
    save_model(path, _toy_model())
    with np.load(io.BytesIO(lzma.decompress(path.read_bytes()))) as data:
        parts = {name: data[name] for name in data.files}
    parts["nextmove"] = parts["nextmove"].astype(">u2")
    buffer = io.BytesIO()
    np.savez(buffer, **parts)
    path.write_bytes(lzma.compress(buffer.getvalue()))
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    assert declined == [True]
