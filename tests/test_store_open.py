"""Opening a store: creation of empty databases, revision checks and connection errors."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import veille
from tests.support.stores import (
    POSTGRES_ADMIN_URL,
    database_url_fixture,  # noqa: F401
    fresh_postgres_database,
)
from veille.errors import StoreError
from veille.store import Store, mask_url, migrations_dir
from veille.store import db as store_db

EXTRA_REVISION = '''"""A revision newer than the shipped ones, for tests."""

from alembic import op
import sqlalchemy as sa

revision = "9999"  # numbered as veille's revisions are
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("scratch", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("scratch")
'''


@pytest.fixture
def newer_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make veille see the shipped migrations plus one newer revision, while in effect."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = store_db.head_revision()
    (scripts / "versions" / "9999_test.py").write_text(EXTRA_REVISION.format(head=head))
    monkeypatch.setattr(store_db, "migrations_dir", lambda: scripts)
    yield
    monkeypatch.undo()


def test_an_empty_database_is_created_at_head(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        assert store.current_revision() == store.head_revision()
        assert store.brand_names() == []
    finally:
        store.close()


def test_opening_without_upgrade_leaves_an_empty_database_as_it_is(database_url: str) -> None:
    store = Store.open(database_url, upgrade_empty=False)
    try:
        assert store.current_revision() is None
        assert store.upgrade() == store.head_revision()
        assert store.current_revision() == store.head_revision()
    finally:
        store.close()


def test_a_database_behind_head_asks_for_an_upgrade(
    database_url: str, request: pytest.FixtureRequest
) -> None:
    Store.open(database_url).close()
    request.getfixturevalue("newer_migrations")
    with pytest.raises(StoreError, match=r"revision \w+, veille expects 9999") as caught:
        Store.open(database_url)
    assert caught.value.hint == "run `veille db upgrade`"
    store = Store.open(database_url, upgrade_empty=False)
    try:
        assert store.upgrade() == "9999"
    finally:
        store.close()
    Store.open(database_url).close()


def test_a_database_newer_than_veille_is_refused(
    database_url: str, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("newer_migrations")
    Store.open(database_url).close()
    request.getfixturevalue("monkeypatch").undo()
    with pytest.raises(StoreError, match="9999, unknown to this veille") as caught:
        Store.open(database_url)
    assert caught.value.hint == "upgrade veille"
    store = Store.open(database_url, upgrade_empty=False)
    try:
        assert store.current_revision() == "9999"
        with pytest.raises(StoreError, match="unknown to this veille"):
            store.upgrade()
    finally:
        store.close()


def test_veille_tables_without_a_revision_are_refused(database_url: str) -> None:
    store = Store.open(database_url)
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    store.close()
    with pytest.raises(StoreError, match="veille tables but no schema revision"):
        Store.open(database_url)
    store = Store.open(database_url, upgrade_empty=False)
    try:
        with pytest.raises(StoreError, match="veille tables but no schema revision"):
            store.upgrade()
    finally:
        store.close()


def test_sqlite_uses_wal_normal_sync_enforced_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'veille.db'}")
    try:
        with store.engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        # synchronous 1 is NORMAL: commits wait for no disk flush, checkpoints do.
        assert pragmas == {
            "journal_mode": "wal",
            "synchronous": 1,
            "foreign_keys": 1,
            "busy_timeout": 30000,
        }
    finally:
        store.close()


def test_losing_the_database_later_is_a_store_error(tmp_path: Path) -> None:
    with fresh_postgres_database() as url:
        store = Store.open(url)
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = make_url(url).database
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
        with pytest.raises(StoreError, match="cannot read from the database") as caught:
            store.brand_names()
        assert caught.value.hint is not None
        store.close()


def test_sqlite_in_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "veille.db"
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(f"sqlite:///{missing}")
    assert not missing.parent.exists()


def test_unreachable_postgresql_names_the_url_without_its_password() -> None:
    url = "postgresql+psycopg://veille:s3cr3t-pw@127.0.0.1:1/veille"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert "postgresql+psycopg://veille:***@127.0.0.1:1/veille" in message
    assert "s3cr3t-pw" not in message
    assert "s3cr3t-pw" not in repr(caught.value.__cause__)
    assert caught.value.hint is not None and "VEILLE_DATABASE_URL" in caught.value.hint


def test_an_unparseable_url_is_an_error_that_does_not_echo_it() -> None:
    with pytest.raises(StoreError, match="cannot be parsed") as caught:
        Store.open("not a url :: secret")
    assert "secret" not in str(caught.value)


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("postgresql+psycopg://u:pw@db:5432/x") == "postgresql+psycopg://u:***@db:5432/x"
    assert mask_url("sqlite:////var/lib/veille.db") == "sqlite:////var/lib/veille.db"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:////srv/Veille Société/veille.db", "sqlite:////srv/Veille Société/veille.db"),
        ("sqlite:////srv/a%20b/veille.db?timeout=5", "sqlite:////srv/a b/veille.db?timeout=5"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        (
            "postgresql+psycopg://us%C3%A9r:p%C3%A9ss@h%C3%B4te:5432/veill%C3%A9e",
            "postgresql+psycopg://usér:***@hôte:5432/veillée",
        ),
        # Escapes that tell the URL's parts apart stay escaped.
        ("postgresql+psycopg://a%3Ab:pw@db/x%25y", "postgresql+psycopg://a%3Ab:***@db/x%25y"),
    ],
)
def test_mask_url_shows_paths_and_names_as_written(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_migrations_are_found_in_the_checkout() -> None:
    found = migrations_dir()
    assert (found / "env.py").is_file()
    assert any((found / "versions").glob("*.py"))


def test_migrations_shipped_in_the_wheel_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "veille"
    (package / "_migrations").mkdir(parents=True)
    (package / "_migrations" / "env.py").write_text("")
    monkeypatch.setattr(veille, "__file__", str(package / "__init__.py"))
    assert migrations_dir() == package / "_migrations"
    (package / "_migrations" / "env.py").unlink()
    with pytest.raises(StoreError, match="migrations are missing"):
        migrations_dir()


def test_other_database_engines_are_refused() -> None:
    with pytest.raises(StoreError, match=r"unsupported database mysql://u:\*\*\*@db/x"):
        Store.open("mysql://u:pw@db/x")


@pytest.mark.parametrize("read_only", [False, True])
def test_sqlite_at_a_folder_says_it_is_a_folder(tmp_path: Path, read_only: bool) -> None:
    with pytest.raises(StoreError, match="is a folder, not a database file") as caught:
        Store.open(f"sqlite:///{tmp_path}", read_only=read_only)
    assert caught.value.hint is not None and f"{tmp_path / 'veille.db'}" in caught.value.hint
    assert list(tmp_path.iterdir()) == []
