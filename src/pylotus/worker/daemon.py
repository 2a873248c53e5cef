"""The seal-worker daemon: ``pylotus-seal-worker run``, and staying registered with the miner.

Counterpart: Lotus ``cmd/lotus-seal-worker/main.go`` (``runCmd``), following the run sequence of
reference/lotus-miner.md §1.8: reach the miner and check its API version; open (or create) the
worker repo under its exclusive lock, with a ``sectorstore.json`` path in the repo itself
(CanSeal, not CanStore) unless ``--no-local-storage``; attach the paths to the **miner's** index
over RPC; serve ``/rpc/v0`` (the Worker API, admin only, tokens checked by the miner's
``AuthVerify``) and ``/remote``; write ``api`` and ``token``; then ``WorkerConnect``.

Unlike L05 (which re-execs itself when the miner's ``Closing`` channel drops) and like Lotus HEAD,
the worker keeps serving while the miner is away and polls the miner's ``Session``: a failure is
retried with backoff, and a new session (a restarted miner) makes it attach its paths again and
call ``WorkerConnect`` again (anchors.md §3.2: workers must reconnect by themselves).

All miner calls go over HTTP (one POST each), so nothing needs redialling after a miner restart.
Sealing calls answer with a ``CallID`` and run in the daemon's nursery; their results are kept in
the repo's datastore (``/returns``) until the miner's ``Return*`` accepted them (:mod:`.returns`),
and a (re-)registration wakes their delivery.  So that a task can also *end* while the miner is
away, its sector declarations are kept and sent later, and a restarted miner is told every sector
file of the worker's paths again (:mod:`.offline`).
"""

from __future__ import annotations

import logging
import socket
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Final, cast

import trio

from ..errors import PylotusError
from ..jsonrpc import (
    API_VERSION,
    COMMON_TABLE,
    ApiApp,
    ApiInfo,
    CommonClient,
    MethodError,
    RpcServer,
    TokenInvalid,
    open_http_client,
    serve_api,
)
from ..jsonrpc.host import watch_signals
from ..repo import FsRepo, LockedRepo, RepoType
from ..stores import (
    FetchHandler,
    LocalStorageMeta,
    LocalStore,
    RemoteStore,
    SectorIndex,
    StorageClient,
    StorageID,
)
from ..stores.fsutil import create_meta
from ..stores.storiface import StorageInfo
from .api import WORKER_CONNECT, WORKER_TABLE, WorkerApi
from .errors import WorkerError
from .kernel_runner import KernelRunner
from .local_worker import LocalWorker, WorkerConfig
from .offline import DeferredIndex, DelayedKernels, declare_all
from .returns import CallRunner, ReturnQueue, rpc_sender

__all__ = ["MINER_POLL_INTERVAL", "MinerClient", "MinerUnavailable", "WorkerRunConfig", "run_worker"]

log = logging.getLogger(__name__)

MINER_POLL_INTERVAL: Final = (
    10.0  # seconds between Session polls of a healthy miner (Lotus HeartbeatInterval)
)
RETRY_MIN_DELAY: Final = 0.5  # seconds; doubles on each failed poll
RETRY_MAX_DELAY: Final = 10.0
MINER_CALL_TIMEOUT: Final = 30.0  # seconds, as Lotus's miner API client (§1.8 step 2)
LOCAL_PATH_WEIGHT: Final = 10  # Lotus: the worker repo's own path has Weight 10
RETURNS_NAMESPACE: Final = "/returns"  # undelivered Return* calls in the repo's metadata datastore


class MinerUnavailable(WorkerError):
    """The miner's API could not be reached, or speaks another API version."""


class MinerClient(StorageClient, CommonClient):
    """What a seal worker calls on the miner: Common, the ``Storage*`` index, ``WorkerConnect``."""

    TABLE = {**StorageClient.TABLE, **COMMON_TABLE, WORKER_CONNECT.name: WORKER_CONNECT}

    async def worker_connect(self, url: str) -> None:
        await self.call("WorkerConnect", url)


@dataclass(frozen=True)
class WorkerRunConfig:
    """The flags of ``pylotus-seal-worker run``."""

    miner_api: ApiInfo
    listen: tuple[str, int] = ("0.0.0.0", 3456)
    tasks: WorkerConfig = WorkerConfig()
    no_local_storage: bool = False
    parallel_fetch_limit: int = 5
    name: str | None = None
    poll_interval: float = MINER_POLL_INTERVAL


class _MinerVerifier:
    """Token check of the worker's API: the miner's ``AuthVerify`` (Lotus ``remoteAuth``)."""

    def __init__(self, miner: MinerClient) -> None:
        self._miner = miner

    async def verify_token(self, token: str) -> list[str]:
        try:
            return await self._miner.auth_verify(token)
        except MethodError as exc:
            raise TokenInvalid(str(exc)) from exc


async def _check_miner(miner: MinerClient) -> str:
    """The miner's session after checking its API major version.

    Raises:
        MinerUnavailable: a major version other than ours.  RPC errors if it cannot be reached.
    """
    version = await miner.version()
    if version.api_version >> 16 != API_VERSION >> 16:
        raise MinerUnavailable(
            f"miner API version {version.api_version:#x} does not match the worker's {API_VERSION:#x}; "
            "upgrade one of them"
        )
    return await miner.session()


def _advertised_host(listen_host: str, miner: ApiInfo) -> str:
    """The address the miner dials back: the listen host, or for ``0.0.0.0`` the local IP that
    routes to the miner (§1.8 step 7, with a UDP socket instead of a TCP connection)."""
    if listen_host not in ("0.0.0.0", "::", ""):
        return listen_host
    host, port = miner.host_port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((host, port))
        return str(probe.getsockname()[0])


def _init_local_storage(repo: LockedRepo) -> None:
    """Blocking: put ``sectorstore.json`` (CanSeal, not CanStore) in the repo, listed in ``storage.json``."""
    root = Path(repo.path)
    if (root / "sectorstore.json").exists():
        return
    meta = LocalStorageMeta(StorageID(str(uuid.uuid4())), LOCAL_PATH_WEIGHT, True, False)
    create_meta(root, meta)
    repo.set_storage_config([*repo.storage_config(), str(root)])


async def run_worker(
    repo_path: Path,
    cfg: WorkerRunConfig,
    *,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the seal worker until SIGINT/SIGTERM; ``started((host, port))`` once registered.

    Raises:
        MinerUnavailable: the miner cannot be reached at start, or has another API version.
        RepoLocked and other repo errors; ``ApiListenError``: the port is taken.
    """
    async with open_http_client(cfg.miner_api, MinerClient, timeout=MINER_CALL_TIMEOUT) as miner:
        try:
            await _check_miner(miner)
        except MinerUnavailable:
            raise
        except PylotusError as exc:
            raise MinerUnavailable(f"could not reach the miner API: {exc}") from exc
        with FsRepo(repo_path, RepoType.WORKER).open_or_init() as repo:
            if not cfg.no_local_storage:
                await trio.to_thread.run_sync(_init_local_storage, repo)
            await _serve(repo, miner, cfg, task_status)


async def _serve(
    repo: LockedRepo,
    miner: MinerClient,
    cfg: WorkerRunConfig,
    task_status: trio.TaskStatus[tuple[str, int]],
) -> None:
    local = LocalStore(miner, repo)
    remote = RemoteStore(
        local, miner, cfg.miner_api.auth_headers(), parallel_fetch_limit=cfg.parallel_fetch_limit
    )
    index = DeferredIndex(miner)
    runner = cast(KernelRunner, DelayedKernels(KernelRunner()))  # same run(); a test hook
    worker = LocalWorker(remote, cast(SectorIndex, index), config=cfg.tasks, hostname=cfg.name, runner=runner)
    stop = trio.Event()
    returns = ReturnQueue(repo.datastore().namespace(RETURNS_NAMESPACE), rpc_sender(miner))
    async with trio.open_nursery() as nursery:
        rpc = RpcServer()
        rpc.register(WORKER_TABLE, WorkerApi(worker, calls=CallRunner(returns, nursery)))
        app = ApiApp(rpc, _MinerVerifier(miner), routes={"/remote": FetchHandler(local)}, closing=stop)
        nursery.start_soon(watch_signals, stop)
        host, port = await nursery.start(
            partial(serve_api, app, cfg.listen[0], cfg.listen[1], shutdown_trigger=stop.wait)
        )
        address = f"{_advertised_host(host, cfg.miner_api)}:{port}"
        await local.open([f"http://{address}/remote"])
        await nursery.start(local.run_health_reports)
        repo.set_api_endpoint(f"/ip4/{host}/tcp/{port}/http")
        if cfg.miner_api.token:
            repo.set_api_token(cfg.miner_api.token)
        registrar = _Registrar(miner, local, f"ws://{address}/rpc/v0", cfg.poll_interval, returns, index)
        await registrar.register()
        nursery.start_soon(registrar.run)
        await nursery.start(returns.run)
        log.info("worker registered with the miner url=%s session=%s", registrar.url, worker.session)
        try:
            task_status.started((host, port))
            await stop.wait()
        finally:
            repo.clear_api_endpoint()
            nursery.cancel_scope.cancel()


class _Registrar:
    """Keeps the worker registered: polls the miner's ``Session`` and re-registers on a new one."""

    def __init__(
        self,
        miner: MinerClient,
        local: LocalStore,
        url: str,
        interval: float,
        returns: ReturnQueue,
        index: DeferredIndex,
    ) -> None:
        self._miner = miner
        self._returns = returns
        self._index = index
        self._local = local
        self.url = url
        self._interval = interval
        self._session: str | None = None

    async def register(self) -> None:
        """Attach this worker's paths to the miner's index (again) and call ``WorkerConnect``.

        Raises:
            RPC errors: the miner is unreachable or refused.
        """
        session = await self._miner.session()
        if self._session is not None:
            await self._reattach()
        await self._miner.worker_connect(self.url)
        self._session = session
        self._returns.wake()  # results kept while the miner was away go now

    async def _reattach(self) -> None:
        """A restarted miner's index has forgotten our paths (its index is in memory)."""
        urls = (self.url.replace("ws://", "http://").removesuffix("/rpc/v0") + "/remote",)
        for path in self._local.paths():
            stat = await self._local.fs_stat(path.id)
            info = StorageInfo(path.id, urls, path.weight, path.can_seal, path.can_store)
            await self._miner.storage_attach(info, stat)
        declared = await declare_all(self._local, self._miner)
        self._index.clear()
        log.info("sector files declared to the restarted miner count=%d", declared)

    async def run(self) -> None:
        """Poll forever (until cancelled); never raises for a miner that is away."""
        delay = RETRY_MIN_DELAY
        while True:
            try:
                with trio.fail_after(MINER_CALL_TIMEOUT):
                    session = await self._miner.session()
                    if session != self._session:
                        log.info(
                            "miner session changed, registering again old=%s new=%s", self._session, session
                        )
                        await self.register()
                        log.info("worker registered with the miner url=%s", self.url)
                    await self._index.replay()
            except (PylotusError, trio.TooSlowError) as exc:
                log.warning("miner API unreachable, will retry delay=%.1fs err=%s", delay, exc)
                await trio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_DELAY)
                continue
            delay = RETRY_MIN_DELAY
            await trio.sleep(self._interval)
