"""download() against hand-written HTTP peers: resets, read timeouts, oversized bodies, tar tails."""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import tarfile
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path

import pytest
import trio

from pylotus.stores import FetchFailed, fetch
from pylotus.stores.fetch import download

Respond = Callable[[trio.SocketStream], Awaitable[None]]


async def _read_request(stream: trio.SocketStream) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive_some(65536)
        if not chunk:
            return
        data += chunk


def _head(kind: str, length: int) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {length}\r\n\r\n".encode()


async def reset_after(stream: trio.SocketStream, body: bytes, length: int) -> None:
    """Announce ``length`` bytes, send ``body``, then reset the connection (SO_LINGER 0)."""
    await stream.send_all(_head("application/octet-stream", length) + body)
    await trio.sleep(0.05)
    stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    await stream.aclose()


@pytest.fixture
async def peer() -> AsyncIterator[Callable[[Respond], Awaitable[str]]]:
    """Start a one-handler HTTP peer on loopback; returns its base URL."""
    async with trio.open_nursery() as nursery:

        async def start(respond: Respond) -> str:
            async def handler(stream: trio.SocketStream) -> None:
                with contextlib.suppress(trio.BrokenResourceError):  # the client gave up: expected
                    await _read_request(stream)
                    await respond(stream)

            listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
            port = listeners[0].socket.getsockname()[1]
            return f"http://127.0.0.1:{port}/remote"

        yield start
        nursery.cancel_scope.cancel()


async def _download(url: str, target: Path, *, is_dir: bool = False, max_size: int | None = None) -> int:
    fn = partial(download, url, {}, target, is_dir=is_dir, max_size=max_size, check_cancelled=lambda: None)
    return await trio.to_thread.run_sync(fn)


async def test_a_reset_mid_body_is_a_fetch_failure_naming_the_url(
    tmp_path: Path, peer: Callable[[Respond], Awaitable[str]]
) -> None:
    url = await peer(partial(reset_after, body=b"x" * 100_000, length=10_000_000)) + "/sealed/s-t01000-1"
    with pytest.raises(FetchFailed, match=f"reading from '{url}' after") as err:
        await _download(url, tmp_path / "t")
    assert "cannot write" not in str(err.value)
    assert not (tmp_path / "t").exists()


async def test_a_read_timeout_is_a_fetch_failure(
    tmp_path: Path, peer: Callable[[Respond], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def stall(stream: trio.SocketStream) -> None:
        await stream.send_all(_head("application/octet-stream", 1000) + b"x" * 10)
        await trio.sleep_forever()

    monkeypatch.setattr(fetch, "READ_TIMEOUT", 0.2)
    url = await peer(stall)
    with pytest.raises(FetchFailed, match="TimeoutError"):
        await _download(url, tmp_path / "t")
    assert not (tmp_path / "t").exists()


async def test_a_file_larger_than_reserved_is_refused(
    tmp_path: Path, peer: Callable[[Respond], Awaitable[str]]
) -> None:
    async def big(stream: trio.SocketStream) -> None:
        await stream.send_all(_head("application/octet-stream", 5000) + b"x" * 5000)

    url = await peer(big)
    with pytest.raises(FetchFailed, match="peer sent more than 4096 bytes"):
        await _download(url, tmp_path / "t", max_size=4096)
    assert not (tmp_path / "t").exists()
    assert await _download(url, tmp_path / "t", max_size=5000) == 5000


async def test_a_chunked_file_larger_than_reserved_is_cut_off(
    tmp_path: Path, peer: Callable[[Respond], Awaitable[str]]
) -> None:
    async def endless(stream: trio.SocketStream) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        await stream.send_all(head.encode())
        chunk = b"%x\r\n%s\r\n" % (1 << 16, b"y" * (1 << 16))
        while True:  # no announced length: only the cap stops it
            await stream.send_all(chunk)

    url = await peer(endless)
    with pytest.raises(FetchFailed, match=f"peer sent more than {3 << 20} bytes"):
        await _download(url, tmp_path / "t", max_size=3 << 20)
    assert not (tmp_path / "t").exists()


def _tar(size: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:  # pads to a 10 KiB record, as GNU tar
        member = tarfile.TarInfo("p_aux")
        member.size = size
        archive.addfile(member, io.BytesIO(b"a" * size))
    return buf.getvalue()


def _serve_tar(data: bytes, tail: int) -> Respond:
    async def respond(stream: trio.SocketStream) -> None:
        await stream.send_all(_head("application/x-tar", len(data) + tail) + data)
        zeros = b"\0" * (1 << 20)
        left = tail
        while left:
            await stream.send_all(zeros[:left])
            left -= min(left, len(zeros))

    return respond


async def test_a_tar_may_end_with_record_padding_but_not_with_more(
    tmp_path: Path, peer: Callable[[Respond], Awaitable[str]]
) -> None:
    padded = _tar(4)
    assert len(padded) == 10240  # 3 blocks of content, then zeros to the record
    assert await _download(await peer(_serve_tar(padded, 0)), tmp_path / "a", is_dir=True) == 4
    assert (tmp_path / "a" / "p_aux").read_bytes() == b"aaaa"

    url = await peer(_serve_tar(padded, 64 << 20))  # a 64 MiB tail must not be read into memory
    with pytest.raises(FetchFailed, match="bytes after the end of the tar stream"):
        await _download(url, tmp_path / "b", is_dir=True)
    assert not (tmp_path / "b").exists()


async def test_a_tar_larger_than_reserved_is_refused(
    tmp_path: Path, peer: Callable[[Respond], Awaitable[str]]
) -> None:
    url = await peer(_serve_tar(_tar(5000), 0))
    with pytest.raises(FetchFailed, match="peer sent more than 4096 bytes"):
        await _download(url, tmp_path / "t", is_dir=True, max_size=4096)
    assert not (tmp_path / "t").exists()
