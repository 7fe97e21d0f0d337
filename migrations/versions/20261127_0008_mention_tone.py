"""A mention's own tone, for brands scored on the sentences that name them.

``mentions.sentiment`` and ``mentions.tone`` hold the tone of the sentences naming the brand
when the brand is configured with ``tone = "brand"``; NULL means "as the document", which every
mention stored before this revision is.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable sentiment and tone columns to mentions, and the index of those set."""
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sentiment", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("tone", sa.String(length=16), nullable=True))
    op.create_index(
        "ix_mentions_targeted_tone",
        "mentions",
        ["brand_id"],
        sqlite_where=sa.text("tone IS NOT NULL"),
        postgresql_where=sa.text("tone IS NOT NULL"),
    )


def downgrade() -> None:
    """Drop them: every mention takes its document's tone again."""
    op.drop_index("ix_mentions_targeted_tone", table_name="mentions")
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_column("tone")
        batch_op.drop_column("sentiment")
