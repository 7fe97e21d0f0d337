"""Page keys leave out tracking parameters, those stored before a parameter was known too.

A canonical URL drops the parameters that only track a visit or a campaign; when veille
learns a new one (comScore's ``ns_*``, the Daily Mail's ``ito``…), an item stored before
kept it in its address, and the same article seen again without it would be a second
document. Page keys (veille.normalize.urls.same_page_key) now leave out every tracking
parameter: the stored documents whose address has a query string get theirs again here, in
batches, and only the keys that change are written (most addresses have no query).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 07:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from veille.store.page_keys import fill_page_keys

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Fill in again the page keys of the stored addresses with a query string."""
    fill_page_keys(op.get_bind(), with_query_only=True)


def downgrade() -> None:
    """Nothing undone: the keys stay without tracking parameters. Only new copies of an
    address stored with one, met by the former veille (which keeps them), are not merged."""
