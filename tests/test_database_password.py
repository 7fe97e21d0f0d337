"""The PostgreSQL password apart from the URL (a container secret), and never shown in part."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.project import run, write_config
from tests.support.stores import fresh_postgres_database
from veille.errors import ConfigError, StoreError
from veille.settings import load_settings
from veille.store import Store
from veille.store.db import mask_url

PASSWORD = "VEILLE_DATABASE_PASSWORD"
# Every character a URL gives a meaning to, and an escape that must stay as written.
AWKWARD = "p@ss:w/rd%40#?é ;"


@pytest.fixture(autouse=True)
def no_database_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets."""
    for name in (
        "VEILLE_DATABASE_URL",
        "VEILLE_DATABASE_PASSWORD",
        "VEILLE_DATABASE_PASSWORD_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_password_file_goes_into_the_url_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "postgres_password"
    secret.write_text(AWKWARD + "\n", encoding="utf-8")
    config = write_config(tmp_path, {})
    with fresh_postgres_database() as url:
        database = make_url(url).database
        monkeypatch.setenv("VEILLE_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}")
        monkeypatch.setenv("VEILLE_DATABASE_PASSWORD_FILE", str(secret))
        parsed = make_url(load_settings(config).database_url)
        assert parsed.password == AWKWARD and parsed.host == "127.0.0.1"
        assert parsed.database == database and parsed.drivername == "postgresql+psycopg"
        # The local server trusts loopback: the password is carried, and never shown.
        upgraded = run(config, "db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        current = run(config, "db", "current")
        assert current.exit_code == 0 and "(latest)" in current.output
        assert f"postgresql+psycopg://postgres:***@127.0.0.1:5432/{database}" in current.output
        for part in ("p@ss", "w/rd", "%40", "p%40ss"):
            assert part not in upgraded.output + current.output
        # The variable itself wins over its file, and over a password written in the URL.
        monkeypatch.setenv(PASSWORD, "direct")
        monkeypatch.setenv("VEILLE_DATABASE_URL", f"postgresql://postgres:old@db/{database}")
        assert make_url(load_settings(config).database_url).password == "direct"


def test_an_unreadable_password_file_stops_every_command_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, {})
    missing = tmp_path / "secrets" / "postgres_password"
    monkeypatch.setenv("VEILLE_DATABASE_URL", "postgresql+psycopg://veille@db:5432/veille")
    monkeypatch.setenv("VEILLE_DATABASE_PASSWORD_FILE", str(missing))
    result = run(config, "prune", "--older-than", "365d")
    assert result.exit_code == 2
    assert result.output.startswith(
        f"Error: VEILLE_DATABASE_PASSWORD_FILE: names {missing}, which cannot be read"
    ), result.output
    assert "uid 999" in result.output  # the image's user, who must be able to read it


def test_a_password_for_a_sqlite_database_or_a_url_without_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, {})
    monkeypatch.setenv(PASSWORD, "s3cret")
    with pytest.raises(ConfigError, match="only for a PostgreSQL database") as caught:
        load_settings(config)
    assert caught.value.key == PASSWORD
    monkeypatch.setenv("VEILLE_DATABASE_URL", "postgresql+psycopg://db:5432/veille")
    with pytest.raises(ConfigError, match="names no user"):
        load_settings(config)


def test_an_unencoded_at_in_the_url_password_is_refused_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, {})
    url = "postgresql+psycopg://veille:hunter@2@127.0.0.1:5432/veille"
    monkeypatch.setenv("VEILLE_DATABASE_URL", url)
    result = run(config, "db", "current")
    assert result.exit_code == 2, result.output
    assert "holds an '@' that is not percent-encoded" in result.output
    assert "%40" in result.output and "VEILLE_DATABASE_PASSWORD_FILE" in result.output
    assert "hunter" not in result.output and "2@127" not in result.output
    # Given to the store as it is, it is shown masked whole, in the driver's words too.
    assert mask_url(url) == "postgresql+psycopg://veille:***@127.0.0.1:5432/veille"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    assert "hunter" not in str(caught.value) and "2@127" not in str(caught.value)
