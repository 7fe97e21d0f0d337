"""What a prune removed stays removed: the cut of the last prune.

A pass that reads its sources anew (after the brands change, or an upgrade) stored again the
items a prune had removed, as new mentions that the next digest mailed. ``retention`` holds the
cut of the last prune; items published before it are not stored.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the retention table."""
    op.create_table(
        "retention",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pruned_before", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention")),
    )


def downgrade() -> None:
    """Drop the retention table."""
    op.drop_table("retention")
