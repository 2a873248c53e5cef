"""A miner stand-in in a process of its own, for seal-worker integration tests.

Until the miner daemon exists (issue #8) nothing else accepts seal workers, so this module
assembles the part of the miner a worker talks to, modelled on :mod:`pylotus.stores.testserver`:
a repo (``api``, ``token``), the JWT secret, the Common API, a :class:`MemIndex` behind the
``Filecoin.Storage*`` methods, ``/remote``, the scheduler and manager, and ``WorkerConnect``
(:class:`~.remote_worker.RemoteWorkers`), all on one port on loopback::

    python -m pylotus.sched.testminer --repo DIR [--port 0] [--heartbeat 10]

Besides ``WorkerStats`` (admin; ``{"<worker uuid>": WorkerStats}`` as the miner's API) it serves
one test-only method, ``TestSealCC`` (admin; ``[sectorNumber]`` → ``SectorCids``): AddPiece of a
zero 2KiB piece, PreCommit1 with an all-zero ticket and PreCommit2 of sector ``t0<actor>``/N,
each through the manager, so on whichever worker the scheduler picks.

Not a product: no config, no chain, no sealing pipeline; it exits on SIGINT/SIGTERM or ``Shutdown``.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Final

import click
import trio

from ..abi import ActorID, RegisteredSealProof, SectorID, SectorNumber, UnpaddedPieceSize
from ..errors import PylotusError
from ..jsonrpc import (
    COMMON_TABLE,
    ApiApp,
    CommonApi,
    MethodSpec,
    RpcServer,
    make_table,
    open_api_secret,
    serve_api,
)
from ..jsonrpc.codec import JSON, UINT64, JsonValue
from ..jsonrpc.host import watch_signals
from ..log_setup import setup_logging
from ..repo import FsRepo, RepoType
from ..stores import (
    STORAGE_INDEX_TABLE,
    FetchHandler,
    LocalStore,
    MemIndex,
    RemoteStore,
    SectorRef,
    StorageApi,
)
from .manager import Manager
from .remote_worker import HEARTBEAT_INTERVAL, WORKER_CONNECT_TABLE, RemoteWorkers
from .scheduler import Scheduler

__all__ = ["TEST_MINER_TABLE", "main", "run_testminer"]

log = logging.getLogger(__name__)

TEST_MINER_TABLE: Final = make_table(
    MethodSpec("WorkerStats", "admin", (), JSON),
    MethodSpec("TestSealCC", "admin", (UINT64,), JSON),
)
TEST_PROOF: Final = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
TEST_ACTOR: Final = ActorID(1000)
_BLOCK_DELAY: Final = 4  # seconds, only reported by Version
_CC_PIECE: Final = UnpaddedPieceSize(2032)  # one zero piece fills a 2KiB sector


class _TestMinerApi:
    """``WorkerStats`` and ``TestSealCC`` over the scheduler and manager."""

    def __init__(self, sched: Scheduler, manager: Manager) -> None:
        self._sched = sched
        self._manager = manager

    async def worker_stats(self) -> JsonValue:
        return {str(wid): stats.to_json() for wid, stats in self._sched.worker_stats().items()}

    async def test_seal_cc(self, number: int) -> JsonValue:
        sector = SectorRef(SectorID(TEST_ACTOR, SectorNumber(number)), TEST_PROOF)
        piece = await self._manager.add_piece(sector, [], _CC_PIECE, None)
        pc1 = await self._manager.seal_pre_commit1(sector, bytes(32), [piece])
        cids = await self._manager.seal_pre_commit2(sector, pc1)
        return cids.to_json()


async def run_testminer(
    repo_path: str,
    *,
    port: int = 0,
    heartbeat: float = HEARTBEAT_INTERVAL,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until SIGINT/SIGTERM or ``Shutdown``; the ``api`` file appears once serving."""
    with FsRepo(repo_path, RepoType.STORAGE_MINER).open_or_init() as repo:
        auth = open_api_secret(repo)
        index = MemIndex()
        local = LocalStore(index, repo)
        headers = {"Authorization": "Bearer " + auth.new_token(["admin"]).decode()}
        remote = RemoteStore(local, index, headers)
        sched = Scheduler()
        manager = Manager(sched, index, remote)
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            await nursery.start(sched.run)
            async with trio.open_nursery() as worker_tasks:
                rpc = RpcServer()
                rpc.register(COMMON_TABLE, CommonApi(auth, block_delay=_BLOCK_DELAY, shutdown=stop))
                rpc.register(STORAGE_INDEX_TABLE, StorageApi(index, remote))
                rpc.register(
                    WORKER_CONNECT_TABLE, RemoteWorkers(sched, auth, worker_tasks, heartbeat=heartbeat)
                )
                rpc.register(TEST_MINER_TABLE, _TestMinerApi(sched, manager))
                app = ApiApp(rpc, auth, routes={"/remote": FetchHandler(local)}, closing=stop)
                worker_tasks.start_soon(watch_signals, stop)
                host, bound = await worker_tasks.start(
                    partial(serve_api, app, "127.0.0.1", port, shutdown_trigger=stop.wait)
                )
                await local.open([f"http://{host}:{bound}/remote"])
                repo.set_api_endpoint(f"/ip4/{host}/tcp/{bound}/http")
                try:
                    task_status.started((host, bound))
                    await stop.wait()
                finally:
                    repo.clear_api_endpoint()
                    worker_tasks.cancel_scope.cancel()
            await sched.aclose()


@click.command()
@click.option("--repo", "repo_path", required=True, type=click.Path(file_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True)
@click.option("--heartbeat", type=click.FloatRange(0.1), default=HEARTBEAT_INTERVAL, show_default=True)
@click.option("--log-level", default="info", show_default=True)
def main(repo_path: str, port: int, heartbeat: float, log_level: str) -> None:
    """Run a miner stand-in (index, /remote, scheduler, WorkerConnect) for seal-worker tests."""
    setup_logging(log_level)
    try:
        trio.run(partial(run_testminer, repo_path, port=port, heartbeat=heartbeat))
    except PylotusError as exc:
        raise click.ClickException(str(exc)) from exc


if __name__ == "__main__":
    main()
