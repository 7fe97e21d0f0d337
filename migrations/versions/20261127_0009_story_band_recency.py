"""Band-key holders in recency order: the band-key index also holds the document id.

Story grouping reads, for each band key of a new document, only the most recent documents
holding it. With the document id in the index, each key's most recent holders are read from
the end of its range and the reading stops there, however many older documents hold the key;
with the key alone, every holder of a frequent key was read and ranked at each write.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 06:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Replace the band-key index by one on (band key, document id)."""
    op.create_index(
        op.f("ix_story_bands_band_key_document_id"),
        "story_bands",
        ["band_key", "document_id"],
        unique=False,
    )
    op.drop_index(op.f("ix_story_bands_band_key"), table_name="story_bands")


def downgrade() -> None:
    """Put the band-key index back."""
    op.create_index(op.f("ix_story_bands_band_key"), "story_bands", ["band_key"], unique=False)
    op.drop_index(op.f("ix_story_bands_band_key_document_id"), table_name="story_bands")
