"""The manager: each sealing call with its sector locks, its selector and its prepare step.

Counterpart: Lotus ``storage/sealer/manager.go`` (``Manager``: ``AddPiece``, ``SealPreCommit1`` …
``FinalizeSector``, ``Remove``, ``SectorsUnsealPiece``, ``getWork``); the table it follows is
reference/lotus-miner.md §4.4:

===========  ============  ============  =================================  ======================
call         read lock     write lock    selector                           prepare (fetch)
===========  ============  ============  =================================  ======================
AddPiece     –             unsealed      alloc(unsealed, sealing) for the   –
                                         first piece, else existing
PreCommit1   unsealed      sealed+cache  alloc(sealed+cache, sealing)       unsealed, move
PreCommit2   sealed        cache         existing(sealed+cache, fetch ok)   sealed+cache, move
Commit1      sealed        cache         existing(sealed+cache, no fetch)   sealed+cache, move
Commit2      –             –             task                               –
Finalize     –             all           existing(sealed+cache, no fetch)   sealed+cache, move
                                         then alloc(sealed+cache, storage)  to storage, move
                                         for a Fetch task that moves them
Remove       –             all           – (the manager's own store)        –
UnsealPiece  sealed+cache  unsealed      existing(sealed+cache, fetch ok)   sealed+cache, copy
===========  ============  ============  =================================  ======================

Each call holds its locks (stores ``SectorLocks``) from before it is queued until its work ends,
so two writers of one sector's files never run at once, and a reader never sees a file being
written.  Identical concurrent calls (same sector, task and arguments) share one run, as Lotus's
``getWork`` dedupes by work ID: a caller that retries while the first call still runs gets the
first call's result instead of a second PreCommit1.

Workers are :class:`~pylotus.worker.LocalWorker` objects in this process (the miner's own, or
several in tests) or seal workers reached through a :class:`~.calltracker.TrackedWorker`
(:mod:`.remote_worker`); both have the same sealing methods.  A remote call answers with a
``CallID`` and its result comes by ``Return*`` (:mod:`.calltracker`); a deduplicated call is
tagged with its work ID, and before scheduling a work the manager asks the tracker whether a call
for it is already out (a miner restart while a worker ran it): then it waits for that call's
result instead of running the task again (Lotus ``getWork``).

*A worker that goes away mid-call.*  The scheduler requeues a task whose work had not started, and
fails one whose work had started with :class:`~.errors.WorkerClosed`; a remote call whose worker
was dropped fails with a temporary ``CallFailed`` (code ``ERR_TEMP_WORKER_RESTART``).  For the
calls of :meth:`Manager._run` the manager knows redoing is safe (they hold their sector's write
lock, and each writes its outputs afresh), so it schedules such a call again, on whichever capable
worker the scheduler picks, up to :data:`MAX_ATTEMPTS` times in all, logging each retry.  No other
error is retried: a task's own failure is the caller's to see.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Final, TypeVar, final

import trio

from ..abi import SectorFileType, UnpaddedPieceSize
from ..proofs import PieceInfo, SectorCids
from ..stores import AcquireMode, PathType, RemoteStore, SectorIndex, SectorLocks, SectorRef
from ..worker import ERR_TEMP_WORKER_RESTART, LocalWorker
from .calltracker import CallTracker, TemporaryCallFailed, TrackedWorker, work_id
from .errors import WorkerClosed
from .manager_local import LocalWorkerHandle
from .remote_worker import RemoteWorkerHandle
from .request import DEFAULT_SCHED_PRIORITY, PrepareAction
from .scheduler import Scheduler
from .selectors import AllocSelector, ExistingSelector, TaskSelector, WorkerSelector
from .task_types import TaskType
from .worker_handle import WorkerHandle

__all__ = ["MAX_ATTEMPTS", "Manager"]

log = logging.getLogger(__name__)

FT = SectorFileType
SEALED_CACHE: Final = FT.SEALED | FT.CACHE
ALL_TYPES: Final = FT.UNSEALED | FT.SEALED | FT.CACHE

T = TypeVar("T")

MAX_ATTEMPTS: Final = 3  # runs of one call whose worker keeps going away, the first included


SealingWorker = LocalWorker | TrackedWorker
"""What a sealing call runs on: a worker in this process, or a seal worker through the tracker."""


def _local(handle: WorkerHandle) -> SealingWorker:
    """The worker behind a handle the manager (or ``RemoteWorkers``) added."""
    if not isinstance(handle, LocalWorkerHandle | RemoteWorkerHandle):
        raise RuntimeError(f"manager got a worker it did not add: {handle!r:.80}")
    return handle.worker


def _fetch(sector: SectorRef, ft: SectorFileType, path_type: PathType, mode: AcquireMode) -> PrepareAction:
    """The prepare step that brings ``ft`` onto the chosen worker (Lotus ``schedFetch``)."""

    async def action(handle: WorkerHandle) -> None:
        await _local(handle).fetch(sector, ft, path_type, mode)

    return PrepareAction(action, prep_type=TaskType.FETCH)


def _worker_went_away(exc: Exception) -> bool:
    """The call failed because its worker was dropped, not because of the task itself."""
    if isinstance(exc, WorkerClosed):
        return True
    return isinstance(exc, TemporaryCallFailed) and exc.error.code == ERR_TEMP_WORKER_RESTART


class _Work:
    """One running call that identical calls join (Lotus ``getWork``/``waitWork``)."""

    def __init__(self) -> None:
        self.done = trio.Event()
        self.result: object = None
        self.error: BaseException | None = None
        self.finished = False
        self.cancelled = False


@final
class Manager:
    """Sealing calls over a scheduler and its workers (Lotus ``Manager``).

    Args:
        sched: a running :class:`Scheduler`.
        index: the sector index (selectors ask it where files are and where they may go).
        store: the miner's own store; ``remove`` deletes through it.
        locks: the sector lock table (default: a new one); share it with whatever else touches
            sector files in this process (PoSt).
        calls: the call tracker of the remote workers (``RemoteWorkers.calls``); with it, a work
            whose call is already out is awaited instead of being run again.
    """

    def __init__(
        self,
        sched: Scheduler,
        index: SectorIndex,
        store: RemoteStore,
        *,
        locks: SectorLocks | None = None,
        calls: CallTracker | None = None,
    ) -> None:
        self._sched = sched
        self._calls = calls
        self._index = index
        self._store = store
        self.locks = locks or SectorLocks()
        self._work: dict[Hashable, _Work] = {}

    async def add_local_worker(self, worker: LocalWorker, env: Mapping[str, str] | None = None) -> None:
        """Hand a local worker to the scheduler (Lotus ``AddWorker`` for the miner's own worker).

        Args:
            env: where its resource overrides come from (default ``os.environ``).
        """
        handle = LocalWorkerHandle.read(worker, env)
        log.info("local worker added worker=%s tasks=%d", handle.worker_id, len(handle.task_types))
        await self._sched.add_worker(handle)

    # -- the recipe every call follows ---------------------------------------------------------

    async def _run(
        self,
        key: Hashable,
        sector: SectorRef,
        read: SectorFileType,
        write: SectorFileType,
        task: TaskType,
        selector: WorkerSelector,
        prepare: PrepareAction | None,
        work: Callable[[SealingWorker], Awaitable[T]],
        priority: int,
    ) -> T:
        """Join an identical running call, or lock, schedule and run this one.

        *Cancellation*: cancelling the caller that started a call cancels the run; the callers
        that joined it then start it again themselves (the next one in becomes the starter).
        """
        while (running := self._work.get(key)) is not None:
            log.info("joining a running call sector=%s task=%s", sector.id, task.short)
            await running.done.wait()
            if running.cancelled:
                continue
            if running.error is not None:
                raise running.error
            return running.result  # type: ignore[return-value]  # the same call's result
        mine = self._work[key] = _Work()
        wid = work_id(key)
        try:
            async with self.locks.lock(sector.id, read, write):
                result = await self._attempts(sector, task, wid, selector, prepare, work, priority)
            mine.result, mine.finished = result, True
            return result
        except Exception as exc:
            mine.error, mine.finished = exc, True
            raise
        finally:
            mine.cancelled = not mine.finished  # cancelled (or interrupted): nothing to share
            del self._work[key]
            mine.done.set()

    async def _attempts(
        self,
        sector: SectorRef,
        task: TaskType,
        wid: str | None,
        selector: WorkerSelector,
        prepare: PrepareAction | None,
        work: Callable[[SealingWorker], Awaitable[T]],
        priority: int,
    ) -> T:
        """Take the result of a call already out for ``wid``, or schedule one; again (up to
        :data:`MAX_ATTEMPTS` runs) when the worker running it went away.  Locks are the caller's."""

        async def on_worker(handle: WorkerHandle) -> T:
            worker = _local(handle)
            if isinstance(worker, TrackedWorker):
                worker = worker.for_work(wid)
            return await work(worker)

        attempt = 1
        while True:
            try:
                out = None if self._calls is None or wid is None else self._calls.find_work(wid)
                if out is not None and self._calls is not None:
                    log.info(
                        "waiting for a call already out sector=%s task=%s call=%s",
                        sector.id,
                        task.short,
                        out.id,
                    )
                    return await self._calls.result_of(out)  # type: ignore[return-value]  # decoded by the work's codec
                return await self._sched.schedule(
                    sector, task, selector, prepare, on_worker, priority=priority
                )
            except (WorkerClosed, TemporaryCallFailed) as exc:
                if not _worker_went_away(exc) or attempt >= MAX_ATTEMPTS:
                    raise
                log.warning(
                    "worker went away, scheduling the call again sector=%s task=%s attempt=%d/%d: %s",
                    sector.id,
                    task.short,
                    attempt + 1,
                    MAX_ATTEMPTS,
                    exc,
                )
                attempt += 1

    # -- sealing calls ---------------------------------------------------------------------------

    async def add_piece(
        self,
        sector: SectorRef,
        existing_sizes: Sequence[UnpaddedPieceSize],
        size: UnpaddedPieceSize,
        data: bytes | None,
        *,
        priority: int = DEFAULT_SCHED_PRIORITY,
    ) -> PieceInfo:
        """``AddPiece``: write a piece into the sector's unsealed file (a new one for the first piece).

        ``data`` is the piece's bytes, or ``None`` for a zero (pledge) piece.  Not deduplicated:
        two AddPieces of one sector are two pieces.
        """
        selector: WorkerSelector
        if existing_sizes:
            selector = ExistingSelector(self._index, sector.id, FT.UNSEALED, allow_fetch=False)
        else:
            selector = AllocSelector(self._index, FT.UNSEALED, PathType.SEALING)
        sizes = list(existing_sizes)
        return await self._run(
            object(),  # unique: never joined
            sector,
            FT.NONE,
            FT.UNSEALED,
            TaskType.ADD_PIECE,
            selector,
            None,
            lambda w: w.add_piece(sector, sizes, size, data),
            priority,
        )

    async def seal_pre_commit1(
        self,
        sector: SectorRef,
        ticket: bytes,
        pieces: Sequence[PieceInfo],
        *,
        priority: int = DEFAULT_SCHED_PRIORITY,
    ) -> bytes:
        """``SealPreCommit1``: SDR layers on a worker that can allocate sealed and cache files."""
        pieces = list(pieces)
        return await self._run(
            ("PC1", sector, ticket, tuple(pieces)),
            sector,
            FT.UNSEALED,
            SEALED_CACHE,
            TaskType.PRE_COMMIT_1,
            AllocSelector(self._index, SEALED_CACHE, PathType.SEALING),
            _fetch(sector, FT.UNSEALED, PathType.SEALING, AcquireMode.MOVE),
            lambda w: w.seal_pre_commit1(sector, ticket, pieces),
            priority,
        )

    async def seal_pre_commit2(
        self, sector: SectorRef, pc1_out: bytes, *, priority: int = DEFAULT_SCHED_PRIORITY
    ) -> SectorCids:
        """``SealPreCommit2``: trees and replica where the layers are (fetching them if it must)."""
        return await self._run(
            ("PC2", sector, pc1_out),
            sector,
            FT.SEALED,
            FT.CACHE,
            TaskType.PRE_COMMIT_2,
            ExistingSelector(self._index, sector.id, SEALED_CACHE, allow_fetch=True),
            _fetch(sector, SEALED_CACHE, PathType.SEALING, AcquireMode.MOVE),
            lambda w: w.seal_pre_commit2(sector, pc1_out),
            priority,
        )

    async def seal_commit1(
        self,
        sector: SectorRef,
        ticket: bytes,
        seed: bytes,
        pieces: Sequence[PieceInfo],
        cids: SectorCids,
        *,
        priority: int = DEFAULT_SCHED_PRIORITY,
    ) -> bytes:
        """``SealCommit1``: always where the data is ("always execute where the data is")."""
        pieces = list(pieces)
        return await self._run(
            ("C1", sector, ticket, seed, tuple(pieces), cids),
            sector,
            FT.SEALED,
            FT.CACHE,
            TaskType.COMMIT_1,
            ExistingSelector(self._index, sector.id, SEALED_CACHE, allow_fetch=False),
            _fetch(sector, SEALED_CACHE, PathType.SEALING, AcquireMode.MOVE),
            lambda w: w.seal_commit1(sector, ticket, seed, pieces, cids),
            priority,
        )

    async def seal_commit2(
        self, sector: SectorRef, c1_out: bytes, *, priority: int = DEFAULT_SCHED_PRIORITY
    ) -> bytes:
        """``SealCommit2``: the proof, on any worker that does Commit2 (no files, no locks)."""
        return await self._run(
            ("C2", sector, c1_out),
            sector,
            FT.NONE,
            FT.NONE,
            TaskType.COMMIT_2,
            TaskSelector(),
            None,
            lambda w: w.seal_commit2(sector, c1_out),
            priority,
        )

    async def finalize_sector(
        self, sector: SectorRef, *, keep_unsealed: bool = False, priority: int = DEFAULT_SCHED_PRIORITY
    ) -> None:
        """``FinalizeSector``: trim the cache where it is, then move sealed and cache to a store path.

        Both steps run under one write lock on every file type, as in Lotus.  Without
        ``keep_unsealed`` the unsealed copies are removed (Lotus: no ``keepUnsealed`` ranges).
        """
        async with self.locks.lock(sector.id, FT.NONE, ALL_TYPES):
            await self._sched.schedule(
                sector,
                TaskType.FINALIZE,
                ExistingSelector(self._index, sector.id, SEALED_CACHE, allow_fetch=False),
                _fetch(sector, SEALED_CACHE, PathType.SEALING, AcquireMode.MOVE),
                lambda h: _local(h).finalize_sector(sector, keep_unsealed=keep_unsealed),
                priority=priority,
            )
            moved = SEALED_CACHE | (FT.UNSEALED if keep_unsealed else FT.NONE)
            await self._sched.schedule(
                sector,
                TaskType.FETCH,
                AllocSelector(self._index, SEALED_CACHE, PathType.STORAGE),
                _fetch(sector, moved, PathType.STORAGE, AcquireMode.MOVE),
                lambda h: _local(h).move_storage(sector, moved),
                priority=priority,
            )

    async def remove(self, sector: SectorRef) -> None:
        """``Remove``: delete every copy of every file of the sector, wherever it is (Lotus HEAD
        removes through the manager's own store, without a task)."""
        async with self.locks.lock(sector.id, FT.NONE, ALL_TYPES):
            for kind in SectorFileType.all_types():
                await self._store.remove(sector.id, kind, force=True)

    async def release_unsealed(self, sector: SectorRef) -> None:
        """``ReleaseUnsealed``: delete every copy of the sector's unsealed file."""
        async with self.locks.lock(sector.id, FT.NONE, FT.UNSEALED):
            await self._store.remove(sector.id, FT.UNSEALED, force=True)

    async def unseal_piece(
        self,
        sector: SectorRef,
        offset: int,
        size: UnpaddedPieceSize,
        ticket: bytes,
        comm_d: bytes,
        *,
        priority: int = DEFAULT_SCHED_PRIORITY,
    ) -> None:
        """``SectorsUnsealPiece``: decode a range of the replica into the unsealed file, on a
        worker that holds (or copies) sealed and cache."""
        await self._run(
            ("UNS", sector, offset, int(size), ticket, comm_d),
            sector,
            SEALED_CACHE,
            FT.UNSEALED,
            TaskType.UNSEAL,
            ExistingSelector(self._index, sector.id, SEALED_CACHE, allow_fetch=True),
            _fetch(sector, SEALED_CACHE, PathType.SEALING, AcquireMode.COPY),
            lambda w: w.unseal_piece(sector, offset, size, ticket, comm_d),
            priority,
        )
