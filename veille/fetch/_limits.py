"""Per-host request slots, so one small site serving many feeds is not hammered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostSlots:
    """At most ``per_host`` requests in flight to any one host name."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        # One semaphore per host ever seen; bounded by the number of configured sources.
        self._slots: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        """Wait for a free slot on ``host`` and keep it for the duration of the block."""
        key = host.lower()
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = asyncio.Semaphore(self._per_host)
        async with slot:
            yield
