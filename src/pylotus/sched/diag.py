"""What status calls read: a frozen snapshot of the scheduler, and ``SealingSchedDiag`` built from it.

Counterpart: Lotus ``storage/sealer/sched.go`` (``SchedDiagInfo``, ``SchedDiagRequestInfo``,
``diag()``) and ``stats.go`` (``WorkerStats``, ``WorkerJobs``); reference/lotus-miner.md §1.6.

Status calls never wait on the scheduling loop (users of Lotus saw ``sched-diag``, ``sealing jobs``
and ``workers`` hang behind a busy scheduler, anchors.md §3.1): the loop hands out a
:class:`SchedSnapshot` of immutable values, taken when it is between two steps, and everything
costly (sorting the queue, working out why each worker refuses each request) is done from it by
the caller, in the caller's task.

Beyond Lotus's shape, each request in ``SealingSchedDiag`` lists every connected worker with the
reason it does not take the request (operators asked for a "why not scheduled" answer,
anchors.md §3.1 items 7 and 10)::

    {"Requests": [{"Sector": {"Miner": 1000, "Number": 8}, "TaskType": "seal/v0/precommit/2",
                   "Priority": 0, "SchedId": "…",
                   "Refusals": [{"Worker": "…", "Hostname": "fred", "Cause": "task-type-disabled",
                                 "Reason": "the worker does not accept seal/v0/precommit/2"}]}],
     "OpenWindows": ["…"]}

``Cause`` is one of :class:`~.pools.RefusalCause`'s values.  This scheduler has no windows: every
enabled worker takes tasks whenever its pools have room, so ``OpenWindows`` lists the enabled
workers.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Final

from ..abi import JsonObject, sector_name
from ..stores import StorageID
from .pools import PoolUsage, RefusalCause, check_resources, describe_refusal
from .request import WorkerRequest
from .task_types import SealTask, TaskType
from .worker_info import WorkerID, WorkerInfo, WorkerJob, WorkerStats

__all__ = ["Refusal", "SchedDiag", "SchedSnapshot", "Verdict", "WorkerSnapshot"]

_SHOWN_REFUSALS: Final = 5  # in a NoCapableWorker message


@dataclass(frozen=True, slots=True)
class Verdict:
    """A selector's last answer for one worker, and its explanation when it said no."""

    ok: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WorkerSnapshot:
    """One worker at the time of the snapshot."""

    worker_id: WorkerID
    info: WorkerInfo
    task_types: frozenset[TaskType]
    paths: frozenset[StorageID]
    enabled: bool
    preparing: PoolUsage
    active: PoolUsage
    counts: Mapping[SealTask, int]
    jobs: tuple[WorkerJob, ...]

    def stats(self) -> WorkerStats:
        """Lotus ``WorkerStats`` for this worker (active pool; counts over both pools)."""
        return WorkerStats(
            info=self.info,
            tasks=tuple(sorted(self.task_types, key=lambda t: t.value)),
            enabled=self.enabled,
            mem_used_min=self.active.mem_used_min,
            mem_used_max=self.active.mem_used_max,
            gpu_used=self.active.gpu_used,
            cpu_use=self.active.cpu_use,
            task_counts={str(task): n for task, n in sorted(self.counts.items(), key=str) if n},
        )


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one worker does not take one queued request."""

    worker_id: WorkerID
    hostname: str
    cause: RefusalCause
    reason: str

    def to_json(self) -> JsonObject:
        return {
            "Worker": str(self.worker_id),
            "Hostname": self.hostname,
            "Cause": self.cause.value,
            "Reason": self.reason,
        }


def refusal(
    req: WorkerRequest, worker: WorkerSnapshot, verdicts: Mapping[Hashable, Mapping[WorkerID, Verdict]]
) -> Refusal:
    """Why ``worker`` does not take ``req``: the first failing check, in the scheduler's own order.

    Resources are checked against the worker's preparing pool, which a request must enter first.
    """

    def out(cause: RefusalCause, reason: str) -> Refusal:
        return Refusal(worker.worker_id, worker.info.hostname, cause, reason)

    if not worker.enabled:
        return out(RefusalCause.WORKER_DISABLED, "the worker is disabled")
    if req.task_type not in worker.task_types:
        return out(RefusalCause.TASK_TYPE_DISABLED, f"the worker does not accept {req.task_type.value}")
    proof = req.sector.proof_type
    prep_type = req.prepare.prep_type if req.prepare is not None else None
    need = worker.info.resources.prep_resource_spec(proof, req.task_type, prep_type)
    counter = SealTask(prep_type or req.task_type, proof)
    cause = check_resources(worker.preparing, worker.counts, need, counter, worker.info)
    if cause is not None:
        return out(
            cause, describe_refusal(cause, worker.preparing, worker.counts, need, counter, worker.info)
        )
    verdict = verdicts.get(req.selector_key, {}).get(worker.worker_id)
    if verdict is not None and not verdict.ok:
        return out(RefusalCause.SELECTOR, f"selector refused: {verdict.reason}")
    if verdict is None:
        return out(RefusalCause.PENDING, "fits; not yet matched against this worker")
    return out(RefusalCause.PENDING, "fits; waits for the next scheduling pass")


def capacity_refusal(req: WorkerRequest, worker: WorkerSnapshot) -> Refusal | None:
    """Why ``worker`` could never take ``req`` even idle, or ``None`` if it could (selector aside)."""
    if not worker.enabled:
        return Refusal(worker.worker_id, worker.info.hostname, RefusalCause.WORKER_DISABLED, "disabled")
    if req.task_type not in worker.task_types:
        reason = f"does not accept {req.task_type.value}"
        return Refusal(worker.worker_id, worker.info.hostname, RefusalCause.TASK_TYPE_DISABLED, reason)
    proof = req.sector.proof_type
    need = worker.info.resources.resource_spec(proof, req.task_type)
    idle = PoolUsage()
    cause = check_resources(idle, {}, need, req.seal_task, worker.info)
    if cause is None:
        return None
    reason = describe_refusal(cause, idle, {}, need, req.seal_task, worker.info) + " when idle"
    return Refusal(worker.worker_id, worker.info.hostname, cause, reason)


def summarize(refusals: list[Refusal]) -> str:
    """``host 'a': <reason>; host 'b': <reason>; and 3 more`` for an error message."""
    parts = [f"host '{r.hostname}': {r.reason}" for r in refusals[:_SHOWN_REFUSALS]]
    if len(refusals) > _SHOWN_REFUSALS:
        parts.append(f"and {len(refusals) - _SHOWN_REFUSALS} more")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class SchedSnapshot:
    """The scheduler between two steps: queued requests, workers, the selectors' last verdicts.

    ``queued`` is in heap order; :meth:`diag` sorts it.  The requests are live objects, but only
    their immutable fields (sector, task type, priority, IDs, selector key) are read.
    """

    queued: tuple[WorkerRequest, ...]
    workers: tuple[WorkerSnapshot, ...]
    verdicts: Mapping[Hashable, Mapping[WorkerID, Verdict]]

    def diag(self) -> SchedDiag:
        """The ``SealingSchedDiag`` answer, with every worker's refusal of every queued request."""
        workers = sorted(self.workers, key=lambda w: str(w.worker_id))
        memo: dict[tuple[Hashable, WorkerID], Refusal] = {}
        requests = []
        for req in sorted(self.queued, key=lambda r: r.sort_key):
            if req.abandoned or req.done:
                continue
            refusals = []
            for worker in workers:
                key = (req.group_key, worker.worker_id)
                found = memo.get(key)
                if found is None:
                    found = memo[key] = refusal(req, worker, self.verdicts)
                refusals.append(found)
            requests.append((req, tuple(refusals)))
        open_windows = tuple(w.worker_id for w in workers if w.enabled)
        return SchedDiag(tuple(requests), open_windows)


@dataclass(frozen=True, slots=True)
class SchedDiag:
    """``SealingSchedDiag`` (Lotus ``SchedDiagInfo``) plus each worker's refusal of each request."""

    requests: tuple[tuple[WorkerRequest, tuple[Refusal, ...]], ...]
    open_windows: tuple[WorkerID, ...]

    def to_json(self) -> JsonObject:
        return {
            "Requests": [
                {
                    "Sector": req.sector.id.to_json(),
                    "TaskType": req.task_type.value,
                    "Priority": req.priority,
                    "SchedId": str(req.sched_id),
                    "Refusals": [r.to_json() for r in refusals],
                }
                for req, refusals in self.requests
            ],
            "OpenWindows": [str(w) for w in self.open_windows],
        }

    def describe(self, index: int) -> str:
        """One line for request ``index``: ``PC1 s-t01000-8: host 'fred': not enough …; …``."""
        req, refusals = self.requests[index]
        return f"{req.task_type.short} {sector_name(req.sector.id)}: {summarize(list(refusals))}"
