"""Each source state records the end of a wait its server asked for.

A 429 or 503 with Retry-After (or a rate limit's reset) sets the source's next check to the end
of the wait the server asked for. ``veille collect --all``, which checks every source whatever
its next check, asked such a source again at once, against what the server said. The end of
that wait is now kept apart from the schedule, in ``source_state.server_wait_until``, so that
``--all`` leaves the source alone until then (naming it with ``--source`` still asks it).

The states stored before this revision have none: a wait running at the upgrade is kept by
their next check for the scheduled passes, not by ``--all``.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable server_wait_until column to source_state."""
    # A plain ADD COLUMN (both engines have it): no table copy while the database is locked.
    op.add_column(
        "source_state",
        sa.Column("server_wait_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Drop it: `veille collect --all` then asks again the sources a server asked to wait."""
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.drop_column("server_wait_until")
