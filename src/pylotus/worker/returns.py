"""Asynchronous sealing calls on a seal worker: ``CallID`` at once, ``Return*`` on the miner later.

Counterpart: Lotus ``storage/sealer/worker_local.go`` (``asyncCall``, ``returnFunc``,
``doReturn``), ``storiface/worker.go`` (``CallID``, ``CallError``) and the worker's
``ReturnStore`` (results that could not be delivered, kept in the worker's datastore);
reference/lotus-miner.md §3.3 (``Return*``, admin) and §3.4.

A sealing call (:class:`CallRunner.start`) answers with a :class:`CallID` and runs in the worker
daemon's nursery.  When it ends its ``Return<Call>(callID, result, error)`` parameters are encoded
to JSON, **persisted** in the worker repo's datastore (synced) and only then sent; the entry is
deleted once the miner answered.  :class:`ReturnQueue` retries what could not be sent (the miner is
down or restarting) with backoff, and loads what a previous run of the worker left, so a finished
PC1 is delivered even across a worker restart; nothing is ever computed twice on this side.

A miner that *answers* a ``Return*`` with an error (it does not know the call) has received it:
the entry is dropped with a warning rather than retried forever.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, final

import trio

from ..abi import SectorID
from ..errors import PylotusError
from ..jsonrpc import MethodError, MethodSpec, RpcClient, make_table
from ..jsonrpc.codec import BYTES, JSON, Codec, JsonValue, Nullable
from ..jsonrpc.codec import JsonObject as ObjectCodec
from ..proofs import PieceInfo, SectorCids
from ..repo import Namespace

__all__ = [
    "CALL_ERROR",
    "CALL_ID",
    "ERR_TEMP_WORKER_RESTART",
    "ERR_UNKNOWN",
    "PIECE_INFO",
    "RETURN_METHODS",
    "RETURN_TABLE",
    "SECTOR_CIDS",
    "CallError",
    "CallID",
    "CallRunner",
    "ReturnQueue",
    "SendReturn",
    "rpc_sender",
]

log = logging.getLogger(__name__)

ERR_UNKNOWN: Final = 0  # Lotus storiface.ErrUnknown
ERR_TEMP_WORKER_RESTART: Final = 101  # Lotus storiface.ErrTempWorkerRestart (codes >= 100 are temporary)
RETRY_MIN_DELAY: Final = 0.5  # seconds before the first retry of an undelivered result; doubles
RETRY_MAX_DELAY: Final = 10.0
RETURN_TIMEOUT: Final = 30.0  # seconds a Return* call may take


@dataclass(frozen=True, slots=True)
class CallID:
    """Lotus ``storiface.CallID``: ``{"Sector": {"Miner", "Number"}, "ID": "<uuid>"}``."""

    sector: SectorID
    id: uuid.UUID

    def to_json(self) -> dict[str, JsonValue]:
        return {"Sector": self.sector.to_json(), "ID": str(self.id)}

    @classmethod
    def from_json(cls, obj: JsonValue) -> CallID:
        if not isinstance(obj, dict):
            raise ValueError("CallID must be an object")
        return cls(SectorID.from_json(obj["Sector"]), uuid.UUID(str(obj["ID"])))


@dataclass(frozen=True, slots=True)
class CallError:
    """Lotus ``storiface.CallError``: ``{"Code", "Message"}``; codes >= 100 are temporary."""

    code: int
    message: str

    def to_json(self) -> dict[str, JsonValue]:
        return {"Code": self.code, "Message": self.message}

    @classmethod
    def from_json(cls, obj: JsonValue) -> CallError:
        if not isinstance(obj, dict):
            raise ValueError("CallError must be an object")
        return cls(int(obj.get("Code") or 0), str(obj.get("Message") or ""))  # type: ignore[arg-type]


CALL_ID: Final = ObjectCodec("storiface.CallID", CallID.from_json, CallID.to_json)
CALL_ERROR: Final = Nullable(ObjectCodec("storiface.CallError", CallError.from_json, CallError.to_json))
PIECE_INFO: Final = ObjectCodec("abi.PieceInfo", PieceInfo.from_json, PieceInfo.to_json)
SECTOR_CIDS: Final = ObjectCodec("storiface.SectorCids", SectorCids.from_json, SectorCids.to_json)

RETURN_METHODS: Final[dict[str, tuple[str, Codec[Any] | None]]] = {
    "AddPiece": ("ReturnAddPiece", PIECE_INFO),
    "SealPreCommit1": ("ReturnSealPreCommit1", BYTES),
    "SealPreCommit2": ("ReturnSealPreCommit2", SECTOR_CIDS),
    "SealCommit1": ("ReturnSealCommit1", BYTES),
    "SealCommit2": ("ReturnSealCommit2", BYTES),
    "FinalizeSector": ("ReturnFinalizeSector", None),
    "ReleaseUnsealed": ("ReturnReleaseUnsealed", None),
    "MoveStorage": ("ReturnMoveStorage", None),
    "UnsealPiece": ("ReturnUnsealPiece", None),
    "Fetch": ("ReturnFetch", None),
}
"""Each asynchronous Worker API call → its miner ``Return*`` method and the codec of its result
(``None``: the call returns only an error).  Byte results (PC1, C1, C2 outputs) travel as base64
JSON strings; the codec decodes them on the miner's side."""

RETURN_TABLE: Final = make_table(
    *(
        MethodSpec(ret, "admin", (CALL_ID, JSON, CALL_ERROR) if codec else (CALL_ID, CALL_ERROR), None)
        for ret, codec in RETURN_METHODS.values()
    )
)
"""The miner's ``Return*`` methods (admin, as Lotus).  The result travels as raw JSON: the miner
decodes it with the codec of :data:`RETURN_METHODS` when the waiting call takes it."""


SendReturn = Callable[[str, list[JsonValue]], Awaitable[object]]
"""Sends one ``Return*`` call: method name (``"ReturnAddPiece"``) and its JSON params."""


def rpc_sender(miner: RpcClient) -> SendReturn:
    """A :data:`SendReturn` over the miner's API client (its transport: the params are JSON)."""

    async def send(method: str, params: list[JsonValue]) -> object:
        return await miner.transport.request(f"{miner.namespace}.{method}", params, timeout=RETURN_TIMEOUT)

    return send


@final
class ReturnQueue:
    """``Return*`` calls waiting for delivery, persisted under ``/<call uuid>`` in ``store``.

    A call that starts is also marked under ``/running/<call uuid>`` until its result is stored
    (one synced batch); a worker that restarts finds the marks of the calls it lost and returns
    them as failed with :data:`ERR_TEMP_WORKER_RESTART` (Lotus HEAD does the same), so the miner
    never waits for a result that cannot come.

    Args:
        store: a namespace of the worker repo's datastore (synced writes); ``None`` keeps them
            in memory only (tests, in-process workers).
        send: delivers one call to the miner (:func:`rpc_sender`).
    """

    def __init__(self, store: Namespace | None, send: SendReturn) -> None:
        self._store = store
        self._send = send
        self._pending: dict[str, tuple[str, list[JsonValue]]] = {}
        self._wake_send, self._wake_recv = trio.open_memory_channel[None](1)
        self.delivered = 0  # count of Return* calls the miner accepted (tests, logs)
        if store is not None:
            self._load(store)
        if self._pending:
            log.info("results left by a previous run will be delivered count=%d", len(self._pending))

    def _load(self, store: Namespace) -> None:
        """Blocking: results left undelivered by a previous run; its lost calls become errors."""
        lost: list[tuple[str, dict[str, JsonValue]]] = []
        for key, raw in store.query("/"):
            entry = json.loads(raw)
            if key.startswith("/running/"):
                lost.append((key.removeprefix("/running/"), entry))
            else:
                self._pending[key.lstrip("/")] = (entry["Method"], entry["Params"])
        for key, entry in lost:
            if key not in self._pending:
                error = CALL_ERROR.encode(
                    CallError(ERR_TEMP_WORKER_RESTART, "worker restarted while running the call")
                )
                params = [entry["CallID"], None, error] if entry["HasResult"] else [entry["CallID"], error]
                log.warning(
                    "call lost in a worker restart, returning an error call=%s method=%s",
                    key,
                    entry["Method"],
                )
                self._pending[key] = (str(entry["Method"]), params)
                store.put(f"/{key}", json.dumps({"Method": entry["Method"], "Params": params}).encode())
            store.delete(f"/running/{key}")

    def started(self, call_id: CallID, method: str, *, has_result: bool) -> None:
        """Mark a call as running (synced): if the worker dies before :meth:`put`, the next run
        returns it as failed."""
        if self._store is not None:
            mark = {"Method": method, "CallID": CALL_ID.encode(call_id), "HasResult": has_result}
            self._store.put(f"/running/{call_id.id}", json.dumps(mark).encode())

    def pending(self) -> dict[str, str]:
        """``{call uuid: Return method}`` not yet delivered."""
        return {key: method for key, (method, _) in self._pending.items()}

    def put(self, call_id: CallID, method: str, params: list[JsonValue]) -> None:
        """Persist one ``Return*`` call (synced), then wake the delivery loop."""
        key = str(call_id.id)
        if self._store is not None:
            with self._store.batch() as batch:
                batch.put(f"/{key}", json.dumps({"Method": method, "Params": params}).encode())
                batch.delete(f"/running/{key}")
        self._pending[key] = (method, params)
        self.wake()

    def wake(self) -> None:
        """Try delivering now (a new result, or the miner is back) instead of after the backoff."""
        try:
            self._wake_send.send_nowait(None)
        except trio.WouldBlock:
            pass  # a wake-up is already pending; it covers this one

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Deliver pending results until cancelled, retrying failures with backoff; never raises
        for a miner that is away.  *Cancellation*: undelivered results stay in the datastore."""
        task_status.started()
        delay = RETRY_MIN_DELAY
        while True:
            if await self._deliver_all():
                delay = RETRY_MIN_DELAY
                await self._wake_recv.receive()
                continue
            with trio.move_on_after(delay):
                await self._wake_recv.receive()
            delay = min(delay * 2, RETRY_MAX_DELAY)

    async def _deliver_all(self) -> bool:
        """Try every pending result once; whether all were delivered."""
        for key, (method, params) in list(self._pending.items()):
            try:
                with trio.fail_after(RETURN_TIMEOUT):
                    await self._send(method, params)
            except MethodError as exc:
                log.warning("miner refused a result, dropping it call=%s method=%s err=%s", key, method, exc)
            except (PylotusError, trio.TooSlowError) as exc:
                log.warning(
                    "could not deliver a result, will retry call=%s method=%s err=%s", key, method, exc
                )
                return False
            else:
                self.delivered += 1
                log.info("result delivered call=%s method=%s", key, method)
            del self._pending[key]
            if self._store is not None:
                self._store.delete(f"/{key}")
        return True


@final
class CallRunner:
    """Starts sealing calls in a nursery and hands their results to a :class:`ReturnQueue`.

    Args:
        returns: where finished calls' ``Return*`` go.
        handler_nursery: the worker daemon's nursery; calls live as long as it.
    """

    def __init__(self, returns: ReturnQueue, handler_nursery: trio.Nursery) -> None:
        self._returns = returns
        self._nursery = handler_nursery
        self.started: dict[str, int] = {}  # calls started per method (tests and logs)

    def start(self, method: str, sector: SectorID, run: Callable[[], Awaitable[object]]) -> CallID:
        """Start ``run`` as call ``method`` on ``sector``; returns its :class:`CallID` at once."""
        ret, codec = RETURN_METHODS[method]
        call_id = CallID(sector, uuid.uuid4())
        self.started[method] = self.started.get(method, 0) + 1
        self._returns.started(call_id, ret, has_result=codec is not None)
        log.info("call started call=%s method=%s sector=%s", call_id.id, method, sector)
        self._nursery.start_soon(self._run, call_id, method, ret, codec, run)
        return call_id

    async def _run(
        self,
        call_id: CallID,
        method: str,
        ret: str,
        codec: Codec[Any] | None,
        run: Callable[[], Awaitable[object]],
    ) -> None:
        error: CallError | None = None
        result: JsonValue = None
        try:
            value = await run()
            if codec is not None:
                result = codec.encode(value)
        except Exception as exc:  # the call's failure goes to the miner; Cancelled is not caught
            log.warning("call failed call=%s method=%s err=%s", call_id.id, method, exc)
            error = CallError(ERR_UNKNOWN, str(exc) or type(exc).__name__)
        log.info("call finished call=%s method=%s ok=%s", call_id.id, method, error is None)
        err_json = CALL_ERROR.encode(error)
        params = [CALL_ID.encode(call_id), result, err_json] if codec else [CALL_ID.encode(call_id), err_json]
        self._returns.put(call_id, ret, params)
