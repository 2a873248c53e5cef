"""Selectors: which workers may run a request (``ok``) and which of them is better (``cmp``).

Counterpart: Lotus ``storage/sealer/selector_alloc.go``, ``selector_existing.go``,
``selector_task.go`` and the ``WorkerSelector`` interface in ``sched.go``; reference/lotus-miner.md
§4.4 (which manager call uses which selector).

=================  ===========================================  ======================================
selector           ``ok``                                       ``cmp`` (true: ``a`` preferred)
=================  ===========================================  ======================================
AllocSelector      task type enabled, and one of the worker's   lower utilisation
                   paths is among ``StorageBestAlloc``
ExistingSelector   task type enabled, and one of the worker's   the worker holding the files, then
                   paths holds the sector's files (or, with     lower utilisation
                   ``allow_fetch``, could take them)
TaskSelector       task type enabled                            fewer task types ("prefer workers
                                                                which can do less"), then lower
                                                                utilisation
=================  ===========================================  ======================================

Three differences from Lotus's interface, all for the scheduler's cost at scale (anchors.md §2.5):

* ``key``: requests whose selectors have equal keys get one ``ok`` call per worker per pass,
  shared (two thousand AddPieces with the same ``AllocSelector`` cost two hundred calls on two
  hundred workers, not four hundred thousand).  A selector's answer must depend only on its key,
  the task type, the proof type and the worker.
* ``cache``: index lookups that do not depend on the worker (``StorageBestAlloc``,
  ``StorageFindSector``) are made once per pass and shared by every ``ok`` call of that pass, as
  Lotus's ``schedWorkerCache`` shares worker RPCs.
* ``cmp`` is synchronous: it compares the :class:`SchedWorker` views it is given (utilisation,
  task types, paths), so the scheduler can keep candidates in a heap.  ``ok`` stays async, bounded
  by :data:`SELECTOR_TIMEOUT` per call.

``explain`` says in one line why ``ok`` refused a worker; the scheduler calls it right after the
refusal, in the same pass, and shows it in ``SealingSchedDiag``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Final, Protocol, TypeVar, final

from ..abi import RegisteredSealProof, SectorFileType, SectorID, sector_name
from ..stores import NoSpace, PathType, SectorIndex, SectorStorageInfo, StorageID, StorageInfo
from .task_types import TaskType
from .worker_handle import SchedWorker

__all__ = [
    "SELECTOR_TIMEOUT",
    "AllocSelector",
    "ExistingSelector",
    "PassCache",
    "TaskSelector",
    "WorkerSelector",
]

SELECTOR_TIMEOUT: Final = 5.0  # seconds per ok() call; Lotus SelectorTimeout

T = TypeVar("T")


@final
class PassCache:
    """Answers looked up once per scheduling pass, shared by every ``ok`` call of the pass.

    A failed lookup is remembered too: its error is raised again to every later caller with the
    same key, so an index that refuses (``NoSpace``) is asked once, not once per worker.
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, object] = {}
        self._errors: dict[Hashable, Exception] = {}

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """The value under ``key``, fetching it the first time."""
        if key in self._errors:
            raise self._errors[key]
        if key not in self._values:
            try:
                self._values[key] = await fetch()
            except Exception as exc:
                self._errors[key] = exc
                raise
        return self._values[key]  # type: ignore[return-value]  # stored by the fetch for this key


class WorkerSelector(Protocol):
    """Decides which workers may take a request and which is best (Lotus ``WorkerSelector``)."""

    @property
    def key(self) -> Hashable:
        """Everything ``ok`` depends on besides task type, proof and worker."""
        ...

    async def ok(
        self, task: TaskType, proof: RegisteredSealProof, worker: SchedWorker, cache: PassCache
    ) -> bool:
        """Whether ``worker`` may run ``task`` for a sector of ``proof``."""
        ...

    def cmp(self, task: TaskType, a: SchedWorker, b: SchedWorker) -> bool:
        """True if ``a`` is preferred over ``b``; both were accepted by ``ok``."""
        ...

    def explain(self, worker: SchedWorker) -> str:
        """Why ``ok`` refused ``worker``, in one line; called right after that refusal."""
        ...


def _by_utilization(a: SchedWorker, b: SchedWorker) -> bool:
    return a.utilization < b.utilization


def _ids(paths: list[StorageInfo] | list[SectorStorageInfo]) -> str:
    return ", ".join(f"'{p.id}'" for p in paths) or "none"


@final
class AllocSelector:
    """A worker with a path that can take new files ``alloc`` (Lotus ``allocSelector``).

    Used where a task creates the sector's files: AddPiece of a new sector (unsealed, sealing),
    PreCommit1 (cache and sealed, sealing), moving a finalized sector to storage.
    """

    def __init__(self, index: SectorIndex, alloc: SectorFileType, path_type: PathType) -> None:
        self._index = index
        self._alloc = alloc
        self._path_type = path_type
        self._best: list[StorageInfo] = []
        self._no_space: str | None = None

    @property
    def key(self) -> Hashable:
        return ("alloc", int(self._alloc), self._path_type)

    async def ok(
        self, task: TaskType, proof: RegisteredSealProof, worker: SchedWorker, cache: PassCache
    ) -> bool:
        if task not in worker.task_types:
            return False
        ssize = int(proof.sector_size)
        try:
            best = await cache.get(
                ("best-alloc", int(self._alloc), ssize, self._path_type),
                lambda: self._index.storage_best_alloc(self._alloc, ssize, self._path_type),
            )
        except NoSpace as exc:
            self._no_space = str(exc)
            return False
        self._no_space, self._best = None, best
        return any(info.id in worker.paths for info in best)

    def cmp(self, task: TaskType, a: SchedWorker, b: SchedWorker) -> bool:
        return _by_utilization(a, b)

    def explain(self, worker: SchedWorker) -> str:
        what = "|".join(self._alloc.names_list())
        if self._no_space is not None:
            return self._no_space
        return (
            f"none of the worker's paths can take new {what} files for {self._path_type.value} "
            f"(paths that can: {_ids(self._best)})"
        )


@final
class ExistingSelector:
    """A worker that already holds the sector's files ``file_type`` (Lotus ``existingSelector``).

    With ``allow_fetch`` a worker with a sealing path that has room for them is acceptable too
    (the prepare step fetches the files there), but one that holds them is preferred: moving a
    32 GiB sector costs minutes.
    """

    def __init__(
        self, index: SectorIndex, sector: SectorID, file_type: SectorFileType, *, allow_fetch: bool
    ) -> None:
        self._index = index
        self._sector = sector
        self._file_type = file_type
        self._allow_fetch = allow_fetch
        self._found: list[SectorStorageInfo] = []
        self._holders: frozenset[StorageID] = frozenset()

    @property
    def key(self) -> Hashable:
        return ("existing", self._sector, int(self._file_type), self._allow_fetch)

    async def ok(
        self, task: TaskType, proof: RegisteredSealProof, worker: SchedWorker, cache: PassCache
    ) -> bool:
        if task not in worker.task_types:
            return False
        ssize = int(proof.sector_size)
        found = await cache.get(
            ("find", self._sector, int(self._file_type), ssize, self._allow_fetch),
            lambda: self._index.storage_find_sector(self._sector, self._file_type, ssize, self._allow_fetch),
        )
        self._found = found
        self._holders = frozenset(info.id for info in found if info.weight > 0)
        return any(info.id in worker.paths for info in found)

    def cmp(self, task: TaskType, a: SchedWorker, b: SchedWorker) -> bool:
        a_holds, b_holds = bool(a.paths & self._holders), bool(b.paths & self._holders)
        if a_holds != b_holds:
            return a_holds
        return _by_utilization(a, b)

    def explain(self, worker: SchedWorker) -> str:
        what = "|".join(self._file_type.names_list())
        name = sector_name(self._sector)
        holders = [info for info in self._found if info.weight > 0]
        if not holders:
            return f"no path holds {what} of sector '{name}'"
        if self._allow_fetch:
            return f"no path of the worker holds {what} of sector '{name}' or has room to fetch them"
        return f"no path of the worker holds {what} of sector '{name}' (held by {_ids(holders)})"


@final
class TaskSelector:
    """Any worker that accepts the task type (Lotus ``taskSelector``); Commit2 uses it."""

    @property
    def key(self) -> Hashable:
        return ("task",)

    async def ok(
        self, task: TaskType, proof: RegisteredSealProof, worker: SchedWorker, cache: PassCache
    ) -> bool:
        return task in worker.task_types

    def cmp(self, task: TaskType, a: SchedWorker, b: SchedWorker) -> bool:
        if len(a.task_types) != len(b.task_types):
            return len(a.task_types) < len(b.task_types)  # prefer workers which can do less
        return _by_utilization(a, b)

    def explain(self, worker: SchedWorker) -> str:
        return "the worker does not accept this task type"


if TYPE_CHECKING:  # Lotus's `var _ WorkerSelector = &allocSelector{}`: mypy checks each selector

    def _conforms(index: SectorIndex, sector: SectorID) -> list[WorkerSelector]:
        return [
            AllocSelector(index, SectorFileType.CACHE, PathType.SEALING),
            ExistingSelector(index, sector, SectorFileType.CACHE, allow_fetch=False),
            TaskSelector(),
        ]
