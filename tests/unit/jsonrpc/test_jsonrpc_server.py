"""The JSON-RPC server and clients over a real socket on 127.0.0.1: wire format, errors, auth,
websocket channels, cancellation and reconnection."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import jwt
import pytest
import trio

from pylotus.errors import PylotusError
from pylotus.jsonrpc import (
    COMMON_TABLE,
    ApiApp,
    ApiInfo,
    AuthRejected,
    CommonApi,
    CommonClient,
    ConnectionLost,
    JwtAuth,
    MethodError,
    RpcClient,
    RpcError,
    RpcServer,
    open_http_client,
    open_ws_client,
    serve_api,
)
from pylotus.jsonrpc.codec import BYTES, INT64, STRING
from pylotus.jsonrpc.methods import MethodSpec, make_table

SECRET = b"s" * 32
AUTH = JwtAuth(SECRET)

TEST_TABLE = make_table(
    MethodSpec("Echo", "read", (STRING,), STRING),
    MethodSpec("Add", "write", (INT64, INT64), INT64),
    MethodSpec("SignBytes", "sign", (BYTES,), BYTES),
    MethodSpec("AdminOnly", "admin", (), None),
    MethodSpec("Fail", "read", (), STRING),
    MethodSpec("Bug", "read", (), STRING),
    MethodSpec("Sleep", "read", (INT64,), STRING),
    MethodSpec("Ticks", "read", (INT64,), INT64, channel=True),
    MethodSpec("BadTicks", "read", (), INT64, channel=True),
    MethodSpec("BadResult", "read", (), INT64),
)


@dataclass
class EchoApi:
    admin_calls: int = 0
    sleeps_cancelled: int = 0
    sleep_started: trio.Event = field(default_factory=trio.Event)

    async def echo(self, s: str) -> str:
        return s

    async def add(self, a: int, b: int) -> int:
        return a + b

    async def sign_bytes(self, data: bytes) -> bytes:
        return data[::-1]

    async def admin_only(self) -> None:
        self.admin_calls += 1

    async def fail(self) -> str:
        raise PylotusError("it broke: sector 5 is gone")

    async def bug(self) -> str:
        raise ValueError("oops")

    async def sleep(self, seconds: int) -> str:
        self.sleep_started.set()
        try:
            await trio.sleep(seconds)
        except trio.Cancelled:
            self.sleeps_cancelled += 1
            raise
        return "slept"

    async def bad_ticks(self) -> AsyncIterator[int]:
        async def gen() -> AsyncIterator[int]:
            yield 1
            raise ValueError("producer died")

        return gen()

    async def bad_result(self) -> int:
        return "not an int"  # type: ignore[return-value]  # the encoder must catch it

    async def ticks(self, n: int) -> AsyncIterator[int]:
        async def gen() -> AsyncIterator[int]:
            for i in range(n):
                yield i

        return gen()


class EchoClient(CommonClient):
    TABLE = {**COMMON_TABLE, **TEST_TABLE}


@dataclass
class Server:
    url: str
    port: int
    api: EchoApi
    stop: trio.Event
    info: ApiInfo
    scope: trio.CancelScope

    def token(self, *perms: str) -> str:
        return AUTH.new_token(perms).decode()

    def info_with(self, *perms: str) -> ApiInfo:
        return ApiInfo(self.info.multiaddr, AUTH.new_token(perms))


async def start_server(nursery: trio.Nursery, *, port: int = 0, max_request_size: int = 4096) -> Server:
    api = EchoApi()
    stop = trio.Event()
    rpc = RpcServer()
    rpc.register(COMMON_TABLE, CommonApi(AUTH, block_delay=4, shutdown=stop))
    rpc.register(TEST_TABLE, api)
    app = ApiApp(rpc, AUTH, max_request_size=max_request_size)
    scope = trio.CancelScope()

    async def run(task_status: trio.TaskStatus[tuple[str, int]]) -> None:
        with scope:
            await serve_api(app, "127.0.0.1", port, task_status=task_status)

    host, bound = await nursery.start(run)
    maddr = f"/ip4/{host}/tcp/{bound}/http"
    return Server(f"http://{host}:{bound}/rpc/v0", bound, api, stop, ApiInfo(maddr), scope)


@pytest.fixture
async def server(nursery: trio.Nursery) -> Server:
    return await start_server(nursery)


async def post(
    server: Server, body: object, token: str | None = None, raw: bytes | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    content = raw if raw is not None else json.dumps(body).encode()
    async with httpx.AsyncClient() as client:
        return await client.post(server.url, content=content, headers=headers)


def req(method: str, *params: object, id: int | None = 1) -> dict[str, object]:
    body: dict[str, object] = {"jsonrpc": "2.0", "method": f"Filecoin.{method}", "params": list(params)}
    if id is not None:
        body["id"] = id
    return body


# -- wire format and errors over HTTP --------------------------------------------------------


async def test_success_response_is_lotus_shaped(server: Server) -> None:
    resp = await post(server, req("Add", 2, 3), server.token("write"))
    assert resp.status_code == 200
    assert resp.json() == {"jsonrpc": "2.0", "id": 1, "result": 5}


async def test_method_returning_nothing_has_no_result_member(server: Server) -> None:
    resp = await post(server, req("AdminOnly"), server.token("admin"))
    assert resp.json() == {"jsonrpc": "2.0", "id": 1}
    assert server.api.admin_calls == 1


async def test_auth_new_result_is_base64_of_the_jwt(server: Server) -> None:
    resp = await post(server, req("AuthNew", ["read", "write"]), server.token("admin"))
    token = base64.b64decode(resp.json()["result"])
    assert token.startswith(b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.")
    assert AUTH.verify(token) == ["read", "write"]


async def test_malformed_json_is_a_parse_error_with_http_500(server: Server) -> None:
    resp = await post(server, None, raw=b'{"jsonrpc": "2.0", "method": ')
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == -32700
    assert resp.json()["error"]["message"].startswith("unmarshaling request:")


async def test_unknown_method(server: Server) -> None:
    resp = await post(server, req("NoSuchMethod"))
    assert resp.status_code == 500
    assert resp.json()["error"] == {"code": -32601, "message": "method 'Filecoin.NoSuchMethod' not found"}


async def test_wrong_param_count(server: Server) -> None:
    resp = await post(server, req("Add", 1), server.token("write"))
    assert resp.status_code == 500
    assert resp.json()["error"] == {
        "code": -32602,
        "message": "wrong param count (method 'Filecoin.Add'): 1 != 2",
    }


async def test_param_of_wrong_type(server: Server) -> None:
    resp = await post(server, req("Add", "1", 2), server.token("write"))
    assert resp.status_code == 500
    err = resp.json()["error"]
    assert err["code"] == -32700
    assert err["message"].startswith("unmarshaling params for 'Filecoin.Add' (param: int64):")


async def test_method_error_is_code_1_with_http_200(server: Server) -> None:
    resp = await post(server, req("Fail"))
    assert resp.status_code == 200
    assert resp.json()["error"] == {"code": 1, "message": "it broke: sector 5 is gone"}


async def test_a_bug_in_a_method_is_reported_and_the_server_goes_on(server: Server) -> None:
    resp = await post(server, req("Bug"))
    assert resp.json()["error"]["code"] == 1
    assert "ValueError: oops" in resp.json()["error"]["message"]
    assert (await post(server, req("Echo", "still here"))).json()["result"] == "still here"


async def test_notification_gets_no_response(server: Server) -> None:
    resp = await post(server, req("AdminOnly", id=None), server.token("admin"))
    assert resp.status_code == 200
    assert resp.content == b""
    assert server.api.admin_calls == 1


async def test_oversized_body_is_refused_before_reading_it_whole(server: Server) -> None:
    resp = await post(server, req("Echo", "x" * 10_000))
    assert resp.status_code == 500
    assert resp.json()["error"]["message"] == "request bigger than maximum 4096 allowed"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked upload
        for _ in range(100):
            yield b"x" * 1000

    async with httpx.AsyncClient() as client:
        resp = await client.post(server.url, content=chunks())
    assert resp.json()["error"]["message"] == "request bigger than maximum 4096 allowed"


async def test_channel_method_over_http_is_refused(server: Server) -> None:
    resp = await post(server, req("Ticks", 3))
    assert resp.json()["error"] == {
        "code": -32601,
        "message": "method 'Filecoin.Ticks' not supported in this mode (no out channel support)",
    }


async def test_other_paths_and_verbs(server: Server) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.get(server.url)).status_code == 405
        assert (await client.get(server.url.replace("/rpc/v0", "/nope"))).status_code == 404


# -- auth ----------------------------------------------------------------------------------------

METHODS_BY_PERM = {
    "read": req("Echo", "hi"),
    "write": req("Add", 1, 1),
    "sign": req("SignBytes", "AQI="),
    "admin": req("AdminOnly"),
}


@pytest.mark.parametrize(
    "granted", [["read"], ["write"], ["sign"], ["admin"], ["read", "write", "sign", "admin"]]
)
async def test_permissions_are_a_flat_list(server: Server, granted: list[str]) -> None:
    token = server.token(*granted)
    for perm, body in METHODS_BY_PERM.items():
        payload = (await post(server, body, token)).json()
        if perm in granted:
            assert "error" not in payload, (perm, payload)
        else:
            method = str(body["method"]).removeprefix("Filecoin.")
            assert payload["error"] == {
                "code": 1,
                "message": f"missing permission to invoke '{method}' (need '{perm}')",
            }


async def test_no_token_means_read_and_says_the_token_is_missing(server: Server) -> None:
    assert (await post(server, req("Echo", "hi"))).json()["result"] == "hi"
    err = (await post(server, req("AdminOnly"))).json()["error"]
    assert err["message"].startswith(
        "missing permission to invoke 'AdminOnly' (need 'admin'); no API token was sent"
    )


async def test_token_in_query_string(server: Server) -> None:
    async with httpx.AsyncClient() as client:
        resp = await client.post(server.url + "?token=" + server.token("admin"), json=req("AdminOnly"))
    assert resp.json() == {"jsonrpc": "2.0", "id": 1}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer " + JwtAuth(b"other" * 8).new_token(["admin"]).decode(),  # wrong secret
        "Bearer not.a.jwt",  # garbled
        "Bearer " + jwt.encode({"Allow": ["admin"], "exp": int(time.time()) - 5}, SECRET, algorithm="HS256"),
        "Basic dXNlcjpwdw==",  # no Bearer prefix
    ],
)
async def test_bad_tokens_get_401_and_nothing_runs(server: Server, header: str) -> None:
    async with httpx.AsyncClient() as client:
        resp = await client.post(server.url, json=req("AdminOnly"), headers={"Authorization": header})
    assert resp.status_code == 401
    assert server.api.admin_calls == 0


async def test_http_client_reports_401_as_auth_rejected(server: Server) -> None:
    info = ApiInfo(server.info.multiaddr, b"garbage")
    async with open_http_client(info, EchoClient) as client:
        with pytest.raises(AuthRejected, match="HTTP 401"):
            await client.version()


# -- typed clients -------------------------------------------------------------------------------


@pytest.mark.parametrize("opener", [open_http_client, open_ws_client])
async def test_typed_clients_over_both_transports(server: Server, opener: object) -> None:
    async with opener(server.info_with("read", "write", "sign", "admin"), EchoClient) as client:  # type: ignore[operator]
        version = await client.version()
        assert version.api_version == 65536 and version.block_delay == 4
        token = await client.auth_new(["read"])
        assert await client.auth_verify(token.decode()) == ["read"]
        assert await client.call("Add", 40, 2) == 42
        assert await client.call("SignBytes", b"\x01\x02") == b"\x02\x01"
        with pytest.raises(MethodError, match="it broke"):
            await client.call("Fail")
        with pytest.raises(MethodError, match="JWT Verification failed"):
            await client.auth_verify("nope")


# -- websocket specifics -------------------------------------------------------------------------


async def test_websocket_calls_run_concurrently(server: Server) -> None:
    async with open_ws_client(server.info_with("read"), EchoClient) as client:
        results: list[object] = []
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(lambda: _append(results, client.call("Sleep", 1)))
                await server.api.sleep_started.wait()
                assert await client.call("Echo", "not blocked") == "not blocked"
        assert results == ["slept"]


async def _append(results: list[object], aw: object) -> None:
    results.append(await aw)  # type: ignore[misc]


async def test_websocket_channel_values_then_close(server: Server) -> None:
    async with open_ws_client(server.info_with("read"), EchoClient) as client:
        with trio.fail_after(5):
            async with client.subscribe("Ticks", 5) as values:
                got = [v async for v in values]
    assert got == [0, 1, 2, 3, 4]


async def test_closing_channel_closes_on_shutdown(server: Server) -> None:
    async with open_ws_client(server.info_with("read", "admin"), EchoClient) as client:
        with trio.fail_after(5):
            async with client.subscribe("Closing") as values:
                await client.shutdown()
                assert [v async for v in values] == []
    assert server.stop.is_set()


async def test_cancelled_call_is_cancelled_on_the_server(server: Server) -> None:
    async with open_ws_client(server.info_with("read"), EchoClient) as client:
        with trio.move_on_after(0.3):
            await client.call("Sleep", 60)
        with trio.fail_after(5):
            while server.api.sleeps_cancelled == 0:
                await trio.sleep(0.01)
    assert server.api.sleeps_cancelled == 1


async def test_websocket_with_bad_token_is_rejected() -> None:
    async with trio.open_nursery() as nursery:
        server = await start_server(nursery)
        with pytest.raises(AuthRejected):
            async with open_ws_client(ApiInfo(server.info.multiaddr, b"bad.token.here"), EchoClient):
                pass
        nursery.cancel_scope.cancel()


async def test_websocket_reconnects_after_the_server_restarts(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    async with open_ws_client(server.info_with("read"), EchoClient, reconnect=True) as client:
        assert await client.call("Echo", "one") == "one"
        transport = client.transport
        with trio.fail_after(10):
            async with trio.open_nursery() as calls:
                failure: list[BaseException] = []

                async def in_flight() -> None:
                    try:
                        await client.call("Sleep", 60)
                    except ConnectionLost as exc:
                        failure.append(exc)

                calls.start_soon(in_flight)
                await server.api.sleep_started.wait()
                server.scope.cancel()  # the server goes away with a call in flight
            assert len(failure) == 1
            restarted = await start_server(nursery, port=server.port)
            assert await client.call("Echo", "two", timeout=10) == "two"
        assert transport.connections >= 2  # type: ignore[attr-defined]
        restarted.scope.cancel()


async def test_rpc_error_classes() -> None:
    assert isinstance(RpcError.from_wire(1, "x"), MethodError)
    assert not isinstance(RpcError.from_wire(-32601, "x"), MethodError)
    assert issubclass(EchoClient, RpcClient)


async def test_protocol_errors_of_notifications_get_no_response(server: Server) -> None:
    for body in [req("NoSuchMethod", id=None), req("Add", 1, id=None), req("Add", "x", 1, id=None)]:
        resp = await post(server, body, server.token("write"))
        assert resp.status_code == 500
        assert resp.content == b""


async def test_nan_is_not_json(server: Server) -> None:
    resp = await post(server, None, raw=b'{"jsonrpc":"2.0","method":"Filecoin.Add","params":[NaN,1],"id":1}')
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == -32700


async def test_result_that_does_not_encode_is_a_method_error(server: Server) -> None:
    resp = await post(server, req("BadResult"))
    assert resp.status_code == 200
    assert "result does not encode" in resp.json()["error"]["message"]


async def test_failing_channel_closes_only_itself(server: Server) -> None:
    async with open_ws_client(server.info_with("read"), EchoClient) as client:
        with trio.fail_after(5):
            async with client.subscribe("BadTicks") as values:
                assert [v async for v in values] == [1]
            assert await client.call("Echo", "connection alive") == "connection alive"
            assert client.transport.connections == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("granted", [["read"], ["write"], ["sign"], ["admin"]])
async def test_websocket_checks_permissions_per_call(server: Server, granted: list[str]) -> None:
    async with open_ws_client(server.info_with(*granted), EchoClient) as client:
        calls = {
            "read": ("Echo", "x"),
            "write": ("Add", 1, 2),
            "sign": ("SignBytes", b"ab"),
            "admin": ("AdminOnly",),
        }
        for perm, (name, *args) in calls.items():
            if perm in granted:
                await client.call(name, *args)
            else:
                with pytest.raises(
                    MethodError, match=f"missing permission to invoke '{name}' \\(need '{perm}'\\)"
                ):
                    await client.call(name, *args)


async def test_websocket_token_in_query_string(server: Server) -> None:
    from websockets.trio.client import connect

    url = server.url.replace("http://", "ws://") + "?token=" + server.token("admin")
    async with connect(url) as ws:
        await ws.send(json.dumps(req("AdminOnly", id=7)))
        assert json.loads(await ws.recv()) == {"jsonrpc": "2.0", "id": 7}
    assert server.api.admin_calls == 1


async def test_websockets_are_closed_going_away_on_shutdown(nursery: trio.Nursery) -> None:
    stop = trio.Event()
    rpc = RpcServer()
    rpc.register(COMMON_TABLE, CommonApi(AUTH, block_delay=4, shutdown=stop))
    app = ApiApp(rpc, AUTH, closing=stop)
    host, port = await nursery.start(serve_api, app, "127.0.0.1", 0)
    from websockets.exceptions import ConnectionClosed
    from websockets.trio.client import connect

    async with connect(f"ws://{host}:{port}/rpc/v0") as ws:
        stop.set()
        with trio.fail_after(2), pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
