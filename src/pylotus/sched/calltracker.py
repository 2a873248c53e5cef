"""The miner's call tracker: remote sealing calls answer with a ``CallID``, results come by ``Return*``.

Counterpart: Lotus ``storage/sealer/manager_calltracker.go`` (``WorkID``, ``getWork``, ``startWork``,
``waitWork``, ``returnResult``) and ``manager.go``'s ``Return*`` methods; reference/lotus-miner.md
§3.3 (``Return*``, admin) and §3.4.  The worker's side is :mod:`pylotus.worker.returns`.

How a remote call runs: :class:`TrackedWorker` (what the manager sees for a remote worker: the
sealing methods of a ``LocalWorker``) calls the worker, gets the :class:`CallID` back at once,
:meth:`CallTracker.track`\\ s it and waits; the worker later calls ``Return<Call>`` on the miner,
served by :class:`ReturnApi`, which hands the result to the tracker.

Decisions:

* **Results before waiters are kept.**  A ``Return*`` for a call the tracker does not know yet (the
  worker was faster than ``track``) is kept in memory, :data:`EARLY_RESULTS_KEPT` at most, and
  completes the call when it is tracked.
* **Work, not calls, survives a miner restart.**  A call made for a manager *work* (PC1, PC2, C1, C2,
  unseal: the calls the manager dedupes, keyed by :func:`work_id`) is persisted in the datastore
  passed in, with its ``CallID`` and later its result.  After a restart, a ``Return*`` for such a
  call completes the persisted record, and the manager, asked for the same work again, finds it
  (:meth:`CallTracker.find_work`) and waits for (or takes) that result instead of scheduling the
  task again: a miner restart never redoes a PC1 the worker finished.  The record is deleted once a
  waiter took the result.  Calls without a work ID (AddPiece, Fetch, Finalize, Move) are tracked in
  memory only; after a restart their late ``Return*`` is kept as an early result and then dropped.
* **Persist after the worker answered.**  The record is written when the ``CallID`` is known; a
  miner that dies between the worker accepting the call and that write re-runs the work.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Final, final

import trio

from ..abi import SectorFileType, UnpaddedPieceSize
from ..errors import Temporary
from ..jsonrpc.codec import JsonValue
from ..proofs import PieceInfo, SectorCids
from ..repo import Namespace
from ..stores import AcquireMode, PathType, SectorRef
from ..worker import ERR_TEMP_WORKER_RESTART, RETURN_METHODS, RETURN_TABLE, CallError, CallID, WorkerClient
from .errors import SchedError

__all__ = [
    "EARLY_RESULTS_KEPT",
    "CallFailed",
    "CallTracker",
    "ReturnApi",
    "TrackedWorker",
    "work_id",
]

log = logging.getLogger(__name__)

EARLY_RESULTS_KEPT: Final = 1024  # results of untracked calls kept in memory, oldest dropped first
_RETURN_TO_CALL: Final = {ret: call for call, (ret, _) in RETURN_METHODS.items()}


class CallFailed(SchedError):
    """A remote sealing call ended with an error (Lotus ``storiface.CallError``)."""

    def __init__(self, method: str, error: CallError) -> None:
        super().__init__(f"{method} failed on the worker (code {error.code}): {error.message}")
        self.method = method
        self.error = error


class TemporaryCallFailed(CallFailed, Temporary):
    """A remote sealing call failed with a temporary code (>= 100, e.g. the worker restarted)."""


def _stable(value: object) -> JsonValue:
    if isinstance(value, tuple | list):
        return [_stable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, bool | int | str):
        return value
    to_json = getattr(value, "to_json", None)
    return to_json() if callable(to_json) else str(value)


def work_id(key: Hashable) -> str | None:
    """A manager work key (``("PC1", sector, ticket, pieces)``) as a stable string (Lotus
    ``WorkID``: method and JSON params); ``None`` for keys that are not tuples (not deduplicated)."""
    if not isinstance(key, tuple) or not key or not isinstance(key[0], str):
        return None
    text = json.dumps(_stable(key), sort_keys=True, separators=(",", ":"))
    return f"{key[0]}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"


@dataclass
class _Call:
    method: str
    call_id: CallID
    work: str | None
    worker: str | None = None
    done: bool = False
    result: JsonValue = None
    error: CallError | None = None
    event: trio.Event = field(default_factory=trio.Event)

    def to_json(self) -> bytes:
        record = {
            "Method": self.method,
            "CallID": self.call_id.to_json(),
            "Work": self.work,
            "Worker": self.worker,
            "Done": self.done,
            "Result": self.result,
            "Error": None if self.error is None else self.error.to_json(),
        }
        return json.dumps(record).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> _Call:
        obj = json.loads(raw)
        err = obj.get("Error")
        call = cls(
            obj["Method"],
            CallID.from_json(obj["CallID"]),
            obj.get("Work"),
            obj.get("Worker"),
            bool(obj.get("Done")),
            obj.get("Result"),
            None if err is None else CallError.from_json(err),
        )
        if call.done:
            call.event.set()
        return call


@final
class CallTracker:
    """Remote calls in flight and their results (Lotus ``Manager``'s ``callRes``/``work`` stores).

    Args:
        store: where calls made for a work are persisted (a namespace of the miner's metadata
            datastore); ``None`` keeps everything in memory.
    """

    def __init__(self, store: Namespace | None = None) -> None:
        self._store = store
        self._calls: dict[uuid.UUID, _Call] = {}
        self._work: dict[str, uuid.UUID] = {}
        self._early: OrderedDict[uuid.UUID, tuple[JsonValue, CallError | None]] = OrderedDict()
        if store is not None:
            for _, raw in store.query("/"):
                call = _Call.from_json(raw)
                self._add(call)
            if self._calls:
                log.info("calls persisted by a previous run count=%d", len(self._calls))

    def _add(self, call: _Call) -> None:
        self._calls[call.call_id.id] = call
        if call.work is not None:
            self._work[call.work] = call.call_id.id

    def _persist(self, call: _Call) -> None:
        if self._store is not None and call.work is not None:
            self._store.put(f"/{call.call_id.id}", call.to_json())

    def pending(self) -> dict[CallID, str]:
        """``{CallID: method}`` of every tracked call whose result was not taken yet."""
        return {c.call_id: c.method for c in self._calls.values()}

    def find_work(self, work: str) -> CallID | None:
        """The call already made for ``work`` (running, or done and not yet taken), if any."""
        cid = self._work.get(work)
        return None if cid is None else self._calls[cid].call_id

    def track(self, call_id: CallID, method: str, work: str | None = None, worker: str | None = None) -> None:
        """Start waiting for ``call_id`` made on ``worker`` (persisted if ``work`` is given); a
        result that came before completes it at once."""
        call = _Call(method, call_id, work, worker)
        early = self._early.pop(call_id.id, None)
        if early is not None:
            call.done, (call.result, call.error) = True, early
            call.event.set()
        self._add(call)
        self._persist(call)
        log.info("call tracked call=%s method=%s work=%s", call_id.id, method, work)

    async def wait(self, call_id: CallID) -> tuple[JsonValue, CallError | None]:
        """The result and error of a tracked call, once its ``Return*`` came; the record is
        then forgotten (and deleted from the datastore).

        *Cancellation*: a call made for a work stays tracked (a re-issued work finds it); any
        other is forgotten, and its late result dropped.

        Raises:
            RuntimeError: ``call_id`` is not tracked.
        """
        call = self._calls.get(call_id.id)
        if call is None:
            raise RuntimeError(f"call '{call_id.id}' is not tracked")
        try:
            await call.event.wait()
        except BaseException:
            if call.work is None:
                self._forget(call)
            raise
        self._forget(call)
        return call.result, call.error

    def _forget(self, call: _Call) -> None:
        self._calls.pop(call.call_id.id, None)
        if call.work is not None and self._work.get(call.work) == call.call_id.id:
            del self._work[call.work]
        if self._store is not None and call.work is not None:
            self._store.delete(f"/{call.call_id.id}")

    def deliver(self, call_id: CallID, result: JsonValue, error: CallError | None) -> None:
        """A worker's ``Return*``: complete the call (persisting the result of a work's call),
        or keep the result for a call not tracked yet.  A second delivery is ignored."""
        call = self._calls.get(call_id.id)
        if call is None:
            log.info("result for an untracked call kept call=%s", call_id.id)
            self._early[call_id.id] = (result, error)
            while len(self._early) > EARLY_RESULTS_KEPT:
                self._early.popitem(last=False)
            return
        if call.done:
            return
        call.done, call.result, call.error = True, result, error
        self._persist(call)
        call.event.set()
        log.info("call returned call=%s method=%s ok=%s", call_id.id, call.method, error is None)

    def fail_worker(self, worker: str, message: str) -> int:
        """The worker is gone for good: its calls still out fail with a temporary error, so
        their waiters (and a re-issued work) stop waiting for it; the count."""
        lost = [c for c in self._calls.values() if c.worker == worker and not c.done]
        for call in lost:
            self.deliver(call.call_id, None, CallError(ERR_TEMP_WORKER_RESTART, message))
        return len(lost)

    async def result_of(self, call_id: CallID) -> object:
        """Wait for a tracked call and decode its result with its method's codec.

        Raises:
            CallFailed: the call ended with an error (:class:`TemporaryCallFailed` for codes >= 100).
        """
        call = self._calls.get(call_id.id)
        method = call.method if call is not None else ""
        result, error = await self.wait(call_id)
        if error is not None:
            raise (TemporaryCallFailed if error.code >= 100 else CallFailed)(method, error)
        codec = RETURN_METHODS[method][1]
        return None if codec is None else codec.decode(result)


@final
class TrackedWorker:
    """A remote worker with :class:`~pylotus.worker.LocalWorker`'s sealing methods: each calls the
    worker, tracks the returned ``CallID`` and waits for its ``Return*``.

    Args:
        client: the worker's API client.
        tracker: the miner's call tracker.
        worker_id: the worker's session (its calls fail if it is dropped: :meth:`CallTracker.fail_worker`).
        work: the manager work these calls are made for (:meth:`for_work`), persisted with them.
    """

    def __init__(
        self,
        client: WorkerClient,
        tracker: CallTracker,
        *,
        worker_id: str | None = None,
        work: str | None = None,
    ) -> None:
        self.client = client
        self._tracker = tracker
        self._worker_id = worker_id
        self._work = work

    def for_work(self, work: str | None) -> TrackedWorker:
        """The same worker, its calls recorded as made for ``work``."""
        return TrackedWorker(self.client, self._tracker, worker_id=self._worker_id, work=work)

    async def _tracked(self, method: str, call: Awaitable[CallID]) -> object:
        call_id = await call
        self._tracker.track(call_id, method, self._work, self._worker_id)
        return await self._tracker.result_of(call_id)

    async def add_piece(
        self,
        sector: SectorRef,
        existing_sizes: Sequence[UnpaddedPieceSize],
        size: UnpaddedPieceSize,
        data: bytes | None,
    ) -> PieceInfo:
        call = self.client.add_piece(sector, existing_sizes, size, data)
        result = await self._tracked("AddPiece", call)
        assert isinstance(result, PieceInfo)
        return result

    async def seal_pre_commit1(self, sector: SectorRef, ticket: bytes, pieces: Sequence[PieceInfo]) -> bytes:
        result = await self._tracked("SealPreCommit1", self.client.seal_pre_commit1(sector, ticket, pieces))
        assert isinstance(result, bytes)
        return result

    async def seal_pre_commit2(self, sector: SectorRef, pc1_out: bytes) -> SectorCids:
        result = await self._tracked("SealPreCommit2", self.client.seal_pre_commit2(sector, pc1_out))
        assert isinstance(result, SectorCids)
        return result

    async def seal_commit1(
        self, sector: SectorRef, ticket: bytes, seed: bytes, pieces: Sequence[PieceInfo], cids: SectorCids
    ) -> bytes:
        call = self.client.seal_commit1(sector, ticket, seed, pieces, cids)
        result = await self._tracked("SealCommit1", call)
        assert isinstance(result, bytes)
        return result

    async def seal_commit2(self, sector: SectorRef, c1_out: bytes) -> bytes:
        result = await self._tracked("SealCommit2", self.client.seal_commit2(sector, c1_out))
        assert isinstance(result, bytes)
        return result

    async def finalize_sector(self, sector: SectorRef, *, keep_unsealed: bool) -> None:
        call = self.client.finalize_sector(sector, keep_unsealed=keep_unsealed)
        await self._tracked("FinalizeSector", call)

    async def release_unsealed(self, sector: SectorRef) -> None:
        await self._tracked("ReleaseUnsealed", self.client.release_unsealed(sector))

    async def remove(self, sector: SectorRef) -> None:
        await self.client.remove(sector)

    async def move_storage(self, sector: SectorRef, file_type: SectorFileType) -> None:
        await self._tracked("MoveStorage", self.client.move_storage(sector, file_type))

    async def fetch(
        self, sector: SectorRef, file_type: SectorFileType, path_type: PathType, mode: AcquireMode
    ) -> None:
        await self._tracked("Fetch", self.client.fetch(sector, file_type, path_type, mode))

    async def unseal_piece(
        self, sector: SectorRef, offset: int, size: UnpaddedPieceSize, ticket: bytes, comm_d: bytes
    ) -> None:
        await self._tracked("UnsealPiece", self.client.unseal_piece(sector, offset, size, ticket, comm_d))


@final
class ReturnApi:
    """Serves :data:`~pylotus.worker.RETURN_TABLE` (``ReturnAddPiece`` …, admin) into a tracker."""

    def __init__(self, tracker: CallTracker) -> None:
        self._tracker = tracker
        for spec in RETURN_TABLE.values():
            setattr(self, spec.python_name, self._returner(spec.name))

    async def send(self, method: str, params: list[JsonValue]) -> None:
        """Deliver one ``Return*`` given as on the wire (a ``SendReturn`` for in-process workers)."""
        spec = RETURN_TABLE[method]
        args = [codec.decode(value) for codec, value in zip(spec.params, params, strict=True)]
        await getattr(self, spec.python_name)(*args)

    def _returner(self, name: str) -> object:
        has_result = RETURN_METHODS[_RETURN_TO_CALL[name]][1] is not None

        async def returner(call_id: CallID, *rest: object) -> None:
            result = rest[0] if has_result else None
            error = rest[-1]
            assert error is None or isinstance(error, CallError)
            self._tracker.deliver(call_id, result, error)  # type: ignore[arg-type]  # JSON codec

        return returner
