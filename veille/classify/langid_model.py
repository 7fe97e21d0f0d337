"""py3langid's model, read without a second copy of its automaton in memory.

py3langid (0.4) reads its n-gram automaton, a 39 MB table, as a NumPy array and then copies it
into a standard-library array: for a moment both are resident, which was the peak memory of a
processing worker and of a pass without workers. Here the table is read from the model file
straight into the array, a megabyte at a time; the other parts are read as py3langid reads
them. A model file of any other layout is read by py3langid's own loader.

Unpacking the model (LZMA, 4.6 MB into 68 MB) took most of a worker's start: the unpacked copy
is kept in veille's cache folder (``cache_folder``) and read from there by the next processes,
about eight times faster. A copy that cannot be written or read is made again in a temporary
file, as before: the cache only saves time.

From the kept copy, the automaton is not read but mapped (``mmap``): its pages are the file's,
shared by every process that maps it, and a process holds only those its texts lead to (a few
megabytes for French and English) once ``release_pages`` has let go of those the loading checks
read. The copy is only ever replaced whole (a new file renamed over it), never written in place,
so the mapped pages never change under a process; its checksum is checked when it is mapped, as
reading it would, so a copy damaged on disk is made again rather than used.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import lzma
import mmap
import os
import shutil
import sys
import tempfile
import time
import zipfile
import zlib
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Literal

log = logging.getLogger(__name__)

_Typecode = Literal["H", "I", "L"]
# py3langid's type codes of unsigned integers, by size.
_TYPECODES: dict[int, _Typecode] = {2: "H", 4: "I", 8: "L"}
_CHUNK = 1 << 20  # a multiple of every item size


def load_identifier(model_file: str) -> Any:
    """py3langid's ``LanguageIdentifier`` for ``model_file`` (relative to its package)."""
    from py3langid.langid import MODEL_DIR, LanguageIdentifier

    path = Path(model_file)
    if not path.is_absolute():
        path = MODEL_DIR / path
    read, model = _read_cached(path)
    if not read:
        with tempfile.TemporaryFile(suffix=".npz") as unpacked:
            _unpack(path, unpacked)
            unpacked.seek(0)
            model = _read_npz(unpacked)
    if model is None:
        return LanguageIdentifier.from_model_file(path)
    ptc, pc, classes, nextmove, row, output = model
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, tk_row=row)


def cache_folder() -> Path | None:
    """Where veille keeps what it can make again: ``$VEILLE_CACHE_DIR``, else the user's cache.

    ``$XDG_CACHE_HOME/veille``, else ``~/.cache/veille``; None when ``VEILLE_CACHE_DIR`` is set
    empty (nothing is kept) or no home is known.
    """
    chosen = os.environ.get("VEILLE_CACHE_DIR")
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = Path(os.environ.get("XDG_CACHE_HOME", "").strip())
    try:
        # A relative XDG_CACHE_HOME is to be ignored (XDG Base Directory specification).
        return (base if base.is_absolute() else Path.home() / ".cache") / "veille"
    except RuntimeError:  # no home directory to be found
        return None


def _unpack(path: Path, into: IO[bytes]) -> None:
    with lzma.open(path) as packed:
        shutil.copyfileobj(packed, into, length=_CHUNK)


def _cache_name(path: Path) -> str:
    # Named by the packed model's content: installs of one py3langid share a copy, and another
    # model (an upgrade) gets another name, so a stale copy is never read.
    digest = hashlib.blake2b(path.read_bytes(), digest_size=8).hexdigest()
    return f"py3langid-{digest}.npz"


# A copy no process has read for this long is dropped when another one is written.
_UNUSED_COPY_SECONDS = 7 * 24 * 3600


def _read_cached(path: Path) -> tuple[bool, tuple[Any, ...] | None]:
    """Whether the unpacked copy in the cache was read (made first if missing), and its parts.

    Not read when there is no cache folder, it cannot be written or the copy is damaged: the
    caller then unpacks the model itself. Read but None: a layout py3langid alone reads.
    """
    folder = cache_folder()
    if folder is None:
        return False, None
    try:
        cached = folder / _cache_name(path)
        if cached.is_file():
            with contextlib.suppress(OSError):  # a read-only cache is still read
                os.utime(cached)  # in use (see _write_copy)
        else:
            _write_copy(path, folder, cached.name)
        model = _read_mapped(cached)
    except OSError as exc:  # unwritable or full: the cache is only a saving
        log.debug("language model cache in %s not used: %s", folder, exc)
        return False, None
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        log.debug("language model copy %s is damaged, dropped: %s", cached, exc)
        cached.unlink(missing_ok=True)
        return False, None
    if model is None:
        cached.unlink(missing_ok=True)  # of no use to the next process either
    return True, model


def _read_mapped(copy: Path) -> tuple[Any, ...] | None:
    """The model's parts from an unpacked copy, its automaton mapped rather than read."""
    with copy.open("rb") as unpacked:
        mapping = mmap.mmap(unpacked.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return _read_npz(unpacked, lambda archive: _mapped_unsigned(mapping, archive))
        finally:
            # The automaton's view, once made, keeps the mapping open; otherwise nothing does.
            with contextlib.suppress(BufferError):
                mapping.close()


def release_pages(table: Any) -> None:
    """Let go of the resident pages of a mapped automaton (read again from the file if used).

    For a table read into memory, nothing happens.
    """
    mapping = getattr(table, "obj", None)
    if isinstance(mapping, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)


def _write_copy(path: Path, folder: Path, name: str) -> None:
    """Unpack the model into ``folder/name``, whole or not at all; drop copies long unused."""
    folder.mkdir(parents=True, exist_ok=True)
    # Processes starting together each write their own file; the last rename wins, each whole.
    descriptor, partial = tempfile.mkstemp(dir=folder, prefix=".py3langid-")
    try:
        with os.fdopen(descriptor, "wb") as unpacked:
            _unpack(path, unpacked)
        os.replace(partial, folder / name)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    # Another py3langid still in use (another install) keeps its copy: the two would otherwise
    # drop each other's at every start.
    unused_since = time.time() - _UNUSED_COPY_SECONDS
    for other in folder.glob("py3langid-*.npz"):
        if other.name != name and other.stat().st_mtime < unused_since:
            other.unlink(missing_ok=True)


def _read_npz(
    file: IO[bytes], read_automaton: Callable[[zipfile.ZipFile], Any] | None = None
) -> tuple[Any, ...] | None:
    """The model's parts as py3langid's loader gives them, or None for another layout.

    ``read_automaton`` gives the automaton table from the archive (by default read into an
    array), or None for a layout it does not read.
    """
    import numpy as np

    wanted = {"ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat"}
    with zipfile.ZipFile(file) as archive:
        if not wanted <= {name.removesuffix(".npy") for name in archive.namelist()}:
            return None
        nextmove = (read_automaton or _read_automaton)(archive)
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


def _read_automaton(archive: zipfile.ZipFile) -> array[int] | None:
    with archive.open("nextmove.npy") as member:
        return _read_unsigned(member)


def _mapped_unsigned(
    mapping: mmap.mmap, archive: zipfile.ZipFile
) -> memoryview[int] | array[int] | None:
    """The automaton as a view of the mapped archive, where its member is stored as it is
    (read from the archive where it is compressed)."""
    info = archive.getinfo("nextmove.npy")
    if info.compress_type != zipfile.ZIP_STORED:
        return _read_automaton(archive)
    # The member's data follows its local header: 30 bytes, its name and an extra field.
    local = mapping[info.header_offset : info.header_offset + 30]
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        return None
    start = info.header_offset + 30 + int.from_bytes(local[26:28], "little")
    start += int.from_bytes(local[28:30], "little")
    if start + info.file_size > len(mapping):
        return None
    if _crc32_letting_go(mapping, start, info.file_size) != info.CRC:
        # As reading the member would say: the copy is damaged (and is made again).
        raise zipfile.BadZipFile("the automaton's checksum does not match")
    header = io.BytesIO(mapping[start : start + min(info.file_size, _MAX_NPY_HEADER)])
    described = _unsigned_header(header)
    if described is None:
        return None
    count, typecode = described
    begin = start + header.tell()
    end = begin + count * _ITEM_SIZES[typecode]
    if end > start + info.file_size:
        return None
    return memoryview(mapping)[begin:end].cast(typecode)


def _crc32_letting_go(mapping: mmap.mmap, start: int, size: int) -> int:
    """The CRC-32 of ``size`` bytes of the mapping from ``start``, read a few megabytes at a
    time, each let go once read (the whole table at once would be resident for a moment)."""
    crc, position, end = 0, start, start + size
    view = memoryview(mapping)
    try:
        while position < end:
            chunk_end = min(end, position + _CHECKED_AT_ONCE)
            crc = zlib.crc32(view[position:chunk_end], crc)
            if hasattr(mmap, "MADV_DONTNEED"):
                # madvise wants a page-aligned start: from the page holding ``position``.
                page_start = position - position % mmap.PAGESIZE
                mapping.madvise(mmap.MADV_DONTNEED, page_start, chunk_end - page_start)
            position = chunk_end
    finally:
        view.release()
    return crc


_CHECKED_AT_ONCE = 4 << 20
# A .npy header is at most this long (version 1: a 2-byte length; longer only in version 2).
_MAX_NPY_HEADER = 10 + 65535
_ITEM_SIZES = {typecode: size for size, typecode in _TYPECODES.items()}


def _unsigned_header(member: IO[bytes]) -> tuple[int, _Typecode] | None:
    """The length and type code of a one-dimensional .npy array of native unsigned integers
    (the stream then at its data), or None for any other array."""
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
    return shape[0], _TYPECODES[dtype.itemsize]


def _read_unsigned(member: IO[bytes]) -> array[int] | None:
    """A one-dimensional .npy array of unsigned integers, read chunk by chunk into an array."""
    described = _unsigned_header(member)
    if described is None:
        return None
    count, typecode = described
    # Allocated whole once, then filled: growing it chunk by chunk left as much again unused.
    table = array(typecode, [0]) * count
    view = memoryview(table).cast("B")
    filled = 0
    while filled < len(view):
        read = member.readinto(view[filled : filled + _CHUNK])  # type: ignore[attr-defined]
        if not read:
            return None
        filled += read
    return table
