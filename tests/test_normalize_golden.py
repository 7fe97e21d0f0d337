"""Golden files: collected items beside the Document normalize() must make of them.

Each ``tests/golden/normalize/*.json`` holds ``input`` (RawMention fields, dates in ISO 8601)
and ``expected`` (Document fields). Run with ``VEILLE_REGEN_GOLDEN=1`` to rewrite the
expected parts after an intended change, then review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from veille.normalize import normalize
from veille.types import Document, RawMention

GOLDEN_DIR = Path(__file__).parent / "golden" / "normalize"
CASES = sorted(GOLDEN_DIR.glob("*.json"))
REGENERATE = os.environ.get("VEILLE_REGEN_GOLDEN") == "1"


def _raw_mention(fields: dict[str, Any]) -> RawMention:
    values = dict(fields)
    if values.get("published_at") is not None:
        values["published_at"] = datetime.fromisoformat(values["published_at"])
    return RawMention(**values)


def _document_fields(document: Document) -> dict[str, Any]:
    fields = dataclasses.asdict(document)
    if document.published_at is not None:
        fields["published_at"] = document.published_at.isoformat()
    return fields


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_normalize_matches_golden_file(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    actual = _document_fields(normalize(_raw_mention(case["input"])))
    if REGENERATE:
        case["expected"] = actual
        path.write_text(json.dumps(case, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        pytest.skip(f"regenerated {path.name}")
    assert actual == case["expected"]
