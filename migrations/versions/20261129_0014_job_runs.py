"""When each scheduled job that leaves no other trace last ran: the spike-alert check.

``veille schedule`` catches up a job whose latest due time passed with no run since, reading
when it last ran from the database: the runs table for collect, the digest records for the
digest. An alert check that finds no spike leaves no row anywhere, so the alert job was never
caught up, and ``veille schedule --once`` from a timer never checked for spikes.
``job_runs`` holds one row per such job, its last run time.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_job_runs")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("job_runs")
