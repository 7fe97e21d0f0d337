"""Each claim on a source state records the pass that took it.

On PostgreSQL a pass claims the due source states it collects by pushing their next check to
the end of a lease (veille/store/claims.py). A pass whose process died (killed, out of memory,
stopped by a container runtime) left its claims in place until the lease ended, so the next
pass, finding it dead, still skipped its sources: with a daily collect, until the next day.
``source_state.claimed_by_run`` holds the id of the pass whose claim holds the state (NULL
once the pass records its check or gives the claim back), so that the claims of a dead pass
can be given back at once. States stored before this revision hold no claim.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 08:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable claimed_by_run column to source_state."""
    # A plain ADD COLUMN (both engines have it): no table copy while the database is locked.
    op.add_column("source_state", sa.Column("claimed_by_run", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop it: claims then hold until their lease ends."""
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.drop_column("claimed_by_run")
