"""The JSON-RPC server: Lotus's go-jsonrpc semantics as an ASGI app served on trio.

One app serves one port (reference/lotus-miner.md §1.3, §3.1–3.2):

* ``POST /rpc/v0`` — one JSON-RPC request per HTTP request;
* websocket on the same path — many concurrent requests, plus channel results
  (``xrpc.ch.val`` / ``xrpc.ch.close``) and ``xrpc.cancel``;
* extra routes by path prefix (``/remote``, ``/debug/metrics``) added by the daemons.

Everything sits behind the token check: a presented token must verify (else HTTP 401 and nothing
else happens); no token at all means the default permission ``read``.  The permission of each
method comes from its :class:`~.methods.MethodSpec` and is checked on every call.

Error codes follow go-jsonrpc (``handler.go``), not the JSON-RPC spec's suggestions: a body that
is not JSON is -32700, an unknown method -32601, a wrong param count -32602, a param that does not
decode -32700, all with HTTP 500; a method that fails (a missing permission included) is code 1
with HTTP 200.  Requests without ``id`` are notifications and get no response.

Rule of this file: no request is buffered without limit.  Bodies and websocket messages larger
than ``max_request_size`` are refused before they are read whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final, cast, final
from urllib.parse import parse_qs

import trio

from ..errors import PylotusError
from .auth import TokenVerifier
from .codec import JsonValue
from .errors import (
    CODE_INVALID_PARAMS,
    CODE_METHOD_ERROR,
    CODE_METHOD_NOT_FOUND,
    CODE_PARSE_ERROR,
    CodecError,
    TokenInvalid,
)
from .methods import DEFAULT_PERMISSIONS, ApiTable, MethodSpec, encode_result

__all__ = [
    "MAX_REQUEST_SIZE",
    "ApiApp",
    "AsgiApp",
    "CallContext",
    "RpcServer",
]

log = logging.getLogger(__name__)

# go-jsonrpc DEFAULT_MAX_REQUEST_SIZE: 100 MiB.
MAX_REQUEST_SIZE: Final = 100 << 20
# How many calls one websocket connection may have in flight before we stop reading from it.
MAX_INFLIGHT_PER_CONNECTION: Final = 256

# ASGI scopes and messages are heterogeneous dicts (the spec's, not ours); keys are checked where read.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NO_ID: Final = object()  # a request without "id" is a notification


@dataclass(frozen=True)
class CallContext:
    """Who is calling: the permissions their token grants, whether they sent one, and from where.

    Route handlers find it in ``scope["pylotus.call"]``.
    """

    perms: frozenset[str]
    has_token: bool
    remote: str = ""


@dataclass(frozen=True)
class _Request:
    id: object
    method: str
    params: list[JsonValue]


class _ProtocolError(Exception):
    """A request the dispatcher refuses before any method runs (HTTP 500)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Handler = Callable[..., Awaitable[object]]


@final
class RpcServer:
    """Dispatches requests to implementations registered with their method tables."""

    def __init__(self, *, namespace: str = "Filecoin") -> None:
        self.namespace = namespace
        self._methods: dict[str, tuple[MethodSpec, Handler]] = {}

    def register(self, table: ApiTable, impl: object) -> None:
        """Serve every method of ``table`` from ``impl`` (``AuthNew`` → ``impl.auth_new``).

        Raises:
            RuntimeError: ``impl`` lacks a method of the table, or a name is registered twice.
        """
        for spec in table.values():
            fn = getattr(impl, spec.python_name, None)
            if fn is None:
                raise RuntimeError(f"{type(impl).__name__} does not implement {spec.name}")
            full = f"{self.namespace}.{spec.name}"
            if full in self._methods:
                raise RuntimeError(f"method {full!r} registered twice")
            self._methods[full] = (spec, fn)

    def methods(self) -> list[str]:
        """Full names of every registered method, sorted."""
        return sorted(self._methods)

    # -- parsing -------------------------------------------------------------------------------

    @staticmethod
    def parse(raw: bytes | str) -> _Request:
        """One request from wire bytes; raises :class:`_ProtocolError` as go-jsonrpc would."""
        try:
            msg = json.loads(raw, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _ProtocolError(CODE_PARSE_ERROR, f"unmarshaling request: {exc}") from exc
        if not isinstance(msg, dict):
            raise _ProtocolError(
                CODE_PARSE_ERROR,
                "unmarshaling request: json: cannot unmarshal "
                f"{'array' if isinstance(msg, list) else type(msg).__name__} "
                "into Go value of type jsonrpc.request",
            )
        method = msg.get("method")
        if not isinstance(method, str):
            raise _ProtocolError(CODE_PARSE_ERROR, "unmarshaling request: 'method' must be a string")
        params = msg.get("params", [])
        if params is None:
            params = []
        if not isinstance(params, list):
            raise _ProtocolError(CODE_PARSE_ERROR, "unmarshaling request: 'params' must be an array")
        req_id = msg["id"] if "id" in msg and msg["id"] is not None else _NO_ID
        return _Request(id=req_id, method=method, params=params)

    def _resolve(self, req: _Request, *, channels: bool) -> tuple[MethodSpec, Handler, list[object]]:
        entry = self._methods.get(req.method)
        if entry is None:
            raise _ProtocolError(CODE_METHOD_NOT_FOUND, f"method '{req.method}' not found")
        spec, fn = entry
        if spec.channel and not channels:
            raise _ProtocolError(
                CODE_METHOD_NOT_FOUND,
                f"method '{req.method}' not supported in this mode (no out channel support)",
            )
        if len(req.params) != len(spec.params):
            raise _ProtocolError(
                CODE_INVALID_PARAMS,
                f"wrong param count (method '{req.method}'): {len(req.params)} != {len(spec.params)}",
            )
        args: list[object] = []
        for codec, value in zip(spec.params, req.params, strict=True):
            try:
                args.append(codec.decode(value))
            except CodecError as exc:
                raise _ProtocolError(
                    CODE_PARSE_ERROR,
                    f"unmarshaling params for '{req.method}' (param: {codec.name}): {exc}",
                ) from exc
        return spec, fn, args

    @staticmethod
    def _check_perm(spec: MethodSpec, ctx: CallContext) -> str | None:
        if spec.perm in ctx.perms:
            return None
        msg = f"missing permission to invoke '{spec.name}' (need '{spec.perm}')"
        if not ctx.has_token:
            msg += (
                "; no API token was sent: pass one as 'Authorization: Bearer <token>' "
                "or '?token=<token>' (see 'auth create-token')"
            )
        return msg

    async def _invoke(self, spec: MethodSpec, fn: Handler, args: list[object], name: str) -> object:
        """Run a method; a PylotusError becomes a code-1 error, anything else is logged."""
        try:
            return await fn(*args)
        except PylotusError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in a method must not kill the connection
            log.error("method failed with an unexpected error method=%s", name, exc_info=True)
            raise _MethodBug(f"internal error in '{name}': {type(exc).__name__}: {exc}") from exc

    async def _call(self, spec: MethodSpec, fn: Handler, args: list[object], name: str) -> JsonValue:
        """Run a non-channel method and encode its result; encoding bugs are reported like method bugs."""
        value = await self._invoke(spec, fn, args, name)
        try:
            return encode_result(spec, value)
        except Exception as exc:  # noqa: BLE001 - same reason as in _invoke
            log.error("result of method=%s does not encode", name, exc_info=True)
            raise _MethodBug(f"internal error in '{name}': result does not encode: {exc}") from exc

    # -- one request, one response (HTTP and websocket) -------------------------------------

    async def handle(self, raw: bytes | str, ctx: CallContext) -> tuple[int, dict[str, JsonValue] | None]:
        """Serve one HTTP-mode request; returns (HTTP status, response or None for a notification)."""
        req: _Request | None = None
        try:
            req = self.parse(raw)
            spec, fn, args = self._resolve(req, channels=False)
        except _ProtocolError as err:
            if req is None:
                return 500, _error_response(None, err.code, err.message)
            return 500, _maybe(req.id, _error_response(req.id, err.code, err.message))
        denied = self._check_perm(spec, ctx)
        if denied is not None:
            return 200, _maybe(req.id, _error_response(req.id, CODE_METHOD_ERROR, denied))
        try:
            result = await self._call(spec, fn, args, req.method)
        except (PylotusError, _MethodBug) as exc:
            return 200, _maybe(req.id, _error_response(req.id, CODE_METHOD_ERROR, str(exc)))
        return 200, _maybe(req.id, _result_response(req.id, result, spec))


class _MethodBug(Exception):
    """A method or its result encoding failed with a non-Pylotus exception (already logged)."""


class _ClientGone(Exception):
    """The HTTP client disconnected before its body was complete."""


def _refuse_constant(name: str) -> object:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")  # Go's words


def _maybe(req_id: object, response: dict[str, JsonValue]) -> dict[str, JsonValue] | None:
    return None if req_id is _NO_ID else response


def _wire_id(req_id: object) -> JsonValue:
    return None if req_id is _NO_ID else req_id  # type: ignore[return-value]


def _error_response(req_id: object, code: int, message: str) -> dict[str, JsonValue]:
    return {"jsonrpc": "2.0", "id": _wire_id(req_id), "error": {"code": code, "message": message}}


def _result_response(req_id: object, result: JsonValue, spec: MethodSpec) -> dict[str, JsonValue]:
    resp: dict[str, JsonValue] = {"jsonrpc": "2.0", "id": _wire_id(req_id)}
    if spec.result is not None:
        resp["result"] = result
    return resp


def _dumps(obj: JsonValue) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------------------------------------------
# websocket sessions


@final
class _WsSession:
    """One websocket connection: concurrent calls, channels, and cancellation by request id."""

    def __init__(self, rpc: RpcServer, ctx: CallContext, send: Send) -> None:
        self._rpc = rpc
        self._ctx = ctx
        self._send_raw = send
        self._send_lock = trio.Lock()
        self._calls: dict[object, trio.CancelScope] = {}
        self._next_chid = 1
        self._limiter = trio.CapacityLimiter(MAX_INFLIGHT_PER_CONNECTION)

    async def send(self, obj: dict[str, JsonValue]) -> None:
        async with self._send_lock:
            await self._send_raw({"type": "websocket.send", "text": _dumps(obj)})

    async def close(self, code: int) -> None:
        async with self._send_lock:
            await self._send_raw({"type": "websocket.close", "code": code})

    async def on_message(self, raw: bytes | str, nursery: trio.Nursery) -> None:
        """Handle one frame: dispatch a call in its own task, or act on ``xrpc.cancel``."""
        try:
            req = self._rpc.parse(raw)
        except _ProtocolError as err:
            await self.send(_error_response(None, err.code, err.message))
            return
        if req.method == "xrpc.cancel":
            if req.params:
                scope = self._calls.get(_hashable(req.params[0]))
                if scope is not None:
                    scope.cancel()
            return
        token = object()
        await self._limiter.acquire_on_behalf_of(token)
        nursery.start_soon(self._run_call, req, token)

    async def _run_call(self, req: _Request, token: object) -> None:
        key = _hashable(req.id)
        try:
            with trio.CancelScope() as scope:
                if req.id is not _NO_ID:
                    self._calls[key] = scope
                await self._serve(req)
        finally:
            if self._calls.get(key) is scope:
                del self._calls[key]
            self._limiter.release_on_behalf_of(token)

    async def _serve(self, req: _Request) -> None:
        try:
            spec, fn, args = self._rpc._resolve(req, channels=True)
        except _ProtocolError as err:
            await self._reply(req, _error_response(req.id, err.code, err.message))
            return
        denied = self._rpc._check_perm(spec, self._ctx)
        if denied is not None:
            await self._reply(req, _error_response(req.id, CODE_METHOD_ERROR, denied))
            return
        try:
            if not spec.channel:
                result = await self._rpc._call(spec, fn, args, req.method)
                await self._reply(req, _result_response(req.id, result, spec))
                return
            value = await self._rpc._invoke(spec, fn, args, req.method)
        except (PylotusError, _MethodBug) as exc:
            await self._reply(req, _error_response(req.id, CODE_METHOD_ERROR, str(exc)))
            return
        await self._pump_channel(req, spec, cast(AsyncIterator[object], value))

    async def _pump_channel(self, req: _Request, spec: MethodSpec, values: AsyncIterator[object]) -> None:
        chid = self._next_chid
        self._next_chid += 1
        await self._reply(req, {"jsonrpc": "2.0", "id": _wire_id(req.id), "result": chid})
        try:
            async for item in values:
                wire = spec.result.encode(item) if spec.result is not None else None
                await self.send({"jsonrpc": "2.0", "method": "xrpc.ch.val", "params": [chid, wire]})
        except Exception:  # noqa: BLE001 - the channel ends; the connection lives on
            # Lotus closes a channel whose producer fails; the other calls on this socket go on.
            log.error("channel failed method=%s chid=%d", req.method, chid, exc_info=True)
        finally:
            aclose = getattr(values, "aclose", None)
            if aclose is not None:
                with trio.CancelScope(shield=True):
                    await aclose()
        await self.send({"jsonrpc": "2.0", "method": "xrpc.ch.close", "params": [chid]})

    async def _reply(self, req: _Request, response: dict[str, JsonValue]) -> None:
        if req.id is not _NO_ID:
            await self.send(response)


def _hashable(value: object) -> object:
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value


# ------------------------------------------------------------------------------------------------
# the ASGI app


@final
class ApiApp:
    """ASGI app: ``/rpc/v0`` (HTTP POST and websocket) plus prefix routes, all behind auth.

    Args:
        rpc: the dispatcher.
        verifier: checks presented tokens (the daemon's :class:`~.auth.JwtAuth`, or a remote
            ``AuthVerify`` for a seal worker).
        routes: extra ASGI apps by path prefix (``"/remote"``); they find the caller's
            :class:`CallContext` in ``scope["pylotus.call"]`` and check permissions themselves.
        max_request_size: largest HTTP body or websocket message accepted, in bytes.
        closing: when set, open websockets are closed with code 1001 ("going away") so that
            clients reconnect elsewhere at once instead of waiting out the graceful timeout.
    """

    def __init__(
        self,
        rpc: RpcServer,
        verifier: TokenVerifier,
        *,
        routes: Mapping[str, AsgiApp] | None = None,
        max_request_size: int = MAX_REQUEST_SIZE,
        rpc_path: str = "/rpc/v0",
        closing: trio.Event | None = None,
    ) -> None:
        self.rpc = rpc
        self.closing = closing
        self.verifier = verifier
        self.routes = dict(routes or {})
        self.max_request_size = max_request_size
        self.rpc_path = rpc_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _serve_lifespan(receive, send)
            return
        ctx = await self._authenticate(scope)
        if ctx is None:
            await self._deny(scope, send)
            return
        scope["pylotus.call"] = ctx
        path = str(scope.get("path", ""))
        if path == self.rpc_path:
            if kind == "websocket":
                await self._serve_websocket(scope, receive, send, ctx)
            else:
                await self._serve_http(scope, receive, send, ctx)
            return
        for prefix, app in self.routes.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                await app(scope, receive, send)
                return
        await _plain_response(scope, send, 404, f"404 page not found: {path}\n")

    async def _close_on_shutdown(self, session: _WsSession, scope: trio.CancelScope) -> None:
        assert self.closing is not None
        await self.closing.wait()
        with trio.move_on_after(1.0):
            await session.close(1001)
        scope.cancel()

    async def _authenticate(self, scope: Scope) -> CallContext | None:
        """The caller's permissions, or ``None`` if a presented token is malformed or invalid."""
        remote = _remote(scope)
        headers = _headers(scope)
        token: str | None = None
        auth_header = headers.get("authorization")
        if auth_header is not None:
            if not auth_header.startswith("Bearer "):
                log.warning("missing Bearer prefix in auth header remote=%s", remote)
                return None
            token = auth_header[len("Bearer ") :].strip()
        else:
            query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
            if "token" in query:
                token = query["token"][0]
        if token is None:
            return CallContext(perms=frozenset(DEFAULT_PERMISSIONS), has_token=False, remote=remote)
        try:
            perms = await self.verifier.verify_token(token)
        except TokenInvalid as exc:
            log.warning("%s (originating from %s)", exc, remote)
            return None
        except PylotusError as exc:
            log.warning("could not verify a token remote=%s err=%s", remote, exc)
            return None
        return CallContext(perms=frozenset(perms), has_token=True, remote=remote)

    async def _deny(self, scope: Scope, send: Send) -> None:
        body = "401 unauthorized: the API token is invalid (JWT verification failed)\n"
        await _plain_response(scope, send, 401, body)

    async def _serve_http(self, scope: Scope, receive: Receive, send: Send, ctx: CallContext) -> None:
        if scope.get("method") != "POST":
            await _plain_response(scope, send, 405, "405 method not allowed: use POST or a websocket\n")
            return
        try:
            body = await _read_body(scope, receive, self.max_request_size)
        except _ClientGone:
            return  # a body cut short is not a request; nobody is there to answer
        if body is None:
            response: dict[str, JsonValue] | None = _error_response(
                None, CODE_PARSE_ERROR, f"request bigger than maximum {self.max_request_size} allowed"
            )
            status = 500
        else:
            status, response = await self.rpc.handle(body, ctx)
        payload = b"" if response is None else (_dumps(response) + "\n").encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _serve_websocket(self, scope: Scope, receive: Receive, send: Send, ctx: CallContext) -> None:
        first = await receive()
        if first.get("type") != "websocket.connect":
            return
        accept: Message = {"type": "websocket.accept"}
        protocols = scope.get("subprotocols") or []
        if protocols:  # go-jsonrpc echoes Sec-WebSocket-Protocol
            accept["subprotocol"] = list(protocols)[0]
        await send(accept)
        session = _WsSession(self.rpc, ctx, send)
        log.debug("websocket connected remote=%s", ctx.remote)
        async with trio.open_nursery() as nursery:
            if self.closing is not None:
                nursery.start_soon(self._close_on_shutdown, session, nursery.cancel_scope)
            while True:
                msg = await receive()
                if msg.get("type") == "websocket.disconnect":
                    break
                raw = msg.get("text")
                if raw is None:
                    raw = msg.get("bytes") or b""
                if len(raw) > self.max_request_size:
                    await send({"type": "websocket.close", "code": 1009})
                    break
                await session.on_message(raw, nursery)
            nursery.cancel_scope.cancel()
        log.debug("websocket closed remote=%s", ctx.remote)


async def _serve_lifespan(receive: Receive, send: Send) -> None:
    while True:
        msg = await receive()
        if msg["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif msg["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The request body, or ``None`` as soon as it is known to exceed ``limit`` bytes."""
    declared = _headers(scope).get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise _ClientGone
        chunk = bytes(msg.get("body", b""))
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not msg.get("more_body", False):
            return b"".join(chunks)


async def _plain_response(scope: Scope, send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    if scope["type"] == "websocket":
        extensions = scope.get("extensions") or {}
        if "websocket.http.response" in extensions:
            await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})
        return
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _headers(scope: Scope) -> dict[str, str]:
    raw = scope.get("headers") or []
    return {bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1") for k, v in raw}


def _remote(scope: Scope) -> str:
    client = scope.get("client")
    if isinstance(client, (list, tuple)) and len(client) == 2:
        return f"{client[0]}:{client[1]}"
    return "unknown"
