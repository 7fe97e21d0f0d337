"""``veille digest`` against a failing mail server: the watermark stays, nothing lost or twice.

Each fault runs the real command against a real SMTP server on 127.0.0.1 (down, too slow, refusing
the recipient, dropping the connection during DATA, the process killed as the message is taken),
then against a healthy one: the email carries the mentions from before the failure and from after
it, and one more run sends nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from tests.support.feedserver import FeedServer
from tests.support.project import (
    project_engine_fixture,  # noqa: F401
    recent_feed_bytes,
    run,
    write_config,
)
from tests.support.smtpserver import SmtpServer, free_port
from veille.digest.send import CLAIM_LEASE
from veille.settings import load_settings
from veille.store import Store
from veille.store.digests import DigestKey, DigestState
from veille.store.schema import digest_table

pytestmark = pytest.mark.usefixtures("project_engine")

SMTP_TIMEOUT = 2  # seconds; the slow server answers long after it
RECIPIENTS = ("com@example.org", "boss@example.org")
KEY = DigestKey.of("morning", RECIPIENTS)
# Mentions of the French feed (collected before the failure) and the English one (after it).
BEFORE = ("Danone annonce des résultats excellents", "Rappel de yaourts : les clients de Danone")
AFTER = ("Why Danone's new plant is a great step", "Michelin and tyre recycling")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    with SmtpServer() as server:
        yield server


def project(tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer, *to: str) -> Path:
    """A project of two feeds sending the digest "morning" through ``smtp``; "fr" is collected."""
    feed_server.add("/fr.xml", recent_feed_bytes("economie_fr.xml"))
    feed_server.add("/en.atom", recent_feed_bytes("tech_en.atom"))
    recipients = ", ".join(f'"{address}"' for address in (to or RECIPIENTS))
    extra = (
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
        f'from = "veille@example.org"\ntimeout = {SMTP_TIMEOUT}\n'
        # The feeds' items span two days: a first send covering a week takes them all.
        f'\n[[digests]]\nname = "morning"\nto = [{recipients}]\nperiod = "7d"\n'
    )
    config = write_config(
        tmp_path, {"fr": feed_server.url("/fr.xml"), "en": feed_server.url("/en.atom")}, extra=extra
    )
    collect(config, "fr")
    return config


def collect(config: Path, source: str) -> None:
    """One collecting pass over one source."""
    result = run(config, "collect", "--quiet", "--source", source)
    assert result.exit_code == 0, result.output


def digest_state(config: Path, key: DigestKey = KEY) -> DigestState | None:
    """The digest's stored state (its watermark), read the way veille reads it."""
    store = Store.open(load_settings(config).database_url)
    try:
        return store.load_digest(key)
    finally:
        store.close()


def watermark(config: Path, key: DigestKey = KEY) -> int | None:
    """The digest's watermark: the highest mention id an accepted send carried."""
    state = digest_state(config, key)
    return state.watermark if state else None


def send_statuses(config: Path, key: DigestKey = KEY) -> list[str]:
    """The statuses of the digest's log of sends, oldest first."""
    store = Store.open(load_settings(config).database_url)
    try:
        return [str(send["status"]) for send in store.digest_sends(key)]
    finally:
        store.close()


def plain_text(message: EmailMessage) -> str:
    """The plain-text part of a digest."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def assert_recovers(config: Path, smtp: SmtpServer, *, received_before: int) -> None:
    """Against the healthy server: one email with every mention, then nothing more."""
    collect(config, "en")
    result = run(config, "digest")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("morning: sent to 2 recipient(s), 4 mention(s)"), result.output
    assert len(smtp.received) == received_before + 1
    delivered = smtp.received[-1]
    assert sorted(delivered.recipients) == sorted(RECIPIENTS)
    body = plain_text(delivered.message)
    for title in BEFORE + AFTER:
        assert title in body, title
    assert watermark(config) is not None
    again = run(config, "digest")
    assert (again.exit_code, again.output) == (0, "morning: nothing new\n")
    assert len(smtp.received) == received_before + 1


def assert_failed_cleanly(result_output: str, exit_code: int, expected: str) -> None:
    """A failed digest: exit status 1, one clear line naming the cause, a hint, no traceback."""
    assert exit_code == 1, result_output
    first, *rest = result_output.splitlines()
    assert first.startswith("morning: FAILED: "), result_output
    assert expected in first, result_output
    assert rest and rest[0].startswith("  Hint: "), result_output
    assert "Traceback" not in result_output


def test_server_down(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path, feed_server, smtp)
    port = free_port()
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(port))
    result = run(config, "digest")
    assert_failed_cleanly(
        result.output, result.exit_code, f"cannot reach the mail server 127.0.0.1:{port}"
    )
    assert "VEILLE_SMTP_HOST/PORT" in result.output
    assert watermark(config) is None and send_statuses(config) == ["failed"]
    monkeypatch.delenv("VEILLE_SMTP_PORT")
    assert_recovers(config, smtp, received_before=0)
    assert send_statuses(config) == ["failed", "sent", "empty"]


def test_server_slower_than_the_timeout(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp)
    smtp.data_delay = SMTP_TIMEOUT + 60  # never answers DATA while veille waits
    started = time.monotonic()
    result = run(config, "digest")
    elapsed = time.monotonic() - started
    assert_failed_cleanly(
        result.output, result.exit_code, f"did not answer within {SMTP_TIMEOUT} s"
    )
    assert elapsed < SMTP_TIMEOUT + 30  # bounded by the configured timeout, not the server
    assert smtp.received == [] and watermark(config) is None
    smtp.data_delay = 0
    assert_recovers(config, smtp, received_before=0)


def test_the_only_recipient_refused(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp)
    smtp.refuse(*RECIPIENTS)
    result = run(config, "digest")
    assert_failed_cleanly(result.output, result.exit_code, "refused every recipient")
    assert "com@example.org: 550" in result.output
    assert smtp.received == [] and watermark(config) is None
    smtp.refused.clear()
    assert_recovers(config, smtp, received_before=0)


def test_one_recipient_refused_among_two(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    # The documented behaviour: the message went to the accepted recipient, so the watermark
    # moves (they must not get it twice); the run says who was refused.
    config = project(tmp_path, feed_server, smtp)
    smtp.refuse("boss@example.org")
    result = run(config, "digest")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("morning: sent to 1 of 2 recipient(s), 2 mention(s)")
    assert "warning: the mail server 127.0.0.1:" in result.output
    assert "boss@example.org: 550" in result.output
    [delivered] = smtp.received
    assert delivered.recipients == ("com@example.org",)
    first_watermark = watermark(config)
    assert first_watermark is not None
    smtp.refused.clear()
    collect(config, "en")
    second = run(config, "digest")
    assert second.output.startswith("morning: sent to 2 recipient(s), 2 mention(s)")
    body = plain_text(smtp.received[-1].message)
    assert all(title in body for title in AFTER)
    assert not any(title in body for title in BEFORE)  # nothing twice for com@
    assert (watermark(config) or 0) > first_watermark


def test_the_server_closes_the_connection_during_data(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp)
    smtp.mode = "close"
    result = run(config, "digest")
    assert_failed_cleanly(
        result.output, result.exit_code, "closed the connection before accepting the message"
    )
    assert smtp.received == [] and watermark(config) is None
    smtp.mode = "ok"
    assert_recovers(config, smtp, received_before=0)


def test_a_failure_after_an_accepted_digest_keeps_the_earlier_watermark(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = project(tmp_path, feed_server, smtp)
    assert run(config, "digest").exit_code == 0
    accepted = watermark(config)
    assert accepted is not None
    collect(config, "en")
    smtp.mode = "close"
    assert run(config, "digest").exit_code == 1
    assert watermark(config) == accepted
    smtp.mode = "ok"
    result = run(config, "digest")
    assert result.output.startswith("morning: sent to 2 recipient(s), 2 mention(s)")
    body = plain_text(smtp.received[-1].message)
    assert all(title in body for title in AFTER)
    assert not any(title in body for title in BEFORE)
    assert send_statuses(config) == ["sent", "failed", "sent"]


def test_the_process_killed_as_the_server_takes_the_message(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    """The server took the message but veille died before recording it: the send is in doubt.

    A run meanwhile sends nothing (the dead process's claim still holds); once the claim's lease
    is over, the next run sends the mentions again rather than risk losing them.
    """
    config = project(tmp_path, feed_server, smtp)
    command = [sys.executable, "-m", "veille", "--config", str(config), "digest"]
    sender = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    smtp.on_accept = lambda: os.kill(sender.pid, signal.SIGKILL)
    out, err = sender.communicate(timeout=120)
    smtp.on_accept = None
    assert sender.returncode == -signal.SIGKILL, out + err
    assert len(smtp.received) == 1 and watermark(config) is None
    busy = run(config, "digest")
    assert (busy.exit_code, busy.output) == (0, "morning: another veille process is sending it\n")
    assert len(smtp.received) == 1
    expire_claim(config)
    assert_recovers(config, smtp, received_before=1)


def expire_claim(config: Path) -> None:
    """Move the digest's claim past its lease, as if the sending process died long ago."""
    engine = create_engine(load_settings(config).database_url)
    try:
        with engine.begin() as connection:
            claimed_at = connection.execute(select(digest_table.c.claimed_at)).scalar_one()
            assert claimed_at is not None
            connection.execute(update(digest_table).values(claimed_at=claimed_at - CLAIM_LEASE * 2))
    finally:
        engine.dispose()
