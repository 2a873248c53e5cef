"""The Worker API: what the miner calls on a seal worker, over JSON-RPC, every method ``admin``.

Counterpart: Lotus ``api/api_worker.go`` (L05 sync shapes) and ``documentation/en/api-methods-worker.md``
(HEAD names ``Enabled``/``SetEnabled``/``Session``); reference/lotus-miner.md §3.4 and
reference/api-examples.md §2.  :data:`WORKER_TABLE` is served by :class:`WorkerApi` over a
:class:`~.local_worker.LocalWorker` and called through :class:`WorkerClient`, whose sealing
methods have the :class:`LocalWorker` signatures so the miner's manager can call either.

**Synchronous calls**: the sealing methods answer when the task is done (the L05 shape), not with a
``CallID`` and a later ``Return*`` call on the miner (L12+).  A result finished while the miner's
connection is down is therefore lost with the call; the ``Return*`` pattern is still to come
(issue #6, deliverable 3).  Because a PC1 takes minutes, :class:`WorkerClient` gives sealing calls
:data:`SEALING_CALL_TIMEOUT` instead of the transport's default.

Wire deviations, each for lack of the Lotus mechanism: ``AddPiece`` takes the piece's bytes (base64)
or ``null`` for a zero piece instead of a streamed reader; ``FinalizeSector``'s ``keepUnsealed``
ranges only say *whether* to keep the unsealed file (non-empty keeps it); ``Info`` omits the worker's
own resource table (the miner applies the default one).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Final, cast, final

from ..abi import JsonObject, SectorFileType, UnpaddedPieceSize, cid_to_commd, commd_to_cid
from ..jsonrpc import API_VERSION, MethodSpec, RpcClient, make_table
from ..jsonrpc.codec import BOOL, BYTES, CID_CODEC, JSON, STRING, UINT64, JsonValue, ListOf, Nullable
from ..jsonrpc.codec import JsonObject as ObjectCodec
from ..proofs import PieceInfo, SectorCids
from ..stores import StoragePath
from ..stores.storiface import (
    ACQUIRE_MODE,
    FILE_TYPE,
    PATH_TYPE,
    SECTOR_REF,
    STORAGE_PATH,
    AcquireMode,
    PathType,
    SectorRef,
)
from .local_worker import LocalWorker

__all__ = [
    "SEALING_CALL_TIMEOUT",
    "WORKER_CONNECT",
    "WORKER_TABLE",
    "WorkerApi",
    "WorkerClient",
    "machine_info_json",
]

SEALING_CALL_TIMEOUT: Final = 7 * 24 * 3600.0  # seconds: a sealing call waits for its task, however long
PIECE_INFO: Final = ObjectCodec("abi.PieceInfo", PieceInfo.from_json, PieceInfo.to_json)
SECTOR_CIDS: Final = ObjectCodec("storiface.SectorCids", SectorCids.from_json, SectorCids.to_json)

_REF = SECTOR_REF
WORKER_TABLE: Final = make_table(
    MethodSpec("Version", "admin", (), UINT64),
    MethodSpec("Info", "admin", (), JSON),
    MethodSpec("TaskTypes", "admin", (), JSON),
    MethodSpec("Paths", "admin", (), ListOf(STORAGE_PATH)),
    MethodSpec("Session", "admin", (), STRING),
    MethodSpec("Enabled", "admin", (), BOOL),
    MethodSpec("SetEnabled", "admin", (BOOL,), None),
    MethodSpec("StorageAddLocal", "admin", (STRING,), None),
    MethodSpec("AddPiece", "admin", (_REF, ListOf(UINT64), UINT64, Nullable(BYTES)), PIECE_INFO),
    MethodSpec("SealPreCommit1", "admin", (_REF, BYTES, ListOf(PIECE_INFO)), BYTES),
    MethodSpec("SealPreCommit2", "admin", (_REF, BYTES), SECTOR_CIDS),
    MethodSpec("SealCommit1", "admin", (_REF, BYTES, BYTES, ListOf(PIECE_INFO), SECTOR_CIDS), BYTES),
    MethodSpec("SealCommit2", "admin", (_REF, BYTES), BYTES),
    MethodSpec("FinalizeSector", "admin", (_REF, Nullable(ListOf(JSON))), None),
    MethodSpec("ReleaseUnsealed", "admin", (_REF,), None),
    MethodSpec("Remove", "admin", (_REF,), None),
    MethodSpec("MoveStorage", "admin", (_REF, FILE_TYPE), None),
    MethodSpec("Fetch", "admin", (_REF, FILE_TYPE, PATH_TYPE, ACQUIRE_MODE), None),
    MethodSpec("UnsealPiece", "admin", (_REF, UINT64, UINT64, BYTES, CID_CODEC), None),
)
"""The Worker API methods the miner uses, all ``admin`` as in Lotus."""

WORKER_CONNECT: Final = MethodSpec("WorkerConnect", "admin", (STRING,), None)
"""``WorkerConnect`` (admin) of the StorageMiner API: a worker calls it with its own API URL
(``ws://<address>/rpc/v0``) and the miner dials back.  Declared here, below both sides."""

_KEEP_ALL: Final[JsonObject] = {"Offset": 0, "Size": 0}


def _meminfo() -> dict[str, int]:
    """``/proc/meminfo`` in bytes; empty where there is none."""
    out: dict[str, int] = {}
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            out[name] = int(words[0]) * (1024 if words[1:] == ["kB"] else 1)
    return out


def machine_info_json(hostname: str) -> JsonObject:
    """``Info()`` of a worker on this machine, in Lotus's ``storiface.WorkerInfo`` JSON, without the
    ``Resources`` table (the miner then uses its default table)."""
    info = _meminfo()
    physical = info.get("MemTotal") or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    swap = info.get("SwapTotal", 0)
    return {
        "Hostname": hostname,
        "IgnoreResources": False,
        "Resources": {
            "MemPhysical": physical,
            "MemUsed": max(physical - info.get("MemAvailable", physical), 0),
            "MemSwap": swap,
            "MemSwapUsed": max(swap - info.get("SwapFree", swap), 0),
            "CPUs": os.cpu_count() or 1,
            "GPUs": None,
            "Resources": None,
        },
    }


@final
class WorkerApi:
    """Serves :data:`WORKER_TABLE` from a :class:`LocalWorker` (Lotus ``worker.go: Worker``).

    Args:
        worker: runs the calls.
        hostname: reported by ``Info`` (default: the worker's).
    """

    def __init__(self, worker: LocalWorker, *, hostname: str | None = None) -> None:
        self._worker = worker
        self._hostname = hostname or worker.hostname or socket.gethostname()
        self._enabled = True

    async def version(self) -> int:
        return API_VERSION

    async def info(self) -> JsonValue:
        return machine_info_json(self._hostname)

    async def task_types(self) -> JsonValue:
        return {task: {} for task in sorted(self._worker.task_types())}

    async def paths(self) -> list[StoragePath]:
        return self._worker.paths()

    async def session(self) -> str:
        return str(self._worker.session)

    async def enabled(self) -> bool:
        return self._enabled

    async def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled

    async def storage_add_local(self, path: str) -> None:
        await self._worker.store.local.add_local(path)

    async def add_piece(
        self, sector: SectorRef, existing: list[int], size: int, data: bytes | None
    ) -> PieceInfo:
        sizes = [UnpaddedPieceSize(s) for s in existing]
        return await self._worker.add_piece(sector, sizes, UnpaddedPieceSize(size), data)

    async def seal_pre_commit1(self, sector: SectorRef, ticket: bytes, pieces: list[PieceInfo]) -> bytes:
        return await self._worker.seal_pre_commit1(sector, ticket, pieces)

    async def seal_pre_commit2(self, sector: SectorRef, pc1_out: bytes) -> SectorCids:
        return await self._worker.seal_pre_commit2(sector, pc1_out)

    async def seal_commit1(
        self, sector: SectorRef, ticket: bytes, seed: bytes, pieces: list[PieceInfo], cids: SectorCids
    ) -> bytes:
        return await self._worker.seal_commit1(sector, ticket, seed, pieces, cids)

    async def seal_commit2(self, sector: SectorRef, c1_out: bytes) -> bytes:
        return await self._worker.seal_commit2(sector, c1_out)

    async def finalize_sector(self, sector: SectorRef, keep_unsealed: list[JsonValue] | None) -> None:
        await self._worker.finalize_sector(sector, keep_unsealed=bool(keep_unsealed))

    async def release_unsealed(self, sector: SectorRef) -> None:
        await self._worker.release_unsealed(sector)

    async def remove(self, sector: SectorRef) -> None:
        await self._worker.remove(sector)

    async def move_storage(self, sector: SectorRef, file_type: SectorFileType) -> None:
        await self._worker.move_storage(sector, file_type)

    async def fetch(
        self, sector: SectorRef, file_type: SectorFileType, path_type: PathType, mode: AcquireMode
    ) -> None:
        await self._worker.fetch(sector, file_type, path_type, mode)

    async def unseal_piece(
        self, sector: SectorRef, offset: int, size: int, ticket: bytes, comm_d: object
    ) -> None:
        commd = cid_to_commd(comm_d)  # type: ignore[arg-type]  # the CID codec decoded it
        await self._worker.unseal_piece(sector, offset, UnpaddedPieceSize(size), ticket, commd)


class WorkerClient(RpcClient):
    """Typed client of :data:`WORKER_TABLE`; its sealing methods mirror :class:`LocalWorker`'s."""

    TABLE = WORKER_TABLE

    async def version(self) -> int:
        return cast(int, await self.call("Version"))

    async def info(self) -> JsonValue:
        return cast(JsonValue, await self.call("Info"))

    async def task_types(self) -> frozenset[str]:
        raw = await self.call("TaskTypes")
        return frozenset(raw) if isinstance(raw, dict) else frozenset()

    async def paths(self) -> list[StoragePath]:
        return cast(list[StoragePath], await self.call("Paths"))

    async def session(self, *, timeout: float | None = None) -> uuid.UUID:
        return uuid.UUID(cast(str, await self.call("Session", timeout=timeout)))

    async def enabled(self) -> bool:
        return cast(bool, await self.call("Enabled"))

    async def set_enabled(self, enabled: bool) -> None:
        await self.call("SetEnabled", enabled)

    async def storage_add_local(self, path: str) -> None:
        await self.call("StorageAddLocal", path)

    async def _seal(self, name: str, *args: object) -> object:
        return await self.call(name, *args, timeout=SEALING_CALL_TIMEOUT)

    async def add_piece(
        self,
        sector: SectorRef,
        existing_sizes: Sequence[UnpaddedPieceSize],
        size: UnpaddedPieceSize,
        data: bytes | None,
    ) -> PieceInfo:
        sizes = [int(s) for s in existing_sizes]
        return cast(PieceInfo, await self._seal("AddPiece", sector, sizes, int(size), data))

    async def seal_pre_commit1(self, sector: SectorRef, ticket: bytes, pieces: Sequence[PieceInfo]) -> bytes:
        return cast(bytes, await self._seal("SealPreCommit1", sector, ticket, list(pieces)))

    async def seal_pre_commit2(self, sector: SectorRef, pc1_out: bytes) -> SectorCids:
        return cast(SectorCids, await self._seal("SealPreCommit2", sector, pc1_out))

    async def seal_commit1(
        self, sector: SectorRef, ticket: bytes, seed: bytes, pieces: Sequence[PieceInfo], cids: SectorCids
    ) -> bytes:
        return cast(bytes, await self._seal("SealCommit1", sector, ticket, seed, list(pieces), cids))

    async def seal_commit2(self, sector: SectorRef, c1_out: bytes) -> bytes:
        return cast(bytes, await self._seal("SealCommit2", sector, c1_out))

    async def finalize_sector(self, sector: SectorRef, *, keep_unsealed: bool) -> None:
        await self._seal("FinalizeSector", sector, [_KEEP_ALL] if keep_unsealed else None)

    async def release_unsealed(self, sector: SectorRef) -> None:
        await self._seal("ReleaseUnsealed", sector)

    async def remove(self, sector: SectorRef) -> None:
        await self._seal("Remove", sector)

    async def move_storage(self, sector: SectorRef, file_type: SectorFileType) -> None:
        await self._seal("MoveStorage", sector, file_type)

    async def fetch(
        self, sector: SectorRef, file_type: SectorFileType, path_type: PathType, mode: AcquireMode
    ) -> None:
        await self._seal("Fetch", sector, file_type, path_type, mode)

    async def unseal_piece(
        self, sector: SectorRef, offset: int, size: UnpaddedPieceSize, ticket: bytes, comm_d: bytes
    ) -> None:
        await self._seal("UnsealPiece", sector, offset, int(size), ticket, commd_to_cid(comm_d))
