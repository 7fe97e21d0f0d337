"""What a prune removed stays removed, undated items too: their identities and first sighting.

An item without a publication date is timed by when veille first saw it. Once a prune removed
it, nothing said so: a pass reading its source anew stored it again, as a new mention that the
next digest mailed. ``pruned_undated`` holds the identity of each undated document a prune
removes, with when veille first saw it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the pruned_undated table."""
    op.create_table(
        "pruned_undated",
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identity", name=op.f("pk_pruned_undated")),
    )


def downgrade() -> None:
    """Drop the pruned_undated table, and what it holds: the undated items a prune removed are
    stored again by the next pass that reads their source (upgraded again or not), as new
    mentions that the next digest mails."""
    op.drop_table("pruned_undated")
