"""Group commit: the saves of a pass that wait for the store's thread go to it together.

A pass's sources finish their fetching and processing faster than one commit each can keep
up with. The saves waiting when the store's thread gets free are written in one transaction
(``Store.save_collections``): each source is still saved whole or not at all, and one failing
save costs only itself. Saved together, a batch costs far less than its saves one by one, so
the batch waits a moment for the saves still coming while they keep coming: CPU the store
would spend on small batches goes to fetching and processing instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Protocol

from veille.store import CollectionSave, SaveCounts

# Bounds what one transaction holds (the write lock, and the work a crash would take back).
MAX_SAVES_PER_TRANSACTION = 32
# A batch waits for more saves while one comes at least every GATHER_QUIET_SECONDS, for
# GATHER_SECONDS at most: the last save of a pass waits for one quiet spell only.
GATHER_SECONDS = 0.2
GATHER_QUIET_SECONDS = 0.05


class _Saver(Protocol):
    def save_collections(self, saves: Sequence[CollectionSave]) -> list[SaveCounts | Exception]: ...


class SaveBatches:
    """Hand saves to the store's thread in batches of all those waiting."""

    def __init__(
        self,
        store: _Saver,
        executor: Executor,
        limit: int | None = None,
        gather: tuple[float, float] = (GATHER_SECONDS, GATHER_QUIET_SECONDS),
    ) -> None:
        self._store = store
        self._executor = executor
        self._limit = limit or MAX_SAVES_PER_TRANSACTION
        self._gather_seconds, self._quiet_seconds = gather
        self._waiting: list[tuple[CollectionSave, asyncio.Future[SaveCounts]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def save(self, save: CollectionSave) -> SaveCounts:
        """Save one collection; return what it added, or raise what its save raised."""
        future: asyncio.Future[SaveCounts] = asyncio.get_running_loop().create_future()
        self._waiting.append((save, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        batch: list[tuple[CollectionSave, asyncio.Future[SaveCounts]]] = []
        try:
            while self._waiting:
                await self._gather(loop)
                batch = self._waiting[: self._limit]
                del self._waiting[: self._limit]
                saves = [save for save, _future in batch]
                results: Sequence[SaveCounts | Exception]
                try:
                    results = await loop.run_in_executor(
                        self._executor, self._store.save_collections, saves
                    )
                except Exception as exc:  # the transaction failed: none of them is saved
                    results = [exc] * len(batch)
                for (_save, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
        finally:
            # Cancelled with the pass: nobody is left to wait for these.
            for _save, future in [*batch, *self._waiting]:
                future.cancel()
            self._waiting.clear()
            self._flusher = None

    async def _gather(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait for more saves while they keep coming, up to a full batch or the time allowed."""
        deadline = loop.time() + self._gather_seconds
        while len(self._waiting) < self._limit and loop.time() < deadline:
            waiting = len(self._waiting)
            await asyncio.sleep(min(self._quiet_seconds, deadline - loop.time()))
            if len(self._waiting) == waiting:
                return
