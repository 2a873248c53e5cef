"""What the scheduler needs of a worker, and the frozen view of one that selectors judge.

Counterpart: Lotus ``storage/sealer/sched.go`` (``WorkerHandle``, ``SchedWorker``) and
``sched_worker_cache.go`` (``cachedSchedWorker``: task types and paths read once per pass).

The scheduler never calls a worker.  A :class:`WorkerHandle` is data the manager keeps current
(it reads ``Info``/``TaskTypes``/``Paths`` when the worker connects, and again on a heartbeat);
what a worker is asked to *do* travels with each request, as the ``prepare`` and ``work``
callables of :meth:`~.scheduler.Scheduler.schedule`, which receive the chosen handle.  So a slow or
dead worker can stall its own tasks, never the scheduling loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..stores import StorageID
from .task_types import TaskType
from .worker_info import WorkerID, WorkerInfo

__all__ = ["SchedWorker", "WorkerHandle"]


class WorkerHandle(Protocol):
    """A connected worker as the scheduler sees it.

    The scheduler reads these attributes when the worker is added and again whenever the handle
    is re-announced with :meth:`~.scheduler.Scheduler.add_worker` (same ``worker_id``): that is how
    the manager reports a worker disabled, re-enabled, or given a new path.
    """

    @property
    def worker_id(self) -> WorkerID:
        """The worker's session UUID; a restarted worker is a new worker."""
        ...

    @property
    def info(self) -> WorkerInfo:
        """Hostname and machine resources, as the worker's ``Info()`` reported them."""
        ...

    @property
    def task_types(self) -> frozenset[TaskType]:
        """The task types the worker accepts (its ``TaskTypes()``)."""
        ...

    @property
    def paths(self) -> frozenset[StorageID]:
        """The IDs of the storage paths on the worker's own disks (its ``Paths()``)."""
        ...

    @property
    def enabled(self) -> bool:
        """False while the manager has disabled the worker (it answers no heartbeat): nothing new
        is assigned to it, what runs there keeps running."""
        ...


@dataclass(frozen=True, slots=True)
class SchedWorker:
    """A worker as a selector judges it during one scheduling pass (Lotus ``SchedWorker``).

    ``utilization`` is the busiest of CPU, RAM, VMEM and GPU over the worker's preparing and
    active pools together, 0 = idle (Lotus ``WorkerHandle.Utilization``); it is recomputed each
    time the pass assigns the worker a task.
    """

    worker_id: WorkerID
    info: WorkerInfo
    task_types: frozenset[TaskType]
    paths: frozenset[StorageID]
    utilization: float
