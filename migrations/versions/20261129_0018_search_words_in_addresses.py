"""Full-text search on PostgreSQL finds the words of web addresses, domains and file names.

PostgreSQL's text search parser reads a host (``danone.com``), an address
(``www.danone.com/recall``), an e-mail address or a file name as one word, so that
``--search danone`` did not find a mention giving only ``https://www.danone.com/recall``,
which SQLite's FTS5 (every punctuation mark separates words) finds. The ``search_vector``
column (migration 0005) is now built from the title and text with the characters that join
those words (``.``, ``/`` and ``@``) read as spaces: the search text is read the same way
(veille/store/search.py), so that ``danone.com`` is the phrase « danone com » and still finds
them. Configurations, weights and the GIN index are as before.

The column is generated: changing its expression rewrites the documents table once, every
search vector computed again by the server (no batches: a generated column cannot be written
in parts, and the migration runs in one transaction either way), then the GIN index is built
again; see benchmarks/README.md for the time it takes. The downgrade builds the former
vectors back the same way. SQLite is not changed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As migration 0005 made them; SEPARATORS is veille.store.search.PG_SEPARATORS.
DOCUMENT_CONFIG = (
    "CASE lang WHEN 'fr' THEN 'veille_french'::regconfig"
    " WHEN 'en' THEN 'veille_english'::regconfig ELSE 'veille_simple'::regconfig END"
)
SEPARATORS = "./@"


def _words(column: str, *, separated: bool) -> str:
    value = f"coalesce({column}, '')"
    if separated:
        # One replace() per character: several times faster than translate() on long texts.
        for character in SEPARATORS:
            value = f"replace({value}, '{character}', ' ')"
    return f"to_tsvector({DOCUMENT_CONFIG}, {value})"


def _rebuild(*, separated: bool) -> None:
    """Generate search_vector again, with or without the separators read as spaces."""
    vector = (
        f"setweight({_words('title', separated=separated)}, 'A')"
        f" || setweight({_words('text', separated=separated)}, 'B')"
    )
    op.execute("DROP INDEX ix_documents_search_vector")
    # One ALTER TABLE: the table is rewritten once.
    op.execute(
        "ALTER TABLE documents DROP COLUMN search_vector,"
        f" ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED"
    )
    op.execute("CREATE INDEX ix_documents_search_vector ON documents USING gin (search_vector)")


def upgrade() -> None:
    """Build the search vectors with the words of addresses and file names apart."""
    if context.get_context().dialect.name == "postgresql":
        _rebuild(separated=True)


def downgrade() -> None:
    """Build the search vectors as migration 0005 did."""
    if context.get_context().dialect.name == "postgresql":
        _rebuild(separated=False)
