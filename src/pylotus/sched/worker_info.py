"""What a worker says about itself, and what the scheduler says about its workers, in Lotus's JSON.

Counterpart: Lotus ``storage/sealer/storiface/worker.go`` (HEAD): ``WorkerID``, ``WorkerInfo``,
``WorkerResources`` (with ``ResourceSpec``/``PrepResourceSpec``), ``WorkerStats``, ``WorkerJob``;
reference/lotus-miner.md §1.6 and §3.4.  ``Info()`` of a worker answers::

    {"Hostname": "fred", "IgnoreResources": false,
     "Resources": {"MemPhysical": 137438953472, "MemUsed": 1073741824, "MemSwap": 0,
                   "MemSwapUsed": 0, "CPUs": 32, "GPUs": ["GeForce RTX 3090"],
                   "Resources": {"seal/v0/precommit/1": {"5": {"MinMemory": 2048, …}}, …}}}

Decoders accept what an L05/L12 worker sends too (no ``MemUsed``/``MemSwapUsed``, ``GPUs`` null,
no ``Resources`` table: the default table then applies) and ignore unknown keys, as Go does.
No I/O.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, NewType

from ..abi import JsonObject, JsonValue, RegisteredSealProof, SectorID
from .errors import InvalidSchedValue
from .resources import (
    RESOURCE_TABLE,
    Resources,
    ResourceTable,
    resource_table_from_json,
    resource_table_to_json,
)
from .task_types import TaskType

__all__ = ["RunWait", "WorkerID", "WorkerInfo", "WorkerJob", "WorkerResources", "WorkerStats"]

WorkerID = NewType("WorkerID", uuid.UUID)
"""A worker's session UUID (Lotus ``storiface.WorkerID``); a restarted worker has a new one."""

_NO_RESOURCES: Final = Resources()
_UINT64_MAX: Final = 2**64 - 1


def _uint(obj: JsonObject, key: str, *, required: bool = True) -> int:
    value = obj.get(key)
    if value is None and not required:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _UINT64_MAX:
        raise InvalidSchedValue(f"field '{key}' must be an unsigned integer, got {value!r:.60}")
    return value


@dataclass(frozen=True, slots=True)
class WorkerResources:
    """A worker's machine (Lotus ``storiface.WorkerResources``); sizes in bytes.

    ``mem_used``/``mem_swap_used`` are what the machine uses outside the worker's own tasks (the OS,
    other programs), counted against virtual memory only, as Lotus HEAD does.  ``resources`` is the
    worker's own table (its env overrides applied); ``None`` means the default table.
    """

    mem_physical: int
    mem_swap: int
    cpus: int
    gpus: tuple[str, ...] = ()
    mem_used: int = 0
    mem_swap_used: int = 0
    resources: ResourceTable | None = None

    def resource_spec(self, proof: RegisteredSealProof, task: TaskType) -> Resources:
        """What ``task`` for ``proof`` needs here: the worker's table first, then the default one.

        A task type without an entry (``Finalize``) needs nothing, as Lotus's zero ``Resources{}``.
        """
        if self.resources is not None:
            spec = self.resources.get(task, {}).get(proof)
            if spec is not None:
                return spec
        return RESOURCE_TABLE.get(task, {}).get(proof, _NO_RESOURCES)

    def prep_resource_spec(
        self, proof: RegisteredSealProof, task: TaskType, prep_type: TaskType | None
    ) -> Resources:
        """The spec a task holds while it prepares: its own, but the prepare step's ``MaxConcurrent``.

        Lotus ``PrepResourceSpec``: a PC1 whose data is being fetched counts against
        ``GET_MAX_CONCURRENT``, not ``PC1_MAX_CONCURRENT``.
        """
        spec = self.resource_spec(proof, task)
        if prep_type is not None and prep_type is not task:
            limit = self.resource_spec(proof, prep_type).max_concurrent
            if limit != spec.max_concurrent:
                spec = Resources(
                    min_memory=spec.min_memory,
                    max_memory=spec.max_memory,
                    gpu_utilization=spec.gpu_utilization,
                    max_parallelism=spec.max_parallelism,
                    max_parallelism_gpu=spec.max_parallelism_gpu,
                    base_min_memory=spec.base_min_memory,
                    max_concurrent=limit,
                )
        return spec

    def to_json(self) -> JsonObject:
        return {
            "MemPhysical": self.mem_physical,
            "MemUsed": self.mem_used,
            "MemSwap": self.mem_swap,
            "MemSwapUsed": self.mem_swap_used,
            "CPUs": self.cpus,
            "GPUs": list(self.gpus) if self.gpus else None,
            "Resources": None if self.resources is None else resource_table_to_json(self.resources),
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> WorkerResources:
        """Read Lotus's JSON.

        Raises:
            InvalidSchedValue: not an object, a size that is not a uint64, ``GPUs`` not a list of names.
        """
        if not isinstance(value, dict):
            raise InvalidSchedValue(f"worker resources must be a json object, got {value!r:.60}")
        gpus = value.get("GPUs") or []
        if not isinstance(gpus, list) or not all(isinstance(g, str) for g in gpus):
            raise InvalidSchedValue(f"field 'GPUs' must be a list of names, got {gpus!r:.60}")
        table = value.get("Resources")
        return cls(
            mem_physical=_uint(value, "MemPhysical"),
            mem_swap=_uint(value, "MemSwap"),
            cpus=_uint(value, "CPUs"),
            gpus=tuple(str(g) for g in gpus),
            mem_used=_uint(value, "MemUsed", required=False),
            mem_swap_used=_uint(value, "MemSwapUsed", required=False),
            resources=None if table is None else resource_table_from_json(table),
        )


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A worker's ``Info()`` (Lotus ``storiface.WorkerInfo``).

    ``ignore_resources`` makes the scheduler skip the RAM/VMEM/CPU/GPU checks for this worker
    (``MaxConcurrent`` still applies), as Lotus's local test workers do.
    """

    hostname: str
    resources: WorkerResources
    ignore_resources: bool = False

    def to_json(self) -> JsonObject:
        return {
            "Hostname": self.hostname,
            "IgnoreResources": self.ignore_resources,
            "Resources": self.resources.to_json(),
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> WorkerInfo:
        """Read Lotus's JSON.

        Raises:
            InvalidSchedValue: not an object, ``Hostname`` not a string, bad ``Resources``.
        """
        if not isinstance(value, dict):
            raise InvalidSchedValue(f"worker info must be a json object, got {value!r:.60}")
        hostname = value.get("Hostname")
        if not isinstance(hostname, str):
            raise InvalidSchedValue(f"field 'Hostname' must be a string, got {hostname!r:.60}")
        ignore = value.get("IgnoreResources", False)
        if not isinstance(ignore, bool):
            raise InvalidSchedValue(f"field 'IgnoreResources' must be a bool, got {ignore!r:.60}")
        return cls(hostname, WorkerResources.from_json(value.get("Resources")), ignore)


@dataclass(frozen=True, slots=True)
class WorkerStats:
    """One worker in ``WorkerStats`` (Lotus ``storiface.WorkerStats``): what its running tasks use.

    As in Lotus HEAD the memory, GPU and CPU figures are the *active* pool (tasks doing their work);
    ``task_counts`` counts every task assigned to the worker, preparing or active, by
    ``"<proof>:<task>"``, the counters ``MaxConcurrent`` is checked against.
    """

    info: WorkerInfo
    tasks: tuple[TaskType, ...]
    enabled: bool
    mem_used_min: int
    mem_used_max: int
    gpu_used: float
    cpu_use: int
    task_counts: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {
            "Info": self.info.to_json(),
            "Tasks": [task.value for task in self.tasks],
            "Enabled": self.enabled,
            "MemUsedMin": self.mem_used_min,
            "MemUsedMax": self.mem_used_max,
            "GpuUsed": self.gpu_used,
            "CpuUse": self.cpu_use,
            "TaskCounts": dict(self.task_counts),
        }


class RunWait(enum.IntEnum):
    """``WorkerJob.RunWait`` values the scheduler reports (Lotus ``RWRunning``, ``RWPrepared``; 2+ is
    assigned)."""

    RUNNING = 0
    PREPARED = 1  # prepared, waiting for the worker's active resources
    PREPARING = 2  # assigned, its prepare step (fetch) running: sealing jobs shows "assigned(1)"


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """One task on a worker as ``WorkerJobs`` lists it (Lotus ``storiface.WorkerJob``).

    The job ID is Lotus's ``CallID`` shape, ``{"Sector": …, "ID": "<uuid>"}``; at the scheduler's
    level the UUID is the request's ``SchedId`` (the manager's call tracking replaces it later).
    """

    sched_id: uuid.UUID
    sector: SectorID
    task: TaskType
    run_wait: int
    start: datetime
    hostname: str = ""

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "ID": {"Sector": self.sector.to_json(), "ID": str(self.sched_id)},
            "Sector": self.sector.to_json(),
            "Task": self.task.value,
            "RunWait": int(self.run_wait),
            "Start": self.start.isoformat().replace("+00:00", "Z"),
        }
        if self.hostname:
            out["Hostname"] = self.hostname
        return out
