"""Mention ids become visible in order on PostgreSQL, so a watermark on them never skips one.

PostgreSQL hands out an id when a row is inserted but shows the row when its transaction
commits: a reader can see mention 101 while mention 100 is still uncommitted, and a digest
watermark moved to 101 would skip 100 forever. So every transaction that writes mentions holds a
shared transaction-level advisory lock, and a reader about to move a watermark takes it
exclusively for its read: that waits for every writer that may hold a lower id to commit, and
keeps new writers (whose ids will be higher) out until the read is done. PostgreSQL queues the
exclusive request ahead of later shared ones, so a stream of writers cannot starve it. SQLite
has one writer at a time and needs none of this.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text

MENTION_WRITES_KEY = int.from_bytes(
    hashlib.sha256(b"veille.store:mention-writes").digest()[:8], "big", signed=True
)


def writing_mentions(connection: Connection) -> None:
    """Declare that this transaction writes mentions (PostgreSQL; released at its end)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": MENTION_WRITES_KEY}
        )


def settled_mentions(connection: Connection) -> None:
    """Wait until every mention id handed out so far is committed; hold new ones off until the
    end of this transaction (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MENTION_WRITES_KEY})
