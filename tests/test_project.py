"""Checks on the project itself: documentation matches the commands and settings it ships."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import click
import pytest

from veille.cli import cli
from veille.collectors.base import available_collectors
from veille.delivery_settings import (
    AlertSettings,
    DigestConfig,
    RetentionSettings,
    ScheduleSettings,
    SmtpSettings,
)
from veille.settings import BrandConfig, CollectSettings, HttpSettings, load_settings
from veille.store.schema import metadata
from veille.store.search import FTS_TABLE

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "config" / "veille.example.toml"


def _commands(group: click.Group, prefix: str = "veille") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{prefix} {name}"))
    return names


@pytest.mark.parametrize("command", _commands(cli))
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    parent, _, leaf = command.rpartition(" ")
    documented = command in README or re.search(
        rf"`{re.escape(parent)} \[[^\]]*\b{re.escape(leaf)}\b", README
    )
    assert documented, f"{command} is not in README.md"


def _data_section() -> str:
    return README.split("### Where the data lives", 1)[1].split("\n### ", 1)[0]


@pytest.mark.parametrize("table", sorted([*metadata.tables, FTS_TABLE]))
def test_every_table_is_named_where_the_readme_says_where_the_data_lives(table: str) -> None:
    assert f"`{table}`" in _data_section(), f"the table {table} is not in README.md"


@pytest.mark.parametrize("option", sorted(HttpSettings.model_fields))
def test_every_http_setting_is_in_the_example_config(option: str) -> None:
    assert re.search(rf"^#? ?{option} = ", EXAMPLE.read_text(encoding="utf-8"), re.M)


@pytest.mark.parametrize(
    "option",
    sorted(
        {
            *CollectSettings.model_fields,
            *ScheduleSettings.model_fields,
            *RetentionSettings.model_fields,
            *DigestConfig.model_fields,
            *AlertSettings.model_fields,
            *BrandConfig.model_fields,
        }
        | {field.alias or name for name, field in SmtpSettings.model_fields.items()}
    ),
)
def test_every_other_setting_is_in_the_example_config(option: str) -> None:
    assert re.search(rf"^#? ?{option} = ", EXAMPLE.read_text(encoding="utf-8"), re.M)


def test_example_config_is_valid(tmp_path: Path) -> None:
    copy = tmp_path / "veille.toml"
    shutil.copy(EXAMPLE, copy)
    if (EXAMPLE.parent / "feeds.example.opml").exists():
        shutil.copy(EXAMPLE.parent / "feeds.example.opml", tmp_path / "feeds.example.opml")
    settings = load_settings(copy)
    assert settings.brands and settings.sources


def test_readme_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    assert all(len(block.strip().splitlines()) == 1 for block in blocks)
    assert "veille collect" in blocks[0]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    section = README.split("## Quick start", 1)[1]
    test_command = re.findall(r"```sh\n(.*?)```", section, re.S)[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command.replace("pip install", "pip install -q") in ci


def test_pyproject_declares_the_console_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["veille"] == "veille.cli:main"


def test_docker_compose_file_is_valid(tmp_path: Path) -> None:
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose (Debian package) is not installed")
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("kind", sorted(available_collectors()))
def test_every_collector_has_a_readme_section(kind: str) -> None:
    section = README.split(f"\n### {kind} — ", 1)
    assert len(section) == 2, f"README.md has no '### {kind} — …' section"
    body = section[1].split("\n### ", 1)[0]
    assert "option" in body.lower() or "`url`" in body
    assert re.search(r"limit|quota|budget", body, re.I), f"{kind}: rate limits not documented"


def test_readme_lists_the_mention_json_fields() -> None:
    from veille.cli.query_cmd import MENTION_FIELDS

    fields = README.split("A mention in JSON has the fields `", 1)[1].split("`", 1)[0]
    assert tuple(re.split(r",\s*", fields)) == MENTION_FIELDS
