"""The worker's side of Return*: calls answer with a CallID, results persist until delivered."""

from __future__ import annotations

from pathlib import Path

import trio

from pylotus.abi import ActorID, SectorFileType, SectorID, SectorNumber
from pylotus.jsonrpc import ApiUnreachable, MethodError
from pylotus.jsonrpc.codec import JsonValue
from pylotus.repo import Datastore
from pylotus.stores import StorageID
from pylotus.worker import CallRunner, DeferredIndex, ReturnQueue

SECTOR = SectorID(ActorID(1000), SectorNumber(3))


class FlakyMiner:
    """Records Return* calls; unreachable while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.refuse = False
        self.refused = 0
        self.got: list[tuple[str, list[JsonValue]]] = []

    async def send(self, method: str, params: list[JsonValue]) -> None:
        if self.down:
            raise ApiUnreachable("could not reach the API")
        if self.refuse:
            self.refused += 1
            raise MethodError(1, "unknown call")
        self.got.append((method, params))


async def wait_for(cond: object) -> None:
    with trio.fail_after(5):
        while not cond():  # type: ignore[operator]
            await trio.sleep(0.01)


async def test_call_returns_id_then_result_is_delivered() -> None:
    miner = FlakyMiner()
    returns = ReturnQueue(None, miner.send)
    async with trio.open_nursery() as nursery:
        await nursery.start(returns.run)
        runner = CallRunner(returns, nursery)

        async def pc1() -> bytes:
            return b"\x01\x02"

        async def fails() -> None:
            raise RuntimeError("no space")

        cid = runner.start("SealPreCommit1", SECTOR, pc1)
        bad = runner.start("Fetch", SECTOR, fails)
        await wait_for(lambda: len(miner.got) == 2)
        nursery.cancel_scope.cancel()
    by_method = dict(miner.got)
    sector = {"Miner": 1000, "Number": 3}
    assert by_method["ReturnSealPreCommit1"] == [{"Sector": sector, "ID": str(cid.id)}, "AQI=", None]
    assert by_method["ReturnFetch"] == [
        {"Sector": sector, "ID": str(bad.id)},
        {"Code": 0, "Message": "no space"},
    ]
    assert runner.started == {"SealPreCommit1": 1, "Fetch": 1}


async def test_undelivered_result_survives_a_worker_restart(tmp_path: Path) -> None:
    miner = FlakyMiner()
    miner.down = True
    with Datastore(tmp_path / "ds") as ds:
        returns = ReturnQueue(ds.namespace("/returns"), miner.send)
        async with trio.open_nursery() as nursery:
            await nursery.start(returns.run)

            async def pc1() -> bytes:
                return b"\x07"

            cid = CallRunner(returns, nursery).start("SealPreCommit1", SECTOR, pc1)
            await wait_for(lambda: returns.pending())
            await trio.sleep(0.1)  # a failed try or two
            nursery.cancel_scope.cancel()
        assert miner.got == []
    # The worker restarts; the miner is back: the kept result goes out, then is deleted.
    miner.down = False
    with Datastore(tmp_path / "ds") as ds:
        returns = ReturnQueue(ds.namespace("/returns"), miner.send)
        assert returns.pending() == {str(cid.id): "ReturnSealPreCommit1"}
        async with trio.open_nursery() as nursery:
            await nursery.start(returns.run)
            await wait_for(lambda: miner.got)
            nursery.cancel_scope.cancel()
        assert miner.got[0][0] == "ReturnSealPreCommit1" and miner.got[0][1][1] == "Bw=="
        assert list(ds.namespace("/returns").query("/")) == []


async def test_a_refused_result_is_dropped() -> None:
    miner = FlakyMiner()
    miner.refuse = True
    returns = ReturnQueue(None, miner.send)
    async with trio.open_nursery() as nursery:
        await nursery.start(returns.run)

        async def done() -> None:
            return None

        CallRunner(returns, nursery).start("FinalizeSector", SECTOR, done)
        await wait_for(lambda: miner.refused == 1)
        await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
    assert returns.pending() == {} and returns.delivered == 0 and miner.refused == 1


async def test_a_call_lost_in_a_worker_restart_returns_an_error(tmp_path: Path) -> None:
    miner = FlakyMiner()
    with Datastore(tmp_path / "ds") as ds:
        returns = ReturnQueue(ds.namespace("/returns"), miner.send)
        async with trio.open_nursery() as nursery:

            async def forever() -> bytes:
                await trio.sleep_forever()
                raise AssertionError

            cid = CallRunner(returns, nursery).start("SealPreCommit1", SECTOR, forever)
            await trio.sleep(0.01)
            nursery.cancel_scope.cancel()  # the worker dies mid-call
    with Datastore(tmp_path / "ds") as ds:
        returns = ReturnQueue(ds.namespace("/returns"), miner.send)
        assert returns.pending() == {str(cid.id): "ReturnSealPreCommit1"}
        async with trio.open_nursery() as nursery:
            await nursery.start(returns.run)
            await wait_for(lambda: miner.got)
            nursery.cancel_scope.cancel()
        ((method, params),) = miner.got
        assert params[1] is None and params[2] == {
            "Code": 101,
            "Message": "worker restarted while running the call",
        }
        assert list(ds.namespace("/returns").query("/")) == []


async def test_declarations_wait_for_the_miner() -> None:
    class Index:
        down = True
        declared: list[object] = []

        async def storage_declare_sector(self, *args: object) -> None:
            if self.down:
                raise ApiUnreachable("could not reach the API")
            self.declared.append(args)

    miner = Index()
    index = DeferredIndex(miner)  # type: ignore[arg-type]
    await index.storage_declare_sector(StorageID("s"), SECTOR, SectorFileType.SEALED, True)
    await index.replay()
    assert miner.declared == []
    miner.down = False
    await index.replay()
    assert miner.declared == [(StorageID("s"), SECTOR, SectorFileType.SEALED, True)]
    await index.replay()
    assert len(miner.declared) == 1
