"""Remote seal workers on the miner's side: ``WorkerConnect``, the dial-back, heartbeats, drops.

Counterpart: Lotus ``node/impl/remoteworker.go`` (``connectRemoteWorker``: mint an admin token,
dial the worker's ``/rpc/v0`` websocket, check its version) and ``storage/sealer/sched_worker.go``
(``runWorker``: read ``Info``, hand the worker to the scheduler, poll ``Session`` every
:data:`HEARTBEAT_INTERVAL`, drop the worker when it stops answering or its session changes);
reference/lotus-miner.md §3.4 (registration handshake).

:class:`RemoteWorkers` serves :data:`WORKER_CONNECT_TABLE` and owns one task per connected worker,
in the ``handler_nursery`` the miner gives it.  That task holds the websocket client and the
worker's :class:`RemoteWorkerHandle`; when it ends (worker gone, session changed, miner closing)
it drops the worker from the scheduler, which requeues unstarted tasks and fails running ones
with ``WorkerClosed``.  A worker that comes back calls ``WorkerConnect`` again; with the same
session it gets the same :data:`WorkerID`, so it resumes under its old identity.

Sealing calls go through a :class:`~.calltracker.TrackedWorker`: the worker answers with a
``CallID`` and its result comes later by ``Return*`` (:mod:`.calltracker`).  So a worker that stops
answering is not dropped at once: for :data:`RETURN_GRACE` seconds it is only disabled (no new
tasks) while its running calls keep waiting for their ``Return*``; if it answers again (or calls
``WorkerConnect`` again) with the same session within that time, it is enabled again and keeps
its calls.  A changed session (the worker restarted) drops it at once.  A dropped worker's calls
still out fail with a temporary error (``CallTracker.fail_worker``); a miner that is closing fails
none, so that they are matched after its restart.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Final, final
from urllib.parse import urlsplit

import trio

from ..errors import PylotusError
from ..jsonrpc import API_VERSION, ApiInfo, JwtAuth, make_table, open_ws_client
from ..stores import StorageID
from ..worker import WORKER_CONNECT, WorkerClient
from .calltracker import CallTracker, TrackedWorker
from .errors import SchedError
from .scheduler import Scheduler
from .task_types import TaskType
from .worker_info import WorkerID, WorkerInfo

__all__ = [
    "HEARTBEAT_INTERVAL",
    "HEARTBEAT_TIMEOUT",
    "RETURN_GRACE",
    "WORKER_CONNECT_TABLE",
    "RemoteWorkerHandle",
    "RemoteWorkers",
    "WorkerRefused",
]

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL: Final = 10.0  # seconds between Session polls (Lotus sched_worker.go: 10 s)
HEARTBEAT_TIMEOUT: Final = 5.0  # seconds a Session poll may take before the worker counts as gone
DIAL_TIMEOUT: Final = 10.0  # seconds for the dial-back and the first reads
RETURN_GRACE: Final = 60.0  # seconds an unanswering worker keeps its running calls before the drop

WORKER_CONNECT_TABLE: Final = make_table(WORKER_CONNECT)
"""``WorkerConnect`` (admin): the StorageMiner API method a worker calls with its own API URL."""


class WorkerRefused(SchedError):
    """``WorkerConnect`` was given a URL the miner cannot dial or a worker of another API version."""


@dataclass(frozen=True)
class RemoteWorkerHandle:
    """A seal worker reached over RPC, as the scheduler sees it; ``worker`` is what tasks call."""

    worker: TrackedWorker
    worker_id: WorkerID
    info: WorkerInfo
    task_types: frozenset[TaskType]
    paths: frozenset[StorageID]
    url: str
    enabled: bool = True


def _multiaddr(url: str) -> str:
    """``ws://127.0.0.1:3456/rpc/v0`` → ``/ip4/127.0.0.1/tcp/3456/http``.

    Raises:
        WorkerRefused: not a ws/http URL with host and port, or a path other than ``/rpc/v0``.
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname
    if parts.scheme not in ("ws", "http") or not host or port is None or parts.path not in ("/rpc/v0", ""):
        raise WorkerRefused(f"worker API url '{url}' is not ws://HOST:PORT/rpc/v0")
    try:
        proto = "ip6" if ipaddress.ip_address(host).version == 6 else "ip4"
    except ValueError:
        proto = "dns"
    return f"/{proto}/{host}/tcp/{port}/http"


@final
class RemoteWorkers:
    """Serves ``WorkerConnect`` and keeps each remote worker known to the scheduler while it lives.

    Args:
        sched: the running scheduler.
        auth: the miner's JWT secret; each dial-back uses a fresh admin token from it.
        handler_nursery: where the per-worker tasks run; its owner's lifetime bounds theirs.
        heartbeat: seconds between ``Session`` polls (default :data:`HEARTBEAT_INTERVAL`).
        heartbeat_timeout: seconds a poll may take (default :data:`HEARTBEAT_TIMEOUT`); a worker
            whose connection closed is noticed only when it runs out.
        calls: the miner's call tracker (default: a new in-memory one).
        grace: seconds a worker that stopped answering keeps its running calls
            (default :data:`RETURN_GRACE`).
    """

    def __init__(
        self,
        sched: Scheduler,
        auth: JwtAuth,
        handler_nursery: trio.Nursery,
        *,
        heartbeat: float = HEARTBEAT_INTERVAL,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
        calls: CallTracker | None = None,
        grace: float = RETURN_GRACE,
    ) -> None:
        self._sched = sched
        self.calls = calls if calls is not None else CallTracker()
        self._grace = grace
        self._auth = auth
        self._nursery = handler_nursery
        self._heartbeat = heartbeat
        self._heartbeat_timeout = heartbeat_timeout
        self._tasks: dict[WorkerID, trio.CancelScope] = {}
        self._handles: dict[WorkerID, RemoteWorkerHandle] = {}
        self.connects = 0  # how many WorkerConnect calls succeeded (tests and logs)

    def handles(self) -> dict[WorkerID, RemoteWorkerHandle]:
        """The remote workers connected now (for status calls and tests)."""
        return dict(self._handles)

    async def worker_connect(self, url: str) -> None:
        """``WorkerConnect``: dial the worker back, read what it offers, hand it to the scheduler.

        Returns once the scheduler knows the worker; the worker's task keeps running in the
        handler nursery.  A worker already connected under the same session replaces its old
        connection.

        Raises:
            WorkerRefused: bad URL or API version.  ``ApiUnreachable``/``AuthRejected`` and other
            RPC errors: the dial-back or the first reads failed (the worker calls again).
        """
        maddr = _multiaddr(url)
        info = ApiInfo(maddr, self._auth.new_token(["admin"]))
        await self._nursery.start(self._run_worker, url, info)
        self.connects += 1

    async def _run_worker(self, url: str, api: ApiInfo, *, task_status: trio.TaskStatus[None]) -> None:
        """One remote worker's lifetime: dial, register, heartbeat, drop."""
        async with open_ws_client(api, WorkerClient, reconnect=False, timeout=DIAL_TIMEOUT) as client:
            try:
                with trio.fail_after(DIAL_TIMEOUT):
                    handle = await self._read_handle(client, url)
            except trio.TooSlowError:
                raise WorkerRefused(f"worker at '{url}' did not answer within {DIAL_TIMEOUT:g} s") from None
            wid = handle.worker_id
            old = self._tasks.pop(wid, None)
            if old is not None:
                old.cancel()
            with trio.CancelScope() as scope:
                self._tasks[wid] = scope
                self._handles[wid] = handle
                try:
                    await self._sched.add_worker(handle)
                    log.info(
                        "remote worker connected worker=%s host=%s url=%s", wid, handle.info.hostname, url
                    )
                    task_status.started()
                    if await self._watch(client, handle) and (
                        lost := self.calls.fail_worker(str(wid), f"worker '{wid}' went away")
                    ):
                        log.warning("remote worker's calls failed worker=%s calls=%d", wid, lost)
                finally:
                    if self._tasks.get(wid) is scope:
                        del self._tasks[wid]
                        del self._handles[wid]
                        with trio.CancelScope(shield=True):
                            await self._drop(wid)

    async def _read_handle(self, client: WorkerClient, url: str) -> RemoteWorkerHandle:
        version = await client.version()
        if version >> 8 != API_VERSION >> 8:
            raise WorkerRefused(
                f"worker at '{url}' speaks API version {version:#x}, the miner {API_VERSION:#x}"
            )
        session = await client.session()
        info = WorkerInfo.from_json(await client.info())
        tasks = frozenset(TaskType.from_json(t) for t in await client.task_types())
        paths = frozenset(p.id for p in await client.paths())
        enabled = await client.enabled()
        worker = TrackedWorker(client, self.calls, worker_id=str(session))
        return RemoteWorkerHandle(worker, WorkerID(session), info, tasks, paths, url, enabled)

    async def _watch(self, client: WorkerClient, handle: RemoteWorkerHandle) -> bool:
        """Poll ``Session`` and ``Enabled`` until the worker comes back as another session or has not
        answered for the grace period; a changed ``Enabled`` is re-announced to the scheduler (Lotus
        HEAD ``sched_worker.go`` reads both on each heartbeat).  While it does not answer it is
        announced disabled, so it gets no new task but keeps its running ones.

        Returns:
            ``True``: the worker is gone; ``False``: the scheduler is closing.
        """
        wid = handle.worker_id
        silent_since: float | None = None
        while True:
            await trio.sleep(self._heartbeat)
            try:
                with trio.fail_after(self._heartbeat_timeout):
                    session = await client.session()
                    enabled = await client.enabled()
            except (PylotusError, trio.TooSlowError) as exc:
                now = trio.current_time()
                if silent_since is None:
                    silent_since = now
                    log.warning(
                        "remote worker stopped answering, waiting grace=%gs worker=%s err=%s",
                        self._grace,
                        wid,
                        exc or "timeout",
                    )
                    if not await self._announce(replace(handle, enabled=False)):
                        return False
                if now - silent_since >= self._grace:
                    log.warning("remote worker gone after the grace period worker=%s", wid)
                    return True
                continue
            if session != uuid.UUID(str(wid)):
                log.warning("remote worker restarted worker=%s new=%s", wid, session)
                return True
            if silent_since is not None or enabled != handle.enabled:
                silent_since = None
                handle = self._handles[wid] = replace(handle, enabled=enabled)
                log.info("remote worker answering enabled=%s worker=%s", enabled, wid)
                if not await self._announce(handle):
                    return False

    async def _announce(self, handle: RemoteWorkerHandle) -> bool:
        """Tell the scheduler what the worker offers now; ``False`` if the scheduler is closing."""
        try:
            await self._sched.add_worker(handle)
        except SchedError:
            return False
        return True

    async def _drop(self, wid: WorkerID) -> None:
        try:
            await self._sched.drop_worker(wid)
        except SchedError:
            pass  # the scheduler is closing: every worker goes with it
