"""Full-text search of documents' title and text (``veille mentions --search``).

SQLite: an external-content FTS5 table ``documents_fts`` over ``documents`` (title, text) with
the ``unicode61 remove_diacritics 2`` tokenizer, so that « societe » finds « Société »; triggers
keep it in step with every insert, update and delete of documents, and the upgrade indexes the
documents already stored. A later migration that rebuilds ``documents`` (batch mode) drops
those triggers with the old table and must create them again.

PostgreSQL: a generated ``search_vector`` tsvector column on documents, the title weighing A and
the text B, built with the text search configuration of the document's language
(``veille_french`` for fr, ``veille_english`` for en, ``veille_simple`` otherwise), and a GIN
index on it. The three configurations copy ``french``, ``english`` and ``simple`` and, where the
``unaccent`` extension can be installed, strip accents before stemming; where it cannot, they
are the plain copies and accents are not folded on PostgreSQL (searches still work, accented
and unaccented spellings are then different words). The downgrade leaves the extension in place.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 23:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# configuration made → the built-in one it copies
CONFIGS = {"veille_french": "french", "veille_english": "english", "veille_simple": "simple"}
DOCUMENT_CONFIG = (
    "CASE lang WHEN 'fr' THEN 'veille_french'::regconfig"
    " WHEN 'en' THEN 'veille_english'::regconfig ELSE 'veille_simple'::regconfig END"
)
SQLITE_TRIGGERS = {
    "documents_fts_insert": (
        "AFTER INSERT ON documents BEGIN"
        " INSERT INTO documents_fts (rowid, title, text) VALUES (new.id, new.title, new.text);"
        " END"
    ),
    "documents_fts_delete": (
        "AFTER DELETE ON documents BEGIN"
        " INSERT INTO documents_fts (documents_fts, rowid, title, text)"
        " VALUES ('delete', old.id, old.title, old.text);"
        " END"
    ),
    "documents_fts_update": (
        "AFTER UPDATE OF id, title, text ON documents BEGIN"
        " INSERT INTO documents_fts (documents_fts, rowid, title, text)"
        " VALUES ('delete', old.id, old.title, old.text);"
        " INSERT INTO documents_fts (rowid, title, text) VALUES (new.id, new.title, new.text);"
        " END"
    ),
}


def _install_unaccent() -> bool:
    """Install the unaccent extension if the server can; tell whether it is there."""
    if context.is_offline_mode():  # emitting SQL for a server we cannot ask: assume it can
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        return True
    bind = op.get_bind()
    available = bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
    ).first()
    if available is None:
        return False
    try:
        # A savepoint: a refused CREATE EXTENSION must not abort the migration's transaction.
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    except DBAPIError:
        return False
    return True


def _upgrade_postgresql() -> None:
    unaccent = _install_unaccent()
    for config, parent in CONFIGS.items():
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = pg_catalog.{parent})")
        if unaccent:
            stemmer = "simple" if parent == "simple" else f"{parent}_stem"
            op.execute(
                f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR"
                f" hword, hword_part, word WITH unaccent, {stemmer}"
            )
    op.execute(
        "ALTER TABLE documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector({DOCUMENT_CONFIG}, coalesce(title, '')), 'A')"
        f" || setweight(to_tsvector({DOCUMENT_CONFIG}, coalesce(text, '')), 'B')"
        ") STORED"
    )
    op.execute("CREATE INDEX ix_documents_search_vector ON documents USING gin (search_vector)")


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE documents_fts USING fts5(title, text, content='documents',"
        " content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO documents_fts (documents_fts) VALUES ('rebuild')")


def upgrade() -> None:
    """Apply this revision."""
    if context.get_context().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    """Revert this revision."""
    if context.get_context().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_documents_search_vector")
        op.execute("ALTER TABLE documents DROP COLUMN search_vector")
        for config in CONFIGS:
            op.execute(f"DROP TEXT SEARCH CONFIGURATION {config}")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE documents_fts")
