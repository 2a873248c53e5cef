"""JSON-RPC clients: one-shot HTTP calls and long-lived websocket connections.

Both speak through a transport (``request(method, params) -> result JSON``) and are wrapped by
:class:`RpcClient`, which encodes params and decodes results with the API's method table, so a
client and the server that serves the same table agree on every wire shape.  Typed clients
(``CommonClient`` and the daemons' own) subclass :class:`RpcClient` with one ``async def`` per
method.

The websocket transport owns a reader task, so it is opened with :func:`open_ws_transport` in an
``async with``; with ``reconnect=True`` it redials with capped exponential backoff when the
connection drops.  Calls in flight when it drops fail with :class:`ConnectionLost` (they may or
may not have run); calls made while it is down wait for the next connection, within their
timeout.  Channels end when the connection drops; their consumer subscribes again.

Foreign exceptions (httpx, websockets, OSError) are mapped to :mod:`.errors` here and nowhere else.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar, Final, Protocol, TypeVar

import httpx
import trio
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.trio.client import ClientConnection, connect

from ..errors import unwrap_single_error
from .apiinfo import ApiInfo
from .codec import JsonValue
from .errors import (
    ApiUnreachable,
    AuthRejected,
    CallTimeout,
    ConnectionLost,
    RpcError,
    TransportError,
)
from .methods import ApiTable

__all__ = [
    "DEFAULT_TIMEOUT",
    "HttpTransport",
    "RpcClient",
    "Transport",
    "WsTransport",
    "open_http_client",
    "open_ws_client",
    "open_ws_transport",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 30.0  # seconds; a CLI call that hangs longer is better reported
RECONNECT_MIN_DELAY: Final = 0.1
RECONNECT_MAX_DELAY: Final = 10.0
CHANNEL_BUFFER: Final = 64  # xrpc.ch.val items held for a slow consumer before the reader waits


class Transport(Protocol):
    async def request(
        self, method: str, params: list[JsonValue], *, timeout: float | None = None
    ) -> JsonValue: ...

    async def aclose(self) -> None: ...


def _raise_for_error(resp: JsonValue, method: str) -> JsonValue:
    if not isinstance(resp, dict):
        raise TransportError(f"malformed JSON-RPC response to '{method}'")
    err = resp.get("error")
    if err is not None:
        if isinstance(err, dict):
            code = err.get("code")
            message = err.get("message")
            raise RpcError.from_wire(code if isinstance(code, int) else 0, str(message), method=method)
        raise RpcError(0, str(err), method=method)
    return resp.get("result")


class HttpTransport:
    """One HTTP POST per call (Lotus's ``NewMergeClient`` in HTTP mode)."""

    def __init__(self, url: str, headers: dict[str, str], *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self._timeout = timeout
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout)
        self._ids = itertools.count(1)

    async def request(
        self, method: str, params: list[JsonValue], *, timeout: float | None = None
    ) -> JsonValue:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": next(self._ids)}
        try:
            resp = await self._client.post(
                self.url,
                content=json.dumps(body),
                headers={"Content-Type": "application/json"},
                timeout=self._timeout if timeout is None else timeout,
            )
        except httpx.TimeoutException as exc:
            raise CallTimeout(f"no answer from {self.url} to '{method}' in time") from exc
        except (httpx.TransportError, OSError) as exc:
            raise ApiUnreachable(
                f"could not reach the API at {self.url}: {exc}; is the daemon running?"
            ) from exc
        if resp.status_code == 401:
            raise AuthRejected(
                f"the API at {self.url} rejected the token (HTTP 401): {resp.text.strip() or 'unauthorized'}"
            )
        try:
            payload = resp.json()
        except ValueError as exc:
            raise TransportError(
                f"the API at {self.url} answered HTTP {resp.status_code} without JSON: {resp.text[:200]!r}"
            ) from exc
        return _raise_for_error(payload, method)

    async def aclose(self) -> None:
        await self._client.aclose()


class WsTransport:
    """Many concurrent calls over one websocket; owned by :func:`open_ws_transport`."""

    def __init__(self, url: str, headers: dict[str, str], *, reconnect: bool, timeout: float) -> None:
        self.url = url
        self._headers = headers
        self._reconnect = reconnect
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._conn: ClientConnection | None = None
        self._connected = trio.Event()
        self._closed = False
        # request id → 1-slot reply channel; channel id → item channel.  Only the reader task
        # and the callers that registered them touch these; entries are removed in ``finally``.
        self._pending: dict[int, tuple[trio.MemorySendChannel[JsonValue], bool]] = {}
        self._channels: dict[int, trio.MemorySendChannel[JsonValue]] = {}
        self.connections = 0  # how many times a connection was established (for tests and logs)

    # -- the connection loop (one task) ---------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Dial, read, and redial; ``task_status.started()`` after the first connection.

        The first dial's failure is raised (the caller learns the API is down); later drops are
        retried forever when ``reconnect`` is set, with backoff capped at 10 s.
        """
        started = False
        delay = RECONNECT_MIN_DELAY
        while not self._closed:
            try:
                async with connect(
                    self.url,
                    additional_headers=self._headers,
                    open_timeout=self._timeout,
                    max_size=None,
                    compression=None,
                ) as conn:
                    self._conn = conn
                    self.connections += 1
                    self._connected.set()
                    delay = RECONNECT_MIN_DELAY
                    if not started:
                        started = True
                        task_status.started()
                    else:
                        log.info("websocket reconnected url=%s", self.url)
                    await self._read(conn)
            except InvalidStatus as exc:
                err: Exception = (
                    AuthRejected(f"the API at {self.url} rejected the token (HTTP 401)")
                    if exc.response.status_code == 401
                    else ApiUnreachable(f"websocket to {self.url} refused: HTTP {exc.response.status_code}")
                )
                if not started:
                    raise err from exc
                log.warning("websocket redial refused url=%s err=%s", self.url, err)
            except (OSError, WebSocketException, TimeoutError) as exc:
                if not started:
                    raise ApiUnreachable(
                        f"could not reach the API at {self.url}: {exc}; is the daemon running?"
                    ) from exc
                log.warning("websocket dropped url=%s err=%s", self.url, exc)
            finally:
                self._conn = None
                self._connected = trio.Event()
                self._fail_all()
            if not self._reconnect or self._closed:
                break
            await trio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_DELAY)

    async def _read(self, conn: ClientConnection) -> None:
        try:
            async for raw in conn:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    log.warning("dropping a non-JSON websocket frame url=%s", self.url)
                    continue
                if isinstance(msg, dict):
                    await self._dispatch(msg)
        except ConnectionClosed as exc:
            log.debug("websocket closed url=%s code=%s", self.url, exc.rcvd.code if exc.rcvd else None)

    async def _dispatch(self, msg: dict[str, JsonValue]) -> None:
        method = msg.get("method")
        if method in ("xrpc.ch.val", "xrpc.ch.close"):
            params = msg.get("params")
            if not isinstance(params, list) or not params or not isinstance(params[0], int):
                return
            chid = params[0]
            if method == "xrpc.ch.close":
                ch = self._channels.pop(chid, None)
                if ch is not None:
                    ch.close()
                return
            ch = self._channels.get(chid)
            if ch is not None:
                try:
                    await ch.send(params[1] if len(params) > 1 else None)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    self._channels.pop(chid, None)
            return
        rid = msg.get("id")
        entry = self._pending.pop(rid, None) if isinstance(rid, int) else None
        if entry is None:
            return
        reply, is_channel = entry
        if is_channel and "error" not in msg and isinstance(msg.get("result"), int):
            # Register before the first xrpc.ch.val can arrive: the reader is the only task
            # that sees frames, so nothing is missed between here and the caller's receive.
            send_ch, recv_ch = trio.open_memory_channel[JsonValue](CHANNEL_BUFFER)
            self._channels[msg["result"]] = send_ch  # type: ignore[index]
            msg = dict(msg, result=_ChannelHandle(recv_ch))  # type: ignore[arg-type]
        reply.send_nowait(msg)

    def _fail_all(self) -> None:
        for reply, _ in self._pending.values():
            reply.close()
        self._pending.clear()
        for ch in self._channels.values():
            ch.close()
        self._channels.clear()

    # -- calls -----------------------------------------------------------------------------------

    async def _send_request(
        self, method: str, params: list[JsonValue], is_channel: bool, timeout: float | None
    ) -> tuple[int, JsonValue]:
        deadline = trio.current_time() + (self._timeout if timeout is None else timeout)
        with trio.move_on_at(deadline):
            await self._connected.wait()
        conn = self._conn
        if conn is None:
            raise CallTimeout(f"not connected to {self.url}; gave up on '{method}'")
        rid = next(self._ids)
        reply_send, reply_recv = trio.open_memory_channel[JsonValue](1)
        self._pending[rid] = (reply_send, is_channel)
        answered = False
        try:
            try:
                await conn.send(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": rid}))
            except ConnectionClosed as exc:
                raise ConnectionLost(f"connection to {self.url} lost while sending '{method}'") from exc
            with trio.move_on_at(deadline):
                try:
                    resp = await reply_recv.receive()
                    answered = True
                except trio.EndOfChannel:
                    answered = True  # nothing left to cancel: the connection is gone
                    raise ConnectionLost(f"connection to {self.url} lost during '{method}'") from None
            if not answered:
                raise CallTimeout(f"no answer from {self.url} to '{method}' in time")
            return rid, resp
        finally:
            self._pending.pop(rid, None)
            if not answered:  # timed out or cancelled by the caller: stop the call on the server
                await self._cancel_remote(rid)

    async def _cancel_remote(self, rid: int) -> None:
        """Tell the server to stop a call we no longer wait for (go-jsonrpc ``xrpc.cancel``)."""
        conn = self._conn
        if conn is None:
            return
        with trio.CancelScope(shield=True), trio.move_on_after(1.0):
            try:
                await conn.send(json.dumps({"jsonrpc": "2.0", "method": "xrpc.cancel", "params": [rid]}))
            except ConnectionClosed:
                pass

    async def request(
        self, method: str, params: list[JsonValue], *, timeout: float | None = None
    ) -> JsonValue:
        _, resp = await self._send_request(method, params, False, timeout)
        return _raise_for_error(resp, method)

    @asynccontextmanager
    async def channel(
        self, method: str, params: list[JsonValue], *, timeout: float | None = None
    ) -> AsyncIterator[trio.MemoryReceiveChannel[JsonValue]]:
        """Call a channel method; yields the receive end of its values.

        Leaving the block early cancels the call on the server (``xrpc.cancel``).
        """
        rid, resp = await self._send_request(method, params, True, timeout)
        handle = _raise_for_error(resp, method)
        if not isinstance(handle, _ChannelHandle):
            raise TransportError(f"'{method}' did not return a channel")
        try:
            async with handle.receive:
                yield handle.receive
        finally:
            await self._cancel_remote(rid)

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def drop(self) -> None:
        """Close the current connection (reconnects if enabled); for tests and ``Closing``."""
        if self._conn is not None:
            await self._conn.aclose()

    async def aclose(self) -> None:
        self._closed = True
        if self._conn is not None:
            with trio.CancelScope(shield=True), trio.move_on_after(2.0):
                await self._conn.aclose()


class _ChannelHandle:
    def __init__(self, receive: trio.MemoryReceiveChannel[JsonValue]) -> None:
        self.receive = receive


@asynccontextmanager
async def open_ws_transport(
    info: ApiInfo, *, reconnect: bool = True, timeout: float = DEFAULT_TIMEOUT
) -> AsyncIterator[WsTransport]:
    """A connected :class:`WsTransport`; closed, with its reader task, when the block ends.

    Raises:
        ApiUnreachable: the first connection failed.
        AuthRejected: the server refused the token.
    """
    transport = WsTransport(info.url("ws"), info.auth_headers(), reconnect=reconnect, timeout=timeout)
    with unwrap_single_error():
        async with trio.open_nursery() as nursery:
            await nursery.start(transport.run)
            try:
                yield transport
            finally:
                await transport.aclose()
                nursery.cancel_scope.cancel()


C = TypeVar("C", bound="RpcClient")


class RpcClient:
    """Calls the methods of ``TABLE`` with Lotus encoding; subclasses add typed methods."""

    TABLE: ClassVar[ApiTable] = {}

    def __init__(self, transport: Transport, *, namespace: str = "Filecoin") -> None:
        self.transport = transport
        self.namespace = namespace

    async def call(self, name: str, *args: object, timeout: float | None = None) -> object:
        """Call ``name`` with Python values; returns the decoded result (``None`` if none)."""
        spec = self.TABLE.get(name)
        if spec is None:
            raise RuntimeError(f"{type(self).__name__} has no method {name!r}")
        if len(args) != len(spec.params):
            raise RuntimeError(f"{name} takes {len(spec.params)} params, got {len(args)}")
        params = [codec.encode(arg) for codec, arg in zip(spec.params, args, strict=True)]
        raw = await self.transport.request(f"{self.namespace}.{name}", params, timeout=timeout)
        return None if spec.result is None else spec.result.decode(raw)

    @asynccontextmanager
    async def subscribe(self, name: str, *args: object) -> AsyncIterator[AsyncIterator[object]]:
        """Call a channel method over a websocket; yields an iterator of decoded values."""
        spec = self.TABLE[name]
        if not isinstance(self.transport, WsTransport):
            raise RuntimeError(f"{name} returns a channel and needs a websocket client")
        params = [codec.encode(arg) for codec, arg in zip(spec.params, args, strict=True)]
        async with self.transport.channel(f"{self.namespace}.{name}", params) as recv:

            async def values() -> AsyncIterator[object]:
                async for raw in recv:
                    yield raw if spec.result is None else spec.result.decode(raw)

            yield values()


@asynccontextmanager
async def open_http_client(
    info: ApiInfo, client_cls: type[C], *, timeout: float = DEFAULT_TIMEOUT
) -> AsyncIterator[C]:
    """A ``client_cls`` making one HTTP POST per call."""
    transport = HttpTransport(info.url("http"), info.auth_headers(), timeout=timeout)
    try:
        yield client_cls(transport)
    finally:
        with trio.CancelScope(shield=True):
            await transport.aclose()


@asynccontextmanager
async def open_ws_client(
    info: ApiInfo, client_cls: type[C], *, reconnect: bool = True, timeout: float = DEFAULT_TIMEOUT
) -> AsyncIterator[C]:
    """A ``client_cls`` over a websocket that redials when ``reconnect`` is set."""
    async with open_ws_transport(info, reconnect=reconnect, timeout=timeout) as transport:
        yield client_cls(transport)
