"""The hashtags each document writes, so that statistics by hashtag need not read every text.

``document_hashtags`` holds one row per document and case-folded hashtag, with the spelling the
document writes (veille/store/hashtags.py). The hashtags of the documents already stored are
read from their titles and texts here, in batches: a few seconds per hundred thousand
documents.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from veille.store.hashtags import fill_hashtags

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the document_hashtags table and fill it in from the stored documents."""
    op.create_table(
        "document_hashtags",
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hashtag", sa.Text(), nullable=False),
        sa.Column("spelling", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_hashtags_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "hashtag", name=op.f("pk_document_hashtags")),
    )
    fill_hashtags(op.get_bind())


def downgrade() -> None:
    """Drop the document_hashtags table."""
    op.drop_table("document_hashtags")
