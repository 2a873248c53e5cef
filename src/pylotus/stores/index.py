"""The sector index: which storage paths exist, how full they are, and which sector files each holds.

Counterpart: Lotus ``storage/paths/index.go`` (``SectorIndex``, ``MemIndex``); semantics are
reference/lotus-miner.md §5.2.  The miner keeps one :class:`MemIndex` in memory and serves it over
JSON-RPC (admin, :mod:`.api`); workers reach it through :class:`~.api.StorageClient`, which has the
same methods, so :class:`LocalStore` and :class:`RemoteStore` work against either.

Nothing here is persisted: every path is re-attached and every file re-declared when its owner
opens it (the miner at start, a worker when it connects), so the index is rebuilt from the disks.

Rules of the file:

* Declarations are per **single** file type, as Lotus keeps them; masks are split on the way in.
* Heartbeats: a path reports every :data:`HEARTBEAT_INTERVAL`; one not heard from for
  :data:`SKIPPED_HEARTBEAT_THRESH`, or whose last report carried an error, is skipped by
  ``StorageBestAlloc`` and by the fetch candidates of ``StorageFindSector``, as Lotus does.  The
  copies a silent path *holds* are still reported: the files are where they are, the operator's
  ``storage find`` should say so, and a fetcher simply moves on to the next URL when one does not
  answer.  Why a path was skipped is logged at DEBUG.
* Time is ``trio.current_time()``, so tests move it with ``MockClock``.
* Every method is ``async`` for the protocol's sake and never awaits: each runs atomically on the
  event loop, which is the lock Lotus's ``MemIndex.lk`` is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol, final
from urllib.parse import quote

import trio

from ..abi import SectorFileType, SectorID, sector_name
from .errors import NoSpace, StorageNotFound
from .storiface import (
    Decl,
    FsStat,
    HealthReport,
    PathType,
    SectorStorageInfo,
    StorageID,
    StorageInfo,
    seal_space_use,
    store_space_use,
)

__all__ = ["HEARTBEAT_INTERVAL", "SKIPPED_HEARTBEAT_THRESH", "MemIndex", "SectorIndex"]

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL: Final = 10.0  # seconds; Lotus paths.HeartbeatInterval
SKIPPED_HEARTBEAT_THRESH: Final = 5 * HEARTBEAT_INTERVAL  # Lotus paths.SkippedHeartbeatThresh


class SectorIndex(Protocol):
    """What stores need from the index: :class:`MemIndex` in the miner, the RPC client in a worker."""

    async def storage_attach(self, info: StorageInfo, stat: FsStat) -> None: ...

    async def storage_info(self, storage_id: StorageID) -> StorageInfo: ...

    async def storage_report_health(self, storage_id: StorageID, report: HealthReport) -> None: ...

    async def storage_declare_sector(
        self, storage_id: StorageID, sector: SectorID, ft: SectorFileType, primary: bool
    ) -> None: ...

    async def storage_drop_sector(
        self, storage_id: StorageID, sector: SectorID, ft: SectorFileType
    ) -> None: ...

    async def storage_find_sector(
        self, sector: SectorID, ft: SectorFileType, ssize: int, allow_fetch: bool
    ) -> list[SectorStorageInfo]: ...

    async def storage_best_alloc(
        self, allocate: SectorFileType, ssize: int, path_type: PathType
    ) -> list[StorageInfo]: ...

    async def storage_list(self) -> dict[StorageID, list[Decl]]: ...


@dataclass
class _StorageEntry:
    info: StorageInfo
    stat: FsStat
    last_heartbeat: float
    heartbeat_err: str | None = None


@dataclass
class _DeclMeta:
    storage: StorageID
    primary: bool


@dataclass(frozen=True)
class _DeclKey:
    sector: SectorID
    file_type: SectorFileType


@final
class MemIndex:
    """The in-memory :class:`SectorIndex` the miner owns (Lotus ``MemIndex``)."""

    def __init__(self) -> None:
        self._stores: dict[StorageID, _StorageEntry] = {}
        self._sectors: dict[_DeclKey, list[_DeclMeta]] = {}

    # -- paths ----------------------------------------------------------------------------------

    async def storage_attach(self, info: StorageInfo, stat: FsStat) -> None:
        """Add a path, or refresh a known one.

        A known ID keeps its URLs and gains the new ones (several processes may serve one shared
        path); weight, flags and limit are replaced (Lotus HEAD).  Either way the attach counts
        as a heartbeat: a worker that comes back after a minute is usable at once.
        """
        now = trio.current_time()
        entry = self._stores.get(info.id)
        if entry is None:
            log.info("new sector storage id=%s urls=%s", info.id, ",".join(info.urls))
            self._stores[info.id] = _StorageEntry(info=info, stat=stat, last_heartbeat=now)
            return
        urls = entry.info.urls + tuple(u for u in info.urls if u not in entry.info.urls)
        entry.info = StorageInfo(
            id=info.id,
            urls=urls,
            weight=info.weight,
            can_seal=info.can_seal,
            can_store=info.can_store,
            max_storage=info.max_storage,
        )
        entry.stat, entry.last_heartbeat, entry.heartbeat_err = stat, now, None
        log.info("sector storage re-attached id=%s urls=%s", info.id, ",".join(urls))

    async def storage_info(self, storage_id: StorageID) -> StorageInfo:
        """The path's info. Raises StorageNotFound: ``sector store not found``."""
        return self._entry(storage_id, "sector store not found").info

    async def storage_report_health(self, storage_id: StorageID, report: HealthReport) -> None:
        """Record a heartbeat. Raises StorageNotFound: ``health report for unknown storage``."""
        entry = self._entry(storage_id, "health report for unknown storage")
        entry.stat, entry.heartbeat_err = report.stat, report.err
        entry.last_heartbeat = trio.current_time()
        if report.err is not None:
            log.warning("storage reported an error id=%s err=%s", storage_id, report.err)

    def storage_stats(self) -> list[tuple[StorageInfo, FsStat]]:
        """Every attached path and the space it last reported (attach or heartbeat), by ID.

        For ``/debug/metrics``, which Lotus records from these same reports; synchronous, and no
        part of :class:`SectorIndex`: only the miner, which owns this index, reads it.
        """
        return [(entry.info, entry.stat) for _, entry in sorted(self._stores.items())]

    # -- declarations ---------------------------------------------------------------------------

    async def storage_declare_sector(
        self, storage_id: StorageID, sector: SectorID, ft: SectorFileType, primary: bool
    ) -> None:
        """Record that the path holds the files ``ft`` of ``sector``; a redeclaration may only
        upgrade a copy to primary.

        Raises:
            StorageNotFound: the path was never attached (Lotus accepts it and warns on every find).
        """
        self._entry(storage_id, "declare sector in unknown storage")
        for kind in _single(ft):
            metas = self._sectors.setdefault(_DeclKey(sector, kind), [])
            known = next((m for m in metas if m.storage == storage_id), None)
            if known is None:
                metas.append(_DeclMeta(storage_id, primary))
            elif primary and not known.primary:
                known.primary = True
            else:
                log.debug("sector redeclared sector=%s type=%s storage=%s", sector, kind, storage_id)

    async def storage_drop_sector(self, storage_id: StorageID, sector: SectorID, ft: SectorFileType) -> None:
        """Forget the path's copy of the files ``ft`` of ``sector`` (every type, unlike S0's early return)."""
        for kind in _single(ft):
            key = _DeclKey(sector, kind)
            metas = [m for m in self._sectors.get(key, []) if m.storage != storage_id]
            if metas:
                self._sectors[key] = metas
            else:
                self._sectors.pop(key, None)

    async def storage_list(self) -> dict[StorageID, list[Decl]]:
        """Every path with its sectors' files OR-ed per sector; empty paths map to ``[]``."""
        by_store: dict[StorageID, dict[SectorID, SectorFileType]] = {sid: {} for sid in self._stores}
        for key, metas in self._sectors.items():
            for meta in metas:
                files = by_store.setdefault(meta.storage, {})
                files[key.sector] = files.get(key.sector, SectorFileType.NONE) | key.file_type
        return {
            sid: [Decl(sector, ft) for sector, ft in sorted(files.items())]
            for sid, files in sorted(by_store.items())
        }

    # -- queries --------------------------------------------------------------------------------

    async def storage_find_sector(
        self, sector: SectorID, ft: SectorFileType, ssize: int, allow_fetch: bool
    ) -> list[SectorStorageInfo]:
        """Where the files ``ft`` of ``sector`` are, best first.

        Each holder's weight is its path weight times how many of the asked types it holds.  With
        ``allow_fetch``, every other healthy ``CanSeal`` path with room for ``ft`` while sealing is
        appended with weight 0: somewhere the files could be fetched to.
        """
        counts: dict[StorageID, int] = {}
        primary: dict[StorageID, bool] = {}
        for kind in _single(ft):
            for meta in self._sectors.get(_DeclKey(sector, kind), []):
                counts[meta.storage] = counts.get(meta.storage, 0) + 1
                primary[meta.storage] = primary.get(meta.storage, False) or meta.primary
        out = []
        for sid, count in counts.items():
            entry = self._stores.get(sid)
            if entry is None:
                log.warning("storage not in the index but referenced sector=%s storage=%s", sector, sid)
                continue
            out.append(_found(entry.info, sector, ft, entry.info.weight * count, primary[sid]))
        out.sort(key=lambda s: (-s.weight, not s.primary, s.id))
        if allow_fetch:
            now = trio.current_time()
            need = seal_space_use(ft, ssize)
            for sid, entry in sorted(self._stores.items()):
                if sid in counts or not entry.info.can_seal:
                    continue
                if self._has_room(entry, need, "fetch") and self._usable(entry, now, "fetch"):
                    out.append(_found(entry.info, sector, ft, 0, False))
        return out

    async def storage_best_alloc(
        self, allocate: SectorFileType, ssize: int, path_type: PathType
    ) -> list[StorageInfo]:
        """Paths that may take new files ``allocate``, best first (``Available × Weight``, descending).

        Raises:
            NoSpace: ``no good path found``; the message says why each path was refused.
        """
        sealing = path_type is PathType.SEALING
        need = seal_space_use(allocate, ssize) if sealing else store_space_use(allocate, ssize)
        now = trio.current_time()
        candidates = []
        refused = []
        for sid, entry in sorted(self._stores.items()):
            if not (entry.info.can_seal if sealing else entry.info.can_store):
                refused.append(f"{sid}: not for {path_type.value}")
            elif not self._has_room(entry, need, "allocate"):
                refused.append(f"{sid}: {entry.stat.available} bytes available, {need} needed")
            elif not self._usable(entry, now, "allocate"):
                refused.append(f"{sid}: no recent heartbeat")
            else:
                candidates.append(entry)
        if not candidates:
            why = "; ".join(refused) or "no storage paths attached"
            raise NoSpace(f"no good path found for {allocate.names_list()} ({path_type.value}): {why}")
        candidates.sort(key=lambda e: -max(e.stat.available, 0) * e.info.weight)
        return [e.info for e in candidates]

    # -- helpers --------------------------------------------------------------------------------

    def _entry(self, storage_id: StorageID, message: str) -> _StorageEntry:
        entry = self._stores.get(storage_id)
        if entry is None:
            raise StorageNotFound(f"{message}: '{storage_id}'")
        return entry

    @staticmethod
    def _has_room(entry: _StorageEntry, need: int, why: str) -> bool:
        if need > entry.stat.available:
            log.debug(
                "not selecting for %s, out of space storage=%s available=%d need=%d",
                why,
                entry.info.id,
                entry.stat.available,
                need,
            )
            return False
        return True

    @staticmethod
    def _usable(entry: _StorageEntry, now: float, why: str) -> bool:
        silent = now - entry.last_heartbeat
        if silent > SKIPPED_HEARTBEAT_THRESH:
            log.debug("not selecting for %s, no heartbeat storage=%s for=%.1fs", why, entry.info.id, silent)
            return False
        if entry.heartbeat_err is not None:
            log.debug(
                "not selecting for %s, heartbeat error storage=%s err=%s",
                why,
                entry.info.id,
                entry.heartbeat_err,
            )
            return False
        return True


def _single(ft: SectorFileType) -> Iterable[SectorFileType]:
    return (kind for kind in SectorFileType.all_types() if kind & ft)


def _found(
    info: StorageInfo, sector: SectorID, ft: SectorFileType, weight: int, primary: bool
) -> SectorStorageInfo:
    # Lotus joins with path.Join and url.String(): "<base>/<ft>/s-t0…", escaped.
    suffix = "/" + quote(str(ft)) + "/" + sector_name(sector)
    return SectorStorageInfo(
        id=info.id,
        urls=tuple(url.rstrip("/") + suffix for url in info.urls),
        weight=weight,
        can_seal=info.can_seal,
        can_store=info.can_store,
        primary=primary,
    )
