"""The scheduling loop's record of one worker: pools, ``MaxConcurrent`` counters, assignments.

Counterpart: Lotus ``storage/sealer/sched_worker.go`` (``startProcessingTask``: preparing pool,
then ``withResources`` on the active pool) and ``sched_resources.go`` (``Add``/``Free``).

An :class:`Assignment` goes through three phases::

    PREPARING --prepared()--> PREPARED --grant()--> RUNNING
        \\____________________\\______________________\\___release()___> (gone)

``PREPARING`` and ``PREPARED`` hold the preparing pool (its spec uses the prepare step's
``MaxConcurrent``, counted under the prepare step's type); ``RUNNING`` holds the active pool.
:meth:`WorkerState.grant` moves prepared tasks to the active pool when it has room, best request
first, as Lotus's ``withResources`` waiters do when the pool's condition variable is broadcast.

Only the scheduling loop (:mod:`.scheduler`) calls into this module; nothing here awaits, so each
method is atomic.  Not exported: it is the loop's private state, kept apart to keep the loop short.
"""

from __future__ import annotations

import enum
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import trio

from .diag import WorkerSnapshot
from .pools import PoolUsage, RefusalCause, check_resources
from .request import WorkerRequest
from .resources import Resources
from .task_types import SealTask
from .worker_handle import SchedWorker, WorkerHandle
from .worker_info import RunWait, WorkerJob, WorkerResources

__all__ = ["Assignment", "Phase", "WorkerState"]


class Phase(enum.Enum):
    """Where an assigned task stands; the value is what ``WorkerJobs`` reports as ``RunWait``."""

    PREPARING = RunWait.PREPARING
    PREPARED = RunWait.PREPARED
    RUNNING = RunWait.RUNNING


@dataclass(eq=False)
class Assignment:
    """One request on one worker, from assignment until its task ends or the worker goes.

    ``detached`` means the loop settled the request itself (worker gone, scheduler closing): the
    task's own result is then dropped and its release ignored.
    """

    request: WorkerRequest
    worker: WorkerState
    machine: WorkerResources  # what the pools were charged against, so freeing matches
    need: Resources  # held in the active pool
    prep_need: Resources  # held in the preparing pool
    prep_task: SealTask  # the MaxConcurrent counter while preparing
    phase: Phase = Phase.PREPARING
    detached: bool = False
    cancel_scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    granted: trio.Event = field(default_factory=trio.Event)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


class WorkerState:
    """A worker's handle attributes (read when announced), pools, counters and assignments."""

    def __init__(self, handle: WorkerHandle) -> None:
        self.worker_id = handle.worker_id
        self.preparing = PoolUsage()
        self.active = PoolUsage()
        self.counts: Counter[SealTask] = Counter()  # over both pools (Lotus's shared taskCounter)
        self.assignments: dict[uuid.UUID, Assignment] = {}
        self.ready: list[Assignment] = []  # prepared, waiting for the active pool
        self.version = 0  # bumped on every change to pools or attributes
        self._view: SchedWorker | None = None
        self._snapshot: WorkerSnapshot | None = None
        self.refresh(handle)

    def refresh(self, handle: WorkerHandle) -> None:
        """Re-read the handle (the manager re-announced the worker)."""
        self.handle = handle
        self.info = handle.info
        self.task_types = handle.task_types
        self.paths = handle.paths
        self.enabled = handle.enabled
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._view = None
        self._snapshot = None

    def view(self) -> SchedWorker:
        """The worker as selectors see it now (cached until the next change)."""
        if self._view is None:
            utilization = self.preparing.plus(self.active).utilization(self.info.resources)
            self._view = SchedWorker(self.worker_id, self.info, self.task_types, self.paths, utilization)
        return self._view

    # -- the preparing pool ---------------------------------------------------------------------

    def _prep(self, req: WorkerRequest) -> tuple[Resources, SealTask]:
        prep_type = req.prepare.prep_type if req.prepare is not None else None
        need = self.info.resources.prep_resource_spec(req.sector.proof_type, req.task_type, prep_type)
        return need, SealTask(prep_type or req.task_type, req.sector.proof_type)

    def refuses(self, req: WorkerRequest) -> RefusalCause | None:
        """Why the preparing pool cannot take ``req`` now (``None``: it can)."""
        need, counter = self._prep(req)
        return check_resources(self.preparing, self.counts, need, counter, self.info)

    def start(self, req: WorkerRequest) -> Assignment:
        """Charge ``req`` to the preparing pool and record it; the caller starts its task."""
        prep_need, prep_task = self._prep(req)
        machine = self.info.resources
        need = machine.resource_spec(req.sector.proof_type, req.task_type)
        a = Assignment(req, self, machine, need, prep_need, prep_task)
        self.preparing = self.preparing.add(prep_need, machine)
        self.counts[prep_task] += 1
        self.assignments[req.sched_id] = a
        req.cancel_scope = a.cancel_scope
        self._changed()
        return a

    # -- moving on ------------------------------------------------------------------------------

    def prepared(self, a: Assignment) -> bool:
        """``a``'s prepare step is done; returns whether any task moved to the active pool."""
        if a.detached or a.phase is not Phase.PREPARING:
            return False
        a.phase = Phase.PREPARED
        self.ready.append(a)
        self._snapshot = None  # the job's RunWait changed
        return self.grant()

    def grant(self) -> bool:
        """Move prepared tasks into the active pool while it has room; best request first.

        Returns whether any moved (the preparing pool then has room for more).
        """
        moved = False
        for a in sorted(self.ready, key=lambda a: a.request.sort_key):
            task = a.request.seal_task
            counted = a.prep_task == task
            refused = check_resources(self.active, self.counts, a.need, task, self.info, counted_self=counted)
            if refused is not None:
                continue
            self.ready.remove(a)
            self.active = self.active.add(a.need, a.machine)
            self.counts[task] += 1
            self._uncount(a.prep_task)
            self.preparing = self.preparing.free(a.prep_need, a.machine)
            a.phase = Phase.RUNNING
            a.granted.set()
            moved = True
        if moved:
            self._changed()
        return moved

    def release(self, a: Assignment) -> None:
        """``a``'s task ended (done, failed, cancelled): free what it held and grant others."""
        if a.detached or self.assignments.get(a.request.sched_id) is not a:
            return
        del self.assignments[a.request.sched_id]
        if a.phase is Phase.RUNNING:
            self.active = self.active.free(a.need, a.machine)
            self._uncount(a.request.seal_task)
        else:
            if a.phase is Phase.PREPARED:
                self.ready.remove(a)
            self.preparing = self.preparing.free(a.prep_need, a.machine)
            self._uncount(a.prep_task)
        self._changed()
        self.grant()

    def detach_all(self) -> list[Assignment]:
        """The worker is gone: cancel every task and hand the assignments back to be settled."""
        gone = list(self.assignments.values())
        for a in gone:
            a.detached = True
            a.cancel_scope.cancel()
            a.request.cancel_scope = None
        self.assignments.clear()
        self.ready.clear()
        self._changed()
        return gone

    def _uncount(self, task: SealTask) -> None:
        self.counts[task] -= 1
        if self.counts[task] <= 0:
            del self.counts[task]

    # -- status ---------------------------------------------------------------------------------

    def snapshot(self) -> WorkerSnapshot:
        """Immutable copy for status calls (cached until the next change)."""
        if self._snapshot is None:
            self._snapshot = self._take_snapshot()
        return self._snapshot

    def _take_snapshot(self) -> WorkerSnapshot:
        jobs = tuple(
            WorkerJob(
                a.request.sched_id,
                a.request.sector.id,
                a.request.task_type,
                a.phase.value,
                a.started,
                self.info.hostname,
            )
            for a in self.assignments.values()
        )
        return WorkerSnapshot(
            self.worker_id,
            self.info,
            self.task_types,
            self.paths,
            self.enabled,
            self.preparing,
            self.active,
            dict(self.counts),
            jobs,
        )
