"""Bad command-line input, on every command: a clear message naming the option, exit status 2.

Commands and their options are read from the click application itself, so a command or option
added later is checked too (and an option whose values can be wrong must say which values are).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tests.support.project import run, write_config
from veille.cli import cli

# Values each option must refuse, by parameter name.
BAD_VALUES: dict[str, tuple[str, ...]] = {
    "since": ("yesterdayish", "2026-13-45", "-5d", "", "7x", "99999999999999d"),
    "until": ("yesterdayish", "2026-13-45", "-5d", "2026-02-30", "99999999999999d"),
    "limit": ("abc", "-1", "1.5"),
    "batch_size": ("abc", "-1", "0"),
    "port": ("abc", "-1", "70000"),
    "output_format": ("xml", "TABLE", ""),
    "tone": ("angry",),
    "by": ("weekday",),
    "group_by": ("site",),
    "age": ("a year", "-5d", "99999999999999d"),
    "languages": ("english",),
    "to": ("not-an-address", "a@b.org,c@d.org"),
    "timezone": ("Mars/Olympus", "../etc", "Europe", ""),
    "processes": ("x", "-1", "17", "2.5", ""),
}
# Options that take any text (names, paths, free text): nothing to refuse at parse time.
FREE_TEXT = {
    "brands", "sources", "platform", "sites", "author", "lang", "search", "directory", "opml",
    "names", "out", "query", "base_url", "options", "brand", "host", "term",
}  # fmt: skip
# What a command needs besides the option under test, so that only that option is wrong.
REQUIRED: dict[tuple[str, ...], tuple[str, ...]] = {
    # Port 9 (discard) on loopback: should an option be let through, nothing is fetched.
    ("fetch",): ("hackernews", "--query", "danone", "--base-url", "http://127.0.0.1:9"),
    ("query", "test"): ("danone",),
    ("sources", "import"): ("feeds.opml",),
    ("prune",): ("--older-than", "365d"),
}


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every runnable command's path (``("sources", "list")``), depth first."""
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))
    else:
        yield path


def command_at(path: tuple[str, ...]) -> click.Command:
    """The click command at ``path``."""
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def value_options(path: tuple[str, ...]) -> list[click.Option]:
    """The options of a command that take a value (flags left out)."""
    return [
        param
        for param in command_at(path).params
        if isinstance(param, click.Option) and not param.is_flag and param.name != "help"
    ]


COMMANDS = list(walk(cli))
CHECKED = [
    (path, option.name, option.opts[0], value)
    for path in COMMANDS
    for option in value_options(path)
    for value in BAD_VALUES.get(str(option.name), ())
]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A valid project with no source: every error below comes from the command line alone."""
    return write_config(tmp_path, {})


def assert_usage_error(result: click.testing.Result, *needles: str) -> None:
    """Exit status 2, an ``Error:`` line holding every needle, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Error:" in result.output, result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


def test_every_option_taking_a_value_is_checked_or_free_text() -> None:
    """A new option is either listed with values to refuse or declared free text."""
    unchecked = {
        (" ".join(path), option.opts[0])
        for path in COMMANDS
        for option in value_options(path)
        if option.name not in BAD_VALUES and option.name not in FREE_TEXT
    }
    assert unchecked == set()
    assert len(COMMANDS) >= 15 and len(CHECKED) >= 60


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_an_unknown_option_exits_2_naming_it(config: Path, path: tuple[str, ...]) -> None:
    result = run(config, *path, *REQUIRED.get(path, ()), "--no-such-option")
    assert_usage_error(result, "No such option '--no-such-option'")


@pytest.mark.parametrize(
    ("path", "name", "flag", "value"),
    CHECKED,
    ids=[f"{' '.join(path)} {flag}={value!r}" for path, _, flag, value in CHECKED],
)
def test_a_bad_value_exits_2_naming_the_option(
    config: Path, path: tuple[str, ...], name: str, flag: str, value: str
) -> None:
    result = run(config, *path, *REQUIRED.get(path, ()), flag, value)
    assert_usage_error(result, f"Invalid value for '{flag}'")


@pytest.mark.parametrize("path", [p for p in COMMANDS if value_options(p)], ids=" ".join)
def test_an_option_without_its_value_exits_2(config: Path, path: tuple[str, ...]) -> None:
    flag = value_options(path)[-1].opts[0]
    result = run(config, *path, *REQUIRED.get(path, ()), flag)
    assert_usage_error(result, f"Option '{flag}' requires an argument")


def test_an_unknown_command_exits_2() -> None:
    assert_usage_error(run(None, "mention"), "No such command 'mention'")


def test_bad_dates_exit_2_from_a_real_process(config: Path) -> None:
    """The installed entry point, not only the in-process runner: a message, no traceback."""
    for bad in (("--since", "yesterdayish"), ("--until", "2026-02-30")):
        completed = subprocess.run(
            [sys.executable, "-m", "veille", "--config", str(config), "mentions", *bad],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 2, completed.stderr
        assert "Traceback" not in completed.stderr
        assert f"Invalid value for '{bad[0]}'" in completed.stderr
        assert completed.stdout == ""
