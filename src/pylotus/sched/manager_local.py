"""The scheduler's handle on a local worker, and what this machine offers it.

Counterpart: Lotus ``storage/sealer/manager.go`` (``AddLocalStorage``/``New``: the miner's own
``LocalWorker`` handed to the scheduler as a ``workerHandle``) and ``worker_local.go: Info``
(memory and swap from the OS, CPUs, GPUs, the resource table with the env overrides,
reference/lotus-miner.md §3.4 and §4.3).

The worker package sits below ``sched/`` and speaks Lotus task strings; this module reads its
``TaskTypes``/``Paths`` into the :class:`~.worker_handle.WorkerHandle` shape once, when the
manager adds it (and again if re-announced), as the manager does for a remote worker's RPCs.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..stores import StorageID
from ..worker import LocalWorker
from .resources import parse_resource_env
from .task_types import TaskType
from .worker_info import WorkerID, WorkerInfo, WorkerResources

__all__ = ["LocalWorkerHandle", "machine_resources"]

_MEMINFO: Final = Path("/proc/meminfo")


def _meminfo() -> dict[str, int]:
    """``/proc/meminfo`` in bytes; empty where there is none."""
    out: dict[str, int] = {}
    try:
        text = _MEMINFO.read_text()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            out[name] = int(words[0]) * (1024 if words[1:] == ["kB"] else 1)
    return out


def machine_resources(env: Mapping[str, str]) -> WorkerResources:
    """This machine as a worker reports it (Lotus ``LocalWorker.Info``): RAM, swap, what other
    programs use, CPUs, no GPUs, and the resource table with ``env``'s overrides.

    Raises:
        InvalidResourceEnv: an override in ``env`` does not parse.
    """
    info = _meminfo()
    physical = info.get("MemTotal") or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    swap = info.get("SwapTotal", 0)
    return WorkerResources(
        mem_physical=physical,
        mem_swap=swap,
        cpus=os.cpu_count() or 1,
        mem_used=max(physical - info.get("MemAvailable", physical), 0),
        mem_swap_used=max(swap - info.get("SwapFree", swap), 0),
        resources=parse_resource_env(env),
    )


@dataclass(frozen=True)
class LocalWorkerHandle:
    """A :class:`LocalWorker` as the scheduler sees it; ``worker`` is what the tasks call."""

    worker: LocalWorker
    worker_id: WorkerID
    info: WorkerInfo
    task_types: frozenset[TaskType]
    paths: frozenset[StorageID]
    enabled: bool = True

    @classmethod
    def read(cls, worker: LocalWorker, env: Mapping[str, str] | None = None) -> LocalWorkerHandle:
        """Read the worker's task types and paths, and this machine's resources.

        Args:
            env: where the resource overrides come from (default ``os.environ``).
        """
        resources = machine_resources(os.environ if env is None else env)
        return cls(
            worker=worker,
            worker_id=WorkerID(worker.session),
            info=WorkerInfo(worker.hostname or socket.gethostname(), resources),
            task_types=frozenset(TaskType.from_json(t) for t in worker.task_types()),
            paths=frozenset(p.id for p in worker.paths()),
        )
