"""What each source's last changed answer held, so that a pass skips the items it has seen.

``source_state.seen_entries`` holds the keys of the items of the source's last changed answer
(``veille.process.entry_key``), space-separated, and ``seen_for`` the processing setup they
were processed under (``veille.process.processing_setup``: veille's and the classifier's
versions and the brands). An item seen again under the same setup is not processed again. NULL
(every state stored before this revision) means nothing is known: the next changed answer is
processed whole, as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 03:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable seen_entries and seen_for columns to source_state."""
    # Plain ADD COLUMNs (both engines have them): no table copy while the database is locked.
    op.add_column("source_state", sa.Column("seen_entries", sa.Text(), nullable=True))
    op.add_column("source_state", sa.Column("seen_for", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop them: the next changed answer of every source is processed whole."""
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.drop_column("seen_for")
        batch_op.drop_column("seen_entries")
