"""Local storage paths: opening them, what they hold, how full they are, and space reservations.

Counterpart: Lotus ``storage/paths/local.go`` (``Local``: ``OpenPath``, ``declareSectors``,
``reportHealth``, ``Reserve``, ``AcquireSector``, ``Remove``, ``FsStat``); layout and metadata are
reference/lotus-miner.md §2.2::

    <path>/sectorstore.json           {"ID": uuid, "Weight": 10, "CanSeal": …, "CanStore": …, "MaxStorage": 0}
    <path>/unsealed/s-t01000-1        file
    <path>/sealed/s-t01000-1          file
    <path>/cache/s-t01000-1/          directory (p_aux, t_aux, trees)
    <path>/<type>/fetching/…          downloads in flight (see remote.py); never declared

Rules of the file:

* A path is attached to the index with this process's ``/remote`` URLs and its files are declared
  (primary = the path's ``CanStore``) when it is opened; an entry that is not a sector name is
  reported with its full path and skipped, and one broken path does not stop the others.
* Leftovers in ``fetching/`` are downloads a killed process never finished: nothing declared them,
  so opening the path deletes them.  A path belongs to one pylotus process at a time.
* Space: ``FsStat.available`` is free space minus what running tasks reserved and have not written
  yet, capped by ``MaxStorage``.  :meth:`LocalStore.reserve` checks and takes space under one lock,
  so two tasks cannot both be promised the last free bytes (lotus#2472, #4920); the new figure is
  reported to the index at once, not at the next heartbeat, so allocation sees it too.
* Every filesystem call runs in a thread (``trio.to_thread.run_sync``); the event loop only ever
  touches the in-memory tables, which therefore need no lock of their own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol, final

import trio

from ..abi import InvalidSectorName, SectorFileType, SectorID, parse_sector_name, sector_name
from ..errors import PylotusError
from .errors import InvalidStoragePath, NoSpace, SectorNotFound, StorageNotFound, StoresError, os_errors
from .fsutil import FETCH_TEMP_SUBDIR, disk_usage, read_meta, remove_all, statfs
from .index import HEARTBEAT_INTERVAL, SectorIndex
from .storiface import (
    FS_OVERHEAD_DEN,
    FsStat,
    HealthReport,
    LocalStorageMeta,
    PathType,
    StorageID,
    StorageInfo,
    StoragePath,
)

__all__ = ["DIR_MODE", "LocalStore", "SectorPaths", "StorageConfig"]

log = logging.getLogger(__name__)

DIR_MODE: Final = 0o755  # Lotus creates the type directories 0755
_RELEASE_REPORT_TIMEOUT: Final = 10.0  # seconds a released reservation may take to reach the index


class StorageConfig(Protocol):
    """Where the list of storage paths is kept: the repo's ``storage.json`` (a ``LockedRepo``)."""

    def storage_config(self) -> list[str]: ...

    def set_storage_config(self, paths: list[str]) -> None: ...


@dataclass(frozen=True)
class SectorPaths:
    """Where each file type of a sector is, and in which storage path (Lotus ``SectorPaths`` + IDs)."""

    sector: SectorID
    paths: Mapping[SectorFileType, Path] = field(default_factory=dict)
    ids: Mapping[SectorFileType, StorageID] = field(default_factory=dict)


@dataclass
class _Reservation:
    sector: SectorID
    kind: SectorFileType
    overhead: int


@dataclass
class _LocalPath:
    meta: LocalStorageMeta
    root: Path
    reservations: dict[object, _Reservation] = field(default_factory=dict)

    def sector_path(self, sector: SectorID, kind: SectorFileType) -> Path:
        return self.root / str(kind) / sector_name(sector)


def _single(ft: SectorFileType) -> list[SectorFileType]:
    return [kind for kind in SectorFileType.all_types() if kind & ft]


def _on_disk(path: _LocalPath, res: _Reservation) -> int:
    """What a reserved file already occupies, in place or still downloading; at most its overhead."""
    final = path.sector_path(res.sector, res.kind)
    for candidate in (final, final.parent / FETCH_TEMP_SUBDIR / final.name):
        try:
            return min(disk_usage(candidate), res.overhead)
        except FileNotFoundError:
            continue
    return 0


def _stat(path: _LocalPath, reservations: list[_Reservation]) -> FsStat:
    """Blocking: the path's FsStat given a snapshot of its reservations (Lotus ``path.stat``)."""
    capacity, fs_available = statfs(path.root)
    reserved = sum(r.overhead - _on_disk(path, r) for r in reservations)
    reserved = max(reserved, 0)
    available = max(fs_available - reserved, 0)
    limit, used = path.meta.max_storage, 0
    if limit:
        try:
            used = disk_usage(path.root)
        except FileNotFoundError as exc:
            raise StorageNotFound(f"storage path '{path.root}' disappeared") from exc
        # Lotus caps by limit − used only; reservations count against the limit too, or two
        # tasks could both be promised the last bytes under it.
        available = min(available, max(limit - used - reserved, 0))
    return FsStat(capacity, available, reserved, fs_available, limit, used)


def _prepare_dirs(root: Path) -> list[tuple[SectorFileType, str]]:
    """Blocking: create the type directories, clear stale downloads, and list the entries found."""
    entries: list[tuple[SectorFileType, str]] = []
    for kind in SectorFileType.all_types():
        directory = root / str(kind)
        with os_errors("create directory", directory):
            directory.mkdir(mode=DIR_MODE, exist_ok=True)
            names = sorted(os.listdir(directory))
        if FETCH_TEMP_SUBDIR in names:
            names.remove(FETCH_TEMP_SUBDIR)
            stale = directory / FETCH_TEMP_SUBDIR
            with os_errors("list unfinished downloads in", stale):  # a file there, or unreadable
                stale_names = os.listdir(stale)
            for name in stale_names:
                log.warning("removing an unfinished download path=%s", stale / name)
                remove_all(stale / name)
        entries.extend((kind, name) for name in names)
    return entries


@final
class LocalStore:
    """The storage paths on this machine's disks (Lotus ``Local``).

    Args:
        index: where paths are attached and files declared (the miner's index, or its RPC client).
        config: the list of paths to open, kept in ``storage.json``; ``StorageAddLocal`` adds to it.

    Lifetime: construct, :meth:`open` once the ``/remote`` URLs are known, and run
    :meth:`run_health_reports` in the owner's nursery.
    """

    def __init__(self, index: SectorIndex, config: StorageConfig) -> None:
        self._index = index
        self._config = config
        self._urls: tuple[str, ...] = ()
        self._paths: dict[StorageID, _LocalPath] = {}
        self._open_lock = trio.Lock()  # one open/attach at a time: IDs and storage.json stay consistent
        self._reserve_lock = trio.Lock()  # stat-check-take of a reservation is one step

    # -- opening paths ----------------------------------------------------------------------

    async def open(self, urls: tuple[str, ...] | list[str]) -> list[StoresError]:
        """Open every path in ``storage.json``, announcing ``urls`` as where they are served.

        Returns:
            The error of each path that could not be opened (each already logged); the others
            are open.
        """
        self._urls = tuple(urls)
        configured = await trio.to_thread.run_sync(self._config.storage_config)
        failures: list[StoresError] = []
        for path in configured:
            try:
                await self.open_path(path)
            except StoresError as exc:
                log.error("storage path not opened path=%s err=%s", path, exc)
                failures.append(exc)
        return failures

    async def open_path(self, path: str) -> StorageID:
        """Open one path: read its metadata, attach it, declare the sector files on it.

        Raises:
            InvalidStoragePath: not absolute, no/malformed ``sectorstore.json``, or its ID is open.
            StorageIOError: the directories cannot be read or created.
        """
        root = Path(path)
        if not root.is_absolute():
            raise InvalidStoragePath(f"storage path '{path}' must be absolute")
        async with self._open_lock:
            meta = await trio.to_thread.run_sync(read_meta, root)
            opened = self._paths.get(meta.id)
            if opened is not None:
                raise InvalidStoragePath(f"path with ID {meta.id} already opened: '{opened.root}'")
            entries = await trio.to_thread.run_sync(_prepare_dirs, root)
            local = _LocalPath(meta=meta, root=root)
            stat = await trio.to_thread.run_sync(_stat, local, [])
            info = StorageInfo(
                meta.id, self._urls, meta.weight, meta.can_seal, meta.can_store, meta.max_storage
            )
            await self._index.storage_attach(info, stat)
            declared = await self._declare_entries(local, entries)
            self._paths[meta.id] = local
        log.info("storage path opened path=%s id=%s files=%d", root, meta.id, declared)
        return meta.id

    async def _declare_entries(self, local: _LocalPath, entries: list[tuple[SectorFileType, str]]) -> int:
        declared = 0
        for kind, name in entries:
            try:
                sector = parse_sector_name(name)
            except InvalidSectorName:
                log.warning("not a sector file, skipped path=%s", local.root / str(kind) / name)
                continue
            await self._index.storage_declare_sector(local.meta.id, sector, kind, local.meta.can_store)
            declared += 1
        return declared

    async def add_local(self, path: str) -> StorageID:
        """``StorageAddLocal``: open ``path`` and remember it in ``storage.json``.

        Raises:
            InvalidStoragePath, StorageIOError: as :meth:`open_path`; nothing is written then.
        """
        storage_id = await self.open_path(path)
        async with self._open_lock:
            paths = await trio.to_thread.run_sync(self._config.storage_config)
            if os.path.abspath(path) not in [os.path.abspath(p) for p in paths]:
                await trio.to_thread.run_sync(self._config.set_storage_config, [*paths, path])
        return storage_id

    # -- what we have -----------------------------------------------------------------------

    def local_paths(self) -> dict[StorageID, str]:
        """``StorageLocal``: every open path's ID and directory."""
        return {sid: str(p.root) for sid, p in sorted(self._paths.items())}

    def paths(self) -> list[StoragePath]:
        """The open paths as a worker's ``Paths`` lists them."""
        return [
            StoragePath(sid, p.meta.weight, str(p.root), p.meta.can_seal, p.meta.can_store)
            for sid, p in sorted(self._paths.items())
        ]

    def root(self, storage_id: StorageID) -> Path | None:
        """The directory of an open path, or ``None`` if this process does not have it."""
        local = self._paths.get(storage_id)
        return None if local is None else local.root

    async def sector_file(self, sector: SectorID, kind: SectorFileType) -> Path | None:
        """The local file (or cache directory) of one type of a sector, if declared here and present.

        Only declared files count: a file a task is still writing is not declared yet, and must not
        be served.
        """
        for info in await self._index.storage_find_sector(sector, kind, 0, False):
            local = self._paths.get(info.id)
            if local is None:
                continue
            candidate = local.sector_path(sector, kind)
            if await trio.to_thread.run_sync(candidate.exists):
                return candidate
        return None

    # -- space --------------------------------------------------------------------------------

    async def fs_stat(self, storage_id: StorageID) -> FsStat:
        """Space of an open path, reservations included.

        Raises:
            StorageNotFound: this process has no such path (``fsstat: path not found``).
            StorageIOError: statfs failed.
        """
        local = self._paths.get(storage_id)
        if local is None:
            raise StorageNotFound(f"fsstat: path not found: '{storage_id}'")
        return await trio.to_thread.run_sync(_stat, local, list(local.reservations.values()))

    @asynccontextmanager
    async def reserve(
        self,
        sector: SectorID,
        ssize: int,
        ft: SectorFileType,
        ids: Mapping[SectorFileType, StorageID],
        overhead: Mapping[SectorFileType, int],
    ) -> AsyncIterator[None]:
        """Hold space for the files ``ft`` of a sector while they are written.

        Args:
            ssize: sector size in bytes.
            ids: the path each file type goes to (from :meth:`acquire_sector`).
            overhead: tenths of ``ssize`` per type (``SEAL_OVERHEAD`` or ``FINALIZED_OVERHEAD``).

        Raises:
            NoSpace: a path has less available than the file still needs; nothing is held then.
            StorageNotFound: an ID is not an open local path.

        Cancellation: everything taken is released when the block ends, however it ends, and
        the new figure is reported to the index (shielded, at most ``_RELEASE_REPORT_TIMEOUT`` s).
        """
        taken: list[tuple[_LocalPath, object]] = []
        try:
            async with self._reserve_lock:
                for kind in _single(ft):
                    taken.append(await self._reserve_one(sector, ssize, kind, ids, overhead))
            for local in {id(p): p for p, _ in taken}.values():
                await self._report(local)
            yield
        finally:
            for local, token in taken:
                local.reservations.pop(token, None)
            if taken:
                # Report the release as the take was reported, so allocation sees the space again
                # now rather than at the next heartbeat; shielded (a cancelled task releases too)
                # and bounded, as STYLE.md asks of cleanup.
                with trio.move_on_after(_RELEASE_REPORT_TIMEOUT) as scope:
                    scope.shield = True
                    for local in {id(p): p for p, _ in taken}.values():
                        await self._report(local)

    async def _reserve_one(
        self,
        sector: SectorID,
        ssize: int,
        kind: SectorFileType,
        ids: Mapping[SectorFileType, StorageID],
        overhead: Mapping[SectorFileType, int],
    ) -> tuple[_LocalPath, object]:
        local = self._paths.get(ids.get(kind, StorageID("")))
        if local is None:
            raise StorageNotFound(f"cannot reserve {kind} of {sector}: no local path '{ids.get(kind)}'")
        need = overhead[kind] * ssize // FS_OVERHEAD_DEN
        res = _Reservation(sector, kind, need)
        held = list(local.reservations.values())  # snapshot here: the table changes on this thread only

        def check() -> tuple[FsStat, int]:
            return _stat(local, held), _on_disk(local, res)

        stat, on_disk = await trio.to_thread.run_sync(check)
        if stat.available < need - on_disk:
            raise NoSpace(
                f"can't reserve {need} bytes in '{local.root}' (id:{local.meta.id}), "
                f"only {stat.available} available"
            )
        token = object()
        local.reservations[token] = res
        log.debug("reserved sector=%s type=%s bytes=%d path=%s", sector, kind, need, local.root)
        return local, token

    # -- finding and allocating -------------------------------------------------------------

    async def acquire_sector(
        self,
        sector: SectorID,
        ssize: int,
        existing: SectorFileType,
        allocate: SectorFileType,
        path_type: PathType,
    ) -> SectorPaths:
        """Where on local paths the ``existing`` files are, and where new ``allocate`` files go.

        Existing files not on a local path are simply absent from the answer (the caller fetches
        them, see :class:`~.remote.RemoteStore`).  A type asked to be allocated that already has a
        local copy on a suitable path gets that copy.

        Raises:
            StoresError: ``existing`` and ``allocate`` overlap.
            NoSpace: no local path may take a file to allocate.
        """
        if existing & allocate:
            raise StoresError(f"can't both find and allocate a sector: {existing.names_list()}")
        paths: dict[SectorFileType, Path] = {}
        ids: dict[SectorFileType, StorageID] = {}
        for kind in _single(existing | allocate):
            for info in await self._index.storage_find_sector(sector, kind, ssize, False):
                local = self._paths.get(info.id)
                if local is None or (kind & allocate and not _allowed(local.meta, path_type)):
                    continue
                paths[kind], ids[kind] = local.sector_path(sector, kind), info.id
                allocate &= ~kind
                break
        for kind in _single(allocate):
            for best in await self._index.storage_best_alloc(kind, ssize, path_type):
                local = self._paths.get(best.id)
                if local is not None and _allowed(local.meta, path_type):
                    paths[kind], ids[kind] = local.sector_path(sector, kind), best.id
                    break
            else:
                raise NoSpace(
                    f"couldn't find a suitable path for {kind} of {sector} ({path_type.value}) "
                    "among this process's paths"
                )
        return SectorPaths(sector, paths, ids)

    async def remove(self, sector: SectorID, kind: SectorFileType, *, force: bool = False) -> int:
        """Delete this process's copies of one file type of a sector and drop them from the index.

        Returns:
            How many copies were removed.

        Raises:
            SectorNotFound: no path holds it (unless ``force``).
            StoresError: ``kind`` is not exactly one type (``delete expects one file type``).
        """
        if kind not in SectorFileType.all_types():
            raise StoresError(f"delete expects one file type, got {kind.names_list()}")
        removed = 0
        for info in await self._index.storage_find_sector(sector, kind, 0, False):
            local = self._paths.get(info.id)
            if local is None:
                continue
            await self._index.storage_drop_sector(info.id, sector, kind)
            target = local.sector_path(sector, kind)
            log.info("remove path=%s sector=%s type=%s storage=%s", target, sector, kind, info.id)
            await trio.to_thread.run_sync(remove_all, target)
            await self._report(local)
            removed += 1
        if not removed and not force:
            raise SectorNotFound(f"can't delete sector {sector} ({kind}): not found on this process's paths")
        return removed

    # -- heartbeats ---------------------------------------------------------------------------

    async def run_health_reports(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Report every open path's space to the index every 10 s until cancelled (``reportHealth``)."""
        task_status.started()
        while True:
            await trio.sleep(HEARTBEAT_INTERVAL)
            await self.report_health()

    async def report_health(self) -> None:
        """Report every open path once; a failed stat is reported as the path's error, a failed
        report is logged and retried at the next beat."""
        for local in list(self._paths.values()):
            await self._report(local)

    async def _report(self, local: _LocalPath) -> None:
        try:
            stat = await trio.to_thread.run_sync(_stat, local, list(local.reservations.values()))
            report = HealthReport(stat)
        except StoresError as exc:
            report = HealthReport(FsStat(0, 0), err=str(exc))
        try:
            await self._index.storage_report_health(local.meta.id, report)
        except PylotusError as exc:
            log.warning("storage health report failed id=%s err=%s", local.meta.id, exc)


def _allowed(meta: LocalStorageMeta, path_type: PathType) -> bool:
    return meta.can_seal if path_type is PathType.SEALING else meta.can_store
