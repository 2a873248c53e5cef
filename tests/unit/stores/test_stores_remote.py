"""RemoteStore against a real /remote served on loopback in this process: fetch, move, failures."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
import trio
from test_stores_local import MemoryConfig, make_path

from pylotus.abi import ActorID, SectorFileType, SectorID, SectorNumber
from pylotus.jsonrpc import ApiApp, JwtAuth, RpcServer, serve_api
from pylotus.stores import (
    AcquireMode,
    FetchFailed,
    FetchHandler,
    FsStat,
    LocalStore,
    MemIndex,
    PathType,
    RemoteStore,
    SectorNotFound,
    StorageID,
    StorageInfo,
    StorageIOError,
    StoresError,
)
from pylotus.stores import remote as remote_module
from pylotus.stores.http_handler import Message, Receive, Scope, Send

FT = SectorFileType
S1 = SectorID(ActorID(1000), SectorNumber(1))
SEALED = 3 * (1 << 20) + 123  # not a multiple of any buffer size
ROOMY = FsStat(capacity=1 << 40, available=1 << 40)
AUTH = JwtAuth(b"k" * 32)
ADMIN = {"Authorization": "Bearer " + AUTH.new_token(["admin"]).decode()}


class Throttle:
    """ASGI wrapper pausing before each body chunk, so a test can act mid-transfer."""

    def __init__(self, app: FetchHandler) -> None:
        self.app = app
        self.delay = 0.0
        self.started = trio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def slow(message: Message) -> None:
            if message.get("type") == "http.response.body":
                self.started.set()
                await trio.sleep(self.delay)
            await send(message)

        await self.app(scope, receive, slow)


@dataclass
class World:
    index: MemIndex
    source: Path
    dest: Path
    url: str
    remote: RemoteStore
    throttle: Throttle


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    index = MemIndex()
    source = make_path(tmp_path / "source", "source", store=True)
    (source / "sealed").mkdir()
    (source / "sealed" / "s-t01000-1").write_bytes(os.urandom(SEALED))
    (source / "cache" / "s-t01000-1").mkdir(parents=True)
    (source / "cache" / "s-t01000-1" / "p_aux").write_bytes(os.urandom(100))
    (source / "cache" / "s-t01000-1" / "tree-r-last.dat").write_bytes(os.urandom(2_000_000))
    source_local = LocalStore(index, MemoryConfig([str(source)]))
    throttle = Throttle(FetchHandler(source_local))
    app = ApiApp(RpcServer(), AUTH, routes={"/remote": throttle})
    async with trio.open_nursery() as nursery:
        host, port = await nursery.start(partial(serve_api, app, "127.0.0.1", 0))
        url = f"http://{host}:{port}/remote"
        await source_local.open([url])
        dest = make_path(tmp_path / "dest", "dest", seal=True, store=False)
        dest_local = LocalStore(index, MemoryConfig([str(dest)]))
        await dest_local.open([])
        yield World(index, source, dest, url, RemoteStore(dest_local, index, ADMIN), throttle)
        nursery.cancel_scope.cancel()


def digest(path: Path) -> str:
    if path.is_dir():
        return ",".join(f"{p.name}:{digest(p)}" for p in sorted(path.iterdir()))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if "fetching" in p.parts and p.is_file())


async def test_move_fetches_file_and_cache_declares_them_primary_and_deletes_the_source(world: World) -> None:
    want_sealed = digest(world.source / "sealed" / "s-t01000-1")
    want_cache = digest(world.source / "cache" / "s-t01000-1")
    got = await world.remote.acquire_sector(
        S1, SEALED, FT.SEALED | FT.CACHE, FT.NONE, PathType.SEALING, AcquireMode.MOVE
    )
    assert got.paths == {
        FT.SEALED: world.dest / "sealed" / "s-t01000-1",
        FT.CACHE: world.dest / "cache" / "s-t01000-1",
    }
    assert digest(got.paths[FT.SEALED]) == want_sealed and digest(got.paths[FT.CACHE]) == want_cache
    found = await world.index.storage_find_sector(S1, FT.SEALED | FT.CACHE, 0, False)
    assert [(f.id, f.primary, f.weight) for f in found] == [("dest", True, 20)]
    assert not (world.source / "sealed" / "s-t01000-1").exists()
    assert not (world.source / "cache" / "s-t01000-1").exists()
    assert leftovers(world.dest) == []

    again = await world.remote.acquire_sector(
        S1, SEALED, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.MOVE
    )
    assert again.ids == {FT.SEALED: "dest"}  # now local: no second fetch


async def test_copy_keeps_the_source_and_declares_a_secondary_copy(world: World) -> None:
    await world.remote.acquire_sector(S1, SEALED, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.COPY)
    assert (world.source / "sealed" / "s-t01000-1").exists()
    found = {f.id: f.primary for f in await world.index.storage_find_sector(S1, FT.SEALED, 0, False)}
    assert found == {"source": True, "dest": False}


async def test_a_dead_url_is_skipped_for_the_next_one(world: World) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/remote"
    info = await world.index.storage_info(StorageID("source"))
    await world.index.storage_attach(
        StorageInfo(info.id, (dead,), info.weight, info.can_seal, info.can_store), ROOMY
    )
    # URLs are merged: the old live one stays after the dead one.
    assert (await world.index.storage_info(StorageID("source"))).urls == (world.url, dead)
    await world.index.storage_attach(StorageInfo(StorageID("ghost"), (dead,), 1000, True, True), ROOMY)
    await world.index.storage_declare_sector(StorageID("ghost"), S1, FT.SEALED, True)
    got = await world.remote.acquire_sector(
        S1, SEALED, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.COPY
    )
    assert got.paths[FT.SEALED].stat().st_size == SEALED


async def test_every_url_failing_is_one_error_naming_each(world: World) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/remote"
    await world.index.storage_drop_sector(StorageID("source"), S1, FT.SEALED)
    await world.index.storage_attach(StorageInfo(StorageID("ghost"), (dead,), 10, True, True), ROOMY)
    await world.index.storage_declare_sector(StorageID("ghost"), S1, FT.SEALED, True)
    with pytest.raises(FetchFailed) as err:
        await world.remote.acquire_sector(S1, SEALED, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.COPY)
    assert f"{dead}/sealed/s-t01000-1 (storage ghost): ConnectionRefusedError" in str(err.value)
    assert not (world.dest / "sealed" / "s-t01000-1").exists() and leftovers(world.dest) == []


async def test_a_wrong_size_is_refused_and_leaves_nothing(world: World) -> None:
    with pytest.raises(FetchFailed, match=f"size mismatch: got {SEALED} bytes, expected {SEALED + 1}"):
        await world.remote.acquire_sector(
            S1, SEALED + 1, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.MOVE
        )
    assert not (world.dest / "sealed" / "s-t01000-1").exists() and leftovers(world.dest) == []
    assert (world.source / "sealed" / "s-t01000-1").exists()  # a failed move deletes nothing
    assert [f.id for f in await world.index.storage_find_sector(S1, FT.SEALED, 0, False)] == ["source"]


async def test_nothing_anywhere_is_sector_not_found(world: World) -> None:
    other = SectorID(ActorID(1000), SectorNumber(99))
    with pytest.raises(SectorNotFound, match="sector not found"):
        await world.remote.acquire_sector(
            other, SEALED, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.COPY
        )


async def test_cancelling_a_stalled_fetch_is_prompt_and_leaves_no_partial_file(world: World) -> None:
    world.throttle.delay = 3600  # the server sends headers, then nothing
    with trio.fail_after(10):  # the read timeout is 60 s: only the abort makes this quick
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                world.remote.acquire_sector,
                S1,
                SEALED,
                FT.SEALED,
                FT.NONE,
                PathType.SEALING,
                AcquireMode.MOVE,
            )
            await world.throttle.started.wait()
            nursery.cancel_scope.cancel()
    assert not (world.dest / "sealed" / "s-t01000-1").exists() and leftovers(world.dest) == []
    assert [f.id for f in await world.index.storage_find_sector(S1, FT.SEALED, 0, False)] == ["source"]
    assert world.remote.fetch_limiter.borrowed_tokens == 0
    assert (await world.remote.local.fs_stat(StorageID("dest"))).reserved == 0


@pytest.mark.parametrize("limit,expected_peak", [(1, 1), (2, 2)])
async def test_parallel_fetch_limit_bounds_concurrent_downloads(
    world: World, limit: int, expected_peak: int
) -> None:
    s2 = SectorID(ActorID(1000), SectorNumber(2))
    (world.source / "sealed" / "s-t01000-2").write_bytes(os.urandom(SEALED))
    await world.index.storage_declare_sector(StorageID("source"), s2, FT.SEALED, True)
    store = RemoteStore(world.remote.local, world.index, ADMIN, parallel_fetch_limit=limit)
    world.throttle.delay = 0.2  # each transfer lasts long enough to overlap with the other
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, store.fetch_limiter.borrowed_tokens)
            await trio.sleep(0.005)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch)
        async with trio.open_nursery() as fetches:
            for sector in (S1, s2):
                fetches.start_soon(
                    store.acquire_sector,
                    sector,
                    SEALED,
                    FT.SEALED,
                    FT.NONE,
                    PathType.SEALING,
                    AcquireMode.COPY,
                )
        nursery.cancel_scope.cancel()
    assert peak == expected_peak


async def test_remote_fs_stat_goes_through_remote_stat(world: World) -> None:
    stranger = RemoteStore(LocalStore(world.index, MemoryConfig()), world.index, ADMIN)
    stat = await stranger.fs_stat(StorageID("source"))
    assert stat.capacity > 0
    no_auth = RemoteStore(LocalStore(world.index, MemoryConfig()), world.index, {})
    with pytest.raises(StoresError, match="fsstat: got http 401"):
        await no_auth.fs_stat(StorageID("source"))


async def _serve_resetting(nursery: trio.Nursery) -> str:
    """A peer that announces a whole sealed file, sends 64 KiB of it, then resets the connection."""

    async def handler(stream: trio.SocketStream) -> None:
        with contextlib.suppress(trio.BrokenResourceError):
            await stream.receive_some(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
            await stream.send_all(head % SEALED + b"x" * 65536)
            await trio.sleep(0.05)
            stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            await stream.aclose()

    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    return f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}/remote"


async def test_a_reset_mid_body_moves_on_to_the_next_url(world: World) -> None:
    async with trio.open_nursery() as nursery:
        flaky = await _serve_resetting(nursery)
        await world.index.storage_attach(StorageInfo(StorageID("flaky"), (flaky,), 1000, True, True), ROOMY)
        await world.index.storage_declare_sector(StorageID("flaky"), S1, FT.SEALED, True)
        got = await world.remote.acquire_sector(
            S1, SEALED, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.COPY
        )
        assert digest(got.paths[FT.SEALED]) == digest(world.source / "sealed" / "s-t01000-1")
        assert leftovers(world.dest) == []

        await world.index.storage_drop_sector(StorageID("source"), S1, FT.SEALED)
        await world.remote.local.remove(S1, FT.SEALED, force=True)
        dead = f"http://127.0.0.1:{_free_port()}/remote"
        await world.index.storage_attach(StorageInfo(StorageID("flaky"), (dead,), 1000, True, True), ROOMY)
        with pytest.raises(FetchFailed) as err:
            await world.remote.acquire_sector(
                S1, SEALED, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.COPY
            )
        message = str(err.value)
        assert (
            f"{flaky}/sealed/s-t01000-1 (storage flaky): reading from '{flaky}/sealed/s-t01000-1'" in message
        )
        assert f"{dead}/sealed/s-t01000-1 (storage flaky): ConnectionRefusedError" in message
        assert leftovers(world.dest) == []
        nursery.cancel_scope.cancel()


async def test_a_download_that_cannot_be_moved_into_place_leaves_no_temporary_file(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_move(src: Path, dst: Path) -> None:
        assert src.exists()  # the whole download is there, about to be renamed
        raise StorageIOError(f"cannot move into place '{dst}': input/output error")

    monkeypatch.setattr(remote_module, "move_into_place", broken_move)
    with pytest.raises(StorageIOError, match="cannot move into place"):
        await world.remote.acquire_sector(S1, SEALED, FT.SEALED, FT.NONE, PathType.SEALING, AcquireMode.COPY)
    assert leftovers(world.dest) == [] and not (world.dest / "sealed" / "s-t01000-1").exists()
    assert (await world.remote.local.fs_stat(StorageID("dest"))).reserved == 0
