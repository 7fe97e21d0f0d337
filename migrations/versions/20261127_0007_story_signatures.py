"""Near-duplicate band keys of documents, so that a new document finds the story it repeats.

``story_bands`` holds the MinHash band keys of every document stored from this revision on
(veille/normalize/story.py); a new document is compared with the recent documents sharing one
of its keys and joins the story of the most similar one (veille/store/stories.py).

Documents stored before keep their story id (their fingerprint, which exact copies share) and
get no keys: re-deciding their stories would regroup mentions already listed and sent in
digests, and new documents still group with each other and with exact copies of old ones.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the story_bands table and its band-key index."""
    op.create_table(
        "story_bands",
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("band_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_story_bands_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "band_key", name=op.f("pk_story_bands")),
    )
    op.create_index(op.f("ix_story_bands_band_key"), "story_bands", ["band_key"], unique=False)


def downgrade() -> None:
    """Drop the story_bands table (story ids already given stay as they are)."""
    op.drop_index(op.f("ix_story_bands_band_key"), table_name="story_bands")
    op.drop_table("story_bands")
