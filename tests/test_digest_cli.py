"""``veille digest`` from the outside: collected feeds, a real SMTP server, messages, exit codes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.feedserver import FeedServer
from tests.support.project import (
    project_engine_fixture,  # noqa: F401
    recent_feed_bytes,
    run,
    write_config,
)
from tests.support.smtpserver import SmtpServer, free_port

pytestmark = pytest.mark.usefixtures("project_engine")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    with SmtpServer() as server:
        yield server


def project(
    tmp_path: Path, feed_server: FeedServer, smtp_port: int, digests: str, *, collect: bool = True
) -> Path:
    """A project with two feeds collected once, its mail going to 127.0.0.1:``smtp_port``."""
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    feed_server.add("/en.atom", recent_feed_bytes("tech_en.atom"))
    extra = (
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        f'from = "veille@example.org"\ntimeout = 5\n{digests}'
    )
    config = write_config(
        tmp_path,
        {"fr": feed_server.url("/fr.xml"), "en": feed_server.url("/en.atom")},
        extra=extra,
    )
    if collect:
        result = run(config, "collect", "--quiet")
        assert result.exit_code == 0, result.output
    return config


# The feeds' items span two days: a first send covering a week takes them all.
MORNING = (
    '\n[[digests]]\nname = "morning"\nto = ["com@example.org", "boss@example.org"]\nperiod = "7d"\n'
)
EVENING = (
    '\n[[digests]]\nname = "evening"\nto = ["team@example.org"]\nbrands = ["Michelin"]\n'
    'period = "7d"\n'
)


def test_digest_sends_then_finds_nothing_new(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp.port, MORNING)
    result = run(config, "digest")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("morning: sent to 2 recipient(s), ")
    [message] = smtp.messages
    assert message["Subject"].startswith("veille — ") and "(Danone " in message["Subject"]
    again = run(config, "digest")
    assert (again.exit_code, again.output) == (0, "morning: nothing new\n")
    assert len(smtp.messages) == 1


def test_a_failing_digest_exits_1_with_a_hint(tmp_path: Path, feed_server: FeedServer) -> None:
    config = project(tmp_path, feed_server, free_port(), MORNING)
    result = run(config, "digest")
    assert result.exit_code == 1
    assert "morning: FAILED: cannot reach the mail server 127.0.0.1:" in result.output
    assert "Hint: check VEILLE_SMTP_HOST/PORT" in result.output
    assert "Traceback" not in result.output


def test_one_failure_among_several_exits_0(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp.port, MORNING + EVENING)
    smtp.refuse("team@example.org")
    result = run(config, "digest")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("morning: sent to 2 recipient(s)")
    assert lines[1].startswith("evening: FAILED: the mail server 127.0.0.1:")
    only = run(config, "digest", "--name", "evening")
    assert only.exit_code == 1 and "morning" not in only.output


def test_the_environment_overrides_the_smtp_settings(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path, feed_server, free_port(), MORNING)
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("VEILLE_SMTP_FROM", "alerts@example.org")
    result = run(config, "digest")
    assert result.exit_code == 0, result.output
    assert smtp.received[0].sender == "alerts@example.org"


def test_configuration_errors_exit_2(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp.port, "", collect=False)
    result = run(config, "digest")
    assert result.exit_code == 2
    assert "no digest is configured" in result.output and "--to ADDRESS" in result.output
    assert run(config, "digest", "--to", "not-an-address").exit_code == 2
    assert run(config, "digest", "--out", "x").exit_code == 2
    assert run(config, "digest", "--brand", "Nope", "--to", "a@example.org").exit_code == 2
    config = project(tmp_path, feed_server, smtp.port, MORNING, collect=False)
    unknown = run(config, "digest", "--name", "nope")
    assert unknown.exit_code == 2 and "unknown digest 'nope' (known: morning)" in unknown.output
    assert smtp.messages == []


def test_to_sends_every_brand_when_no_digest_is_configured(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp.port, "")
    result = run(config, "digest", "--to", "me@example.org", "--brand", "michelin")
    assert result.exit_code == 0, result.output
    assert result.output == "veille: sent to 1 recipient(s), 1 mention(s)\n"
    assert smtp.messages[0]["Subject"].startswith("Michelin — 1 nouvelle mention")
    again = run(config, "digest", "--to", "me@example.org")
    assert "veille: sent to 1 recipient(s)" in again.output  # every brand: its own watermark


def test_dry_run_writes_the_preview_and_sends_nothing(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path, feed_server, smtp.port, MORNING)
    monkeypatch.chdir(tmp_path)
    result = run(config, "digest", "--dry-run")
    assert result.exit_code == 0, result.output
    preview = Path("digest-preview")
    assert result.output.startswith(
        f"morning: preview written to {preview / 'morning.eml'} and {preview / 'morning.html'} ("
    )
    assert "nothing sent" in result.output
    assert (
        (tmp_path / "digest-preview" / "morning.html")
        .read_text(encoding="utf-8")
        .startswith("<!DOCTYPE html>")
    )
    out = run(config, "digest", "--dry-run", "--out", str(tmp_path / "elsewhere"))
    assert out.exit_code == 0 and (tmp_path / "elsewhere" / "morning.eml").is_file()
    assert smtp.messages == []
    sent = run(config, "digest", "--since", "3650d")
    assert sent.output.startswith("morning: sent to 2 recipient(s)")  # the dry runs moved nothing


def test_two_processes_racing_for_one_digest_send_one_email(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp.port, MORNING)
    smtp.data_delay = 1.0  # the first sender is still sending when the second one looks
    command = [sys.executable, "-m", "veille", "--config", str(config), "digest"]
    racers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    for racer, (out, err) in zip(racers, outputs, strict=True):
        assert racer.returncode == 0, out + err
    assert len(smtp.messages) == 1
    lines = sorted(out.strip() for out, _ in outputs)
    assert sum(line.startswith("morning: sent to 2 recipient(s)") for line in lines) == 1, lines
    # The other one found the digest claimed, or (if it came late) already sent.
    assert any(
        "another veille process is sending it" in line or "nothing new" in line for line in lines
    ), lines
