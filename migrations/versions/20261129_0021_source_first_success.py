"""Each source state records its first successful collection.

Alerts count an undated mention at the time veille first saw it. A source's first collection
brings its whole backlog, undated items published whenever, and would pile them all into the
hour it ran. ``source_state.first_ok_at`` is when the state was first collected successfully
(since it was created, or reset by a change of the source's settings): the undated mentions
first seen then are left out of the alert counts (veille/store/alerts.py).

States collected before this revision take their source's configuration time: their first
collection, whenever it was, is not told apart, and every mention counts as it did.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable first_ok_at column to source_state, set for the states collected."""
    # A plain ADD COLUMN (both engines have it): no table copy while the database is locked.
    op.add_column(
        "source_state", sa.Column("first_ok_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE source_state SET first_ok_at = "
        "(SELECT sources.created_at FROM sources WHERE sources.id = source_state.source_id) "
        "WHERE last_ok_at IS NOT NULL"
    )


def downgrade() -> None:
    """Drop it: a source's first collection then counts in alerts as any other."""
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.drop_column("first_ok_at")
