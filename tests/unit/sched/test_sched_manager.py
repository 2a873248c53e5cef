"""The Manager over a real Scheduler, LocalWorkers and stores: sealing 2KiB sectors end to end.

Each test gets two storage paths (``seal``: CanSeal; ``store``: CanStore) on tmp_path, a MemIndex,
a running Scheduler and its own SDR parent cache (PYLOTUS_PARENT_CACHE).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trio
import trio.testing

from pylotus.abi import (
    ActorID,
    RegisteredSealProof,
    SectorFileType,
    SectorID,
    SectorNumber,
    UnpaddedPieceSize,
    cid_to_commd,
)
from pylotus.proofs import SealVerifyInfo, verify_seal
from pylotus.sched import Manager, Scheduler, TaskType
from pylotus.stores import LocalStore, MemIndex, RemoteStore, SectorRef, StorageID
from pylotus.worker import KernelDied, KernelRunner, LocalWorker, RunningKernel, WorkerConfig

FT = SectorFileType
PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
PIECE = UnpaddedPieceSize(2032)
TICKET = bytes(32)
SEED = bytes(range(32))
CC_COMM_R = "bagboea4b5abcbrshxgmmpaucffwp2elaofbcrvb7hmcu3653o4lsw2arlor4hn3c"  # proofs.md §7, ticket 0


def sector(number: int) -> SectorRef:
    return SectorRef(SectorID(ActorID(1000), SectorNumber(number)), PROOF)


class MemoryConfig:
    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def storage_config(self) -> list[str]:
        return list(self.paths)

    def set_storage_config(self, paths: list[str]) -> None:
        self.paths = list(paths)


def make_path(root: Path, sid: str, *, seal: bool, store: bool) -> Path:
    root.mkdir(parents=True)
    meta = {"ID": sid, "Weight": 10, "CanSeal": seal, "CanStore": store, "MaxStorage": 0}
    (root / "sectorstore.json").write_text(json.dumps(meta))
    return root


@dataclass
class Miner:
    index: MemIndex
    store: RemoteStore
    sched: Scheduler
    manager: Manager
    seal_root: Path
    store_root: Path
    kernels: list[RunningKernel]

    def worker(self, config: WorkerConfig | None = None, runner: KernelRunner | None = None) -> LocalWorker:
        runner = runner or KernelRunner(on_start=self.kernels.append)
        return LocalWorker(self.store, self.index, config=config, runner=runner, kernel_workers=1)


@pytest.fixture
async def miner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Miner]:
    monkeypatch.setenv("PYLOTUS_PARENT_CACHE", str(tmp_path / "parents"))
    index = MemIndex()
    seal_root = make_path(tmp_path / "seal", "seal", seal=True, store=False)
    store_root = make_path(tmp_path / "store", "store", seal=False, store=True)
    local = LocalStore(index, MemoryConfig([str(seal_root), str(store_root)]))
    assert await local.open(["http://127.0.0.1:1/remote"]) == []
    store = RemoteStore(local, index, {})
    sched = Scheduler()
    async with trio.open_nursery() as nursery:
        await nursery.start(sched.run)
        yield Miner(index, store, sched, Manager(sched, index, store), seal_root, store_root, [])
        await sched.aclose()


async def seal(manager: Manager, s: SectorRef, data: bytes | None) -> SealVerifyInfo:
    """AddPiece → PC1 → PC2 → C1 → C2 through the manager; the proof's public inputs."""
    piece = await manager.add_piece(s, [], PIECE, data)
    pc1 = await manager.seal_pre_commit1(s, TICKET, [piece])
    cids = await manager.seal_pre_commit2(s, pc1)
    c1 = await manager.seal_commit1(s, TICKET, SEED, [piece], cids)
    proof = await manager.seal_commit2(s, c1)
    n = int(s.id.number)
    return SealVerifyInfo(PROOF, 1000, n, TICKET, SEED, proof, cids.sealed, cids.unsealed)


async def where(index: MemIndex, s: SectorRef, kind: SectorFileType) -> list[tuple[str, bool]]:
    return [(f.id, f.primary) for f in await index.storage_find_sector(s.id, kind, 0, False)]


async def test_seals_a_2kib_sector_end_to_end_and_finalizes_to_the_store_path(miner: Miner) -> None:
    await miner.manager.add_local_worker(miner.worker())
    s = sector(1)

    info = await seal(miner.manager, s, None)  # a CC sector: lotus-bench's 2KiB vector
    assert str(info.sealed_cid) == CC_COMM_R
    assert verify_seal(info)
    for kind in (FT.UNSEALED, FT.SEALED, FT.CACHE):
        assert await where(miner.index, s, kind) == [(StorageID("seal"), True)]
    await miner.manager.finalize_sector(s)

    assert await where(miner.index, s, FT.SEALED) == [(StorageID("store"), True)]
    assert await where(miner.index, s, FT.CACHE) == [(StorageID("store"), True)]
    assert await where(miner.index, s, FT.UNSEALED) == []
    assert (miner.store_root / "sealed" / "s-t01000-1").stat().st_size == 2048
    assert (miner.store_root / "cache" / "s-t01000-1" / "p_aux").exists()
    assert not (miner.seal_root / "sealed" / "s-t01000-1").exists()
    assert not (miner.seal_root / "cache" / "s-t01000-1").exists()
    assert [k.label.split()[0] for k in miner.kernels] == ["AP", "PC1", "PC2", "C1", "C2", "FIN"]
    assert miner.manager.locks.statistics().sectors == 0

    await miner.manager.remove(s)
    for kind in (FT.UNSEALED, FT.SEALED, FT.CACHE):
        assert await where(miner.index, s, kind) == []
    assert not (miner.store_root / "sealed" / "s-t01000-1").exists()


async def test_two_sectors_seal_concurrently(miner: Miner) -> None:
    at_once: list[int] = []
    runner = KernelRunner(on_start=lambda kernel: at_once.append(len(runner.running())))
    await miner.manager.add_local_worker(miner.worker(runner=runner))
    infos: dict[int, SealVerifyInfo] = {}

    async def one(n: int) -> None:
        infos[n] = await seal(miner.manager, sector(n), bytes([n]) * int(PIECE))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(one, 1)
        nursery.start_soon(one, 2)

    assert all(verify_seal(info) for info in infos.values())
    assert infos[1].sealed_cid != infos[2].sealed_cid
    assert max(at_once) == 2  # the two sectors' kernels overlapped


async def test_unseal_after_finalize_gives_back_the_data(miner: Miner) -> None:
    await miner.manager.add_local_worker(miner.worker())
    s = sector(1)
    info = await seal(miner.manager, s, bytes(range(127)) * 16)
    original = (miner.seal_root / "unsealed" / "s-t01000-1").read_bytes()
    await miner.manager.finalize_sector(s)
    assert await where(miner.index, s, FT.UNSEALED) == []

    await miner.manager.unseal_piece(s, 0, PIECE, TICKET, cid_to_commd(info.unsealed_cid))

    assert await where(miner.index, s, FT.UNSEALED) == [(StorageID("seal"), True)]
    assert (miner.seal_root / "unsealed" / "s-t01000-1").read_bytes() == original


async def test_a_killed_kernel_fails_only_its_task(miner: Miner) -> None:
    def kill_pc1_of_sector_1(kernel: RunningKernel) -> None:
        miner.kernels.append(kernel)
        if kernel.label == "PC1 s-t01000-1":
            os.kill(kernel.pid, signal.SIGKILL)

    await miner.manager.add_local_worker(miner.worker(runner=KernelRunner(on_start=kill_pc1_of_sector_1)))
    pieces = {n: await miner.manager.add_piece(sector(n), [], PIECE, None) for n in (1, 2)}
    outcome: dict[int, object] = {}

    async def pc1(n: int) -> None:
        try:
            outcome[n] = await miner.manager.seal_pre_commit1(sector(n), TICKET, [pieces[n]])
        except KernelDied as exc:
            outcome[n] = exc

    async with trio.open_nursery() as nursery:
        nursery.start_soon(pc1, 1)
        nursery.start_soon(pc1, 2)

    assert isinstance(outcome[1], KernelDied) and "exit code -9" in str(outcome[1])
    assert isinstance(outcome[2], bytes)
    assert await where(miner.index, sector(1), FT.SEALED) == []
    assert await where(miner.index, sector(2), FT.SEALED) == [(StorageID("seal"), True)]
    assert miner.sched.snapshot().diag().requests == ()  # nothing stuck in the queue


async def test_the_sector_lock_keeps_a_second_writer_out(miner: Miner) -> None:
    await miner.manager.add_local_worker(miner.worker())
    s = sector(1)
    done = trio.Event()

    async def add_piece() -> None:
        await miner.manager.add_piece(s, [], PIECE, None)
        done.set()

    async with trio.open_nursery() as nursery:
        async with miner.manager.locks.lock(s.id, FT.NONE, FT.UNSEALED):  # another writer holds it
            nursery.start_soon(add_piece)
            await trio.testing.wait_all_tasks_blocked()
            assert miner.manager.locks.statistics().waiting == 1
            assert miner.kernels == [] and miner.sched.snapshot().diag().requests == ()
        with trio.fail_after(30):
            await done.wait()
    assert [k.label for k in miner.kernels] == ["AP s-t01000-1"]


async def test_pc1_waits_until_a_worker_allows_it(miner: Miner) -> None:
    await miner.manager.add_local_worker(miner.worker(WorkerConfig(allow_pre_commit1=False)))
    s = sector(1)
    piece = await miner.manager.add_piece(s, [], PIECE, None)
    result: list[bytes] = []

    async def pc1() -> None:
        result.append(await miner.manager.seal_pre_commit1(s, TICKET, [piece]))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(pc1)
        await trio.testing.wait_all_tasks_blocked()
        diag = miner.sched.snapshot().diag()
        assert [req.task_type for req, _ in diag.requests] == [TaskType.PRE_COMMIT_1]
        assert result == []

        await miner.manager.add_local_worker(miner.worker())  # this one does PC1
    assert result and result[0]
    assert [k.label.split()[0] for k in miner.kernels] == ["AP", "PC1"]


async def test_identical_concurrent_calls_share_one_run(miner: Miner) -> None:
    await miner.manager.add_local_worker(miner.worker())
    s = sector(1)
    piece = await miner.manager.add_piece(s, [], PIECE, None)
    results: list[bytes] = []

    async def pc1() -> None:
        results.append(await miner.manager.seal_pre_commit1(s, TICKET, [piece]))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(pc1)
        nursery.start_soon(pc1)

    assert len(results) == 2 and results[0] == results[1]
    assert [k.label.split()[0] for k in miner.kernels] == ["AP", "PC1"]


async def test_a_joined_call_runs_again_when_its_starter_is_cancelled(miner: Miner) -> None:
    pc1_started = trio.Event()

    def on_start(kernel: RunningKernel) -> None:
        miner.kernels.append(kernel)
        if kernel.label.startswith("PC1"):
            pc1_started.set()

    await miner.manager.add_local_worker(miner.worker(runner=KernelRunner(on_start=on_start)))
    s = sector(1)
    piece = await miner.manager.add_piece(s, [], PIECE, None)
    joined: list[bytes] = []

    async def joiner() -> None:
        joined.append(await miner.manager.seal_pre_commit1(s, TICKET, [piece]))

    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            async with trio.open_nursery() as starter:
                starter.start_soon(miner.manager.seal_pre_commit1, s, TICKET, [piece])
                await pc1_started.wait()
                nursery.start_soon(joiner)
                await trio.testing.wait_all_tasks_blocked()
                assert joined == []  # the joiner waits on the starter's run
                starter.cancel_scope.cancel()

    assert len(joined) == 1 and joined[0]
    assert [k.label.split()[0] for k in miner.kernels] == ["AP", "PC1", "PC1"]
