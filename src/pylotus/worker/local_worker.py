"""The local worker: runs sealing tasks on this machine's storage paths.

Counterpart: Lotus ``storage/sealer/worker_local.go`` (``LocalWorker``: ``localWorkerPathProvider``,
``AddPiece``, ``SealPreCommit1`` … ``FinalizeSector``, ``ReleaseUnsealed``, ``Remove``,
``MoveStorage``, ``Fetch``, ``UnsealPiece``) with the sync call shapes of reference/lotus-miner.md
§3.4.  Every sealing call goes the same way, ``localWorkerPathProvider`` in trio form::

    acquire   existing files found (fetched from another process if need be), new ones allocated
    reserve   space for the new files on their paths, until the call ends
    kernel    the proofs function, in a process of its own (KernelRunner)
    declare   the new files to the index (primary, as Lotus's AcquireMove), only on success

The worker takes no sector locks and chooses no work: the manager (``sched/``) locks, the
scheduler picks this worker, and then calls it.  It sits below ``sched/`` in the package map, so
it names its task types by their Lotus strings (``seal/v0/precommit/1``); the scheduler's handle
for it (``sched.LocalWorkerHandle``) turns them into ``TaskType`` and adds its resources.

Which tasks it accepts follows ``[Storage]`` of the miner's config (:class:`WorkerConfig`): fetch,
finalize, commit/1 and the rest of the data-moving calls always; addpiece, precommit/1,
precommit/2, commit/2 and unseal behind ``AllowAddPiece``, ``AllowPreCommit1``,
``AllowPreCommit2``, ``AllowCommit``, ``AllowUnseal`` (reference §4.4, Lotus L05+).
"""

from __future__ import annotations

import logging
import shutil
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, final

import trio

from ..abi import SectorFileType, SectorID, UnpaddedPieceSize
from ..proofs import PieceInfo, SectorCids, default_parent_cache_dir
from ..proofs import SectorPaths as KernelPaths
from ..stores import (
    FETCH_TEMP_SUBDIR,
    FINALIZED_OVERHEAD,
    SEAL_OVERHEAD,
    AcquireMode,
    PathType,
    RemoteStore,
    SectorIndex,
    SectorPaths,
    SectorRef,
    StoragePath,
)
from . import kernels
from .errors import MoveFailed, TaskNotAllowed
from .kernel_runner import KernelRunner

__all__ = ["ALWAYS_TASKS", "LocalWorker", "WorkerConfig"]

log = logging.getLogger(__name__)

FT = SectorFileType
SEALED_CACHE: Final = FT.SEALED | FT.CACHE

ALWAYS_TASKS: Final = frozenset({"seal/v0/commit/1", "seal/v0/finalize", "seal/v0/fetch"})
"""Task types a local worker always accepts (Lotus ``manager.go: New``; ReadUnsealed is not a task here)."""


@dataclass(frozen=True)
class WorkerConfig:
    """The task switches of ``[Storage]`` (Lotus ``SealerConfig``; defaults all true, ``def.go``)."""

    allow_add_piece: bool = True
    allow_pre_commit1: bool = True
    allow_pre_commit2: bool = True
    allow_commit: bool = True
    allow_unseal: bool = True

    def task_types(self) -> frozenset[str]:
        """The Lotus task strings a worker with these switches accepts."""
        optional = {
            "seal/v0/addpiece": self.allow_add_piece,
            "seal/v0/precommit/1": self.allow_pre_commit1,
            "seal/v0/precommit/2": self.allow_pre_commit2,
            "seal/v0/commit/2": self.allow_commit,
            "seal/v0/unseal": self.allow_unseal,
        }
        return ALWAYS_TASKS | {task for task, allowed in optional.items() if allowed}


def _kernel_paths(found: SectorPaths) -> KernelPaths:
    """The three file paths a kernel takes; a type not acquired gets its would-be place beside the others."""
    anchor = next(iter(found.paths.values()))
    root = anchor.parent.parent
    name = anchor.name

    def where(kind: SectorFileType) -> Path:
        return found.paths.get(kind, root / str(kind) / name)

    return KernelPaths(where(FT.UNSEALED), where(FT.SEALED), where(FT.CACHE))


def _move(src: Path, dst: Path) -> None:
    """Blocking: move a file or directory to ``dst`` through ``<type>/fetching/`` (crash-safe)."""
    temp = dst.parent / FETCH_TEMP_SUBDIR / dst.name
    try:
        temp.parent.mkdir(exist_ok=True)
        for stale in (temp, dst):
            if stale.is_dir():
                shutil.rmtree(stale)
            elif stale.exists():
                stale.unlink()
        shutil.move(src, temp)
        temp.rename(dst)
    except OSError as exc:
        raise MoveFailed(f"moving '{src}' to '{dst}' failed: {exc.strerror or exc}") from exc


@final
class LocalWorker:
    """Runs sealing calls on ``store``'s local paths, each kernel in a process of its own.

    Args:
        store: this process's paths, able to fetch from others.
        index: the sector index the store uses (files are declared there).
        config: which optional task types are enabled.
        runner: where kernels run (default: a new :class:`KernelRunner`).
        parent_cache_dir: the SDR parent cache, resolved here in the parent process (default:
            ``$PYLOTUS_PARENT_CACHE`` or the system default) and passed to every kernel, so a
            change of environment after the fork server started is not missed.
        kernel_workers: processes a kernel may use for its parallel parts (default: all CPUs).
        hostname: reported in ``Info`` (default: this machine's).
    """

    def __init__(
        self,
        store: RemoteStore,
        index: SectorIndex,
        *,
        config: WorkerConfig | None = None,
        runner: KernelRunner | None = None,
        parent_cache_dir: Path | None = None,
        kernel_workers: int | None = None,
        hostname: str | None = None,
    ) -> None:
        self.store = store
        self._index = index
        self.config = config or WorkerConfig()
        self.runner = runner or KernelRunner()
        self._parent_cache = parent_cache_dir or default_parent_cache_dir()
        self._kernel_workers = kernel_workers
        self.session = uuid.uuid4()
        self.hostname = hostname or socket.gethostname()

    # -- what the manager reads -----------------------------------------------------------------

    def task_types(self) -> frozenset[str]:
        """``TaskTypes``: the Lotus strings of the task types this worker accepts."""
        return self.config.task_types()

    def paths(self) -> list[StoragePath]:
        """``Paths``: the storage paths on this worker's disks."""
        return self.store.local.paths()

    def _check(self, task: str) -> None:
        if task not in self.task_types():
            raise TaskNotAllowed(f"task '{task}' is disabled on worker '{self.hostname}'")

    # -- the path provider ------------------------------------------------------------------------

    async def _run_with_files(
        self,
        sector: SectorRef,
        existing: SectorFileType,
        allocate: SectorFileType,
        label: str,
        kernel: Callable[..., object],
        build: Callable[[KernelPaths], tuple[object, ...]],
    ) -> object:
        """Acquire ``existing`` and ``allocate``, reserve space for the new files, run
        ``kernel(*build(paths))`` in its own process, then declare the new files.

        *Cancellation*: the kernel is killed; the reservation is released; nothing is declared.
        """
        ssize = sector.sector_size
        found = await self.store.acquire_sector(
            sector.id, ssize, existing, allocate, PathType.SEALING, AcquireMode.MOVE
        )
        async with self.store.local.reserve(sector.id, ssize, allocate, found.ids, SEAL_OVERHEAD):
            result = await self.runner.run(f"{label} {sector.id}", kernel, *build(_kernel_paths(found)))
        await self._declare(sector.id, found, allocate)
        return result

    async def _declare(self, sector: SectorID, found: SectorPaths, allocate: SectorFileType) -> None:
        for kind in SectorFileType.all_types():
            if kind & allocate:
                await self._index.storage_declare_sector(found.ids[kind], sector, kind, True)

    # -- sealing calls ------------------------------------------------------------------------------

    async def add_piece(
        self,
        sector: SectorRef,
        existing_sizes: Sequence[UnpaddedPieceSize],
        size: UnpaddedPieceSize,
        data: bytes | None,
    ) -> PieceInfo:
        """``AddPiece``: write a piece after the existing ones into the unsealed file.

        Args:
            existing_sizes: unpadded sizes of the pieces already in the sector; none allocates a
                new unsealed file on a sealing path.
            data: the piece's bytes (exactly ``size``), or ``None`` for a zero (pledge) piece.

        Raises:
            NoSpace: no sealing path can take the file.  ``ProofsError`` from the kernel;
            ``KernelDied`` if its process died.
        """
        self._check("seal/v0/addpiece")
        existing, allocate = (FT.UNSEALED, FT.NONE) if existing_sizes else (FT.NONE, FT.UNSEALED)
        args = (list(existing_sizes), size, data, sector.sector_size)
        result = await self._run_with_files(
            sector,
            existing,
            allocate,
            "AP",
            kernels.add_piece_kernel,
            lambda p: (p.unsealed, *args),
        )
        assert isinstance(result, PieceInfo)
        return result

    async def seal_pre_commit1(self, sector: SectorRef, ticket: bytes, pieces: Sequence[PieceInfo]) -> bytes:
        """``SealPreCommit1``: reads the unsealed file, allocates sealed and cache; PreCommit1Out."""
        self._check("seal/v0/precommit/1")
        sid = sector.id
        extra = (
            int(sid.miner),
            int(sid.number),
            ticket,
            list(pieces),
            self._parent_cache,
            self._kernel_workers,
        )
        result = await self._run_with_files(
            sector,
            FT.UNSEALED,
            SEALED_CACHE,
            "PC1",
            kernels.pre_commit1_kernel,
            lambda p: (sector.proof_type, p, *extra),
        )
        assert isinstance(result, bytes)
        return result

    async def seal_pre_commit2(self, sector: SectorRef, pc1_out: bytes) -> SectorCids:
        """``SealPreCommit2``: tree_c, the replica, tree_r_last; CommD and CommR."""
        self._check("seal/v0/precommit/2")
        result = await self._run_with_files(
            sector,
            SEALED_CACHE,
            FT.NONE,
            "PC2",
            kernels.pre_commit2_kernel,
            lambda p: (sector.proof_type, p, pc1_out, self._kernel_workers),
        )
        assert isinstance(result, SectorCids)
        return result

    async def seal_commit1(
        self, sector: SectorRef, ticket: bytes, seed: bytes, pieces: Sequence[PieceInfo], cids: SectorCids
    ) -> bytes:
        """``SealCommit1``: opens the challenged nodes; Commit1Out bytes."""
        self._check("seal/v0/commit/1")
        sid = sector.id
        extra = (int(sid.miner), int(sid.number), ticket, seed, list(pieces), cids)
        result = await self._run_with_files(
            sector,
            SEALED_CACHE,
            FT.NONE,
            "C1",
            kernels.commit1_kernel,
            lambda p: (sector.proof_type, p, *extra),
        )
        assert isinstance(result, bytes)
        return result

    async def seal_commit2(self, sector: SectorRef, c1_out: bytes) -> bytes:
        """``SealCommit2``: the proof, from Commit1's output alone (no files)."""
        self._check("seal/v0/commit/2")
        return await self.runner.run(f"C2 {sector.id}", kernels.commit2_kernel, c1_out)

    async def finalize_sector(self, sector: SectorRef, *, keep_unsealed: bool) -> None:
        """``FinalizeSector``: drop what PoSt does not need from the cache; without
        ``keep_unsealed``, remove every copy of the unsealed file too."""
        self._check("seal/v0/finalize")
        await self._run_with_files(
            sector,
            SEALED_CACHE,
            FT.NONE,
            "FIN",
            kernels.finalize_kernel,
            lambda p: (sector.proof_type, p.cache),
        )
        if not keep_unsealed:
            await self.store.remove(sector.id, FT.UNSEALED, force=True)

    async def unseal_piece(
        self, sector: SectorRef, offset: int, size: UnpaddedPieceSize, ticket: bytes, comm_d: bytes
    ) -> None:
        """``UnsealPiece``: decode an unpadded range of the replica into the unsealed file,
        allocating that file on a sealing path if the sector has none."""
        self._check("seal/v0/unseal")
        has_unsealed = bool(await self._index.storage_find_sector(sector.id, FT.UNSEALED, 0, False))
        existing = SEALED_CACHE | (FT.UNSEALED if has_unsealed else FT.NONE)
        allocate = FT.NONE if has_unsealed else FT.UNSEALED
        sid = sector.id
        await self._run_with_files(
            sector,
            existing,
            allocate,
            "UNS",
            kernels.unseal_kernel,
            lambda p: (
                sector.proof_type,
                p,
                int(sid.miner),
                int(sid.number),
                ticket,
                comm_d,
                offset,
                int(size),
                self._parent_cache,
            ),
        )

    # -- data-moving calls ------------------------------------------------------------------------

    async def fetch(
        self, sector: SectorRef, file_type: SectorFileType, path_type: PathType, mode: AcquireMode
    ) -> None:
        """``Fetch``: bring the sector's ``file_type`` files onto this worker's paths (a no-op for
        files it already has)."""
        await self.store.acquire_sector(sector.id, sector.sector_size, file_type, FT.NONE, path_type, mode)

    async def move_storage(self, sector: SectorRef, file_type: SectorFileType) -> None:
        """``MoveStorage``: move each of ``file_type`` that is not on a ``CanStore`` path to one.

        Each file goes through ``<type>/fetching/`` on the destination, is declared there
        (primary), and only then dropped from its old path.

        Raises:
            NoSpace: no store path of this worker can take them.
            MoveFailed: the filesystem refused (the file stays declared where it was).
        """
        ssize = sector.sector_size
        found = await self.store.acquire_sector(
            sector.id, ssize, file_type, FT.NONE, PathType.STORAGE, AcquireMode.MOVE
        )
        can_store = {p.id for p in self.paths() if p.can_store}
        to_move = FT.NONE
        for kind in SectorFileType.all_types():
            if kind & file_type and found.ids[kind] not in can_store:
                to_move |= kind
        if not to_move:
            return
        dest = await self.store.local.acquire_sector(sector.id, ssize, FT.NONE, to_move, PathType.STORAGE)
        async with self.store.local.reserve(sector.id, ssize, to_move, dest.ids, FINALIZED_OVERHEAD):
            for kind in SectorFileType.all_types():
                if not kind & to_move:
                    continue
                src, dst = found.paths[kind], dest.paths[kind]
                log.info("move sector=%s type=%s from=%s to=%s", sector.id, kind, src, dst)
                await trio.to_thread.run_sync(_move, src, dst)
                await self._index.storage_declare_sector(dest.ids[kind], sector.id, kind, True)
                await self._index.storage_drop_sector(found.ids[kind], sector.id, kind)

    async def remove(self, sector: SectorRef) -> None:
        """``Remove``: delete every copy of every file of the sector (force: missing ones are fine)."""
        for kind in SectorFileType.all_types():
            await self.store.remove(sector.id, kind, force=True)

    async def release_unsealed(self, sector: SectorRef) -> None:
        """``ReleaseUnsealed``: delete every copy of the sector's unsealed file."""
        await self.store.remove(sector.id, FT.UNSEALED, force=True)
