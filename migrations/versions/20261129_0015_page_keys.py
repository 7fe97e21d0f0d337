"""Items at two spellings of one page's address are one document: the page key.

A canonical URL keeps what tells two pages apart; publishers serve one article at several of
them (http and https, ``www.`` and the bare domain, ``m.`` and AMP renderings, with or without a
trailing slash), and feeds and search engines each link one. ``documents.page_key`` holds the
spelling they share (veille.normalize.urls.same_page_key); new items are merged on it. The
documents already stored get theirs here, in batches; two already stored apart stay apart.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 05:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from veille.store.page_keys import fill_page_keys

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add documents.page_key, fill it in from the canonical URLs and index it."""
    op.add_column("documents", sa.Column("page_key", sa.Text(), nullable=True))
    fill_page_keys(op.get_bind())
    op.create_index(op.f("ix_documents_page_key"), "documents", ["page_key"], unique=False)


def downgrade() -> None:
    """Drop documents.page_key."""
    op.drop_index(op.f("ix_documents_page_key"), table_name="documents")
    # Not a batch rebuild of documents: that would lose its expression index and the search
    # triggers. SQLite drops a column in place since 3.35.
    op.drop_column("documents", "page_key")
