"""``pylotus-miner run``: the storage miner's process.

Counterpart: Lotus ``cmd/lotus-miner/run.go`` and ``node/builder_miner.go`` (reference/lotus-miner.md
§1.3), in this order:

1. The repo must exist (``repo at '…' is not initialized, run 'pylotus-miner init' to set it up``).
2. The full node: found as ``init`` finds it; its API version must match exactly; sync is waited
   for unless ``--nosync``.
3. The repo is locked (a second ``run`` is refused with the holder's PID); the JWT secret and
   ``token`` are made on first start; the miner address is read from ``/miner-address`` and its
   sector size from the chain.
4. Assembly: the sector index, the local store over ``storage.json``'s paths, the remote store
   (fetching from workers with an admin token), the scheduler, the call tracker (``/calls``), the
   manager with the miner's own local worker (its task switches from ``[Storage]``), the
   remote-worker registry (``WorkerConnect``), and sealing over the sector records.
5. The API on ``--miner-api``/``--api`` (default ``[API] ListenAddress``, 2345): ``/rpc/v0`` with
   the Common, StorageMiner, ``Storage*``, ``Worker*``/``SealingSchedDiag``, ``WorkerConnect`` and
   ``Return*`` tables, ``/remote`` (admin) and ``/debug/metrics``; then the storage paths are
   opened with this API's ``/remote`` URL and only then is ``api`` written, so a client that finds
   the file finds the sectors declared.
6. SIGINT/SIGTERM or ``Shutdown``: ``api`` removed, in-flight calls finished, workers' tasks
   cancelled, the scheduler closed, the lock released.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

import trio

from ..abi import AbiError, ActorID, Address, RegisteredPoStProof, seal_proof_type_from_sector_size
from ..chain.node_cli import parse_duration
from ..jsonrpc import (
    COMMON_TABLE,
    ApiApp,
    CommonApi,
    RpcServer,
    multiaddr_host_port,
    open_api_secret,
    serve_api,
)
from ..jsonrpc.host import watch_signals
from ..repo import FsRepo, LockedRepo, RepoType
from ..sched import (
    SEALING_STATUS_TABLE,
    WORKER_CONNECT_TABLE,
    CallTracker,
    Manager,
    RemoteWorkers,
    ReturnApi,
    Scheduler,
    SealingStatusApi,
)
from ..sealing.chain_calls import MinerChain
from ..sealing.pipeline import Pipeline
from ..sealing.sealing import Sealing
from ..sealing.sector_store import SectorStore
from ..sealing.wdpost import WindowPoStScheduler
from ..stores import STORAGE_INDEX_TABLE, FetchHandler, LocalStore, MemIndex, RemoteStore, StorageApi
from ..worker import RETURN_TABLE, LocalWorker, WorkerConfig
from .api import STORAGE_MINER_TABLE, StorageMinerApi
from .errors import MinerError, MinerNotInitialized
from .fullnode import FullNode, check_version, open_full_node, wait_sync
from .init import MINER_ADDRESS_KEY
from .metrics import METRICS_PATH, MetricsHandler, MinerMetrics

__all__ = ["DEFAULT_MINER_PORT", "MinerRunConfig", "run_miner"]

log = logging.getLogger(__name__)

DEFAULT_MINER_PORT: Final = 2345
CALLS_NAMESPACE: Final = "/calls"


@dataclass(frozen=True)
class MinerRunConfig:
    """What ``run`` is told on the command line."""

    repo: Path
    node_repo: Path
    port: int | None = None  # None: [API] ListenAddress
    host: str = "127.0.0.1"
    nosync: bool = False


def miner_address(repo: LockedRepo) -> Address:
    """The ``/miner-address`` ``init`` stored.

    Raises:
        MinerError: missing or damaged (an ``init`` that did not finish).
    """
    raw = repo.datastore().get(MINER_ADDRESS_KEY)
    if raw is None:
        raise MinerError(f"repo at '{repo.path}' has no miner address; was 'pylotus-miner init' interrupted?")
    try:
        return Address.from_bytes(raw)
    except AbiError as exc:
        raise MinerError(f"repo at '{repo.path}': miner address is damaged: {exc}") from None


# The config is read once per run; load_config has merged it over the defaults and checked each
# value's type, so every section and key below is there with the default's type.


def _listen(config: Any, cfg: MinerRunConfig) -> tuple[str, int]:
    if cfg.port is not None:
        return cfg.host, cfg.port
    address = config["API"]["ListenAddress"]
    return multiaddr_host_port(address) if address else (cfg.host, DEFAULT_MINER_PORT)


def _worker_config(config: Any) -> WorkerConfig:
    storage = config["Storage"]
    return WorkerConfig(
        allow_add_piece=storage["AllowAddPiece"],
        allow_pre_commit1=storage["AllowPreCommit1"],
        allow_pre_commit2=storage["AllowPreCommit2"],
        allow_commit=storage["AllowCommit"],
        allow_unseal=storage["AllowUnseal"],
    )


def _expected_seal_duration(config: Any) -> float:
    text = config["Dealmaking"]["ExpectedSealDuration"]
    try:
        return parse_duration(text)
    except ValueError:
        log.warning("[Dealmaking] ExpectedSealDuration '%s' is not a duration; using 24h", text)
        return 24 * 3600.0


async def run_miner(
    cfg: MinerRunConfig,
    *,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the miner until SIGINT/SIGTERM or ``Shutdown``.

    Raises:
        MinerNotInitialized: no repo.
        RepoLocked: another process runs on the repo.
        FullNodeMismatch, ApiInfoError: the full node is missing or not ours.
        OSError: the API port cannot be bound.
    """
    fs = FsRepo(cfg.repo, RepoType.STORAGE_MINER)
    if not fs.exists():
        raise MinerNotInitialized(
            f"repo at '{cfg.repo}' is not initialized, run 'pylotus-miner init' to set it up"
        )
    # the lock first: a second run is refused at once, not after the sync wait
    with fs.lock() as repo:
        async with open_full_node(cfg.node_repo) as node:
            version = await check_version(node, exact=True)
            if not cfg.nosync:
                await wait_sync(node, version.block_delay, lambda line: log.info("sync: %s", line))
            address = miner_address(repo)
            info: Any = await node.miner_info(address)
            actor = MinerActor(
                address,
                Address.from_string(info["Worker"]),
                int(info["SectorSize"]),
                RegisteredPoStProof(info["WindowPoStProofType"]),
            )
            await _serve(repo, cfg, node, actor, version.block_delay, task_status)
    log.info("miner stopped")


@dataclass(frozen=True)
class MinerActor:
    """The miner actor this process serves, as the chain knows it."""

    address: Address
    worker: Address
    sector_size: int
    post_proof: RegisteredPoStProof


async def _serve(
    repo: LockedRepo,
    cfg: MinerRunConfig,
    node: FullNode,
    actor: MinerActor,
    block_delay: int,
    task_status: trio.TaskStatus[tuple[str, int]],
) -> None:
    address, sector_size = actor.address, actor.sector_size
    seal_proof = seal_proof_type_from_sector_size(sector_size)
    auth = open_api_secret(repo)
    index = MemIndex()
    local = LocalStore(index, repo)
    headers = {"Authorization": "Bearer " + auth.new_token(["admin"]).decode()}
    remote = RemoteStore(local, index, headers)
    sched = Scheduler()
    calls = CallTracker(repo.datastore().namespace(CALLS_NAMESPACE))
    manager = Manager(sched, index, remote, calls=calls)
    sectors = SectorStore(repo.datastore())
    miner_id = ActorID(address.id())
    config = repo.config()
    sealing = Sealing(
        sectors, miner_id, seal_proof, max_sealing=max(config["Sealing"]["MaxSealingSectors"], 0)
    )
    stop = trio.Event()
    host, port = _listen(config, cfg)
    async with trio.open_nursery() as nursery:
        await nursery.start(sched.run)
        async with trio.open_nursery() as tasks:
            rpc = RpcServer()
            rpc.register(COMMON_TABLE, CommonApi(auth, block_delay=math.ceil(block_delay), shutdown=stop))
            rpc.register(STORAGE_INDEX_TABLE, StorageApi(index, remote))
            rpc.register(WORKER_CONNECT_TABLE, RemoteWorkers(sched, auth, tasks, calls=calls))
            rpc.register(RETURN_TABLE, ReturnApi(calls))
            rpc.register(SEALING_STATUS_TABLE, SealingStatusApi(sched))
            api = StorageMinerApi(
                address, sector_size, sealing, node, expected_seal_duration=_expected_seal_duration(config)
            )
            rpc.register(STORAGE_MINER_TABLE, api)
            metrics = MinerMetrics(sched, index, sealing.state_counts)
            routes = {"/remote": FetchHandler(local), METRICS_PATH: MetricsHandler(metrics)}
            app = ApiApp(rpc, auth, routes=routes, closing=stop)
            tasks.start_soon(watch_signals, stop)
            # in the outer nursery: on stop, the API finishes its in-flight calls (a Shutdown
            # call gets its answer) while the tasks below are cancelled
            serve = partial(serve_api, app, host, port, shutdown_trigger=stop.wait)
            bound_host, bound = await nursery.start(serve)
            failures = await local.open([f"http://{bound_host}:{bound}/remote"])
            for failure in failures:
                log.error("storage path unavailable: %s", failure)
            # without heartbeats the miner's own paths go stale in its index after a minute and
            # nothing could be moved to them (FinalizeSector) or read from them
            await tasks.start(local.run_health_reports)
            worker = LocalWorker(remote, index, config=_worker_config(config))
            await manager.add_local_worker(worker)
            chain = MinerChain(node, address, actor.worker)
            await tasks.start(Pipeline(sealing, manager, chain, sector_size).run)
            wdpost = WindowPoStScheduler(chain, remote, actor.post_proof, sector_size)
            await tasks.start(wdpost.run)
            repo.set_api_endpoint(f"/ip4/{bound_host}/tcp/{bound}/http")
            log.info("miner %s serving on %s:%d", address, bound_host, bound)
            try:
                task_status.started((bound_host, bound))
                await stop.wait()
            finally:
                repo.clear_api_endpoint()
                tasks.cancel_scope.cancel()
        await sched.aclose()
