"""The Worker API: what the miner calls on a seal worker, over JSON-RPC, every method ``admin``.

Counterpart: Lotus ``api/api_worker.go`` (L05 sync shapes) and ``documentation/en/api-methods-worker.md``
(HEAD names ``Enabled``/``SetEnabled``/``Session``); reference/lotus-miner.md §3.4 and
reference/api-examples.md §2.  :data:`WORKER_TABLE` is served by :class:`WorkerApi` over a
:class:`~.local_worker.LocalWorker` and called through :class:`WorkerClient`, whose sealing
methods have the :class:`LocalWorker` signatures so the miner's manager can call either.

**Asynchronous calls** (the L12+ shape): each sealing method answers at once with a
:class:`~.returns.CallID` and runs in the worker daemon's nursery (:class:`~.returns.CallRunner`);
the result reaches the miner later through its ``Return<Call>`` method, persisted by the worker
until delivered (:mod:`.returns`), so a result finished while the miner is away is not lost.
``Remove`` stays synchronous, as in Lotus L12.

Wire deviations, each for lack of the Lotus mechanism: ``AddPiece`` takes the piece's bytes (base64)
or ``null`` for a zero piece instead of a streamed reader; ``FinalizeSector``'s ``keepUnsealed``
ranges only say *whether* to keep the unsealed file (non-empty keeps it); ``Info`` omits the worker's
own resource table (the miner applies the default one).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Final, cast, final

from ..abi import JsonObject, SectorFileType, UnpaddedPieceSize, cid_to_commd, commd_to_cid
from ..jsonrpc import API_VERSION, MethodSpec, RpcClient, make_table
from ..jsonrpc.codec import BOOL, BYTES, CID_CODEC, JSON, STRING, UINT64, JsonValue, ListOf, Nullable
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
from .returns import CALL_ID, PIECE_INFO, SECTOR_CIDS, CallID, CallRunner

__all__ = [
    "SEALING_CALL_TIMEOUT",
    "WORKER_CONNECT",
    "WORKER_TABLE",
    "WorkerApi",
    "WorkerClient",
    "machine_info_json",
]

SEALING_CALL_TIMEOUT: Final = 60.0  # seconds for a sealing call to answer with its CallID

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
    MethodSpec("AddPiece", "admin", (_REF, ListOf(UINT64), UINT64, Nullable(BYTES)), CALL_ID),
    MethodSpec("SealPreCommit1", "admin", (_REF, BYTES, ListOf(PIECE_INFO)), CALL_ID),
    MethodSpec("SealPreCommit2", "admin", (_REF, BYTES), CALL_ID),
    MethodSpec("SealCommit1", "admin", (_REF, BYTES, BYTES, ListOf(PIECE_INFO), SECTOR_CIDS), CALL_ID),
    MethodSpec("SealCommit2", "admin", (_REF, BYTES), CALL_ID),
    MethodSpec("FinalizeSector", "admin", (_REF, Nullable(ListOf(JSON))), CALL_ID),
    MethodSpec("ReleaseUnsealed", "admin", (_REF,), CALL_ID),
    MethodSpec("Remove", "admin", (_REF,), None),
    MethodSpec("MoveStorage", "admin", (_REF, FILE_TYPE), CALL_ID),
    MethodSpec("Fetch", "admin", (_REF, FILE_TYPE, PATH_TYPE, ACQUIRE_MODE), CALL_ID),
    MethodSpec("UnsealPiece", "admin", (_REF, UINT64, UINT64, BYTES, CID_CODEC), CALL_ID),
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
        calls: starts the asynchronous sealing calls; without it only the reads are served.
        hostname: reported by ``Info`` (default: the worker's).
    """

    def __init__(
        self, worker: LocalWorker, *, calls: CallRunner | None = None, hostname: str | None = None
    ) -> None:
        self._worker = worker
        self._calls = calls
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

    def _start(self, method: str, sector: SectorRef, run: Callable[[], Awaitable[object]]) -> CallID:
        if self._calls is None:
            raise RuntimeError("this WorkerApi was built without a CallRunner; it serves no sealing calls")
        return self._calls.start(method, sector.id, run)

    async def add_piece(
        self, sector: SectorRef, existing: list[int], size: int, data: bytes | None
    ) -> CallID:
        sizes = [UnpaddedPieceSize(s) for s in existing]
        return self._start(
            "AddPiece", sector, lambda: self._worker.add_piece(sector, sizes, UnpaddedPieceSize(size), data)
        )

    async def seal_pre_commit1(self, sector: SectorRef, ticket: bytes, pieces: list[PieceInfo]) -> CallID:
        return self._start(
            "SealPreCommit1", sector, lambda: self._worker.seal_pre_commit1(sector, ticket, pieces)
        )

    async def seal_pre_commit2(self, sector: SectorRef, pc1_out: bytes) -> CallID:
        return self._start("SealPreCommit2", sector, lambda: self._worker.seal_pre_commit2(sector, pc1_out))

    async def seal_commit1(
        self, sector: SectorRef, ticket: bytes, seed: bytes, pieces: list[PieceInfo], cids: SectorCids
    ) -> CallID:
        return self._start(
            "SealCommit1", sector, lambda: self._worker.seal_commit1(sector, ticket, seed, pieces, cids)
        )

    async def seal_commit2(self, sector: SectorRef, c1_out: bytes) -> CallID:
        return self._start("SealCommit2", sector, lambda: self._worker.seal_commit2(sector, c1_out))

    async def finalize_sector(self, sector: SectorRef, keep_unsealed: list[JsonValue] | None) -> CallID:
        keep = bool(keep_unsealed)
        return self._start(
            "FinalizeSector", sector, lambda: self._worker.finalize_sector(sector, keep_unsealed=keep)
        )

    async def release_unsealed(self, sector: SectorRef) -> CallID:
        return self._start("ReleaseUnsealed", sector, lambda: self._worker.release_unsealed(sector))

    async def remove(self, sector: SectorRef) -> None:
        await self._worker.remove(sector)

    async def move_storage(self, sector: SectorRef, file_type: SectorFileType) -> CallID:
        return self._start("MoveStorage", sector, lambda: self._worker.move_storage(sector, file_type))

    async def fetch(
        self, sector: SectorRef, file_type: SectorFileType, path_type: PathType, mode: AcquireMode
    ) -> CallID:
        return self._start("Fetch", sector, lambda: self._worker.fetch(sector, file_type, path_type, mode))

    async def unseal_piece(
        self, sector: SectorRef, offset: int, size: int, ticket: bytes, comm_d: object
    ) -> CallID:
        commd = cid_to_commd(comm_d)  # type: ignore[arg-type]  # the CID codec decoded it
        return self._start(
            "UnsealPiece",
            sector,
            lambda: self._worker.unseal_piece(sector, offset, UnpaddedPieceSize(size), ticket, commd),
        )


class WorkerClient(RpcClient):
    """Typed client of :data:`WORKER_TABLE`; its sealing methods take :class:`LocalWorker`'s
    arguments and return the call's :class:`~.returns.CallID` (the miner's call tracker waits for
    the result)."""

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

    async def _seal(self, name: str, *args: object) -> CallID:
        return cast(CallID, await self.call(name, *args, timeout=SEALING_CALL_TIMEOUT))

    async def add_piece(
        self,
        sector: SectorRef,
        existing_sizes: Sequence[UnpaddedPieceSize],
        size: UnpaddedPieceSize,
        data: bytes | None,
    ) -> CallID:
        sizes = [int(s) for s in existing_sizes]
        return await self._seal("AddPiece", sector, sizes, int(size), data)

    async def seal_pre_commit1(self, sector: SectorRef, ticket: bytes, pieces: Sequence[PieceInfo]) -> CallID:
        return await self._seal("SealPreCommit1", sector, ticket, list(pieces))

    async def seal_pre_commit2(self, sector: SectorRef, pc1_out: bytes) -> CallID:
        return await self._seal("SealPreCommit2", sector, pc1_out)

    async def seal_commit1(
        self, sector: SectorRef, ticket: bytes, seed: bytes, pieces: Sequence[PieceInfo], cids: SectorCids
    ) -> CallID:
        return await self._seal("SealCommit1", sector, ticket, seed, list(pieces), cids)

    async def seal_commit2(self, sector: SectorRef, c1_out: bytes) -> CallID:
        return await self._seal("SealCommit2", sector, c1_out)

    async def finalize_sector(self, sector: SectorRef, *, keep_unsealed: bool) -> CallID:
        return await self._seal("FinalizeSector", sector, [_KEEP_ALL] if keep_unsealed else None)

    async def release_unsealed(self, sector: SectorRef) -> CallID:
        return await self._seal("ReleaseUnsealed", sector)

    async def remove(self, sector: SectorRef) -> None:
        await self.call("Remove", sector, timeout=SEALING_CALL_TIMEOUT)

    async def move_storage(self, sector: SectorRef, file_type: SectorFileType) -> CallID:
        return await self._seal("MoveStorage", sector, file_type)

    async def fetch(
        self, sector: SectorRef, file_type: SectorFileType, path_type: PathType, mode: AcquireMode
    ) -> CallID:
        return await self._seal("Fetch", sector, file_type, path_type, mode)

    async def unseal_piece(
        self, sector: SectorRef, offset: int, size: UnpaddedPieceSize, ticket: bytes, comm_d: bytes
    ) -> CallID:
        return await self._seal("UnsealPiece", sector, offset, int(size), ticket, commd_to_cid(comm_d))
