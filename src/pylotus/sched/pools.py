"""A worker's two resource pools, the check that a task fits one, and why it does not.

Counterpart: Lotus ``storage/sealer/sched_resources.go`` (HEAD ``ActiveResources``,
``CanHandleRequest``, ``utilization``, the shared ``taskCounter``); reference/lotus-miner.md §4.4.

Each worker has a *preparing* pool (tasks whose prepare step, typically fetching the sector's
files onto the worker, is running or done) and an *active* pool (tasks doing their work).  A task
enters the preparing pool when it is assigned and moves to the active pool when that pool can take
it, so one task can be fetched while another computes.  ``MaxConcurrent`` is counted across both
pools (Lotus shares one ``taskCounter`` between them): ``PC1_MAX_CONCURRENT=2`` means at most two
PC1s assigned to the worker, not two per pool.

The check, in Lotus HEAD's order (the first failure is the reason reported):

1. ``MaxConcurrent`` reached for the task's type and proof;
2. ``IgnoreResources`` workers pass everything else;
3. RAM: ``pool.mem_used_min + need.min_memory + need.base_min_memory > MemPhysical``;
4. VMEM: ``max(pool.mem_used_max, MemUsed + MemSwapUsed) + need.max_memory + need.base_min_memory
   > MemPhysical + MemSwap`` (memory used outside the worker counts here only: it may be swapped);
5. CPU: ``pool.cpu_use + need.threads(CPUs, GPUs) > CPUs``;
6. GPU, only on a worker with GPUs and for a task that uses them:
   ``pool.gpu_used + need.gpu_utilization > len(GPUs)``.

Pools are immutable values: ``add``/``free`` return a new one, so a snapshot can keep a reference.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ..abi import size_str
from .resources import Resources, size_label
from .task_types import SealTask
from .worker_info import WorkerInfo, WorkerResources

__all__ = ["PoolUsage", "RefusalCause", "check_resources", "describe_refusal"]

_NO_COUNTS: Final[Mapping[SealTask, int]] = {}


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """What the tasks in one pool of one worker hold (Lotus ``ActiveResources`` without the counter)."""

    mem_used_min: int = 0
    mem_used_max: int = 0
    gpu_used: float = 0.0
    cpu_use: int = 0

    def add(self, need: Resources, res: WorkerResources) -> PoolUsage:
        """The pool with one more task needing ``need`` on a machine ``res``."""
        return PoolUsage(
            self.mem_used_min + need.min_memory,
            self.mem_used_max + need.max_memory,
            self.gpu_used + need.gpu_utilization,
            self.cpu_use + need.threads(res.cpus, len(res.gpus)),
        )

    def free(self, need: Resources, res: WorkerResources) -> PoolUsage:
        """The pool without one task needing ``need``; the inverse of :meth:`add`."""
        return PoolUsage(
            self.mem_used_min - need.min_memory,
            self.mem_used_max - need.max_memory,
            self.gpu_used - need.gpu_utilization,
            self.cpu_use - need.threads(res.cpus, len(res.gpus)),
        )

    def plus(self, other: PoolUsage) -> PoolUsage:
        """Both pools together (a worker's utilisation counts preparing and active tasks)."""
        return PoolUsage(
            self.mem_used_min + other.mem_used_min,
            self.mem_used_max + other.mem_used_max,
            self.gpu_used + other.gpu_used,
            self.cpu_use + other.cpu_use,
        )

    def utilization(self, res: WorkerResources) -> float:
        """The busiest of CPU, RAM, VMEM and GPU as a fraction, 0 = idle (Lotus ``utilization``).

        Memory used outside the worker's tasks raises the floor, as in Lotus HEAD.
        """
        cpu = self.cpu_use / res.cpus if res.cpus else 0.0
        ram = max(self.mem_used_min, res.mem_used) / res.mem_physical if res.mem_physical else 0.0
        vmem_total = res.mem_physical + res.mem_swap
        vmem = max(self.mem_used_max, res.mem_used + res.mem_swap_used) / vmem_total if vmem_total else 0.0
        gpu = self.gpu_used / len(res.gpus) if res.gpus else 0.0
        return max(cpu, ram, vmem, gpu)


class RefusalCause(enum.Enum):
    """Why a worker does not take a queued request; the value is the ``Cause`` in ``SealingSchedDiag``."""

    WORKER_DISABLED = "worker-disabled"
    TASK_TYPE_DISABLED = "task-type-disabled"
    MAX_CONCURRENT = "max-concurrent"
    RAM = "ram"
    VMEM = "vmem"
    CPU = "cpu"
    GPU = "gpu"
    SELECTOR = "selector"
    PENDING = "pending"  # fits and nothing refused it: it goes at the next scheduling pass


def check_resources(
    pool: PoolUsage,
    counts: Mapping[SealTask, int],
    need: Resources,
    task: SealTask,
    info: WorkerInfo,
    *,
    counted_self: bool = False,
) -> RefusalCause | None:
    """Whether a task needing ``need`` fits ``pool`` (Lotus ``CanHandleRequest``); ``None`` if it does.

    Args:
        pool: the pool's current usage.
        counts: tasks per seal task on the worker, across both pools.
        need: the task's spec on this worker.
        task: the counter ``need.max_concurrent`` is checked against.
        info: the worker.
        counted_self: the task is already in ``counts`` under ``task`` (moving from the preparing
            to the active pool), so it does not count against itself.
    """
    if need.max_concurrent > 0:
        running = counts.get(task, 0) - (1 if counted_self else 0)
        if running >= need.max_concurrent:
            return RefusalCause.MAX_CONCURRENT
    if info.ignore_resources:
        return None
    res = info.resources
    if pool.mem_used_min + need.min_memory + need.base_min_memory > res.mem_physical:
        return RefusalCause.RAM
    vmem_used = max(pool.mem_used_max, res.mem_used + res.mem_swap_used)
    if vmem_used + need.max_memory + need.base_min_memory > res.mem_physical + res.mem_swap:
        return RefusalCause.VMEM
    if pool.cpu_use + need.threads(res.cpus, len(res.gpus)) > res.cpus:
        return RefusalCause.CPU
    if res.gpus and need.gpu_utilization > 0 and pool.gpu_used + need.gpu_utilization > len(res.gpus):
        return RefusalCause.GPU
    return None


def describe_refusal(
    cause: RefusalCause,
    pool: PoolUsage,
    counts: Mapping[SealTask, int] | None,
    need: Resources,
    task: SealTask,
    info: WorkerInfo,
) -> str:
    """One line saying why, with the numbers: ``not enough physical memory: need 56 GiB, 16 GiB free``.

    Only the resource causes are described here; the others carry their own text.
    """
    res = info.resources
    if cause is RefusalCause.MAX_CONCURRENT:
        count = (counts or _NO_COUNTS).get(task, 0)
        env = f"{task.task_type.short}_{size_label(task.proof)}_MAX_CONCURRENT"
        return (
            f"{count} {task.task_type.short} tasks already on the worker, limit {need.max_concurrent} ({env})"
        )
    if cause is RefusalCause.RAM:
        want = need.min_memory + need.base_min_memory
        free = res.mem_physical - pool.mem_used_min
        return f"not enough physical memory: need {size_str(want)}, {size_str(max(free, 0))} free"
    if cause is RefusalCause.VMEM:
        want = need.max_memory + need.base_min_memory
        used = max(pool.mem_used_max, res.mem_used + res.mem_swap_used)
        free = res.mem_physical + res.mem_swap - used
        return f"not enough virtual memory (ram+swap): need {size_str(want)}, {size_str(max(free, 0))} free"
    if cause is RefusalCause.CPU:
        want = need.threads(res.cpus, len(res.gpus))
        return f"not enough cpu: need {want} core(s), {pool.cpu_use} of {res.cpus} in use"
    if cause is RefusalCause.GPU:
        return f"gpu(s) in use: need {need.gpu_utilization:g}, {pool.gpu_used:g} of {len(res.gpus)} in use"
    raise ValueError(f"no resource description for cause '{cause.value}'")
