"""Items with neither link nor GUID are identified by their source, title and date.

Such an item was identified by the hash of its title and text, so that a change of its text
(a forum thread's counts of views and replies) stored it again, as a new mention, at every
pass. Its identity is now its source, title and date (``veille.normalize.identity.
dated_identity``); the stored ones with a title and a date get theirs here
(``veille.store.dated_identities``), so that the next pass finds them instead of storing them
once more. Of the documents one item was stored as before, the last stored gets it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from veille.store.dated_identities import give_back_content_identities, give_dated_identities

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Give the stored items with neither link nor GUID, but a title and date, their identity."""
    give_dated_identities(op.get_bind())


def downgrade() -> None:
    """Give them back the hash of their content, the identity the former veille gives them."""
    give_back_content_identities(op.get_bind())
