"""RemoteWorkers: WorkerConnect dials a real Worker API server back, the manager seals through it,
the heartbeat drops a worker that stops answering, and the same session reconnecting resumes."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trio

from pylotus.abi import ActorID, RegisteredSealProof, SectorID, SectorNumber, UnpaddedPieceSize
from pylotus.jsonrpc import ApiApp, JwtAuth, RpcServer, serve_api
from pylotus.sched import CallFailed, CallTracker, Manager, ReturnApi, Scheduler
from pylotus.sched.remote_worker import RemoteWorkers, WorkerRefused, _multiaddr
from pylotus.stores import LocalStore, MemIndex, RemoteStore, SectorRef
from pylotus.worker import WORKER_TABLE, CallID, CallRunner, LocalWorker, ReturnQueue, WorkerApi, WorkerConfig

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
CC_COMM_R = "bagboea4b5abcbrshxgmmpaucffwp2elaofbcrvb7hmcu3653o4lsw2arlor4hn3c"  # proofs.md §7, ticket 0


class MemoryConfig:
    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def storage_config(self) -> list[str]:
        return list(self.paths)

    def set_storage_config(self, paths: list[str]) -> None:
        self.paths = list(paths)


@dataclass
class Setup:
    sched: Scheduler
    manager: Manager
    remote: RemoteWorkers
    worker: LocalWorker
    api: WorkerApi
    url: str
    server: trio.CancelScope


async def wait_workers(sched: Scheduler, count: int) -> None:
    with trio.fail_after(5):
        while len(sched.worker_stats()) != count:
            await trio.sleep(0.02)


@pytest.fixture
async def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Setup]:
    monkeypatch.setenv("PYLOTUS_PARENT_CACHE", str(tmp_path / "parents"))
    root = tmp_path / "seal"
    root.mkdir()
    meta = {"ID": "seal", "Weight": 10, "CanSeal": True, "CanStore": False, "MaxStorage": 0}
    (root / "sectorstore.json").write_text(json.dumps(meta))
    index = MemIndex()
    local = LocalStore(index, MemoryConfig([str(root)]))
    assert await local.open(["http://127.0.0.1:1/remote"]) == []
    store = RemoteStore(local, index, {})
    worker = LocalWorker(store, index, config=WorkerConfig(), kernel_workers=1)
    auth = JwtAuth(os.urandom(32))
    calls = CallTracker()
    returns = ReturnQueue(None, ReturnApi(calls).send)
    sched = Scheduler()
    async with trio.open_nursery() as nursery:
        await nursery.start(sched.run)
        await nursery.start(returns.run)
        rpc = RpcServer()
        api = WorkerApi(worker, calls=CallRunner(returns, nursery))
        rpc.register(WORKER_TABLE, api)
        server = trio.CancelScope()

        async def serve(task_status: trio.TaskStatus[tuple[str, int]]) -> None:
            with server:
                await serve_api(ApiApp(rpc, auth), "127.0.0.1", 0, task_status=task_status)

        _, port = await nursery.start(serve)
        async with trio.open_nursery() as worker_tasks:
            remote = RemoteWorkers(
                sched, auth, worker_tasks, heartbeat=0.1, heartbeat_timeout=0.5, calls=calls, grace=0.5
            )
            manager = Manager(sched, index, store, calls=calls)
            yield Setup(sched, manager, remote, worker, api, f"ws://127.0.0.1:{port}/rpc/v0", server)
            worker_tasks.cancel_scope.cancel()
        await sched.aclose()
        nursery.cancel_scope.cancel()


def test_multiaddr_of_worker_urls() -> None:
    assert _multiaddr("ws://127.0.0.1:3456/rpc/v0") == "/ip4/127.0.0.1/tcp/3456/http"
    assert _multiaddr("http://[::1]:3456/rpc/v0") == "/ip6/::1/tcp/3456/http"
    assert _multiaddr("ws://worker.lan:3456/rpc/v0") == "/dns/worker.lan/tcp/3456/http"
    for bad in ("ftp://h:1/rpc/v0", "ws://h/rpc/v0", "ws://h:1/other", "ws://h:x/rpc/v0"):
        with pytest.raises(WorkerRefused, match="is not ws://HOST:PORT/rpc/v0"):
            _multiaddr(bad)


async def test_connect_seal_reconnect_and_drop(setup: Setup) -> None:
    await setup.remote.worker_connect(setup.url)
    await wait_workers(setup.sched, 1)
    (wid,) = setup.sched.worker_stats()
    assert wid == setup.worker.session
    assert list(setup.remote.handles()) == [wid]

    s = SectorRef(SectorID(ActorID(1000), SectorNumber(1)), PROOF)
    piece = await setup.manager.add_piece(s, [], UnpaddedPieceSize(2032), None)
    pc1 = await setup.manager.seal_pre_commit1(s, bytes(32), [piece])
    cids = await setup.manager.seal_pre_commit2(s, pc1)
    assert str(cids.sealed) == CC_COMM_R

    # The same worker calling again replaces its connection and keeps its identity.
    await setup.remote.worker_connect(setup.url)
    assert setup.remote.connects == 2
    await trio.sleep(0.3)  # a few heartbeats: the old connection's end must not drop the new one
    assert list(setup.sched.worker_stats()) == [wid]

    # Disabling the worker reaches the scheduler on the next heartbeat.
    await setup.api.set_enabled(False)
    with trio.fail_after(5):
        while setup.sched.worker_stats()[wid].enabled:
            await trio.sleep(0.02)

    # A worker that stops answering is kept (disabled) for the grace period, then dropped.
    await setup.api.set_enabled(True)
    with trio.fail_after(5):
        while not setup.sched.worker_stats()[wid].enabled:
            await trio.sleep(0.02)
    out = CallID(s.id, uuid.uuid4())  # a call still out on the worker
    setup.remote.calls.track(out, "SealPreCommit2", "PC2:t", str(wid))
    setup.server.cancel()
    with trio.fail_after(5):
        while setup.sched.worker_stats()[wid].enabled:
            await trio.sleep(0.02)
    assert list(setup.remote.handles()) == [wid]
    assert setup.remote.calls.find_work("PC2:t") == out  # kept during the grace period
    await wait_workers(setup.sched, 0)
    with trio.fail_after(5), pytest.raises(CallFailed, match="went away"):
        await setup.remote.calls.result_of(out)
    assert setup.remote.handles() == {}


async def test_unreachable_worker_is_refused(setup: Setup) -> None:
    from pylotus.jsonrpc import ApiUnreachable

    with pytest.raises(ApiUnreachable):
        await setup.remote.worker_connect("ws://127.0.0.1:1/rpc/v0")
    assert setup.sched.worker_stats() == {}
