"""Fakes for the scheduler tests: workers, tasks the test starts and ends by hand, a harness.

Mirrors the fixture of Lotus's ``sched_test.go``: workers with ``decentWorkerResources`` (128 GiB
RAM, 200 GiB swap, 1 GiB used, 32 cores, no GPU), one storage path ``bb-8`` each (1 TiB free,
attached to a real :class:`~pylotus.stores.MemIndex`), 32 GiB sectors, ``AllocSelector(cache,
sealing)``.  Lotus's test sets ``ParallelNum = ParallelDenom = 1`` so that PC2 takes all 32 cores;
here the workers report a resource table with ``PC2_32G_MAX_PARALLELISM=32`` instead, which is
the same thing said through the env override a real worker would use.

Where Lotus's test blocks in the *prepare* step, these tasks block in their *work* until the test
calls :meth:`Task.finish`: "started" means the work is running on the worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import trio
import trio.testing

from pylotus.abi import ActorID, RegisteredSealProof, SectorFileType, SectorID, SectorNumber
from pylotus.sched import (
    AllocSelector,
    PrepareAction,
    Scheduler,
    TaskType,
    WorkerHandle,
    WorkerID,
    WorkerInfo,
    WorkerResources,
    WorkerSelector,
    parse_resource_env,
)
from pylotus.stores import FsStat, MemIndex, PathType, SectorRef, StorageID, StorageInfo

GIB = 1 << 30
TIB = 1 << 40
MINER = ActorID(1000)
PROOF_32G = RegisteredSealProof.STACKED_DRG_32GIB_V1_1
PROOF_2K = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
PC1, PC2 = TaskType.PRE_COMMIT_1, TaskType.PRE_COMMIT_2


def decent(env: dict[str, str] | None = None, **changes: object) -> WorkerResources:
    """Lotus's ``decentWorkerResources``, PC2/C2 taking every core, plus ``env`` overrides."""
    table = parse_resource_env({"PC2_32G_MAX_PARALLELISM": "32", **(env or {})})
    fields: dict[str, object] = {
        "mem_physical": 128 * GIB,
        "mem_swap": 200 * GIB,
        "mem_used": GIB,
        "mem_swap_used": GIB,
        "cpus": 32,
        "resources": table,
    }
    fields.update(changes)
    return WorkerResources(**fields)  # type: ignore[arg-type]  # test helper


@dataclass(frozen=True)
class FakeWorker:
    """A :class:`WorkerHandle`: data only, as the manager would keep it."""

    worker_id: WorkerID
    info: WorkerInfo
    task_types: frozenset[TaskType]
    paths: frozenset[StorageID]
    enabled: bool = True

    @property
    def name(self) -> str:
        return self.info.hostname


@dataclass(eq=False)
class Task:
    """One scheduled request as the test sees it."""

    name: str
    hold: bool
    hold_prepare: bool = False
    prepared_on: list[str] = field(default_factory=list)
    worked_on: list[str] = field(default_factory=list)
    started: trio.Event = field(default_factory=trio.Event)
    done: trio.Event = field(default_factory=trio.Event)
    cancelled: bool = False
    result: object = None
    error: BaseException | None = None
    preparing: trio.Event = field(default_factory=trio.Event)
    _release: trio.Event = field(default_factory=trio.Event)
    _release_prepare: trio.Event = field(default_factory=trio.Event)
    _scope: trio.CancelScope = field(default_factory=trio.CancelScope)

    @property
    def is_running(self) -> bool:
        return self.started.is_set() and not self.done.is_set()

    def finish(self) -> None:
        """Let the work return."""
        self._release.set()

    def finish_prepare(self) -> None:
        """Let the prepare step return (``hold_prepare``)."""
        self._release_prepare.set()

    def cancel(self) -> None:
        """The caller of ``schedule()`` gives up."""
        self._scope.cancel()

    async def prepare(self, handle: WorkerHandle) -> None:
        self.prepared_on.append(handle.info.hostname)
        self.preparing.set()
        if self.hold_prepare:
            await self._release_prepare.wait()

    async def work(self, handle: WorkerHandle) -> str:
        self.worked_on.append(handle.info.hostname)
        self.started.set()
        if self.hold:
            await self._release.wait()
        return handle.info.hostname


class Harness:
    """A running :class:`Scheduler`, a :class:`MemIndex` and the tasks submitted so far."""

    def __init__(self, nursery: trio.Nursery) -> None:
        self.nursery = nursery
        self.sched = Scheduler()
        self.index = MemIndex()
        self.tasks: dict[str, Task] = {}

    async def worker(
        self,
        name: str,
        task_types: Iterable[TaskType],
        resources: WorkerResources | None = None,
        *,
        paths: Iterable[str] = ("bb-8",),
        free: int = TIB,
        ignore_resources: bool = False,
        enabled: bool = True,
    ) -> FakeWorker:
        for path in paths:
            info = StorageInfo(StorageID(path), (), 2, True, True)
            await self.index.storage_attach(info, FsStat(capacity=TIB, available=free, reserved=3))
        handle = FakeWorker(
            WorkerID(uuid.uuid4()),
            WorkerInfo(name, resources or decent(), ignore_resources),
            frozenset(task_types),
            frozenset(StorageID(p) for p in paths),
            enabled,
        )
        await self.sched.add_worker(handle)
        return handle

    def submit(
        self,
        name: str,
        number: int,
        task_type: TaskType,
        *,
        proof: RegisteredSealProof = PROOF_32G,
        selector: WorkerSelector | None = None,
        priority: int = 0,
        prep_type: TaskType | None = None,
        hold: bool = True,
        hold_prepare: bool = False,
        wait_for_worker: bool = True,
    ) -> Task:
        """Schedule a task in the background; it holds in its work until ``finish()``."""
        task = self.tasks[name] = Task(name, hold, hold_prepare)
        sel = selector or AllocSelector(self.index, SectorFileType.CACHE, PathType.SEALING)
        sector = SectorRef(SectorID(MINER, SectorNumber(number)), proof)

        async def run() -> None:
            with task._scope:
                try:
                    task.result = await self.sched.schedule(
                        sector,
                        task_type,
                        sel,
                        PrepareAction(task.prepare, prep_type),
                        task.work,
                        priority=priority,
                        wait_for_worker=wait_for_worker,
                    )
                except Exception as exc:
                    task.error = exc
            task.cancelled = task._scope.cancelled_caught
            task.done.set()

        self.nursery.start_soon(run)
        return task

    def running(self) -> set[str]:
        return {name for name, task in self.tasks.items() if task.is_running}

    async def settle(self) -> None:
        """Let the scheduler and every task run until all wait (Lotus's 10 ms, made exact)."""
        await trio.testing.wait_all_tasks_blocked()

    async def finish(self, *names: str) -> None:
        for name in names:
            self.tasks[name].finish()
        for name in names:
            with trio.fail_after(5):
                await self.tasks[name].done.wait()
        await self.settle()
