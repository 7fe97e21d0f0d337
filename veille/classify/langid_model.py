"""py3langid's model, read without a second copy of its automaton in memory.

py3langid (0.4) reads its n-gram automaton, a 39 MB table, as a NumPy array and then copies it
into a standard-library array: for a moment both are resident, which was the peak memory of a
processing worker and of a pass without workers. Here the table is read from the model file
straight into the array, a megabyte at a time; the other parts are read as py3langid reads
them. A model file of any other layout is read by py3langid's own loader.
"""

from __future__ import annotations

import lzma
import shutil
import sys
import tempfile
import zipfile
from array import array
from pathlib import Path
from typing import IO, Any

_TYPECODES = {2: "H", 4: "I", 8: "L"}  # py3langid's: unsigned integers by size
_CHUNK = 1 << 20  # a multiple of every item size


def load_identifier(model_file: str) -> Any:
    """py3langid's ``LanguageIdentifier`` for ``model_file`` (relative to its package)."""
    from py3langid.langid import MODEL_DIR, LanguageIdentifier

    path = Path(model_file)
    if not path.is_absolute():
        path = MODEL_DIR / path
    with tempfile.TemporaryFile(suffix=".npz") as unpacked:
        with lzma.open(path) as packed:
            shutil.copyfileobj(packed, unpacked, length=_CHUNK)
        unpacked.seek(0)
        model = _read_npz(unpacked)
    if model is None:
        return LanguageIdentifier.from_model_file(path)
    ptc, pc, classes, nextmove, row, output = model
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, tk_row=row)


def _read_npz(file: IO[bytes]) -> tuple[Any, ...] | None:
    """The model's parts as py3langid's loader gives them, or None for another layout."""
    import numpy as np

    wanted = {"ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat"}
    with zipfile.ZipFile(file) as archive:
        if not wanted <= {name.removesuffix(".npy") for name in archive.namelist()}:
            return None
        with archive.open("nextmove.npy") as member:
            nextmove = _read_unsigned(member)
        if nextmove is None:
            return None
        file.seek(0)
        with np.load(file, allow_pickle=False) as data:
            row = data["nextmove_row"]
            if row.dtype.kind != "u" or row.dtype.itemsize not in _TYPECODES:
                return None
            tk_row = array(_TYPECODES[row.dtype.itemsize], row.tobytes())
            return (
                np.asarray(data["ptc"]),
                np.asarray(data["pc"]),
                data["classes"].tolist(),
                nextmove,
                tk_row,
                data["out_feat"].tolist(),
            )


def _read_unsigned(member: IO[bytes]) -> array[int] | None:
    """A one-dimensional .npy array of unsigned integers, read chunk by chunk into an array."""
    from numpy.lib import format as npy

    version = npy.read_magic(member)
    if version == (1, 0):
        shape, _one_dimensional_either_way, dtype = npy.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, _one_dimensional_either_way, dtype = npy.read_array_header_2_0(member)
    else:
        return None
    native = dtype.byteorder in ("=", "|") or dtype.byteorder == (
        "<" if sys.byteorder == "little" else ">"
    )
    if dtype.kind != "u" or dtype.itemsize not in _TYPECODES or not native or len(shape) != 1:
        return None
    # Allocated whole once, then filled: growing it chunk by chunk left as much again unused.
    table = array(_TYPECODES[dtype.itemsize], [0]) * shape[0]
    view = memoryview(table).cast("B")
    filled = 0
    while filled < len(view):
        read = member.readinto(view[filled : filled + _CHUNK])  # type: ignore[attr-defined]
        if not read:
            return None
        filled += read
    return table
