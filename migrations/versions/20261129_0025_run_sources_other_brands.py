"""A search's run record counts the new mentions of other brands apart from its brand's own.

A source searched per brand has one ``run_sources`` row per brand and pass, and its results are
matched against every brand: a search for one brand also stores the mentions of the others that
its results name. Those were counted as the searched brand's new mentions, so that a brand's
search seemed to find what was another's. ``run_sources.new_mentions`` now counts the row's own
brand (every brand for a source not searched per brand), and ``new_mentions_other_brands`` the
others; a pass's total is their sum, as before.

The rows recorded before this revision cannot be split: their new mentions stay the row's own,
with none for other brands.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the new_mentions_other_brands column to run_sources, 0 for the rows recorded."""
    # A plain ADD COLUMN (both engines have it, NOT NULL with a default): no table copy.
    op.add_column(
        "run_sources",
        sa.Column("new_mentions_other_brands", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Count the other brands' new mentions in the row's again, then drop the column."""
    op.execute("UPDATE run_sources SET new_mentions = new_mentions + new_mentions_other_brands")
    with op.batch_alter_table("run_sources", schema=None) as batch_op:
        batch_op.drop_column("new_mentions_other_brands")
