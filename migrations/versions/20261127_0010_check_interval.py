"""Each source's check interval, as its last successful check adapted it.

``source_state.check_interval`` holds the seconds between checks chosen by the last
successful check (``veille/polling.py``): longer after checks that found the source unchanged,
shorter after ones that found it changed. NULL (every state stored before this revision)
means the source starts again from its configured interval.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 07:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable check_interval column to source_state."""
    # A plain ADD COLUMN (both engines have it): no table copy while the database is locked.
    op.add_column("source_state", sa.Column("check_interval", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop it: every source goes back to its configured interval."""
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.drop_column("check_interval")
