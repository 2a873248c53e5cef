"""Task types: what a worker can be asked to do, their Lotus strings, short names and queue order.

Counterpart: Lotus ``storage/sealer/sealtasks/task.go`` (HEAD), reference/lotus-miner.md §4.1.  The
strings are wire values (``TaskTypes`` answers ``{"seal/v0/precommit/1": {}, …}``), the short names
are what ``sealing jobs`` and the resource env vars (``PC1_32G_MAX_CONCURRENT``) use.

pylotus keeps the task types its sealing pipeline runs.  Snap-deal tasks (replica update, sector key
regeneration, ``datacid``, ``download/sector``, ``finalizeunsealed``) and the PoSt worker tasks are
left out: nothing here would schedule them.  The order values are HEAD's; for these eight types the
relative order is the same as in L05/L12.

**Lower order value = scheduled first.**  Negative-order tasks move or drop data (fetch,
finalize): they free space and unblock others, so they beat every positive-order task whatever
the priority (:meth:`TaskType.is_data_moving`; Lotus ``MuchLess``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from ..abi import JsonValue, RegisteredSealProof
from .errors import InvalidSchedValue

__all__ = ["SealTask", "TaskType"]


class TaskType(enum.Enum):
    """A kind of task, valued by its Lotus string (Lotus ``sealtasks.TaskType``)."""

    ADD_PIECE = "seal/v0/addpiece"
    PRE_COMMIT_1 = "seal/v0/precommit/1"
    PRE_COMMIT_2 = "seal/v0/precommit/2"
    COMMIT_1 = "seal/v0/commit/1"
    COMMIT_2 = "seal/v0/commit/2"
    FINALIZE = "seal/v0/finalize"
    FETCH = "seal/v0/fetch"
    UNSEAL = "seal/v0/unseal"

    @property
    def order(self) -> int:
        """Queue order (HEAD ``order``): lower is scheduled first."""
        return _ORDER[self]

    @property
    def short(self) -> str:
        """The short name: ``PC1``, ``AP``, ``GET`` (HEAD ``Short()``, unpadded)."""
        return _SHORT[self]

    @property
    def is_data_moving(self) -> bool:
        """Negative order: fetch and finalize, which beat every other task regardless of priority."""
        return _ORDER[self] < 0

    @classmethod
    def from_short(cls, short: str) -> TaskType:
        """The task type whose short name is ``short``.

        Raises:
            InvalidSchedValue: no task type has that short name.
        """
        for task in cls:
            if _SHORT[task] == short:
                return task
        raise InvalidSchedValue(f"unknown task type short name '{short}'")

    @classmethod
    def from_json(cls, value: JsonValue) -> TaskType:
        """Read the wire form, the Lotus string.

        Raises:
            InvalidSchedValue: not a string, or not a task type pylotus knows.
        """
        if isinstance(value, str):
            for task in cls:
                if task.value == value:
                    return task
        raise InvalidSchedValue(f"unknown task type {value!r:.60}")


_ORDER: Final[dict[TaskType, int]] = {
    TaskType.ADD_PIECE: 9,  # least priority
    TaskType.PRE_COMMIT_1: 5,
    TaskType.PRE_COMMIT_2: 4,
    TaskType.COMMIT_2: 3,
    TaskType.COMMIT_1: 2,
    TaskType.UNSEAL: 1,
    TaskType.FETCH: -1,
    TaskType.FINALIZE: -3,  # most priority
}

_SHORT: Final[dict[TaskType, str]] = {
    TaskType.ADD_PIECE: "AP",
    TaskType.PRE_COMMIT_1: "PC1",
    TaskType.PRE_COMMIT_2: "PC2",
    TaskType.COMMIT_1: "C1",
    TaskType.COMMIT_2: "C2",
    TaskType.FINALIZE: "FIN",
    TaskType.FETCH: "GET",
    TaskType.UNSEAL: "UNS",
}


@dataclass(frozen=True, slots=True)
class SealTask:
    """A task type for one proof type: what resource specs and ``MaxConcurrent`` counters are keyed by.

    ``str()`` is Lotus's ``SealTaskType.String()``, ``"<proof id>:<task string>"``, the key of
    ``WorkerStats.TaskCounts``.
    """

    task_type: TaskType
    proof: RegisteredSealProof

    def __str__(self) -> str:
        return f"{int(self.proof)}:{self.task_type.value}"
