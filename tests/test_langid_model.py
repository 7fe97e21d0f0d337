"""veille's reading of py3langid's model gives exactly what py3langid's own loader gives."""

from __future__ import annotations

import io
import lzma
import mmap
import os
import subprocess
import sys
import time
import zipfile
from array import array
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
        elif isinstance(mine, memoryview):
            # The automaton mapped from the kept copy: the same integers as py3langid's array.
            assert part == "tk_nextmove" and mine.readonly
            assert mine.format == reference.typecode, part
            assert np.array_equal(np.asarray(mine), np.asarray(reference)), part
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
    real_header = langid_model._unsigned_header

    def watched_header(member: Any) -> Any:
        described = real_header(member)
        seen.append(described is None)
        return described

    monkeypatch.setattr(langid_model, "_unsigned_header", watched_header)
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


@pytest.fixture
def unpacked(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The model files unpacked from LZMA during the test."""
    seen: list[Path] = []
    real_unpack = langid_model._unpack

    def watched_unpack(path: Path, into: Any) -> None:
        seen.append(path)
        real_unpack(path, into)

    monkeypatch.setattr(langid_model, "_unpack", watched_unpack)
    return seen


@pytest.fixture
def toy_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A toy model file, and the cache folder its unpacked copy goes to."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VEILLE_CACHE_DIR", str(cache))
    path = tmp_path / "model.npz.xz"
    save_model(path, _toy_model())
    return path, cache


def _cached_copies(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_the_unpacked_model_is_kept_for_the_next_process(
    toy_model: tuple[Path, Path], unpacked: list[Path]
) -> None:
    path, cache = toy_model
    first = load_identifier(str(path))
    copies = _cached_copies(cache)
    assert len(copies) == 1 and copies[0].startswith("py3langid-"), copies
    again = load_identifier(str(path))
    assert unpacked == [path], "the second load read the kept copy"
    _same(first, LanguageIdentifier.from_model_file(path))
    _same(again, LanguageIdentifier.from_model_file(path))


def test_another_model_gets_its_own_copy_and_old_unused_copies_go(
    toy_model: tuple[Path, Path],
) -> None:
    path, cache = toy_model
    load_identifier(str(path))
    (first,) = _cached_copies(cache)
    # A py3langid upgrade: another model where the old one was, while another install still
    # uses the old one.
    ptc, pc, classes, nextmove, row, output = _toy_model()
    save_model(path, (ptc * 2, pc, classes, nextmove, row, output))
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    copies = _cached_copies(cache)
    assert len(copies) == 2 and first in copies, "a copy read lately is kept"
    (second,) = set(copies) - {first}
    # Once the old copy has gone unread for a week, the next copy written drops it.
    long_ago = time.time() - 8 * 24 * 3600
    os.utime(cache / first, (long_ago, long_ago))
    (cache / second).unlink()
    load_identifier(str(path))
    assert _cached_copies(cache) == [second]


def test_a_damaged_copy_is_made_again(toy_model: tuple[Path, Path], unpacked: list[Path]) -> None:
    path, cache = toy_model
    load_identifier(str(path))
    (copy,) = cache.iterdir()
    copy.write_bytes(copy.read_bytes()[: copy.stat().st_size // 2])  # cut short (a full disk)
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    assert not copy.exists(), "the damaged copy is dropped"
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    assert copy.is_file(), "and made again by the next load"
    assert unpacked == [path, path, path]


@pytest.mark.parametrize("setting", ["", "file"])
def test_no_cache_when_disabled_or_unwritable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, unpacked: list[Path]
) -> None:
    path = tmp_path / "model.npz.xz"
    save_model(path, _toy_model())
    if setting == "file":
        # A folder that cannot be made: a file is in the way.
        (tmp_path / "in-the-way").write_text("")
        setting = str(tmp_path / "in-the-way" / "cache")
    monkeypatch.setenv("VEILLE_CACHE_DIR", setting)
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    assert unpacked == [path, path], "unpacked each time, into a temporary file"
    assert set(_cached_copies(tmp_path)) <= {"in-the-way", "model.npz.xz"}, "nothing kept"


def test_the_cache_folder_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEILLE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert langid_model.cache_folder() == tmp_path / "xdg" / "veille"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert langid_model.cache_folder() == tmp_path / "home" / ".cache" / "veille"
    monkeypatch.setenv("VEILLE_CACHE_DIR", str(tmp_path / "mine"))
    assert langid_model.cache_folder() == tmp_path / "mine"
    monkeypatch.setenv("VEILLE_CACHE_DIR", " ")
    assert langid_model.cache_folder() is None


def test_processes_starting_together_share_one_whole_copy(toy_model: tuple[Path, Path]) -> None:
    path, cache = toy_model
    # Several processes find no copy at once: each writes its own, the renames leave one.
    code = (
        "import sys; from veille.classify.langid_model import load_identifier;"
        "print(load_identifier(sys.argv[1]).classify('bonjour')[0])"
    )
    starting = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    answers = {process.communicate(timeout=120)[0].strip() for process in starting}
    assert all(process.returncode == 0 for process in starting)
    assert answers == {load_identifier(str(path)).classify("bonjour")[0]}
    assert len(_cached_copies(cache)) == 1, "one copy, no partial file left"


def test_a_copy_that_cannot_be_touched_is_still_read(
    toy_model: tuple[Path, Path], unpacked: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _cache = toy_model
    load_identifier(str(path))

    def read_only(*args: Any, **kwargs: Any) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(langid_model.os, "utime", read_only)
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    assert unpacked == [path], "the kept copy was read, not unpacked again"


def test_the_kept_copy_is_mapped_and_its_pages_can_be_let_go(
    toy_model: tuple[Path, Path],
) -> None:
    path, _cache = toy_model
    first = load_identifier(str(path))  # makes the copy (and reads it mapped)
    mapped = load_identifier(str(path))
    for ours in (first, mapped):
        assert isinstance(ours.tk_nextmove, memoryview)
        assert isinstance(ours.tk_nextmove.obj, mmap.mmap)
    texts = ["bonjour à tous", "hello world", "x" * 300, ""]
    before = [mapped.classify(text) for text in texts]
    langid_model.release_pages(mapped.tk_nextmove)
    assert [mapped.classify(text) for text in texts] == before, "read again from the file"
    langid_model.release_pages(array("I", [1, 2]))  # a table read into memory: nothing to do


def test_without_a_cache_the_automaton_is_read_into_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_CACHE_DIR", "")
    path = tmp_path / "model.npz.xz"
    save_model(path, _toy_model())
    assert isinstance(load_identifier(str(path)).tk_nextmove, array)


def test_a_copy_whose_automaton_changed_on_disk_is_made_again(
    toy_model: tuple[Path, Path], unpacked: list[Path]
) -> None:
    path, cache = toy_model
    load_identifier(str(path))
    (copy,) = cache.iterdir()
    with zipfile.ZipFile(copy) as archive:
        member = archive.getinfo("nextmove.npy")
    data = bytearray(copy.read_bytes())
    data[member.header_offset + member.compress_size // 2] ^= 0xFF  # a bit flipped on disk
    copy.write_bytes(bytes(data))
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    assert unpacked == [path, path], "the damaged copy was not read"
    _same(load_identifier(str(path)), LanguageIdentifier.from_model_file(path))
    assert unpacked == [path, path, path], "it was made again, then read"


def test_a_copy_with_compressed_members_is_kept_and_read(
    toy_model: tuple[Path, Path], unpacked: list[Path]
) -> None:
    path, cache = toy_model
    with np.load(io.BytesIO(lzma.decompress(path.read_bytes()))) as data:
        parts = {name: data[name] for name in data.files}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **parts)  # members deflated: read, not mapped
    path.write_bytes(lzma.compress(buffer.getvalue()))
    for _ in range(2):
        ours = load_identifier(str(path))
        assert isinstance(ours.tk_nextmove, array)
        _same(ours, LanguageIdentifier.from_model_file(path))
    assert unpacked == [path], "the copy is kept and read the second time"
    assert len(_cached_copies(cache)) == 1
