"""Per-host request slots, so one small site serving many feeds is not hammered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostSlots:
    """At most ``per_host`` requests in flight to any one host name.

    Each request holds a numbered slot, the lowest free one of its host: a host's first request
    in flight is always slot 0, its second slot 1, and so on, which lets the caller send a
    host's requests through the same connections from one pass to the next.
    """

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        # One semaphore and set of taken slot numbers per host ever seen; bounded by the
        # number of configured sources.
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._taken: dict[str, set[int]] = {}

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[int]:
        """Wait for a free slot on ``host``, keep it for the block; yield the slot's number."""
        key = host.lower()
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = asyncio.Semaphore(self._per_host)
            self._taken[key] = set()
        async with slot:
            taken = self._taken[key]
            # The semaphore leaves at most per_host - 1 others holding a number.
            number = next(n for n in range(self._per_host) if n not in taken)
            taken.add(number)
            try:
                yield number
            finally:
                taken.discard(number)
