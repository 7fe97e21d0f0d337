"""OPML in and out: ``sources import`` and ``export``, ``init --opml``, ``kind = "opml"``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import run
from veille.settings import load_settings

BRAND = '[[brands]]\nname = "Danone"\n'


def _opml(*outlines: str) -> str:
    return f'<opml version="2.0"><head/><body>{"".join(outlines)}</body></opml>'


def test_import_into_a_configuration_whose_feed_address_is_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_TEST_PRIVATE_FEED", "https://u:secret@feeds.example/f.xml")
    config = tmp_path / "v.toml"
    config.write_text(
        BRAND + '[[sources]]\nname = "private"\nkind = "rss"\n'
        'url = "${VEILLE_TEST_PRIVATE_FEED}"\n',
        encoding="utf-8",
    )
    opml = tmp_path / "f.opml"
    opml.write_text(
        _opml(
            '<outline text="x" xmlUrl="https://b.example/feed"/>',
            '<outline text="same" xmlUrl="https://u:secret@feeds.example/f.xml"/>',
        ),
        encoding="utf-8",
    )
    result = run(config, "sources", "import", str(opml))
    assert result.exit_code == 0, result.output
    # Compared by the address the reference stands for: the secret feed is already there.
    assert "Added 1 source(s)" in result.output and "1 already present" in result.output
    text = config.read_text(encoding="utf-8")
    assert "secret" not in text and "${VEILLE_TEST_PRIVATE_FEED}" in text
    assert [s.name for s in load_settings(config).sources] == ["private", "x"]
