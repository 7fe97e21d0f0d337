"""The sample digest, opened in a real browser (headless Chromium) and photographed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.digests import write_sample

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason="no chromium to render the digest")
def test_the_sample_digest_renders_in_chromium(tmp_path: Path) -> None:
    report = write_sample(tmp_path / "preview")
    assert [(o.status, o.mentions) for o in report.outcomes] == [("dry-run", 7)]
    page = tmp_path / "preview" / "sample.html"
    shot = tmp_path / "digest.png"
    subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}", "--window-size=900,1400", page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (900, 1400)
    # A blank page compresses to almost nothing; the rendered digest does not.
    assert len(data) > 40_000
