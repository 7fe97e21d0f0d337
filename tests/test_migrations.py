"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import main as alembic_main
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, select, text

from tests.support.feedserver import FeedServer
from tests.support.project import run, write_config
from tests.support.stores import database_url_fixture  # noqa: F401
from tests.test_edits import forum_feed
from veille.errors import StoreError
from veille.normalize.identity import dated_identity, fingerprint
from veille.store.db import (
    _MIGRATION_LOCK_KEY,
    alembic_config,
    create_store_engine,
    current_revision,
    downgrade_database,
    head_revision,
    is_known_revision,
    migrations_dir,
    upgrade_database,
)
from veille.store.revisions import head_of, script_revisions
from veille.store.schema import document_table, metadata, source_state_table
from veille.store.search import is_search_object

REPO_ROOT = Path(__file__).resolve().parent.parent


def include_object(item: Any, name: str | None, type_: str, *_: object) -> bool:
    """Compare everything but the full-text search objects, which the models do not describe."""
    return not is_search_object(name, type_, getattr(getattr(item, "table", None), "name", None))


def differences(engine: Engine) -> list[object]:
    """Return what autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": engine.dialect.name == "sqlite",
                "include_object": include_object,
            },
        )
        return list(compare_metadata(context, metadata))


def table_names(engine: Engine) -> set[str]:
    """Return the tables in the database, without Alembic's own and the full-text search's."""
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names()) - {"alembic_version"}
    return {name for name in names if not is_search_object(name, "table")}


def test_upgrade_builds_exactly_the_models(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        assert upgrade_database(engine) == head_revision()
        assert table_names(engine) == set(metadata.tables)
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_the_models_partial_index_is_partial_on_both_engines(database_url: str) -> None:
    from sqlalchemy.schema import CreateIndex

    from veille.store.schema import targeted_tone_index

    targeted_tone_index.dialect_kwargs["postgresql_where"] = None  # as a new process has it
    engine = create_store_engine(database_url)  # completes the PostgreSQL options
    try:
        ddl = str(CreateIndex(targeted_tone_index).compile(dialect=engine.dialect))
    finally:
        engine.dispose()
    assert ddl.endswith("WHERE tone IS NOT NULL")


def test_downgrade_to_base_then_upgrade_again(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        upgrade_database(engine)
        assert downgrade_database(engine, "base") is None
        assert table_names(engine) == set()
        assert upgrade_database(engine) == head_revision()
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_the_alembic_command_uses_the_url_from_the_environment(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    alembic_main(["-c", os.fspath(REPO_ROOT / "alembic.ini"), "upgrade", "head"])
    engine = create_store_engine(database_url)
    try:
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
        assert differences(engine) == []
    finally:
        engine.dispose()
    monkeypatch.delenv("VEILLE_DATABASE_URL")
    ini = os.fspath(REPO_ROOT / "alembic.ini")
    alembic_main(["-c", ini, "-x", f"url={database_url}", "downgrade", "base"])
    engine = create_store_engine(database_url)
    try:
        assert table_names(engine) == set()
    finally:
        engine.dispose()


def test_the_comparison_notices_a_schema_that_differs(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        upgrade_database(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX ix_documents_tone")
        assert [diff[0] for diff in differences(engine)] == ["add_index"]  # type: ignore[index]
    finally:
        engine.dispose()


def document_columns(engine: Engine) -> set[str]:
    """Return the column names of the documents table."""
    with engine.connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns("documents")}


def test_0002_adds_document_metrics_and_keeps_the_stored_mentions(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        assert upgrade_database(engine, "0001") == "0001"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO brands (id, name, query, languages, options, active, created_at,"
                    " updated_at) VALUES (1, 'acme', 'acme', '[]', '{}', :yes, :t, :t)"
                ),
                {"yes": True, "t": "2026-03-02 09:30:00"},
            )
            connection.execute(
                text(
                    "INSERT INTO documents (id, identity, title, text, platform, collected_at,"
                    " sentiment, tone, classifier_version, engagement, fingerprint, story_id)"
                    " VALUES (1, 'guid:a', 'Acme', '', 'news', :t, 0.5, 'positive', 'v1', 7,"
                    " 'f', 'f')"
                ),
                {"t": "2026-03-02 09:30:00"},
            )
            connection.execute(
                text(
                    "INSERT INTO mentions (document_id, brand_id, matched_terms, first_seen_at)"
                    " VALUES (1, 1, '[\"acme\"]', :t)"
                ),
                {"t": "2026-03-02 09:30:00"},
            )
        assert "metrics" not in document_columns(engine)
        assert upgrade_database(engine, "0002") == "0002"
        assert "metrics" in document_columns(engine)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT engagement, metrics FROM documents")).one()
        assert tuple(stored) == (7, None)
        # On SQLite the downgrade rebuilds documents: its mentions must not cascade away.
        assert downgrade_database(engine, "0001") == "0001"
        assert "metrics" not in document_columns(engine)
        with engine.connect() as connection:
            mentions = connection.execute(text("SELECT count(*) FROM mentions")).scalar_one()
            engagement = connection.execute(text("SELECT engagement FROM documents")).scalar_one()
        assert (mentions, engagement) == (1, 7)
    finally:
        engine.dispose()


def test_0015_gives_the_stored_documents_their_page_keys(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        assert upgrade_database(engine, "0014") == "0014"
        insert = text(
            "INSERT INTO documents (id, identity, canonical_url, title, text, platform,"
            " collected_at, sentiment, tone, classifier_version, fingerprint, story_id)"
            " VALUES (:id, :identity, :url, '', '', 'news', '2026-03-02 09:30:00', 0, 'neutral',"
            " 'v1', 'f', 'f')"
        )
        with engine.begin() as connection:
            connection.execute(
                insert,
                [
                    {"id": 1, "identity": "guid:a", "url": "http://www.lemonde.fr/a/"},
                    {"id": 2, "identity": "hash:b", "url": None},
                    {"id": 3, "identity": "guid:c", "url": "https://m.lemonde.fr/a?amp=1"},
                ],
            )
        assert upgrade_database(engine, "0015") == "0015"
        with engine.connect() as connection:
            keys = connection.execute(text("SELECT id, page_key FROM documents ORDER BY id")).all()
        assert [tuple(row) for row in keys] == [(1, "lemonde.fr/a"), (2, None), (3, "lemonde.fr/a")]
        assert downgrade_database(engine, "0014") == "0014"
        assert "page_key" not in document_columns(engine)
    finally:
        engine.dispose()


def test_0017_leaves_tracking_parameters_out_of_the_stored_page_keys(database_url: str) -> None:
    engine = create_store_engine(database_url)
    address = "https://www.dailymail.co.uk/news/article-1/danone.html?ns_mchannel=rss&ito=1490"
    try:
        assert upgrade_database(engine, "0016") == "0016"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO documents (id, identity, canonical_url, page_key, title, text,"
                    " platform, collected_at, sentiment, tone, classifier_version, fingerprint,"
                    " story_id) VALUES (1, 'guid:a', :url, :key, '', '', 'news',"
                    " '2026-03-02 09:30:00', 0, 'neutral', 'v1', 'f', 'f')"
                ),
                {"url": address, "key": address.removeprefix("https://www.")},
            )
        assert upgrade_database(engine, "0017") == "0017"
        with engine.connect() as connection:
            key = connection.execute(text("SELECT page_key FROM documents")).scalar_one()
        assert key == "dailymail.co.uk/news/article-1/danone.html"
    finally:
        engine.dispose()


def test_0018_searches_the_words_of_the_stored_documents_addresses(database_url: str) -> None:
    engine = create_store_engine(database_url)
    postgresql = engine.dialect.name == "postgresql"
    # The search as each engine holds it, without veille's reading of the search text.
    search = text(
        "SELECT count(*) FROM documents WHERE search_vector @@ to_tsquery('veille_simple', :word)"
        if postgresql
        else "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH :word"
    )

    def finds(word: str) -> bool:
        with engine.connect() as connection:
            return connection.execute(search, {"word": word}).scalar_one() == 1

    try:
        assert upgrade_database(engine, "0017") == "0017"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO documents (id, identity, title, text, platform, collected_at,"
                    " lang, sentiment, tone, classifier_version, fingerprint, story_id) VALUES"
                    " (1, 'guid:a', 'Visit danone.com', 'https://www.danone.com/recall', 'news',"
                    " '2026-03-02 09:30:00', 'de', 0, 'neutral', 'v1', 'f', 'f')"
                )
            )
        assert [finds("danone"), finds("recall")] == [not postgresql] * 2
        assert upgrade_database(engine, "0018") == "0018"
        assert finds("danone") and finds("recall") and finds("www")
        assert downgrade_database(engine, "0017") == "0017"
        assert [finds("danone"), finds("recall")] == [not postgresql] * 2
        if postgresql:
            assert finds("'danone.com'") and finds("'www.danone.com/recall'")
        assert upgrade_database(engine) == head_revision()
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_the_revisions_read_without_alembic_are_alembics() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    expected = {script.revision: script.down_revision for script in scripts.walk_revisions()}
    assert script_revisions(migrations_dir() / "versions") == expected
    assert head_revision() == scripts.get_current_head()
    assert all(is_known_revision(revision) for revision in expected)
    assert not is_known_revision("9999")


def test_two_latest_revisions_are_refused() -> None:
    with pytest.raises(StoreError, match="0002, 0003 as latest revision"):
        head_of({"0001": None, "0002": "0001", "0003": "0001"})


def test_the_recorded_revision_is_alembics_at_every_step(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        for revision in ("0001", "0005", "head", "base"):
            if revision == "base":
                downgrade_database(engine, revision)
            else:
                upgrade_database(engine, revision)
            with engine.connect() as connection:
                alembics = MigrationContext.configure(connection).get_current_revision()
                assert current_revision(connection) == alembics
        with engine.connect() as connection:
            assert current_revision(connection) is None
    finally:
        engine.dispose()


def test_0011_fills_in_the_hashtags_of_the_stored_documents(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        assert upgrade_database(engine, "0010") == "0010"
        with engine.begin() as connection:
            for number, (title, body) in enumerate(
                [("#Rentrée chez Acme", "Vive la #rentrée et le #Vélo"), ("Acme", "sans tag")],
                start=1,
            ):
                connection.execute(
                    text(
                        "INSERT INTO documents (id, identity, title, text, platform,"
                        " collected_at, sentiment, tone, classifier_version, fingerprint,"
                        " story_id) VALUES (:id, :identity, :title, :body, 'news', :t, 0.0,"
                        " 'neutral', 'v1', :fingerprint, :story)"
                    ),
                    {"id": number, "identity": f"guid:{number}", "title": title, "body": body,
                     "t": "2026-03-02 09:30:00", "fingerprint": f"f{number}",
                     "story": f"f{number}"},
                )  # fmt: skip
        assert upgrade_database(engine, "0011") == "0011"
        query = "SELECT document_id, hashtag, spelling FROM document_hashtags ORDER BY hashtag"
        with engine.connect() as connection:
            rows = [tuple(row) for row in connection.execute(text(query))]
        assert rows == [(1, "#rentrée", "#Rentrée"), (1, "#vélo", "#Vélo")]
        assert downgrade_database(engine, "0010") == "0010"
        assert "document_hashtags" not in table_names(engine)
    finally:
        engine.dispose()


def test_0013_copies_each_document_s_collection_time_to_its_band_keys(database_url: str) -> None:
    from veille.store.stories import microseconds

    # Written as SQLite holds them (with and without a fraction) and as PostgreSQL reads them.
    times = ["2026-03-02 09:30:00.123456", "2026-03-02 09:30:00", "1999-12-31 23:59:59.5"]
    engine = create_store_engine(database_url)
    try:
        assert upgrade_database(engine, "0012") == "0012"
        with engine.begin() as connection:
            for number, collected_at in enumerate(times, start=1):
                connection.execute(
                    text(
                        "INSERT INTO documents (id, identity, title, text, platform,"
                        " collected_at, sentiment, tone, classifier_version, fingerprint,"
                        " story_id) VALUES (:id, :identity, '', '', 'news', :t, 0.0,"
                        " 'neutral', 'v1', :fingerprint, :fingerprint)"
                    ),
                    {"id": number, "identity": f"guid:{number}", "t": collected_at,
                     "fingerprint": f"f{number}"},
                )  # fmt: skip
                connection.execute(
                    text("INSERT INTO story_bands (document_id, band_key) VALUES (:id, :key)"),
                    [{"id": number, "key": key} for key in (7, -8)],
                )
        assert upgrade_database(engine, "0013") == "0013"
        with engine.connect() as connection:
            stored = connection.execute(
                select(document_table.c.id, document_table.c.collected_at)
            ).all()
            bands = connection.execute(
                text("SELECT document_id, band_key, collected_us FROM story_bands")
            ).all()
        expected = {document_id: microseconds(collected_at) for document_id, collected_at in stored}
        assert expected[1] % 1_000_000 == 123456 and expected[3] % 1_000_000 == 500000
        assert sorted(bands) == sorted(
            (number, key, expected[number]) for number in (1, 2, 3) for key in (7, -8)
        )
        assert downgrade_database(engine, "0012") == "0012"
        with engine.connect() as connection:
            columns = {column["name"] for column in inspect(connection).get_columns("story_bands")}
        assert columns == {"document_id", "band_key"}
    finally:
        engine.dispose()


def test_db_upgrade_says_what_it_does_before_a_long_revision(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.project import run, write_config

    engine = create_store_engine(database_url)
    try:
        assert upgrade_database(engine, "0010") == "0010"
    finally:
        engine.dispose()
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    config = write_config(tmp_path, {})
    result = run(config, "db", "upgrade")
    assert result.exit_code == 0, result.output
    head = head_revision()
    assert f"from 0010 to {head}…" in result.output and f"from 0010 to {head}." in result.output
    again = run(config, "db", "upgrade")
    assert "Upgrading" not in again.output and "already at the latest" in again.output


def test_db_commands_tell_a_newer_database_apart_from_an_older_one(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.project import run, write_config

    engine = create_store_engine(database_url)
    try:
        upgrade_database(engine, head_revision())
        with engine.begin() as connection:  # as a later veille would leave it
            connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    finally:
        engine.dispose()
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    config = write_config(tmp_path, {})
    current = run(config, "db", "current")
    assert current.exit_code == 0, current.output
    assert "0099 (newer than this veille" in current.output and "behind" not in current.output
    upgrade = run(config, "db", "upgrade")
    assert upgrade.exit_code == 1 and "Upgrading" not in upgrade.output


def test_db_commands_tell_an_unknown_revision_from_a_newer_one(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.project import run, write_config

    engine = create_store_engine(database_url)
    try:
        upgrade_database(engine, head_revision())
        with engine.begin() as connection:  # no veille ever wrote this
            connection.execute(text("UPDATE alembic_version SET version_num = 'abc'"))
    finally:
        engine.dispose()
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    config = write_config(tmp_path, {})
    current = run(config, "db", "current")
    assert current.exit_code == 0, current.output
    assert "abc (no revision of veille's" in current.output and "newer" not in current.output
    for command in (["db", "upgrade"], ["mentions"]):
        refused = run(config, *command)
        assert refused.exit_code == 1, refused.output
        assert "revision abc, which is no revision of veille's" in refused.output
        assert "newer" not in refused.output


def test_a_database_holding_other_tables_is_not_empty_and_gets_veille_s_only_when_asked(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.project import run, write_config

    engine = create_store_engine(database_url)
    try:
        with engine.begin() as connection:  # another application's database
            for name in ("clients", "orders", "invoices", "products", "stock", "users"):
                connection.execute(text(f"CREATE TABLE {name} (id INTEGER)"))
        monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
        config = write_config(tmp_path, {})
        current = run(config, "db", "current")
        assert current.exit_code == 0, current.output
        assert "empty" not in current.output
        named = "other tables (clients, invoices, orders, products, stock, … (6 tables))"
        assert f"no veille schema, but {named}" in current.output
        for command in (["db", "upgrade"], ["collect", "--quiet"]):
            refused = run(config, *command)
            assert refused.exit_code == 1, refused.output
            assert f"holds no veille schema but {named}" in refused.output
            assert "`veille db upgrade --beside-other-tables`" in refused.output
            assert "documents" not in table_names(engine)
        upgraded = run(config, "db", "upgrade", "--beside-other-tables")
        assert upgraded.exit_code == 0, upgraded.output
        assert {"clients", "documents"} <= table_names(engine)
        assert "(latest)" in run(config, "db", "current").output
        assert run(config, "collect", "--quiet").exit_code == 0
    finally:
        engine.dispose()


@pytest.mark.sqlite_only
def test_a_file_that_is_no_sqlite_database_is_named_as_such(tmp_path: Path) -> None:
    from tests.support.project import run, write_config

    config = write_config(tmp_path, {})
    (tmp_path / "config" / "veille.db").write_text("Notes de la réunion\n" * 200)
    for command in (["db", "current"], ["mentions"], ["collect", "--quiet"]):
        result = run(config, *command)
        assert result.exit_code == 1, result.output
        assert "the file is not a SQLite database" in result.output
        assert "server" not in result.output


@pytest.mark.sqlite_only
def test_only_commands_that_fill_the_database_create_it(tmp_path: Path) -> None:
    # A query command pointed at a wrong path must not show an empty database as if its
    # mentions were lost; nor leave an empty file behind.
    from tests.support.project import run, write_config

    config = write_config(tmp_path, {})
    database = tmp_path / "config" / "veille.db"
    for command in (["mentions"], ["stats"], ["sources", "list"], ["prune", "--older-than", "9d"]):
        result = run(config, *command)
        assert result.exit_code == 1, (command, result.output)
        assert f"there is no database at {database}" in result.output
        assert "`veille collect` creates it" in result.output
    current = run(config, "db", "current")
    assert current.exit_code == 0 and "no database yet" in current.output
    assert not database.exists()
    # Nor does one write veille's tables into another application's file, or an empty one.
    for content in (b"", None):
        if content is None:
            with sqlite3.connect(database) as other:
                other.execute("CREATE TABLE notes (id INTEGER)")
        else:
            database.write_bytes(content)
        result = run(config, "mentions")
        assert result.exit_code == 1 and "holds no veille database" in result.output
        with sqlite3.connect(database) as other:
            tables = {row[0] for row in other.execute("SELECT name FROM sqlite_master")}
        assert "documents" not in tables
        database.unlink()
    assert run(config, "collect", "--quiet").exit_code == 0
    assert database.exists() and run(config, "mentions").exit_code == 0


def test_a_query_command_writes_no_tables_into_an_empty_postgresql_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mistyped database name must not be migrated and shown empty by a query command.
    from tests.support.project import run, write_config
    from tests.support.stores import fresh_postgres_database

    config = write_config(tmp_path, {})
    with fresh_postgres_database() as url:
        monkeypatch.setenv("VEILLE_DATABASE_URL", url)
        for command in (["mentions"], ["stats"], ["sources", "list"], ["query", "test", "x"]):
            result = run(config, *command)
            assert result.exit_code == 1, (command, result.output)
            assert "holds no veille database" in result.output
        engine = create_store_engine(url)
        try:
            assert table_names(engine) == set()
        finally:
            engine.dispose()
        assert run(config, "collect", "--quiet").exit_code == 0
        assert run(config, "mentions").exit_code == 0


def _waiting_for_the_migration_lock(url: str, sessions: int) -> bool:
    """Whether that many sessions of this PostgreSQL database wait for an advisory lock."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks JOIN pg_database d ON d.oid = pg_locks.database"
                    " WHERE d.datname = current_database() AND locktype = 'advisory'"
                    " AND NOT granted"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return int(waiting) >= sessions


def test_db_upgrades_started_together_on_postgresql_upgrade_once_and_say_so(
    tmp_path: Path,
) -> None:
    from tests.support.project import write_config
    from tests.support.stores import fresh_postgres_database

    config = write_config(tmp_path, {})
    with fresh_postgres_database() as url:
        env = {**os.environ, "VEILLE_DATABASE_URL": url}
        command = [sys.executable, "-m", "veille", "--config", str(config), "db", "upgrade"]
        holder = create_engine(url)
        upgrades: list[subprocess.Popen[str]] = []
        try:
            # Another upgrade holds the migration lock while both start: each reads where the
            # database stands before it gets its turn.
            with holder.begin() as connection:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
                upgrades.extend(
                    subprocess.Popen(
                        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                    )
                    for _ in range(2)
                )
                deadline = time.monotonic() + 120
                while not _waiting_for_the_migration_lock(url, 2):
                    assert time.monotonic() < deadline, "the upgrades never waited for the lock"
                    assert all(upgrade.poll() is None for upgrade in upgrades)
                    time.sleep(0.05)
            outputs = ["".join(upgrade.communicate(timeout=120)) for upgrade in upgrades]
        finally:
            for upgrade in upgrades:
                upgrade.kill()
                upgrade.wait(timeout=30)
            holder.dispose()
    assert [upgrade.returncode for upgrade in upgrades] == [0, 0], outputs
    head = head_revision()
    upgraded = [output for output in outputs if f"from empty to {head}." in output]
    current = [output for output in outputs if f"already at the latest revision ({head})" in output]
    assert (len(upgraded), len(current)) == (1, 1), outputs


def test_0021_dates_the_first_success_of_collected_states_at_their_source_s_creation(
    database_url: str,
) -> None:
    engine = create_store_engine(database_url)
    try:
        assert upgrade_database(engine, "0020") == "0020"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO sources (id, name, kind, options, active, created_at, updated_at)"
                    " VALUES (:id, :name, 'rss', '{}', :active, :t, :t)"
                ),
                [
                    {"id": 1, "name": "collected", "active": True, "t": "2026-03-02 09:30:00"},
                    {"id": 2, "name": "never", "active": True, "t": "2026-03-05 10:00:00"},
                ],
            )
            connection.execute(
                text(
                    "INSERT INTO source_state (source_id, brand_key, consecutive_failures,"
                    " disabled, last_ok_at) VALUES (:id, '', 0, :off, :ok)"
                ),
                [
                    {"id": 1, "off": False, "ok": "2026-03-20 06:00:00"},
                    {"id": 2, "off": False, "ok": None},
                ],
            )
        assert upgrade_database(engine, "0021") == "0021"
        with engine.connect() as connection:
            rows = dict(
                connection.execute(
                    select(source_state_table.c.source_id, source_state_table.c.first_ok_at)
                ).all()
            )
        assert rows[2] is None
        assert rows[1] is not None and rows[1].replace(tzinfo=None) == datetime(2026, 3, 2, 9, 30)
        assert downgrade_database(engine, "0020") == "0020"
    finally:
        engine.dispose()


def test_0023_marks_the_mentions_of_each_source_s_current_first_collection(
    database_url: str,
) -> None:
    engine = create_store_engine(database_url)
    first, later = "2026-03-02 09:30:00", "2026-03-03 09:30:00"
    try:
        assert upgrade_database(engine, "0022") == "0022"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO sources (id, name, kind, options, active, created_at, updated_at)"
                    " VALUES (:id, :name, 'rss', '{}', :yes, :t, :t)"
                ),
                [
                    {"id": 1, "name": "collected", "yes": True, "t": first},
                    {"id": 2, "name": "reset", "yes": True, "t": first},
                ],
            )
            connection.execute(
                text(
                    "INSERT INTO brands (id, name, query, languages, options, active, created_at,"
                    " updated_at) VALUES (1, 'acme', 'acme', '[]', '{}', :yes, :t, :t)"
                ),
                {"yes": True, "t": first},
            )
            connection.execute(
                text(
                    "INSERT INTO source_state (source_id, brand_key, consecutive_failures,"
                    " disabled, first_ok_at) VALUES (:id, '', 0, :off, :ok)"
                ),
                [{"id": 1, "off": False, "ok": first}, {"id": 2, "off": False, "ok": None}],
            )
            connection.execute(
                text(
                    "INSERT INTO documents (id, identity, title, text, platform, collected_at,"
                    " sentiment, tone, classifier_version, fingerprint, story_id)"
                    " VALUES (:id, :identity, 'Acme', '', 'news', :t, 0, 'neutral', 'v1', 'f',"
                    " 'f')"
                ),
                [{"id": n, "identity": f"guid:{n}", "t": first} for n in (1, 2, 3)],
            )
            connection.execute(
                text(
                    "INSERT INTO mentions (id, document_id, brand_id, source_id, matched_terms,"
                    " first_seen_at) VALUES (:id, :id, 1, :source, '[]', :t)"
                ),
                [
                    {"id": 1, "source": 1, "t": first},  # the first collection's
                    {"id": 2, "source": 1, "t": later},  # a later one's
                    {"id": 3, "source": 2, "t": first},  # the source was reset since
                ],
            )
        assert upgrade_database(engine, "0023") == "0023"
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, backlog FROM mentions ORDER BY id")).all()
        assert [(id_, bool(backlog) if backlog is not None else None) for id_, backlog in rows] == [
            (1, True),
            (2, None),
            (3, None),
        ]
        assert downgrade_database(engine, "0022") == "0022"
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM mentions")).scalar_one() == 3
    finally:
        engine.dispose()


def test_0024_identifies_stored_items_without_link_or_guid_by_source_title_and_date(
    database_url: str,
) -> None:
    engine = create_store_engine(database_url)
    title, moment = "Danone : discussion ouverte", "2026-11-28 10:00:00"
    documents = [
        # One thread stored twice: its count of views changed between two passes.
        (1, "hash:f1", title, moment),
        (2, "hash:f2", title, moment),
        (3, "hash:f3", "Sans date", None),
        (4, "hash:f4", "", moment),
        (5, "guid:forum:5", title, moment),
    ]
    try:
        assert upgrade_database(engine, "0023") == "0023"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO sources (id, name, kind, options, active, created_at, updated_at)"
                    " VALUES (1, 'forum', 'rss', '{}', :yes, :t, :t)"
                ),
                {"yes": True, "t": moment},
            )
            connection.execute(
                text(
                    "INSERT INTO documents (id, identity, title, text, platform, source_id,"
                    " published_at, collected_at, sentiment, tone, classifier_version,"
                    " fingerprint, story_id) VALUES (:id, :identity, :title, '', 'news', 1,"
                    " :published, :t, 0, 'neutral', 'v1', :content, :content)"
                ),
                [
                    {
                        "id": id_,
                        "identity": identity,
                        "title": title_,
                        "published": published,
                        "t": moment,
                        "content": identity.removeprefix("hash:"),
                    }
                    for id_, identity, title_, published in documents
                ],
            )
        assert upgrade_database(engine, "0024") == "0024"
        dated = dated_identity("forum", title, datetime(2026, 11, 28, 10, tzinfo=UTC))
        # The thread's last version is found by the next pass; the rest keep their identity.
        assert document_identities(engine) == [
            (1, "hash:f1"),
            (2, dated),
            (3, "hash:f3"),
            (4, "hash:f4"),
            (5, "guid:forum:5"),
        ]
        assert downgrade_database(engine, "0023") == "0023"
        assert document_identities(engine) == [(id_, identity) for id_, identity, *_ in documents]
    finally:
        engine.dispose()


def document_identities(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, identity FROM documents ORDER BY id")).all()
    return [(id_, identity) for id_, identity in rows]


def test_an_item_without_link_stored_before_0024_is_no_new_mention_after_it(
    database_url: str, feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    feed_server.add("/forum.xml", forum_feed(10, 2))
    config = write_config(tmp_path, {"forum": feed_server.url("/forum.xml")})
    assert run(config, "collect", "--quiet").exit_code == 0
    engine = create_store_engine(database_url)
    try:
        # The database as the veille before 0024 left it: the item known by its content's hash.
        assert downgrade_database(engine, "0023") == "0023"
        with engine.connect() as connection:
            title, content, identity = connection.execute(
                text("SELECT title, text, identity FROM documents")
            ).one()
        assert identity == "hash:" + fingerprint(title, content)
        assert upgrade_database(engine) == head_revision()
    finally:
        engine.dispose()
    feed_server.set_body("/forum.xml", forum_feed(57, 9))
    assert run(config, "collect", "--all", "--quiet").exit_code == 0
    listed = run(config, "mentions", "--format", "json")
    assert [m["text"] for m in json.loads(listed.output)] == ["Sujet vu 57 fois, 9 réponses."]


def test_0025_counts_other_brands_apart_and_its_downgrade_keeps_the_totals(
    database_url: str,
) -> None:
    engine = create_store_engine(database_url)
    when = "2026-03-02 09:30:00"
    try:
        assert upgrade_database(engine, "0024") == "0024"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO sources (id, name, kind, options, active, created_at, updated_at)"
                    " VALUES (1, 'bing', 'bing_news', '{}', :yes, :t, :t)"
                ),
                {"yes": True, "t": when},
            )
            connection.execute(
                text(
                    "INSERT INTO runs (id, started_at, status, sources_total, sources_failed,"
                    " new_mentions) VALUES (1, :t, 'ok', 1, 0, 2)"
                ),
                {"t": when},
            )
            connection.execute(
                text(
                    "INSERT INTO run_sources (run_id, source_id, items_fetched, new_documents,"
                    " new_mentions, not_modified, duration_seconds) VALUES (1, 1, 3, 1, 2, :no, 0)"
                ),
                {"no": False},
            )
        assert upgrade_database(engine, "0025") == "0025"
        with engine.begin() as connection:
            recorded = text("SELECT new_mentions, new_mentions_other_brands FROM run_sources")
            assert connection.execute(recorded).all() == [(2, 0)]
            connection.execute(text("UPDATE run_sources SET new_mentions_other_brands = 3"))
        assert downgrade_database(engine, "0024") == "0024"
        with engine.connect() as connection:
            count = connection.execute(text("SELECT new_mentions FROM run_sources")).scalar_one()
        assert count == 5
    finally:
        engine.dispose()


def test_0027_keeps_the_mentions_and_never_gives_a_removed_one_s_id_again(
    database_url: str,
) -> None:
    engine = create_store_engine(database_url)
    moment = "2026-03-02 09:30:00"
    new_mention = text(
        "INSERT INTO mentions (document_id, brand_id, matched_terms, first_seen_at, tone)"
        " VALUES (:document, 1, :terms, :t, :tone)"
    )
    try:
        assert upgrade_database(engine, "0026") == "0026"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO brands (id, name, query, languages, options, active, created_at,"
                    " updated_at) VALUES (1, 'acme', 'acme', '[]', '{}', :yes, :t, :t)"
                ),
                {"yes": True, "t": moment},
            )
            connection.execute(
                text(
                    "INSERT INTO documents (id, identity, title, text, platform, collected_at,"
                    " sentiment, tone, classifier_version, fingerprint, story_id)"
                    " VALUES (:id, :identity, 'Acme', '', 'news', :t, 0, 'neutral', 'v1', 'f',"
                    " 'f')"
                ),
                [{"id": n, "identity": f"guid:{n}", "t": moment} for n in (1, 2, 3, 4)],
            )
            connection.execute(
                new_mention,
                [
                    {"document": 1, "terms": '["acme"]', "t": moment, "tone": None},
                    {"document": 2, "terms": '["acme"]', "t": moment, "tone": "negative"},
                    {"document": 3, "terms": '["acme"]', "t": moment, "tone": None},
                ],
            )
        assert upgrade_database(engine, "0027") == "0027"
        assert differences(engine) == []
        with engine.begin() as connection:
            rows = connection.execute(
                text("SELECT id, document_id, tone FROM mentions ORDER BY id")
            ).all()
            assert [tuple(row) for row in rows] == [(1, 1, None), (2, 2, "negative"), (3, 3, None)]
            brands = connection.execute(text("SELECT query_changed_at FROM brands")).all()
            assert [tuple(row) for row in brands] == [(None,)]
            # The mention with the highest id goes: the next one does not take its id.
            connection.execute(text("DELETE FROM mentions WHERE id = 3"))
            connection.execute(
                new_mention, {"document": 4, "terms": "[]", "t": moment, "tone": None}
            )
            assert connection.execute(text("SELECT max(id) FROM mentions")).scalar_one() == 4
        assert downgrade_database(engine, "0026") == "0026"
        with engine.connect() as connection:
            ids = connection.execute(text("SELECT id FROM mentions ORDER BY id")).scalars().all()
        assert ids == [1, 2, 4]
    finally:
        engine.dispose()
