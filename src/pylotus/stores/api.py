"""The ``Filecoin.Storage*`` methods: the sector index and the miner's paths over JSON-RPC.

Counterpart: Lotus ``api/api_storage.go`` (the ``SectorIndex`` methods plus ``StorageLocal``,
``StorageStat``, ``StorageAddLocal``); permissions, params and results are reference/lotus-miner.md
§3.3, in their L12 form (``StorageFindSector`` takes a sector size, ``StorageBestAlloc`` a
``"sealing"``/``"storage"`` path type).  Every method needs ``admin``: workers attach their paths
and declare their files with the admin token the miner gave them.

:data:`STORAGE_INDEX_TABLE` is served by :class:`StorageApi` in the miner (and the stores test
server) and called through :class:`StorageClient`, which is also a :class:`~.index.SectorIndex`:
a worker hands it to its :class:`~.local.LocalStore` in place of an in-process index.
``StorageLock``/``StorageTryLock`` are not served: locks are taken by the scheduler in the miner's
own process (:mod:`.locks`), never across the wire.
"""

from __future__ import annotations

from typing import Final, cast, final

from ..abi import Address, SectorFileType, SectorID
from ..jsonrpc import MethodSpec, RpcClient, make_table
from ..jsonrpc.codec import ADDRESS, BOOL, STRING, UINT64, ListOf
from .index import MemIndex
from .remote import RemoteStore
from .storiface import (
    DECL,
    FILE_TYPE,
    FS_STAT,
    HEALTH_REPORT,
    PATH_TYPE,
    SECTOR_ID,
    SECTOR_STORAGE_INFO,
    STORAGE_INFO,
    Decl,
    FsStat,
    HealthReport,
    PathType,
    SectorStorageInfo,
    StorageID,
    StorageInfo,
    StringMap,
)

__all__ = ["ACTOR_ADDRESS", "STORAGE_INDEX_TABLE", "StorageApi", "StorageClient"]

STORAGE_INDEX_TABLE: Final = make_table(
    MethodSpec("StorageList", "admin", (), StringMap(ListOf(DECL))),
    MethodSpec("StorageLocal", "admin", (), StringMap(STRING)),
    MethodSpec("StorageStat", "admin", (STRING,), FS_STAT),
    MethodSpec("StorageAttach", "admin", (STORAGE_INFO, FS_STAT), None),
    MethodSpec("StorageInfo", "admin", (STRING,), STORAGE_INFO),
    MethodSpec("StorageReportHealth", "admin", (STRING, HEALTH_REPORT), None),
    MethodSpec("StorageDeclareSector", "admin", (STRING, SECTOR_ID, FILE_TYPE, BOOL), None),
    MethodSpec("StorageDropSector", "admin", (STRING, SECTOR_ID, FILE_TYPE), None),
    MethodSpec(
        "StorageFindSector", "admin", (SECTOR_ID, FILE_TYPE, UINT64, BOOL), ListOf(SECTOR_STORAGE_INFO)
    ),
    MethodSpec("StorageBestAlloc", "admin", (FILE_TYPE, UINT64, PATH_TYPE), ListOf(STORAGE_INFO)),
    MethodSpec("StorageAddLocal", "admin", (STRING,), None),
)
"""The eleven ``Filecoin.Storage*`` methods, all ``admin``."""

ACTOR_ADDRESS: Final = MethodSpec("ActorAddress", "read", (), ADDRESS)
"""``ActorAddress`` (read): the miner's address.  It belongs to the miner's API (issue #8), which
registers this spec; the storage client carries it because ``storage find`` needs the miner ID."""


@final
class StorageApi:
    """Serves :data:`STORAGE_INDEX_TABLE` from the miner's index and stores."""

    def __init__(self, index: MemIndex, remote: RemoteStore) -> None:
        self._index = index
        self._remote = remote

    async def storage_list(self) -> dict[StorageID, list[Decl]]:
        return await self._index.storage_list()

    async def storage_local(self) -> dict[StorageID, str]:
        return self._remote.local.local_paths()

    async def storage_stat(self, storage_id: str) -> FsStat:
        return await self._remote.fs_stat(StorageID(storage_id))

    async def storage_attach(self, info: StorageInfo, stat: FsStat) -> None:
        await self._index.storage_attach(info, stat)

    async def storage_info(self, storage_id: str) -> StorageInfo:
        return await self._index.storage_info(StorageID(storage_id))

    async def storage_report_health(self, storage_id: str, report: HealthReport) -> None:
        await self._index.storage_report_health(StorageID(storage_id), report)

    async def storage_declare_sector(
        self, storage_id: str, sector: SectorID, ft: SectorFileType, primary: bool
    ) -> None:
        await self._index.storage_declare_sector(StorageID(storage_id), sector, ft, primary)

    async def storage_drop_sector(self, storage_id: str, sector: SectorID, ft: SectorFileType) -> None:
        await self._index.storage_drop_sector(StorageID(storage_id), sector, ft)

    async def storage_find_sector(
        self, sector: SectorID, ft: SectorFileType, ssize: int, allow_fetch: bool
    ) -> list[SectorStorageInfo]:
        return await self._index.storage_find_sector(sector, ft, ssize, allow_fetch)

    async def storage_best_alloc(
        self, allocate: SectorFileType, ssize: int, path_type: PathType
    ) -> list[StorageInfo]:
        return await self._index.storage_best_alloc(allocate, ssize, path_type)

    async def storage_add_local(self, path: str) -> None:
        await self._remote.local.add_local(path)


class StorageClient(RpcClient):
    """Typed client of :data:`STORAGE_INDEX_TABLE` (plus ``ActorAddress``); a :class:`SectorIndex`."""

    TABLE = {**STORAGE_INDEX_TABLE, ACTOR_ADDRESS.name: ACTOR_ADDRESS}

    async def actor_address(self) -> Address:
        return cast(Address, await self.call("ActorAddress"))

    async def storage_list(self) -> dict[StorageID, list[Decl]]:
        return cast(dict[StorageID, list[Decl]], await self.call("StorageList"))

    async def storage_local(self) -> dict[StorageID, str]:
        return cast(dict[StorageID, str], await self.call("StorageLocal"))

    async def storage_stat(self, storage_id: StorageID) -> FsStat:
        return cast(FsStat, await self.call("StorageStat", storage_id))

    async def storage_attach(self, info: StorageInfo, stat: FsStat) -> None:
        await self.call("StorageAttach", info, stat)

    async def storage_info(self, storage_id: StorageID) -> StorageInfo:
        return cast(StorageInfo, await self.call("StorageInfo", storage_id))

    async def storage_report_health(self, storage_id: StorageID, report: HealthReport) -> None:
        await self.call("StorageReportHealth", storage_id, report)

    async def storage_declare_sector(
        self, storage_id: StorageID, sector: SectorID, ft: SectorFileType, primary: bool
    ) -> None:
        await self.call("StorageDeclareSector", storage_id, sector, ft, primary)

    async def storage_drop_sector(self, storage_id: StorageID, sector: SectorID, ft: SectorFileType) -> None:
        await self.call("StorageDropSector", storage_id, sector, ft)

    async def storage_find_sector(
        self, sector: SectorID, ft: SectorFileType, ssize: int, allow_fetch: bool
    ) -> list[SectorStorageInfo]:
        return cast(
            list[SectorStorageInfo], await self.call("StorageFindSector", sector, ft, ssize, allow_fetch)
        )

    async def storage_best_alloc(
        self, allocate: SectorFileType, ssize: int, path_type: PathType
    ) -> list[StorageInfo]:
        return cast(list[StorageInfo], await self.call("StorageBestAlloc", allocate, ssize, path_type))

    async def storage_add_local(self, path: str) -> None:
        await self.call("StorageAddLocal", path)
