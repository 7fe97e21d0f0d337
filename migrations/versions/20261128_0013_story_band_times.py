"""Band keys carry their document's collection time, so that story grouping reads one index.

Story grouping reads, for each band key of a new document, the most recent documents holding
it that were collected in the last 14 days. The collection time was read from each holder's
document row, one lookup in ``documents`` per holder: up to 32 per key and 8 keys per new
document. ``story_bands.collected_us`` holds it (microseconds since 1970, UTC) and the
(band key, document id) index now ends with it, so the holders and their times come from the
index alone. The times of the keys already stored are copied from their documents in one
statement.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 05:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A document's collected_at in microseconds, as `veille.store.stories.microseconds` gives it.
# SQLite holds it as text, "2026-11-28 05:30:00.123456" (the fraction padded, in case a row
# was written without one); PostgreSQL 14 and later extract the epoch as an exact numeric.
_MICROSECONDS = {
    "sqlite": "CAST(strftime('%s', documents.collected_at) AS INTEGER) * 1000000"
    " + CAST(substr(documents.collected_at || '000000', 21, 6) AS INTEGER)",
    "postgresql": "CAST(round(extract(epoch FROM documents.collected_at) * 1000000) AS BIGINT)",
}


def upgrade() -> None:
    """Add story_bands.collected_us, fill it in, and end the band-key index with it."""
    # A plain ADD COLUMN (both engines have it): no table copy while the database is locked.
    op.add_column("story_bands", sa.Column("collected_us", sa.BigInteger(), nullable=True))
    # The old index goes first, so that filling the column does not update it row by row.
    op.drop_index(op.f("ix_story_bands_band_key_document_id"), table_name="story_bands")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # A join: a lookup per row would take minutes per million documents.
        op.execute(
            "UPDATE story_bands SET collected_us = "
            + _MICROSECONDS[dialect]
            + " FROM documents WHERE documents.id = story_bands.document_id"
        )
    else:
        op.execute(
            "UPDATE story_bands SET collected_us = (SELECT "
            + _MICROSECONDS[dialect]
            + " FROM documents WHERE documents.id = story_bands.document_id)"
        )
    op.create_index(
        op.f("ix_story_bands_band_key_document_id_collected_us"),
        "story_bands",
        ["band_key", "document_id", "collected_us"],
        unique=False,
    )


def downgrade() -> None:
    """Put the (band key, document id) index back and drop the column."""
    op.create_index(
        op.f("ix_story_bands_band_key_document_id"),
        "story_bands",
        ["band_key", "document_id"],
        unique=False,
    )
    op.drop_index(
        op.f("ix_story_bands_band_key_document_id_collected_us"), table_name="story_bands"
    )
    with op.batch_alter_table("story_bands", schema=None) as batch_op:
        batch_op.drop_column("collected_us")
