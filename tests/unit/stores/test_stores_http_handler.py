"""/remote as an ASGI app: admin only, strict parsing, refusals that touch nothing, files and tars."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
import trio
from test_stores_local import MemoryConfig, make_path

from pylotus.jsonrpc import CallContext
from pylotus.stores import FetchHandler, LocalStore, MemIndex, http_handler

Message = MutableMapping[str, Any]


class Response:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.complete = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            self.complete = not message.get("more_body", False)


async def call(app: FetchHandler, method: str, path: str, perms: tuple[str, ...] = ("admin",)) -> Response:
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "headers": []}
    if perms is not None:
        scope["pylotus.call"] = CallContext(perms=frozenset(perms), has_token=True)
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    response = Response()
    with trio.fail_after(10):
        await app(scope, receive, response.send)
    return response


def tree(root: Path) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs:
            out[os.path.join(dirpath, name)] = None
        for name in files:
            full = os.path.join(dirpath, name)
            out[full] = None if os.path.islink(full) else Path(full).read_bytes()
    return out


@pytest.fixture
async def served(store: tuple[LocalStore, Path]) -> tuple[FetchHandler, Path]:
    return FetchHandler(store[0]), store[1]


@pytest.fixture
async def store(tmp_path: Path) -> tuple[LocalStore, Path]:
    path = make_path(tmp_path / "store", "store-1", store=True)
    (path / "sealed").mkdir()
    (path / "sealed" / "s-t01000-1").write_bytes(b"sealed bytes" * 1000)
    cache = path / "cache" / "s-t01000-1"
    cache.mkdir(parents=True)
    (cache / "p_aux").write_bytes(b"aux")
    (cache / "tree-r-last.dat").write_bytes(os.urandom(5000))
    (tmp_path / "secret").write_bytes(b"not for you")
    local = LocalStore(MemIndex(), MemoryConfig([str(path)]))
    await local.open(["http://127.0.0.1:1/remote"])
    return local, path


async def test_get_serves_a_declared_file_raw(served: tuple[FetchHandler, Path]) -> None:
    app, path = served
    resp = await call(app, "GET", "/remote/sealed/s-t01000-1")
    assert resp.status == 200 and resp.complete
    assert resp.headers["content-type"] == "application/octet-stream"
    assert resp.headers["content-length"] == str(12_000)
    assert resp.body == (path / "sealed" / "s-t01000-1").read_bytes()


async def test_get_serves_a_cache_directory_as_a_tar_of_known_length(
    served: tuple[FetchHandler, Path],
) -> None:
    app, path = served
    resp = await call(app, "GET", "/remote/cache/s-t01000-1")
    assert resp.status == 200 and resp.headers["content-type"] == "application/x-tar"
    assert int(resp.headers["content-length"]) == len(resp.body)
    with tarfile.open(fileobj=io.BytesIO(resp.body)) as archive:
        names = archive.getnames()
        data = archive.extractfile("tree-r-last.dat")
        assert (
            data is not None
            and data.read() == (path / "cache" / "s-t01000-1" / "tree-r-last.dat").read_bytes()
        )
    assert names == ["p_aux", "tree-r-last.dat"]


async def test_stat_answers_for_local_paths_only(served: tuple[FetchHandler, Path]) -> None:
    app, _ = served
    resp = await call(app, "GET", "/remote/stat/store-1")
    assert resp.status == 200 and json.loads(resp.body)["Capacity"] > 0
    assert (await call(app, "GET", "/remote/stat/other")).status == 404


@pytest.mark.parametrize("perms", [(), ("read", "write", "sign"), None])
async def test_everything_needs_admin(
    served: tuple[FetchHandler, Path], perms: tuple[str, ...] | None
) -> None:
    app, path = served
    before = tree(path.parent)
    for method, url in [
        ("GET", "/remote/sealed/s-t01000-1"),
        ("DELETE", "/remote/sealed/s-t01000-1"),
        ("GET", "/remote/stat/store-1"),
    ]:
        resp = await call(app, method, url, perms=perms)  # type: ignore[arg-type]  # None: no context at all
        assert resp.status == 401
        assert json.loads(resp.body) == {"Error": "unauthorized: missing admin permission"}
    assert tree(path.parent) == before


@pytest.mark.parametrize(
    "method,url,status,reason",
    [
        ("GET", "/remote/bogus/s-t01000-1", 400, "unknown sector file type 'bogus'"),
        ("DELETE", "/remote/update/s-t01000-1", 400, "unknown sector file type 'update'"),
        ("GET", "/remote/sealed/s-t01000-01", 400, "parse sector id 's-t01000-01'"),
        ("DELETE", "/remote/sealed/s-f01000-1", 400, "parse sector id"),
        ("GET", "/remote/sealed/..", 400, "parse sector id '..'"),
        ("GET", "/remote/sealed/sectorstore.json", 400, "parse sector id"),
        ("GET", "/remote/sealed/../../secret", 404, "404 page not found"),
        ("DELETE", "/remote/sealed/../../sectorstore.json", 404, "404 page not found"),
        ("GET", "/remote/sealed/s-t01000-1/../../sectorstore.json", 404, "404 page not found"),
        ("DELETE", "/remote/cache/s-t01000-1/p_aux", 404, "404 page not found"),
        ("GET", "/remote/stat/../../secret", 404, "404 page not found"),
        ("GET", "/remote/sealed/", 400, "parse sector id ''"),
        ("GET", "/remote", 404, "404 page not found"),
        ("GET", "/remote/sealed/s-t01000-2", 404, "sector file not found here"),
        ("DELETE", "/remote/unsealed/s-t01000-1", 404, "not found"),
        ("POST", "/remote/sealed/s-t01000-1", 405, "use GET or DELETE"),
        ("DELETE", "/remote/stat/store-1", 405, "use GET"),
    ],
)
async def test_bad_requests_are_refused_and_touch_nothing(
    served: tuple[FetchHandler, Path], method: str, url: str, status: int, reason: str
) -> None:
    app, path = served
    before = tree(path.parent)
    resp = await call(app, method, url)
    assert (resp.status, reason in resp.body.decode()) == (status, True), resp.body
    assert tree(path.parent) == before


async def test_a_file_on_disk_but_not_declared_is_not_served(served: tuple[FetchHandler, Path]) -> None:
    app, path = served
    (path / "unsealed" / "s-t01000-1").write_bytes(b"a task is still writing this")
    assert (await call(app, "GET", "/remote/unsealed/s-t01000-1")).status == 404


async def test_a_symlink_out_of_the_storage_path_is_not_followed(served: tuple[FetchHandler, Path]) -> None:
    app, path = served
    target = path / "sealed" / "s-t01000-1"
    target.unlink()
    os.symlink(path.parent / "secret", target)
    resp = await call(app, "GET", "/remote/sealed/s-t01000-1")
    assert resp.status == 404 and b"not for you" not in resp.body


async def test_delete_removes_the_local_copy_and_its_declaration(served: tuple[FetchHandler, Path]) -> None:
    app, path = served
    resp = await call(app, "DELETE", "/remote/cache/s-t01000-1")
    assert resp.status == 200
    assert not (path / "cache" / "s-t01000-1").exists()
    assert (path / "sealed" / "s-t01000-1").exists()
    assert (await call(app, "GET", "/remote/cache/s-t01000-1")).status == 404


def _get_scope() -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": "/remote/sealed/s-t01000-1",
        "headers": [],
        "pylotus.call": CallContext(perms=frozenset(("admin",)), has_token=True),
    }


async def _no_disconnect() -> Message:
    await trio.sleep_forever()
    raise AssertionError("unreachable")


async def test_a_stalled_client_is_dropped_and_its_file_closed(
    store: tuple[LocalStore, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = FetchHandler(store[0], send_timeout=0.2)
    opened: list[Any] = []
    real_open = http_handler._open

    def spy(found: Path) -> Any:
        result = real_open(found)
        opened.append(result[0])
        return result

    monkeypatch.setattr(http_handler, "_open", spy)
    messages: list[str] = []

    async def stalled_send(message: Message) -> None:
        messages.append(message["type"])
        if message["type"] == "http.response.body":
            await trio.sleep_forever()  # the client's window is full and never drains

    with trio.fail_after(5):
        await app(_get_scope(), _no_disconnect, stalled_send)
    assert messages == ["http.response.start", "http.response.body"]
    assert opened and opened[0].closed
    assert app.stream_limiter.borrowed_tokens == 0

    async def stalled_start(message: Message) -> None:
        await trio.sleep_forever()

    opened.clear()
    with trio.fail_after(5):
        await app(_get_scope(), _no_disconnect, stalled_start)
    assert opened and opened[0].closed  # the reader is closed even if the headers never went out


async def test_concurrent_streams_are_bounded(store: tuple[LocalStore, Path]) -> None:
    app = FetchHandler(store[0], max_streams=2)
    release = trio.Event()
    streaming = 0
    peak = 0

    async def slow_send(message: Message) -> None:
        nonlocal streaming, peak
        if message["type"] == "http.response.start":
            streaming += 1
            peak = max(peak, streaming)
            await release.wait()
        elif not message.get("more_body", False):
            streaming -= 1

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(app, _get_scope(), _no_disconnect, slow_send)
            while app.stream_limiter.statistics().tasks_waiting < 3 or streaming < 2:
                await trio.sleep(0.01)  # opening a file runs in a thread: poll until it settles
            await trio.sleep(0.1)
            assert streaming == 2 and app.stream_limiter.statistics().tasks_waiting == 3
            release.set()
    assert peak == 2 and streaming == 0
