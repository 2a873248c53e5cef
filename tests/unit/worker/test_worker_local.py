"""LocalWorker on real paths: task switches, files acquired and declared, kernels in child processes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import trio
from worker_rig import PIECE, TICKET, open_rig, payload, sector

from pylotus.abi import SectorFileType
from pylotus.proofs import InvalidSealInput
from pylotus.stores import StorageID
from pylotus.worker import KernelDied, KernelFailed, KernelRunner, RunningKernel, TaskNotAllowed, WorkerConfig

FT = SectorFileType


def test_task_types_follow_the_allow_switches() -> None:
    everything = WorkerConfig().task_types()
    assert "seal/v0/precommit/1" in everything and "seal/v0/fetch" in everything
    no_pc1 = WorkerConfig(allow_pre_commit1=False, allow_commit=False).task_types()
    assert "seal/v0/precommit/1" not in no_pc1 and "seal/v0/commit/2" not in no_pc1
    assert {"seal/v0/commit/1", "seal/v0/finalize", "seal/v0/fetch"} <= no_pc1  # always on


async def test_disabled_task_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = await open_rig(tmp_path, monkeypatch)
    worker = rig.worker(WorkerConfig(allow_add_piece=False))
    with pytest.raises(TaskNotAllowed, match="task 'seal/v0/addpiece' is disabled"):
        await worker.add_piece(sector(1), [], PIECE, None)


async def test_add_piece_and_pc1_declare_their_files_and_release_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await open_rig(tmp_path, monkeypatch)
    worker = rig.worker()
    s = sector(1)

    piece = await worker.add_piece(s, [], PIECE, payload(1))
    pc1 = await worker.seal_pre_commit1(s, TICKET, [piece])

    assert int(piece.size) == 2048 and pc1
    for kind in (FT.UNSEALED, FT.SEALED, FT.CACHE):
        found = await rig.index.storage_find_sector(s.id, kind, 0, False)
        assert [(f.id, f.primary) for f in found] == [(StorageID("seal"), True)]
        assert (rig.seal_root / str(kind) / "s-t01000-1").exists()
    assert (await rig.store.local.fs_stat(StorageID("seal"))).reserved == 0


async def test_a_kernel_error_fails_the_task_with_that_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await open_rig(tmp_path, monkeypatch)
    worker = rig.worker()
    s = sector(1)
    piece = await worker.add_piece(s, [], PIECE, None)
    await worker.seal_pre_commit1(s, TICKET, [piece])

    with pytest.raises(InvalidSealInput):
        await worker.seal_pre_commit2(s, b"not a pc1 output")


async def test_a_killed_kernel_fails_its_task_and_the_worker_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await open_rig(tmp_path, monkeypatch)
    killed: list[RunningKernel] = []

    def kill_first_pc1(kernel: RunningKernel) -> None:
        if kernel.label.startswith("PC1") and not killed:
            killed.append(kernel)
            os.kill(kernel.pid, signal.SIGKILL)

    worker = rig.worker(runner=KernelRunner(on_start=kill_first_pc1))
    s = sector(1)
    piece = await worker.add_piece(s, [], PIECE, None)

    with pytest.raises(KernelDied, match=r"kernel 'PC1 s-t01000-1' process \d+ died with exit code -9"):
        await worker.seal_pre_commit1(s, TICKET, [piece])
    assert await rig.index.storage_find_sector(s.id, FT.SEALED, 0, False) == []  # nothing declared
    assert worker.runner.running() == []

    assert await worker.seal_pre_commit1(s, TICKET, [piece])  # the same worker runs it again


async def test_move_storage_moves_files_to_a_store_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await open_rig(tmp_path, monkeypatch)
    worker = rig.worker()
    s = sector(1)
    await worker.add_piece(s, [], PIECE, payload(1))
    before = (rig.seal_root / "unsealed" / "s-t01000-1").read_bytes()

    await worker.move_storage(s, FT.UNSEALED)

    found = await rig.index.storage_find_sector(s.id, FT.UNSEALED, 0, False)
    assert [(f.id, f.primary) for f in found] == [(StorageID("store"), True)]
    assert not (rig.seal_root / "unsealed" / "s-t01000-1").exists()
    assert (rig.store_root / "unsealed" / "s-t01000-1").read_bytes() == before
    await worker.move_storage(s, FT.UNSEALED)  # already there: nothing to do


async def test_cancelling_a_task_kills_its_kernel_process() -> None:
    started = trio.Event()
    seen: list[RunningKernel] = []

    def on_start(kernel: RunningKernel) -> None:
        seen.append(kernel)
        started.set()

    runner = KernelRunner(on_start=on_start)
    async with trio.open_nursery() as nursery:

        async def sleeper() -> None:
            await runner.run("sleep", time.sleep, 60)

        nursery.start_soon(sleeper)
        with trio.fail_after(30):
            await started.wait()
        nursery.cancel_scope.cancel()

    assert runner.running() == []
    with pytest.raises(ProcessLookupError):
        os.kill(seen[0].pid, 0)  # reaped, not a zombie


async def test_a_kernel_raising_a_foreign_error_is_reported_as_kernel_failed() -> None:
    with pytest.raises(KernelFailed, match="kernel 'listdir' failed: FileNotFoundError"):
        await KernelRunner().run("listdir", os.listdir, "/nonexistent/pylotus")
