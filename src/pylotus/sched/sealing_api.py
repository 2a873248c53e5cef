"""The scheduler's status methods on the miner API: ``WorkerStats``, ``WorkerJobs``, ``SealingSchedDiag``.

Counterpart: Lotus ``api/api_storage.go`` (``WorkerStats``, ``WorkerJobs``, ``SealingSchedDiag``,
all admin) and ``node/impl/storminer.go``, which answer from the sealing manager's scheduler;
reference/lotus-miner.md §1.6.  Shapes on the wire, keyed by the worker's session UUID as in L12::

    WorkerStats       {"<uuid>": WorkerStats}
    WorkerJobs        {"<uuid>": [WorkerJob, …]}
    SealingSchedDiag  SchedDiag (see :mod:`.diag`); its one param is L12's ``doSched``

:class:`SealingStatusApi` serves the table over a :class:`~.scheduler.Scheduler` (the miner, and
the test miner until it exists); :class:`SealingStatusClient` is what ``sealing workers|jobs|
sched-diag`` call.  The results are passed through as JSON: the formatters read Lotus's shapes,
so the commands work against any miner that speaks them.
"""

from __future__ import annotations

from typing import Final, cast, final

import trio

from ..abi import JsonObject, JsonValue
from ..jsonrpc import MethodSpec, RpcClient, make_table
from ..jsonrpc.codec import BOOL, JSON
from .scheduler import Scheduler

__all__ = ["FORCE_SCHED_TIMEOUT", "SEALING_STATUS_TABLE", "SealingStatusApi", "SealingStatusClient"]

SEALING_STATUS_TABLE: Final = make_table(
    MethodSpec("WorkerStats", "admin", (), JSON),
    MethodSpec("WorkerJobs", "admin", (), JSON),
    MethodSpec("SealingSchedDiag", "admin", (BOOL,), JSON),
)
FORCE_SCHED_TIMEOUT: Final = 30.0  # seconds a forced pass may take before SealingSchedDiag gives up


@final
class SealingStatusApi:
    """Serves :data:`SEALING_STATUS_TABLE` from a running scheduler; never waits on its loop
    (except ``SealingSchedDiag(true)``, which runs a full pass first, bounded by
    :data:`FORCE_SCHED_TIMEOUT`)."""

    def __init__(self, sched: Scheduler) -> None:
        self._sched = sched

    async def worker_stats(self) -> JsonValue:
        return {str(wid): stats.to_json() for wid, stats in self._sched.worker_stats().items()}

    async def worker_jobs(self) -> JsonValue:
        return {str(wid): [job.to_json() for job in jobs] for wid, jobs in self._sched.worker_jobs().items()}

    async def sealing_sched_diag(self, do_sched: bool) -> JsonValue:
        if not do_sched:
            return (await self._sched.sched_diag()).to_json()
        with trio.fail_after(FORCE_SCHED_TIMEOUT):
            return (await self._sched.sched_diag(force_sched=True)).to_json()


class SealingStatusClient(RpcClient):
    """Typed client of :data:`SEALING_STATUS_TABLE`; results stay JSON (Lotus's shapes)."""

    TABLE = SEALING_STATUS_TABLE

    async def worker_stats(self) -> JsonObject:
        return cast(JsonObject, await self.call("WorkerStats"))

    async def worker_jobs(self) -> JsonObject:
        return cast(JsonObject, await self.call("WorkerJobs"))

    async def sealing_sched_diag(self, do_sched: bool = False) -> JsonObject:
        return cast(JsonObject, await self.call("SealingSchedDiag", do_sched))
