"""The emailed digest: new mentions since the last accepted send, per brand, negative first.

``send_digests`` is the one entry point, for the command line and the scheduler alike.
"""

from veille.digest.send import (
    DigestOutcome,
    DigestReport,
    last_sent_at,
    plan_digests,
    send_digests,
)

__all__ = ["DigestOutcome", "DigestReport", "last_sent_at", "plan_digests", "send_digests"]
