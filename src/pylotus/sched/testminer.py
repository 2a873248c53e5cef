"""A miner stand-in in a process of its own, for seal-worker integration tests.

Until the miner daemon exists (issue #8) nothing else accepts seal workers, so this module
assembles the part of the miner a worker talks to, modelled on :mod:`pylotus.stores.testserver`:
a repo (``api``, ``token``), the JWT secret, the Common API, a :class:`MemIndex` behind the
``Filecoin.Storage*`` methods, ``/remote``, the scheduler and manager, and ``WorkerConnect``
(:class:`~.remote_worker.RemoteWorkers`), all on one port on loopback::

    python -m pylotus.sched.testminer --repo DIR [--port 0] [--heartbeat 10]

Besides the scheduler's status methods (:data:`~.sealing_api.SEALING_STATUS_TABLE`:
``WorkerStats``, ``WorkerJobs``, ``SealingSchedDiag``, admin, in the miner's shapes, so the
``pylotus-miner sealing`` commands work against it) and the
workers' ``Return*`` methods (admin, into a :class:`~.calltracker.CallTracker` persisted in the
repo's metadata datastore under ``/calls``, so a result delivered after a restart still counts),
it serves test-only methods (admin), each through the manager, so on whichever worker the
scheduler picks: ``TestSealCC`` (``[sectorNumber]`` → ``SectorCids``): AddPiece of a zero 2KiB
piece, PreCommit1 with an all-zero ticket and PreCommit2 of sector ``t0<actor>``/N;
``TestAddPiece`` (``[n]`` → ``PieceInfo``) and ``TestPreCommit1`` (``[n, [PieceInfo]]`` → PC1 out,
base64), the two first steps alone.

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
from ..jsonrpc.codec import BYTES, JSON, UINT64, JsonValue, ListOf
from ..jsonrpc.host import watch_signals
from ..log_setup import setup_logging
from ..proofs import PieceInfo
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
from ..worker import PIECE_INFO, RETURN_TABLE
from .calltracker import CallTracker, ReturnApi
from .manager import Manager
from .remote_worker import HEARTBEAT_INTERVAL, RETURN_GRACE, WORKER_CONNECT_TABLE, RemoteWorkers
from .scheduler import Scheduler
from .sealing_api import SEALING_STATUS_TABLE, SealingStatusApi

__all__ = ["TEST_MINER_TABLE", "main", "run_testminer"]

log = logging.getLogger(__name__)

TEST_MINER_TABLE: Final = make_table(
    MethodSpec("TestSealCC", "admin", (UINT64,), JSON),
    MethodSpec("TestAddPiece", "admin", (UINT64,), PIECE_INFO),
    MethodSpec("TestPreCommit1", "admin", (UINT64, ListOf(PIECE_INFO)), BYTES),
)
CALLS_NAMESPACE: Final = "/calls"
TEST_PROOF: Final = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
TEST_ACTOR: Final = ActorID(1000)
_BLOCK_DELAY: Final = 4  # seconds, only reported by Version
_CC_PIECE: Final = UnpaddedPieceSize(2032)  # one zero piece fills a 2KiB sector


def _sector(number: int) -> SectorRef:
    return SectorRef(SectorID(TEST_ACTOR, SectorNumber(number)), TEST_PROOF)


class _TestMinerApi:
    """``TestSealCC`` and its first steps over the manager."""

    def __init__(self, manager: Manager) -> None:
        self._manager = manager

    async def test_add_piece(self, number: int) -> PieceInfo:
        return await self._manager.add_piece(_sector(number), [], _CC_PIECE, None)

    async def test_pre_commit1(self, number: int, pieces: list[PieceInfo]) -> bytes:
        return await self._manager.seal_pre_commit1(_sector(number), bytes(32), pieces)

    async def test_seal_cc(self, number: int) -> JsonValue:
        sector = _sector(number)
        piece = await self._manager.add_piece(sector, [], _CC_PIECE, None)
        pc1 = await self._manager.seal_pre_commit1(sector, bytes(32), [piece])
        cids = await self._manager.seal_pre_commit2(sector, pc1)
        return cids.to_json()


async def run_testminer(
    repo_path: str,
    *,
    port: int = 0,
    heartbeat: float = HEARTBEAT_INTERVAL,
    grace: float = RETURN_GRACE,
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
        calls = CallTracker(repo.datastore().namespace(CALLS_NAMESPACE))
        manager = Manager(sched, index, remote, calls=calls)
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            await nursery.start(sched.run)
            async with trio.open_nursery() as worker_tasks:
                rpc = RpcServer()
                rpc.register(COMMON_TABLE, CommonApi(auth, block_delay=_BLOCK_DELAY, shutdown=stop))
                rpc.register(STORAGE_INDEX_TABLE, StorageApi(index, remote))
                workers = RemoteWorkers(
                    sched, auth, worker_tasks, heartbeat=heartbeat, calls=calls, grace=grace
                )
                rpc.register(WORKER_CONNECT_TABLE, workers)
                rpc.register(RETURN_TABLE, ReturnApi(calls))
                rpc.register(SEALING_STATUS_TABLE, SealingStatusApi(sched))
                rpc.register(TEST_MINER_TABLE, _TestMinerApi(manager))
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
@click.option("--grace", type=click.FloatRange(0), default=RETURN_GRACE, show_default=True)
@click.option("--log-level", default="info", show_default=True)
def main(repo_path: str, port: int, heartbeat: float, grace: float, log_level: str) -> None:
    """Run a miner stand-in (index, /remote, scheduler, WorkerConnect) for seal-worker tests."""
    setup_logging(log_level)
    try:
        trio.run(partial(run_testminer, repo_path, port=port, heartbeat=heartbeat, grace=grace))
    except PylotusError as exc:
        raise click.ClickException(str(exc)) from exc


if __name__ == "__main__":
    main()
