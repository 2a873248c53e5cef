"""Sector storage: local paths, the sector index, sector locks, remote fetch and ``/remote``.

Counterpart: Lotus ``storage/paths/`` (DESIGN.md: ``storage/paths`` ↔ ``stores/``); behaviour is
reference/lotus-miner.md §2.2, §3.3, §5 and the ``storage`` commands of §1.4.  How the pieces fit::

    MemIndex (index.py)         the miner's table of paths and sector files; served over RPC by
                                StorageApi (api.py), reached by workers through StorageClient
    SectorLocks (locks.py)      per-sector read/write locks per file type, held for a task's scope
    LocalStore (local.py)       this process's paths: open + declare, FsStat, reservations, heartbeats
    RemoteStore (remote.py)     acquire a sector's files onto local paths, fetching what is missing
    FetchHandler (http_handler) GET/DELETE /remote/{type}/{s-t0…}, GET /remote/stat/{id}; admin only
    storage_group (storage_cli) `storage attach|list|find`, `storage list sectors`, and `find`

Modules: ``storiface`` (the wire values), ``fsutil`` and ``tarutil`` (blocking disk work),
``fetch`` (one download), ``storage_format`` (CLI layouts), ``testserver`` (a storage node in a
process, for tests until the miner exists), ``errors``.  Import from here, not from the modules.
"""

from __future__ import annotations

from .api import ACTOR_ADDRESS as ACTOR_ADDRESS
from .api import STORAGE_INDEX_TABLE as STORAGE_INDEX_TABLE
from .api import StorageApi as StorageApi
from .api import StorageClient as StorageClient
from .errors import FetchFailed as FetchFailed
from .errors import InvalidLockRequest as InvalidLockRequest
from .errors import InvalidStoragePath as InvalidStoragePath
from .errors import InvalidStorageValue as InvalidStorageValue
from .errors import NoSpace as NoSpace
from .errors import SectorNotFound as SectorNotFound
from .errors import StorageIOError as StorageIOError
from .errors import StorageNotFound as StorageNotFound
from .errors import StoresError as StoresError
from .fsutil import FETCH_TEMP_SUBDIR as FETCH_TEMP_SUBDIR
from .fsutil import META_FILE as META_FILE
from .http_handler import FetchHandler as FetchHandler
from .index import HEARTBEAT_INTERVAL as HEARTBEAT_INTERVAL
from .index import SKIPPED_HEARTBEAT_THRESH as SKIPPED_HEARTBEAT_THRESH
from .index import MemIndex as MemIndex
from .index import SectorIndex as SectorIndex
from .local import LocalStore as LocalStore
from .local import SectorPaths as SectorPaths
from .local import StorageConfig as StorageConfig
from .locks import LockStatistics as LockStatistics
from .locks import SectorLocks as SectorLocks
from .remote import DEFAULT_PARALLEL_FETCH_LIMIT as DEFAULT_PARALLEL_FETCH_LIMIT
from .remote import RemoteStore as RemoteStore
from .storage_cli import find_command as find_command
from .storage_cli import storage_group as storage_group
from .storiface import FINALIZED_OVERHEAD as FINALIZED_OVERHEAD
from .storiface import SEAL_OVERHEAD as SEAL_OVERHEAD
from .storiface import AcquireMode as AcquireMode
from .storiface import Decl as Decl
from .storiface import FsStat as FsStat
from .storiface import HealthReport as HealthReport
from .storiface import LocalStorageMeta as LocalStorageMeta
from .storiface import PathType as PathType
from .storiface import SectorRef as SectorRef
from .storiface import SectorStorageInfo as SectorStorageInfo
from .storiface import StorageID as StorageID
from .storiface import StorageInfo as StorageInfo
from .storiface import StoragePath as StoragePath
from .storiface import seal_space_use as seal_space_use
from .storiface import store_space_use as store_space_use

__all__ = [
    "ACTOR_ADDRESS",
    "DEFAULT_PARALLEL_FETCH_LIMIT",
    "FETCH_TEMP_SUBDIR",
    "FINALIZED_OVERHEAD",
    "HEARTBEAT_INTERVAL",
    "META_FILE",
    "SEAL_OVERHEAD",
    "SKIPPED_HEARTBEAT_THRESH",
    "STORAGE_INDEX_TABLE",
    "AcquireMode",
    "Decl",
    "FetchFailed",
    "FetchHandler",
    "FsStat",
    "HealthReport",
    "InvalidLockRequest",
    "InvalidStoragePath",
    "InvalidStorageValue",
    "LocalStorageMeta",
    "LocalStore",
    "LockStatistics",
    "MemIndex",
    "NoSpace",
    "PathType",
    "RemoteStore",
    "SectorIndex",
    "SectorLocks",
    "SectorNotFound",
    "SectorPaths",
    "SectorRef",
    "SectorStorageInfo",
    "StorageApi",
    "StorageClient",
    "StorageConfig",
    "StorageID",
    "StorageIOError",
    "StorageInfo",
    "StorageNotFound",
    "StoragePath",
    "StoresError",
    "find_command",
    "seal_space_use",
    "storage_group",
    "store_space_use",
]
