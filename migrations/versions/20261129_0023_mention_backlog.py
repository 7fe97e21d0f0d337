"""Each mention records whether its source's first successful collection brought it.

Alerts leave out the undated mentions of a source's backlog: those its first successful
collection brought (since its state was created, or reset by a change of settings), published
whenever. They were told by comparing their first sighting with the state's
``first_ok_at``, which a reset clears and the next collection sets anew: every undated mention
seen before then lost its alert time too, and the baselines fell to nothing. ``mentions.backlog``
is TRUE for the mentions of such a collection, set when they are stored, and NULL for others.

The stored mentions first seen by their source state's current first collection are marked;
the backlog of a collection before a reset cannot be told apart any longer, and counts.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable backlog column to mentions, set for the current first collections."""
    # A plain ADD COLUMN (both engines have it): no table copy while the database is locked.
    op.add_column("mentions", sa.Column("backlog", sa.Boolean(), nullable=True))
    mentions = sa.table(
        "mentions",
        sa.column("source_id", sa.Integer),
        sa.column("first_seen_at", sa.DateTime(timezone=True)),
        sa.column("backlog", sa.Boolean),
    )
    states = sa.table(
        "source_state",
        sa.column("source_id", sa.Integer),
        sa.column("first_ok_at", sa.DateTime(timezone=True)),
    )
    first_collected = (
        sa.select(states.c.source_id)
        .where(
            states.c.source_id == mentions.c.source_id,
            states.c.first_ok_at == mentions.c.first_seen_at,
        )
        .exists()
    )
    op.execute(sa.update(mentions).where(first_collected).values(backlog=True))


def downgrade() -> None:
    """Drop it, and what it holds: after an upgrade again, only the mentions of each source
    state's current first collection are marked, and an earlier backlog counts in alerts."""
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_column("backlog")
