"""An index on the time a mention is listed by: its document's publication time, else collection.

``veille mentions`` filters a brand's mentions on ``coalesce(published_at, collected_at)`` and
sorts on it; without this index PostgreSQL reads the whole documents table for every listing
(checked by tests/test_query_plans.py). SQLite uses the same expression index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 23:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_documents_mention_time"


def upgrade() -> None:
    """Create the mention-time expression index on documents."""
    op.create_index(INDEX, "documents", [sa.text("coalesce(published_at, collected_at)")])


def downgrade() -> None:
    """Drop the mention-time expression index."""
    op.drop_index(INDEX, table_name="documents")
