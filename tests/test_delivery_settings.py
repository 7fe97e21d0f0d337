"""Schedule, mail server and digest settings: defaults, environment, clear errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.project import run, write_config
from veille.settings import load_settings


def _config(tmp_path: Path, extra: str) -> Path:
    return write_config(tmp_path, {"x": "https://example.org/feed"}, extra=extra)


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, ""))
    assert settings.schedule.collect == "0 6 * * *" and settings.schedule.digest == "0 8 * * *"
    assert settings.schedule.misfire_grace == timedelta(hours=1)
    assert (settings.smtp.security, settings.smtp.effective_port) == ("starttls", 587)
    assert settings.digests == ()


def test_smtp_settings_come_from_the_environment_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "smtp_password"
    secret.write_text("s3cret-from-file\n", encoding="utf-8")
    monkeypatch.setenv("VEILLE_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("VEILLE_SMTP_PORT", "2525")
    monkeypatch.setenv("VEILLE_SMTP_SECURITY", "ssl")
    monkeypatch.setenv("VEILLE_SMTP_USER", "veille")
    monkeypatch.setenv("VEILLE_SMTP_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("VEILLE_SMTP_FROM", "veille@example.org")
    smtp = load_settings(_config(tmp_path, '\n[smtp]\nhost = "ignored"\n')).smtp
    assert (smtp.host, smtp.effective_port, smtp.security) == ("mail.example.org", 2525, "ssl")
    assert (smtp.user, smtp.password, smtp.from_address) == (
        "veille", "s3cret-from-file", "veille@example.org"
    )  # fmt: skip
    assert "s3cret" not in repr(smtp)
    monkeypatch.setenv("VEILLE_SMTP_PASSWORD", "direct")
    assert load_settings(_config(tmp_path, "")).smtp.password == "direct"


def test_digests_are_checked(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '\n[[digests]]\nname = "com"\nto = ["a@example.org"]\nbrands = ["danone"]\n'
        'language = "en"\nperiod = "7d"\n',
    )
    (digest,) = load_settings(config).digests
    # "danone" is the brand declared as « Danone »: the store knows its mentions by that name.
    assert (digest.language, digest.period, digest.brands) == ("en", timedelta(days=7), ("Danone",))


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[[digests]]\nname = "com"\nto = ["not an address"]\n', "digests[0].to"),
        ('[[digests]]\nname = "com"\nto = ["a@b.fr"]\nbrands = ["Nestlé"]\n', "digests[0].brands"),
        ('[[digests]]\nname = "com"\nto = []\n', "digests[0].to"),
        ('[[digests]]\nname = "com"\nto = ["a@b.fr"]\nlanguage = "de"\n', "digests[0].language"),
        ('[schedule]\ncollect = "every day"\n', "schedule.collect"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone"),
        ('[smtp]\nsecurity = "tls"\n', "smtp.security"),
        ("[smtp]\nport = 99999\n", "smtp.port"),
        ('[alerts]\ncooldown = "0s"\n', "alerts.cooldown"),
        ("[alerts]\ncooldown = 0\n", "alerts.cooldown"),
    ],
)
def test_bad_delivery_settings_are_clear_errors(tmp_path: Path, extra: str, key: str) -> None:
    config = _config(tmp_path, "\n" + extra)
    result = run(config, "sources", "list")
    assert result.exit_code == 2, result.output
    assert key in result.output and "Traceback" not in result.output
