"""A seal worker killed (SIGKILL) in the middle of a PreCommit1: the miner drops it after the
grace period and runs the PreCommit1 again on the other worker, which finishes the sector.

Two real workers share one sealing path (as workers on one NFS mount do: the same
``sectorstore.json``, listed in each worker repo's ``storage.json``, and ``--no-local-storage``),
so the unsealed file AddPiece wrote is still there for the second worker after the first dies.
Both have PC1 slowed by ``PYLOTUS_TEST_KERNEL_DELAY``, so the kill lands before any kernel starts.
"""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

from pylotus.repo import FsRepo, RepoType
from pylotus.stores import LocalStorageMeta, StorageID
from pylotus.stores.fsutil import create_meta

from .conftest import Daemon
from .test_worker_daemon import CC_COMM_R, free_port, wait_for_workers
from .test_worker_returns import wait_for_log
from .test_worker_sealing_cli import call_in_background, procs, start_seal_worker, start_testminer

pytestmark = pytest.mark.integration

__all__ = ["procs"]  # the fixture, imported for the test below

GRACE = "1"  # seconds the miner waits for a silent worker before dropping it


def shared_worker_repo(tmp: Path, name: str, shared: Path) -> None:
    """A worker repo whose only storage path is ``shared``."""
    with FsRepo(tmp / name, RepoType.WORKER).open_or_init() as repo:
        repo.set_storage_config([str(shared)])


def running_pc1(workers: list[Daemon], timeout: float = 30.0) -> Daemon:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for w in workers:
            if "test delay before kernel label=PC1" in w.log.read_text():
                return w
        time.sleep(0.05)
    pytest.fail("no worker started PC1")


def test_pc1_of_a_killed_worker_finishes_on_the_other(tmp_path: Path, procs: list[Daemon]) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    create_meta(shared, LocalStorageMeta(StorageID(str(uuid.uuid4())), 10, True, False))
    miner = start_testminer(tmp_path, free_port(), "--grace", GRACE)
    procs.append(miner)
    workers = []
    for name in ("w1", "w2"):
        shared_worker_repo(tmp_path, name, shared)
        workers.append(start_seal_worker(tmp_path, name, miner, "--no-local-storage", delay="PC1=3"))
    procs.extend(workers)
    wait_for_workers(miner, 2)

    thread, answer = call_in_background(miner, "TestSealCC", 1)
    victim = running_pc1(workers)
    (survivor,) = [w for w in workers if w is not victim]
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait()

    wait_for_log(miner, r"worker went away, scheduling the call again .*task=PC1 attempt=2/3")
    thread.join(timeout=90)
    assert answer and isinstance(answer[0], dict), answer
    assert "error" not in answer[0], answer[0]
    assert answer[0]["result"]["Sealed"] == {"/": CC_COMM_R}
    assert len(wait_for_workers(miner, 1)) == 1
    wait_for_log(survivor, "method=SealPreCommit1 ok=True")
