"""Store fixtures (SQLite file and a throw-away PostgreSQL database) and item factories.

Test modules import what they use::

    from tests.support.stores import database_url_fixture, store_fixture  # noqa: F401

(imported under these names, they provide the fixtures ``database_url`` and ``store``).

PostgreSQL tests use the server at ``VEILLE_TEST_POSTGRES_URL`` (default: the local server,
user ``postgres``) in ``veille_test_<random>`` databases dropped afterwards: a fresh one per test
for ``database_url``, one emptied between tests for ``store``. When the server does not answer,
those tests are skipped with the reason.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from veille.store import BrandSpec, SourceSpec, Store, StoredItem
from veille.store.schema import metadata
from veille.types import Classification, Document, MatchResult, Tone

POSTGRES_ADMIN_URL = os.environ.get(
    "VEILLE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ENGINES = ("sqlite", "postgresql")
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@functools.cache
def postgres_unavailable_reason() -> str | None:
    """Return why the test PostgreSQL server cannot be used, or None when it answers."""
    engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (DBAPIError, ImportError) as exc:
        first_line = str(exc).strip().splitlines()[0]
        return f"no PostgreSQL at {make_url(POSTGRES_ADMIN_URL)!r}: {first_line}"
    finally:
        engine.dispose()
    return None


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, and drop it afterwards."""
    reason = postgres_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    name = f"veille_test_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def empty_database(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database of the given engine ("sqlite" or "postgresql")."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'veille.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(name="database_url", params=ENGINES)
def database_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, on each engine in turn."""
    with empty_database(request.param, tmp_path) as url:
        yield url


_shared_postgres_urls: list[str] = []


def shared_postgres_url(config: pytest.Config) -> str:
    """Return a migrated PostgreSQL database shared by this test session, emptied before each use.

    Creating and migrating a database takes over a second; emptying one takes milliseconds.
    The database is dropped when the session ends.
    """
    if not _shared_postgres_urls:
        cleanup = ExitStack()
        url = cleanup.enter_context(fresh_postgres_database())
        config.add_cleanup(cleanup.close)
        Store.open(url).close()
        _shared_postgres_urls.append(url)
    url = _shared_postgres_urls[0]
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            tables = ", ".join(metadata.tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return url


def configure(
    store: Store,
    hn_options: dict[str, Any] | None = None,
    *,
    acme_query: str = 'acme OR "acme corp"',
    gnews_options: dict[str, Any] | None = None,
) -> None:
    """Give the store the tests' brands (acme and globex) and sources (lemonde, gnews, hn)."""
    store.sync_config(
        [BrandSpec("acme", acme_query, ("fr", "en")), BrandSpec("globex", "globex")],
        [
            SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"}),
            SourceSpec("gnews", "google_news", gnews_options or {}),
            SourceSpec("hn", "hackernews", hn_options or {}),
        ],
    )


@pytest.fixture(name="store", params=ENGINES)
def store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An open store on each engine in turn, with brands acme and globex and three sources."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'veille.db'}"
    else:
        url = shared_postgres_url(request.config)
    opened = Store.open(url)
    configure(opened)
    try:
        yield opened
    finally:
        opened.close()


def make_item(
    identity: str,
    *,
    brands: tuple[str, ...] = ("acme",),
    tone: Tone = "neutral",
    sentiment: float = 0.0,
    lang: str | None = "fr",
    **document_fields: Any,
) -> StoredItem:
    """Build a classified item matching ``brands``; keyword arguments override Document fields."""
    document = Document(
        identity=identity,
        source="lemonde",
        url=f"https://www.lemonde.fr/{identity}?utm_source=rss",
        canonical_url=f"https://www.lemonde.fr/{identity}",
        title=f"Title {identity}",
        text=f"Text of {identity} about {' and '.join(brands)}",
        author_name=None,
        author_handle=None,
        author_url=None,
        site="lemonde.fr",
        platform="news",
        published_at=T0,
        fingerprint=hashlib.sha1(identity.encode()).hexdigest(),
    )
    document = replace(document, **document_fields)
    matches = tuple((brand, MatchResult(True, (brand,))) for brand in brands)
    return StoredItem(document, Classification(lang, sentiment, tone, "test-1"), matches)


def later(minutes: int = 0, *, hours: int = 0, days: int = 0) -> datetime:
    """Return T0 shifted by the given amount (the tests' clock)."""
    return T0 + timedelta(minutes=minutes, hours=hours, days=days)


def sent_statements(store: Store, action: Callable[[], object]) -> list[tuple[str, Any]]:
    """The statements (and their parameters) ``action`` sends to the store's database."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        action()
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    return sent
