"""Sector locks: per-sector read/write locks, one per file type, held for the scope of a task.

Counterpart: Lotus ``storage/paths/index_locks.go`` (reference/lotus-miner.md §5.3).  A task that
reads the sealed file and writes the cache takes ``read=SEALED, write=CACHE`` for its whole run;
another task may read the sealed file at the same time, but nobody may touch the cache.

Lotus ties a lock to a ``context.Context`` and a goroutine that unlocks when the context ends; here
the lock *is* a scope: ``async with locks.lock(sector, read, write):`` releases on every exit —
return, exception or cancellation — so a lock cannot leak.  Waiting is cancellable and a cancelled
waiter leaves nothing behind.

Rules of the file:

* A sector's state is ``read`` counts per file type and a ``write`` mask.  A request can be granted
  when none of its write types has readers and no type it asks for is being written
  (Lotus ``canLock``).
* Every release wakes every waiter of that sector, which then re-checks; entries are ref-counted
  (holders and waiters) and dropped at zero, so the table only holds sectors in use.
* Readers can starve a writer under a steady stream of readers, exactly as in Lotus; the scheduler
  never queues that many tasks on one sector.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import final

import trio

from ..abi import SectorFileType, SectorID
from .errors import InvalidLockRequest
from .storiface import ALL_FILE_TYPES

__all__ = ["LockStatistics", "SectorLocks"]


@dataclass(frozen=True)
class LockStatistics:
    """What :meth:`SectorLocks.statistics` reports: sectors with holders or waiters, and waiters."""

    sectors: int
    waiting: int


@dataclass
class _SectorLock:
    read: dict[SectorFileType, int] = field(default_factory=dict)
    write: SectorFileType = SectorFileType.NONE
    refs: int = 0
    waiting: int = 0
    changed: trio.Event = field(default_factory=trio.Event)

    def can_lock(self, read: SectorFileType, write: SectorFileType) -> bool:
        if any(self.read.get(kind, 0) > 0 for kind in SectorFileType.all_types() if kind & write):
            return False
        return not (self.write & (read | write))

    def take(self, read: SectorFileType, write: SectorFileType) -> None:
        for kind in SectorFileType.all_types():
            if kind & read:
                self.read[kind] = self.read.get(kind, 0) + 1
        self.write |= write

    def release(self, read: SectorFileType, write: SectorFileType) -> None:
        for kind in SectorFileType.all_types():
            if kind & read:
                self.read[kind] -= 1
        self.write &= ~write
        self.changed.set()
        self.changed = trio.Event()


def _check(read: SectorFileType, write: SectorFileType) -> None:
    if int(read | write) & ~int(ALL_FILE_TYPES):  # int: IntFlag's ~ only flips known bits
        raise InvalidLockRequest(f"unknown file types specified: read={int(read)} write={int(write)}")


@final
class SectorLocks:
    """The lock table of one process (Lotus ``indexLocks``); the scheduler's manager owns it."""

    def __init__(self) -> None:
        self._locks: dict[SectorID, _SectorLock] = {}

    def _enter(self, sector: SectorID) -> _SectorLock:
        entry = self._locks.setdefault(sector, _SectorLock())
        entry.refs += 1
        return entry

    def _leave(self, sector: SectorID, entry: _SectorLock) -> None:
        entry.refs -= 1
        if entry.refs == 0:
            del self._locks[sector]

    @asynccontextmanager
    async def lock(
        self, sector: SectorID, read: SectorFileType, write: SectorFileType
    ) -> AsyncIterator[None]:
        """Hold ``read`` and ``write`` locks on ``sector`` for the block; wait until they are free.

        Asking for nothing (``read | write == 0``) holds nothing and does not wait (Lotus's no-op).

        Raises:
            InvalidLockRequest: a type outside unsealed/sealed/cache.

        Cancellation: a cancelled wait takes nothing; a block left by cancellation releases.
        """
        _check(read, write)
        if not read | write:
            yield
            return
        entry = self._enter(sector)
        try:
            while not entry.can_lock(read, write):
                entry.waiting += 1
                try:
                    await entry.changed.wait()
                finally:
                    entry.waiting -= 1
            entry.take(read, write)
            try:
                yield
            finally:
                entry.release(read, write)
        finally:
            self._leave(sector, entry)

    @contextmanager
    def try_lock(self, sector: SectorID, read: SectorFileType, write: SectorFileType) -> Iterator[bool]:
        """Take the locks if they are free right now: ``with locks.try_lock(s, r, w) as held:``.

        ``held`` is ``False`` when they are not (nothing is then held), or when nothing was asked
        for (Lotus ``StorageTryLock`` answers false for that too).  Never waits: PoSt uses it so
        that a busy sector is skipped, not waited on (lotus#2769).

        Raises:
            InvalidLockRequest: a type outside unsealed/sealed/cache.
        """
        _check(read, write)
        if not read | write:
            yield False
            return
        entry = self._enter(sector)
        try:
            if not entry.can_lock(read, write):
                yield False
                return
            entry.take(read, write)
            try:
                yield True
            finally:
                entry.release(read, write)
        finally:
            self._leave(sector, entry)

    def statistics(self) -> LockStatistics:
        """Sectors with holders or waiters, and how many tasks wait (for diagnostics and tests)."""
        return LockStatistics(sectors=len(self._locks), waiting=sum(e.waiting for e in self._locks.values()))
