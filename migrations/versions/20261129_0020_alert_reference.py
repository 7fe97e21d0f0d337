"""Each alert records which windows its baseline is the mean of.

A spike window is compared with the windows right before it (``recent``), and also with the
same time of day on the previous days (``daily``) and of the same weekday on the previous weeks
(``weekly``), the highest of them being its baseline (veille/alerts/cycles.py). The alert's
wording says which: ``alerts.reference``. Alerts stored before this revision had the recent
windows alone (NULL).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable reference column to alerts."""
    # A plain ADD COLUMN (both engines have it): no table copy while the database is locked.
    op.add_column("alerts", sa.Column("reference", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Drop it, and what it holds: every alert then reads as compared with its recent windows,
    also after an upgrade again, and the wording of those compared with the same time of the
    previous days or weeks names the wrong windows."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("reference")
