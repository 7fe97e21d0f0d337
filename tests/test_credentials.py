"""Secrets from ``NAME`` or the file ``NAME_FILE`` names: collectors and SMTP password alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import run, write_config
from veille.collectors.api import credential, require_credentials
from veille.errors import ConfigError, FatalSourceError
from veille.settings import load_settings

ID = "VEILLE_REDDIT_CLIENT_ID"
SECRET = "VEILLE_REDDIT_CLIENT_SECRET"
SMTP = "VEILLE_SMTP_PASSWORD"


@pytest.fixture(autouse=True)
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: no credential of the machine running the tests."""
    for name in (ID, SECRET, SMTP):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


def _file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "secret"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    "content",
    [b"s3cret\n", b"\xef\xbb\xbfs3cret\n", b"  s3cret \r\n"],
    ids=["plain", "bom", "crlf"],
)
def test_a_secret_file_is_read_as_utf8_without_its_byte_order_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    monkeypatch.setenv(f"{ID}_FILE", str(_file(tmp_path, content)))
    assert credential(ID, source="reddit") == "s3cret"
    monkeypatch.setenv(f"{SMTP}_FILE", str(_file(tmp_path, content)))
    assert load_settings(write_config(tmp_path, {})).smtp.password == "s3cret"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\xff\xfes\x00", "is not UTF-8 text"),
        (b" \n", "is empty"),
        (None, "cannot be read (No such file or directory)"),
    ],
    ids=["not-utf8", "empty", "missing"],
)
def test_an_unreadable_secret_file_skips_the_source_naming_variable_path_and_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None, reason: str
) -> None:
    path = _file(tmp_path, content) if content is not None else tmp_path / "nothere"
    monkeypatch.setenv(f"{ID}_FILE", str(path))
    monkeypatch.setenv(SECRET, "x")
    with pytest.raises(FatalSourceError) as caught:
        require_credentials("reddit", ID, SECRET, purpose="Reddit search")
    message = str(caught.value)
    assert message.startswith("skipped: ") and caught.value.source == "reddit"
    assert f"{ID}_FILE names {path}, which {reason}" in message
    assert "in the environment" not in message  # not taken for a missing credential


def test_an_unreadable_smtp_password_file_is_a_config_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, {})
    path = _file(tmp_path, b"\xff\xfe")
    monkeypatch.setenv(f"{SMTP}_FILE", str(path))
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.key == f"{SMTP}_FILE" and caught.value.file is None
    assert f"names {path}, which is not UTF-8 text" in str(caught.value)
    result = run(config, "sources", "list")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(f"Error: {SMTP}_FILE: names {path}"), result.output


def test_a_blank_variable_gives_way_to_its_file_for_collectors_and_smtp_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, b"from-file\n")
    for name in (ID, SMTP):
        monkeypatch.setenv(name, "")
        monkeypatch.setenv(f"{name}_FILE", str(path))
    assert credential(ID) == "from-file"
    config = write_config(tmp_path, {}, extra='\n[smtp]\npassword = "from-config"\n')
    assert load_settings(config).smtp.password == "from-file"
    # Blank, without a file: as if unset, the configuration's password stays.
    monkeypatch.delenv(f"{SMTP}_FILE")
    assert load_settings(config).smtp.password == "from-config"
    # Set, the variable wins over its file.
    monkeypatch.setenv(ID, "direct")
    monkeypatch.setenv(SMTP, "direct")
    assert credential(ID) == "direct"
    assert load_settings(config).smtp.password == "direct"


def test_fetch_reports_an_unreadable_secret_file_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, b"\xff\xfe")
    monkeypatch.setenv(f"{ID}_FILE", str(path))
    monkeypatch.setenv(SECRET, "x")
    config = write_config(tmp_path, {})
    result = run(
        config,
        "fetch",
        "reddit",
        "--query",
        "danone",
        "--base-url",
        "http://127.0.0.1:9",
        "--option",
        "auth_url=http://127.0.0.1:9",
    )
    assert "Traceback" not in result.output and "UnicodeDecodeError" not in result.output
    assert f"{ID}_FILE names {path}, which is not UTF-8 text" in result.output, result.output
