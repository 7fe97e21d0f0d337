"""Fuzzed configuration files: a valid configuration or a clear ConfigError, never a traceback.

Hypothesis writes ``veille.toml`` files three ways: random text; well-formed TOML of random
shape; and TOML shaped like the real schema (its sections, keys and collector kinds) holding
wrong types, unknown keys and values out of range. Each is read through ``load_settings``, as
every command reads it; the command line must turn the same files into exit status 2 and one
message, as the README promises for a bad file.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.project import run
from veille.collectors.base import available_collectors
from veille.delivery_settings import (
    AlertSettings,
    DigestConfig,
    ScheduleSettings,
    SmtpSettings,
)
from veille.errors import ConfigError
from veille.settings import (
    BrandConfig,
    CollectSettings,
    HttpSettings,
    Settings,
    SourceConfig,
    load_settings,
)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# ---------------------------------------------------------------------------------------------
# Writing TOML: tomllib only reads it.

_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def toml_string(text: str) -> str:
    """A TOML basic string; control characters as \\uXXXX escapes."""
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """A TOML value, tables and arrays written inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{toml_string(str(key))} = {toml_value(item)}" for key, item in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(type(value))


def toml_document(data: dict[str, Any]) -> str:
    """A TOML document: one ``key = value`` line per top-level key."""
    return "".join(f"{toml_string(key)} = {toml_value(value)}\n" for key, value in data.items())


# ---------------------------------------------------------------------------------------------
# Strategies.

_SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=24),
    st.datetimes(),
    st.dates(),
    st.times(),
)
ANYTHING = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)
# Strings that come close to what a setting expects, and strings that never should be there.
TRICKY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "1h",
        "30m",
        "7d",
        "-5d",
        "0",
        "nan",
        "inf",
        "99999999999999d",
        "1e400d",
        "2w",
        "0 8 * * *",
        "* * *",
        "61 25 * * *",
        "Europe/Paris",
        "Mars/Olympus",
        "UTC",
        "Danone",
        '"Danone"',
        '"unclosed',
        "AND",
        "(a OR",
        "a NEAR/x b",
        "danon*",
        "-",
        "NOT",
        "a\r\nBcc: x@example.org",
        "x@example.org",
        "not-an-address",
        "@",
        "fr",
        "english",
        "http://127.0.0.1:9/feed.xml",
        "javascript:alert(1)",
        "ftp://example.org/",
        "${NOPE}",
        "${HOME}",
        "sqlite:///:memory:",
        "postgresql://nobody@127.0.0.1:1/none",
        "\x00",
        "é" * 300,
    ]
) | st.text(max_size=30)
NUMBERS = st.one_of(
    st.integers(min_value=-5, max_value=70_000),
    st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
)
FIELD_VALUES = st.one_of(TRICKY_TEXT, NUMBERS, st.booleans(), ANYTHING)


def _table(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A table holding some of ``fields`` (and now and then an unknown key), wrongly filled."""
    keys = st.sampled_from([*fields, "unknown_key", "Name"])
    return st.dictionaries(keys, FIELD_VALUES, max_size=5)


def _section_fields() -> dict[str, list[str]]:
    fields = {
        "http": list(HttpSettings.model_fields),
        "collect": list(CollectSettings.model_fields),
        "smtp": [*(name for name in SmtpSettings.model_fields if name != "from_address"), "from"],
        "schedule": list(ScheduleSettings.model_fields),
        "alerts": list(AlertSettings.model_fields),
        "database": ["url"],
    }
    return fields


SECTIONS = _section_fields()
KINDS = [*sorted(available_collectors()), "opml", "nope", ""]


@st.composite
def sources(draw: st.DrawFn) -> dict[str, Any]:
    """A ``[[sources]]`` entry: a real kind (mostly) with its own option names, wrongly filled."""
    kind = draw(st.sampled_from(KINDS) | TRICKY_TEXT)
    entry: dict[str, Any] = {"kind": kind} if draw(st.booleans()) or not kind else {}
    collector = available_collectors().get(kind)
    options = list(collector.options_model.model_fields) if collector else ["url", "file"]
    entry.update(draw(_table([*SourceConfig.model_fields, *options])))
    return entry


SCHEMA_DOCUMENTS = st.fixed_dictionaries(
    {},
    optional={
        **{name: _table(fields) | ANYTHING for name, fields in SECTIONS.items()},
        "brands": st.lists(_table(list(BrandConfig.model_fields)), max_size=3) | ANYTHING,
        "sources": st.lists(sources(), max_size=3) | ANYTHING,
        "digests": st.lists(_table(list(DigestConfig.model_fields)), max_size=2) | ANYTHING,
        "unknown_section": ANYTHING,
    },
)
RANDOM_DOCUMENTS = st.dictionaries(st.text(max_size=12), ANYTHING, max_size=5)


# ---------------------------------------------------------------------------------------------
# Loading.


@contextmanager
def config_file(text: str | bytes) -> Iterator[Path]:
    """``text`` written as a veille.toml in a fresh directory (hypothesis runs many per test)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config" / "veille.toml"
        path.parent.mkdir()
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        yield path


def load_or_config_error(path: Path) -> Settings | ConfigError:
    """What ``load_settings`` gives: settings, or the ConfigError; anything else fails the test."""
    try:
        return load_settings(path)
    except ConfigError as error:
        return error


def assert_clear(outcome: Settings | ConfigError, path: Path) -> None:
    """A valid configuration, or one readable message that names the file."""
    if isinstance(outcome, Settings):
        assert outcome.database_url
        return
    message = outcome.message
    assert message.startswith(str(path)), message
    assert "Traceback" not in message and "\n" not in message.strip(), message
    # "file: key: problem" or "file: problem": there is a problem after the file name.
    assert len(message) > len(str(path)) + 2, message
    if outcome.key:
        assert outcome.key in message


@pytest.fixture(autouse=True)
def no_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the file decides: no VEILLE_… variable of the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("VEILLE_"):
            monkeypatch.delenv(name)


@FUZZ
@given(st.text(max_size=300) | st.binary(max_size=300))
def test_random_text_is_a_config_or_a_config_error(text: str | bytes) -> None:
    with config_file(text) as path:
        assert_clear(load_or_config_error(path), path)


@FUZZ
@given(RANDOM_DOCUMENTS)
def test_random_toml_is_a_config_or_a_config_error(document: dict[str, Any]) -> None:
    with config_file(toml_document(document)) as path:
        assert_clear(load_or_config_error(path), path)


@settings(FUZZ, max_examples=400)
@given(SCHEMA_DOCUMENTS)
def test_schema_shaped_toml_is_a_config_or_a_config_error(document: dict[str, Any]) -> None:
    with config_file(toml_document(document)) as path:
        assert_clear(load_or_config_error(path), path)


def test_the_toml_writer_round_trips() -> None:
    """The fuzz documents are the TOML meant: what is written reads back the same."""
    import tomllib

    document = {
        'a\n"b': [1, -2.5, "x\x00\x7fy", True, {"k": [date(2026, 1, 2)]}],
        "t": {"when": datetime(2026, 1, 2, 3, 4, 5), "at": time(1, 2)},
        "inf": [math.inf, -math.inf],
    }
    assert tomllib.loads(toml_document(document)) == document
    assert math.isnan(tomllib.loads(toml_document({"n": math.nan}))["n"])


# Bad files the command line must report with exit status 2 and one message naming the key.
BAD_FILES: dict[str, tuple[str | bytes, str]] = {
    "not TOML": ("[http\nconcurrency = ", "not valid TOML"),
    "unknown section": ("[nonsense]\nx = 1\n", "nonsense: unknown setting"),
    "wrong type": ('[http]\nconcurrency = "many"\n', "http.concurrency"),
    "out of range": ("[http]\nconcurrency = 0\n", "http.concurrency"),
    "huge duration": ('[collect]\ninterval = "99999999999999d"\n', "collect.interval"),
    "nan duration": ("[collect]\ninterval = nan\n", "collect.interval"),
    "bad query": ('[[brands]]\nname = "Danone"\nquery = "(danone OR"\n', "brands[0].query"),
    "bad kind": ('[[sources]]\nkind = "telepathy"\nname = "x"\n', "sources[0].kind"),
    "sources not a list": ('sources = "rss"\n', "sources"),
    "bad zone": ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone"),
    "bad cron": ('[schedule]\ndigest = "* * *"\n', "schedule.digest"),
    "header in brand name": (
        '[[brands]]\nname = "Danone\\r\\nBcc: x@example.org"\n',
        "brands[0].name",
    ),
    "not UTF-8": (b'[http]\nuser_agent = "\xff\xfe"\n', "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_the_command_line_reports_a_bad_file_with_exit_2(case: str) -> None:
    text, expected = BAD_FILES[case]
    with config_file(text) as path:
        result = run(path, "sources", "list")
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        first_line = result.output.splitlines()[0]
        assert first_line.startswith(f"Error: {path}"), result.output
        assert expected in result.output, result.output


@FUZZ
@given(SCHEMA_DOCUMENTS)
def test_the_command_line_never_shows_a_traceback(document: dict[str, Any]) -> None:
    with config_file(toml_document(document)) as path:
        outcome = load_or_config_error(path)
        if isinstance(outcome, Settings):
            return  # a valid file: opening its database is another test's business
        result = run(path, "sources", "list")
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"Error: {outcome.message}"), result.output
        assert "Traceback" not in result.output
