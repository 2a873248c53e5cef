"""A request to run one task: what, for which sector, where it may run, and the reply it carries.

Counterpart: Lotus ``storage/sealer/sched.go`` (``WorkerRequest``, ``PrepareAction``,
``WorkerAction``, ``respond``, ``WithPriority``/``DefaultSchedPriority``).

Ownership: the caller of :meth:`~.scheduler.Scheduler.schedule` builds the request and then only
waits on it; from the moment it is sent, every mutable field is the scheduling loop's, except the
two a caller needs when it gives up (:meth:`WorkerRequest.abandon`): a flag and the cancel scope
of the running task, both safe to touch from another task because trio runs one task at a time.
The reply is written once (:meth:`WorkerRequest.finish`), by whoever settles the request first:
the task that ran it, or the loop when the worker vanished or the scheduler closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

import trio

from ..stores import SectorRef
from .task_types import SealTask, TaskType
from .worker_handle import WorkerHandle

if TYPE_CHECKING:
    from .selectors import WorkerSelector

__all__ = ["DEFAULT_SCHED_PRIORITY", "PrepareAction", "SortKey", "WorkerAction", "WorkerRequest"]

DEFAULT_SCHED_PRIORITY: Final = 0
"""Priority of a request that asks for none (Lotus ``DefaultSchedPriority``); the sealing pipeline
passes 1024 for sectors with deals (Lotus ``DealSectorPriority``).  Larger runs first."""

SortKey: TypeAlias = tuple[int, int, int, int, int]
"""(data-moving ? 0 : 1, -priority, task order, sector number, arrival in the queue): ascending."""

WorkerAction = Callable[[WorkerHandle], Awaitable[object]]
"""What a task does on the worker it was given (Lotus ``WorkerAction``)."""


@dataclass(frozen=True, slots=True)
class PrepareAction:
    """The step run before the work, typically fetching the sector's files to the chosen worker.

    ``prep_type`` names the step's own task type (Lotus ``PrepType``, usually ``FETCH``): while it
    runs, the task counts against that type's ``MaxConcurrent`` on the worker.  ``None`` counts it
    against the task's own type.
    """

    action: Callable[[WorkerHandle], Awaitable[None]]
    prep_type: TaskType | None = None


class WorkerRequest:
    """One queued or running task (Lotus ``WorkerRequest``); built by ``schedule()``, run by the loop."""

    __slots__ = (
        "sched_id",
        "sector",
        "task_type",
        "priority",
        "selector",
        "prepare",
        "work",
        "wait_for_worker",
        "sort_key",
        "seal_task",
        "group_key",
        "fresh",
        "checked_epoch",
        "abandoned",
        "cancel_scope",
        "_done",
        "_result",
        "_error",
    )

    def __init__(
        self,
        sector: SectorRef,
        task_type: TaskType,
        selector: WorkerSelector,
        prepare: PrepareAction | None,
        work: WorkerAction,
        *,
        priority: int = DEFAULT_SCHED_PRIORITY,
        wait_for_worker: bool = True,
    ) -> None:
        self.sched_id = uuid.uuid4()
        self.sector = sector
        self.task_type = task_type
        self.priority = priority
        self.selector = selector
        self.prepare = prepare
        self.work = work
        self.wait_for_worker = wait_for_worker
        # Lotus RequestQueue.Less: data-moving tasks first, then priority (higher first), task
        # order, sector number ("optimize minerActor.NewSectors bitfield").  The queue appends its
        # arrival count when the request enters it (RequestQueue.push), so equal requests stay FIFO.
        self.sort_key: SortKey = (
            0 if task_type.is_data_moving else 1,
            -priority,
            task_type.order,
            int(sector.id.number),
            0,
        )
        self.seal_task = SealTask(task_type, sector.proof_type)
        # Requests with equal group keys get the same answer from every worker within a pass.
        prep_type = prepare.prep_type if prepare is not None else None
        self.group_key: tuple[Hashable, ...] = (selector.key, task_type, sector.proof_type, prep_type)
        # Owned by the scheduling loop.
        self.fresh = True  # never yet matched against every worker since (re)entering the queue
        self.checked_epoch = -1  # worker-set epoch of the last "could any worker ever" check
        self.abandoned = False
        self.cancel_scope: trio.CancelScope | None = None
        self._done = trio.Event()
        self._result: object = None
        self._error: BaseException | None = None

    @property
    def selector_key(self) -> tuple[Hashable, ...]:
        """What the selector's verdicts are remembered under: selector key, task type, proof."""
        return self.group_key[:3]

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def finish(self, *, result: object = None, error: BaseException | None = None) -> bool:
        """Settle the request with a result or an error; a second call is ignored.

        Returns:
            Whether this call settled it.
        """
        if self._done.is_set():
            return False
        self._result, self._error = result, error
        self._done.set()
        return True

    def abandon(self) -> None:
        """The caller gave up waiting: drop the request from the queue, or cancel its running task.

        Synchronous and safe inside a cancelled scope; the loop notices the flag at its next pass
        (the caller pokes it) and frees what the task held when the task ends.
        """
        self.abandoned = True
        if self.cancel_scope is not None:
            self.cancel_scope.cancel()

    async def wait(self) -> object:
        """Wait for the reply and return the work's result, or raise its error."""
        await self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result

    def __repr__(self) -> str:
        return (
            f"<WorkerRequest {self.task_type.short} {self.sector.id} prio={self.priority} id={self.sched_id}>"
        )
