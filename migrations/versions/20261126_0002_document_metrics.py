"""Documents keep the engagement figures as the source names them (likes, reposts, views…),
and reach/engagement become 64-bit (view counts pass two billion).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Nullable: documents stored before this revision, and those without figures, have none.
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("metrics", sa.JSON(), nullable=True))
        for column in ("reach", "engagement"):
            batch_op.alter_column(column, existing_type=sa.Integer(), type_=sa.BigInteger())


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("documents", schema=None) as batch_op:
        for column in ("reach", "engagement"):
            batch_op.alter_column(column, existing_type=sa.BigInteger(), type_=sa.Integer())
        batch_op.drop_column("metrics")
