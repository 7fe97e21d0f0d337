"""The tables of ``veille mentions`` and ``veille stats`` fit the terminal, titles first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import (
    feed_bytes,
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from veille.cli.tables import Column, fitted_table

pytestmark = [pytest.mark.usefixtures("project_engine"), pytest.mark.sqlite_only]

TITLES = (
    "Danone annonce des résultats excellents et une croissance remarquable",
    "Rappel de yaourts : les clients de Danone sont furieux et déçus",
    "Why Danone's new plant is a great step for sustainable dairy",
    "Michelin and tyre recycling: a mixed record",
)


@pytest.fixture
def collected(feed_server: FeedServer, tmp_path: Path) -> Path:
    """A project whose two feeds were collected once."""
    feed_server.add("/fr.xml", feed_bytes("economie_fr.xml"))
    feed_server.add("/en.atom", feed_bytes("tech_en.atom"))
    config = write_config(
        tmp_path, {"fr": feed_server.url("/fr.xml"), "en": feed_server.url("/en.atom")}
    )
    result = run(config, "collect", "--quiet")
    assert result.exit_code == 0, result.output
    return config


def _table(config: Path, width: int, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    result = run(config, *args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= width for line in lines), result.output
    return lines


def _last_column(lines: list[str]) -> str:
    """The text of every row's last column, its wrapped lines joined."""
    cells = [line.split("│")[-2].strip() for line in lines if line.startswith("│")]
    return " ".join(" ".join(cells).split())


@pytest.mark.parametrize("width", [80, 100, 160])
def test_the_mentions_table_keeps_whole_titles_at_any_width(
    collected: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _table(collected, width, monkeypatch, "mentions")
    titles = _last_column(lines)
    for title in TITLES:
        assert title in titles, "\n".join(lines)
    header = lines[1]
    for column in ("date (UTC)", "brand", "tone", "title"):
        assert column in header
    # The less important columns give way on a narrow terminal, and only there.
    for column in ("platform", "author", "+0.", "-0."):
        assert (column in "\n".join(lines)) is (width == 160), "\n".join(lines)


@pytest.mark.parametrize("width", [80, 100, 160])
def test_the_stories_table_keeps_whole_titles_at_any_width(
    collected: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _table(collected, width, monkeypatch, "mentions", "--group-by", "story")
    titles = _last_column(lines)
    for title in TITLES:
        assert title in titles, "\n".join(lines)


@pytest.mark.parametrize("width", [80, 100, 160])
def test_the_stats_table_keeps_whole_group_names_at_any_width(
    collected: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _table(collected, width, monkeypatch, "stats", "--by", "site")
    sites = [line.split("│")[1].strip() for line in lines if line.startswith("│")]
    assert sorted(sites) == ["quotidien-economie.fr", "supplychainweekly.com"]
    assert "mentions" in lines[1] and "share" in lines[1]


def test_columns_give_way_in_order_and_empty_ones_first() -> None:
    from rich.console import Console

    def rendered(width: int) -> str:
        columns = [
            Column("a", "a", ["x" * 20], short_cells=["x"]),
            Column("b", "b", ["y" * 20]),
            Column("empty", "empty", [""]),
            Column("main", "title", ["word " * 30], main=True),
        ]
        table = fitted_table(columns, width, ("b", "a", "empty", "a"))
        out = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
        out.print(table)
        return out.export_text()

    wide = rendered(200)
    assert "x" * 20 in wide and "y" * 20 in wide and "empty" in wide
    assert "empty" not in rendered(80) and "y" * 20 in rendered(80)
    narrow = rendered(60)
    assert "y" not in narrow and "x" * 20 in narrow
    narrower = rendered(40)
    assert "│ x " in narrower and "x" * 2 not in narrower
    assert "word" in rendered(20)
