"""``veille alerts`` from the outside: a project on disk, a real SMTP server, exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.digests import save
from tests.support.project import (
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from tests.support.smtpserver import SmtpServer
from tests.support.stores import make_item
from tests.test_alerts import backdate_brands
from veille.settings import load_settings
from veille.store import BrandSpec, SourceSpec, Store
from veille.timeutil import utcnow

pytestmark = pytest.mark.usefixtures("project_engine")

ALERTS = '\n[alerts]\nto = ["com@example.org"]\nlanguage = "en"\n'


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    with SmtpServer() as server:
        yield server


def project(
    tmp_path: Path,
    smtp_port: int,
    *,
    surge: bool = True,
    alerts: str = ALERTS,
    watched: bool = True,
) -> Path:
    """A project whose Danone had two quiet weeks, then (with ``surge``) 30 negative mentions.

    ``watched``: the brands were configured a month ago (else just now).
    """
    extra = (
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        f'from = "veille@example.org"\ntimeout = 5\n{alerts}'
    )
    config = write_config(tmp_path, {"lemonde": "http://127.0.0.1:9/feed.xml"}, extra=extra)
    now = utcnow()
    store = Store.open(load_settings(config).database_url)
    try:
        store.sync_config(
            [BrandSpec("Danone", "danone*"), BrandSpec("Michelin", '"Michelin"')],
            [SourceSpec("lemonde", "rss")],
        )
        quiet = [
            make_item(f"q{h}", brands=("Danone",), published_at=now - timedelta(hours=h))
            for h in range(2, 15 * 24, 6)
        ]
        loud = [
            make_item(
                f"s{n}",
                brands=("Danone",),
                tone="negative",
                published_at=now - timedelta(minutes=5),
            )
            for n in range(30 if surge else 0)
        ]
        save(store, *quiet, *loud, at=now - timedelta(minutes=1))
        if watched:
            backdate_brands(store, now - timedelta(days=30))
    finally:
        store.close()
    return config


def test_alerts_sends_once_then_stays_quiet(tmp_path: Path, smtp: SmtpServer) -> None:
    config = project(tmp_path, smtp.port)
    result = run(config, "alerts")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Danone: 30 negative mentions in the last hour (none in the previous 12 h)" in lines
    assert lines[-1] == "alert e-mail sent to 1 recipient(s)"
    [message] = smtp.messages
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    again = run(config, "alerts")
    assert (again.exit_code, again.output) == (0, "no spike\n")
    assert len(smtp.messages) == 1


def test_alerts_prints_no_spike_on_quiet_traffic(tmp_path: Path, smtp: SmtpServer) -> None:
    config = project(tmp_path, smtp.port, surge=False)
    result = run(config, "alerts")
    assert (result.exit_code, result.output) == (0, "no spike\n")
    assert smtp.messages == []


def test_alerts_exits_1_when_the_email_fails_and_retries_next_time(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    config = project(tmp_path, smtp.port)
    smtp.mode = "reject"
    failed = run(config, "alerts")
    assert failed.exit_code == 1
    assert "alert e-mail NOT sent: " in failed.output and "554" in failed.output
    smtp.mode = "ok"
    retry = run(config, "alerts")
    assert retry.exit_code == 0, retry.output
    # One pair of brackets per line: the baseline's.
    assert "(none in the previous 12 h) — detected earlier, not sent yet\n" in retry.output
    assert ") (" not in retry.output
    assert len(smtp.messages) == 1


def test_alerts_dry_run_writes_a_preview(tmp_path: Path, smtp: SmtpServer) -> None:
    config = project(tmp_path, smtp.port)
    out = tmp_path / "preview"
    result = run(config, "alerts", "--dry-run", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "(nothing sent)" in result.output
    assert sorted(path.suffix for path in out.iterdir()) == [".eml", ".html"]
    assert smtp.messages == []
    assert run(config, "alerts").exit_code == 0 and len(smtp.messages) == 1


def test_alerts_without_recipients_records_and_prints(tmp_path: Path, smtp: SmtpServer) -> None:
    config = project(tmp_path, smtp.port, alerts="")
    result = run(config, "alerts")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "no recipient in [alerts] to: recorded, not sent"
    assert smtp.messages == []


def test_out_without_dry_run_is_a_usage_error(tmp_path: Path, smtp: SmtpServer) -> None:
    result = run(project(tmp_path, smtp.port), "alerts", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--out only goes with --dry-run" in result.output


def test_a_brand_just_added_does_not_alert_on_its_backlog(tmp_path: Path, smtp: SmtpServer) -> None:
    config = project(tmp_path, smtp.port, watched=False)
    result = run(config, "alerts")
    assert (result.exit_code, result.output) == (0, "no spike\n")
