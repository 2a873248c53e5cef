"""Sector locks: who waits for whom, try-lock, and that nothing leaks on errors or cancellation."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from pylotus.abi import ActorID, SectorFileType, SectorID, SectorNumber
from pylotus.stores import InvalidLockRequest, SectorLocks

FT = SectorFileType
S1 = SectorID(ActorID(1000), SectorNumber(1))
S2 = SectorID(ActorID(1000), SectorNumber(2))
NONE = FT.NONE


async def test_readers_share_and_a_writer_waits_for_them() -> None:
    locks = SectorLocks()
    order: list[str] = []
    release_readers = trio.Event()

    async def reader(name: str) -> None:
        async with locks.lock(S1, FT.SEALED, NONE):
            order.append(f"{name} in")
            await release_readers.wait()
        order.append(f"{name} out")

    async def writer() -> None:
        async with locks.lock(S1, NONE, FT.SEALED):
            order.append("writer in")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader, "r1")
        nursery.start_soon(reader, "r2")
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(writer)
        await trio.testing.wait_all_tasks_blocked()
        assert sorted(order) == ["r1 in", "r2 in"]  # both readers hold it; the writer waits
        assert locks.statistics().waiting == 1
        release_readers.set()
    assert order[-1] == "writer in"
    assert locks.statistics().sectors == 0


async def test_other_types_and_other_sectors_do_not_conflict() -> None:
    locks = SectorLocks()
    async with locks.lock(S1, FT.SEALED, FT.CACHE):
        with locks.try_lock(S1, FT.SEALED, FT.UNSEALED) as held:
            assert held  # reading sealed again and writing unsealed is fine
        with locks.try_lock(S2, NONE, FT.CACHE) as held:
            assert held
        with locks.try_lock(S1, FT.CACHE, NONE) as held:
            assert not held  # cache is being written
        with locks.try_lock(S1, NONE, FT.SEALED) as held:
            assert not held  # sealed has a reader
    with locks.try_lock(S1, NONE, FT.SEALED | FT.CACHE) as held:
        assert held


async def test_try_lock_never_waits_and_holds_nothing_when_refused() -> None:
    locks = SectorLocks()
    async with locks.lock(S1, NONE, FT.SEALED):
        with trio.fail_after(1):
            with locks.try_lock(S1, FT.SEALED, NONE) as held:
                assert held is False
        assert locks.statistics().sectors == 1
    assert locks.statistics().sectors == 0
    with locks.try_lock(S1, NONE, NONE) as held:
        assert held is False  # asking for nothing gets nothing, as StorageTryLock


async def test_cancelled_waiter_takes_nothing_and_leaves_nothing() -> None:
    locks = SectorLocks()
    got = False
    async with locks.lock(S1, NONE, FT.SEALED):
        with trio.move_on_after(0.05) as scope:
            async with locks.lock(S1, FT.SEALED, NONE):
                got = True
        assert scope.cancelled_caught and not got
        assert locks.statistics().waiting == 0
    assert locks.statistics().sectors == 0
    async with locks.lock(S1, FT.SEALED, NONE):
        pass


async def test_lock_is_released_when_the_holder_fails_or_is_cancelled() -> None:
    locks = SectorLocks()
    with pytest.raises(RuntimeError, match="task failed"):
        async with locks.lock(S1, NONE, FT.SEALED):
            raise RuntimeError("task failed")
    with trio.move_on_after(0.01):
        async with locks.lock(S1, NONE, FT.SEALED):
            await trio.sleep_forever()
    assert locks.statistics().sectors == 0
    with locks.try_lock(S1, NONE, FT.SEALED) as held:
        assert held


async def test_unknown_file_types_are_refused() -> None:
    locks = SectorLocks()
    with pytest.raises(InvalidLockRequest, match="unknown file types specified"):
        async with locks.lock(S1, FT(8), NONE):
            pass
    with pytest.raises(InvalidLockRequest):
        with locks.try_lock(S1, NONE, FT(16)):
            pass
    assert locks.statistics().sectors == 0
