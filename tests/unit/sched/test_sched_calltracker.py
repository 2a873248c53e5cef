"""The miner's call tracker: waiters, early results, persisted work across a restart, Return* serving."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import trio

from pylotus.abi import ActorID, SectorID, SectorNumber
from pylotus.errors import Temporary
from pylotus.repo import Datastore
from pylotus.sched import CallFailed, CallTracker, ReturnApi, work_id
from pylotus.worker import CALL_ID, RETURN_TABLE, CallError, CallID

SECTOR = SectorID(ActorID(1000), SectorNumber(7))


def new_call() -> CallID:
    return CallID(SECTOR, uuid.uuid4())


def test_call_id_is_lotus_json() -> None:
    cid = CallID(SECTOR, uuid.UUID(int=5))
    raw = CALL_ID.encode(cid)
    assert raw == {"Sector": {"Miner": 1000, "Number": 7}, "ID": "00000000-0000-0000-0000-000000000005"}
    assert CALL_ID.decode(raw) == cid


def test_return_methods_are_admin_lotus_names() -> None:
    assert {s.perm for s in RETURN_TABLE.values()} == {"admin"}
    assert {"ReturnAddPiece", "ReturnSealPreCommit1", "ReturnFetch", "ReturnFinalizeSector"} <= set(
        RETURN_TABLE
    )
    assert len(RETURN_TABLE["ReturnSealPreCommit1"].params) == 3
    assert len(RETURN_TABLE["ReturnFetch"].params) == 2


def test_work_ids_are_stable_and_only_for_tuples() -> None:
    key = ("PC1", SECTOR, b"\x00" * 32, ())
    assert work_id(key) == work_id(("PC1", SECTOR, b"\x00" * 32, ()))
    assert work_id(key) != work_id(("PC1", SECTOR, b"\x01" * 32, ()))
    assert str(work_id(key)).startswith("PC1:")
    assert work_id(object()) is None


async def test_result_after_and_before_the_waiter() -> None:
    tracker = CallTracker()
    api = ReturnApi(tracker)
    late = new_call()
    tracker.track(late, "SealPreCommit1")
    async with trio.open_nursery() as nursery:
        got: list[object] = []

        async def waiter() -> None:
            got.append(await tracker.result_of(late))

        nursery.start_soon(waiter)
        await trio.sleep(0.01)
        await api.send("ReturnSealPreCommit1", [CALL_ID.encode(late), "AQI=", None])
    assert got == [b"\x01\x02"]

    early = new_call()
    await api.send("ReturnFetch", [CALL_ID.encode(early), None])  # before anyone tracks it
    tracker.track(early, "Fetch")
    with trio.fail_after(1):
        assert await tracker.result_of(early) is None
    assert tracker.pending() == {}


async def test_error_becomes_call_failed() -> None:
    tracker = CallTracker()
    cid = new_call()
    tracker.track(cid, "SealCommit2")
    tracker.deliver(cid, None, CallError(0, "kernel died"))
    with pytest.raises(CallFailed, match="SealCommit2 failed on the worker .code 0.: kernel died"):
        await tracker.result_of(cid)


async def test_a_persisted_work_survives_a_restart(tmp_path: Path) -> None:
    wid = "PC1:abc"
    cid = new_call()
    with Datastore(tmp_path / "ds") as ds:
        before = CallTracker(ds.namespace("/calls"))
        before.track(cid, "SealPreCommit1", wid)
    # The miner restarts; the worker's Return comes to the new tracker, then the work is asked again.
    with Datastore(tmp_path / "ds") as ds:
        after = CallTracker(ds.namespace("/calls"))
        assert after.find_work(wid) == cid
        after.deliver(cid, "AQI=", None)
    with Datastore(tmp_path / "ds") as ds:
        again = CallTracker(ds.namespace("/calls"))
        out = again.find_work(wid)
        assert out == cid
        assert await again.result_of(out) == b"\x01\x02"
        assert again.find_work(wid) is None
        assert list(ds.namespace("/calls").query("/")) == []


async def test_cancelled_waiter_keeps_work_calls_only() -> None:
    tracker = CallTracker()
    work, plain = new_call(), new_call()
    tracker.track(work, "SealPreCommit1", "PC1:x")
    tracker.track(plain, "Fetch")
    with trio.move_on_after(0.01):
        await tracker.wait(work)
    with trio.move_on_after(0.01):
        await tracker.wait(plain)
    assert tracker.pending() == {work: "SealPreCommit1"}


async def test_a_dropped_workers_calls_fail_temporarily() -> None:
    tracker = CallTracker()
    mine, other = new_call(), new_call()
    tracker.track(mine, "SealPreCommit1", "PC1:y", "w1")
    tracker.track(other, "SealPreCommit1", "PC1:z", "w2")
    assert tracker.fail_worker("w1", "worker 'w1' went away") == 1
    with pytest.raises(CallFailed, match="code 101") as err:
        await tracker.result_of(mine)
    assert isinstance(err.value, Temporary)
    assert tracker.find_work("PC1:y") is None and tracker.find_work("PC1:z") == other
