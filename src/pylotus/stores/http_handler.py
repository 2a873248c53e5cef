"""``/remote``: the HTTP side of sector fetching, as an ASGI app mounted beside ``/rpc/v0``.

Counterpart: Lotus ``storage/paths/http_handler.go`` (``FetchHandler``) behind the miner's
``ServeRemote`` permission check; routes in reference/lotus-miner.md §5.1::

    GET    /remote/stat/{storage-id}        FsStat JSON of a local path             404 unknown path
    GET    /remote/{type}/{s-t0<m>-<n>}     the file (application/octet-stream), or
                                            the cache directory as a tar (application/x-tar)
    DELETE /remote/{type}/{s-t0<m>-<n>}     remove this process's copies             404 none here

Rules of the file (DESIGN.md, security):

* Every request needs a token with ``admin``: :class:`~pylotus.jsonrpc.ApiApp` has already refused
  a bad token (401); a missing or weaker one is refused here, 401 with Lotus's JSON error body.
* Nothing from the URL is joined into a path.  ``{type}`` must be one of ``unsealed``, ``sealed``,
  ``cache`` and ``{s-t0…}`` must be exactly a sector name (the strict :func:`parse_sector_name`),
  else 400; a path with more or fewer segments (``..``, encoded slashes, which the server has
  already decoded into separators) is 404; a storage ID is only ever a dictionary key.  The file
  served is the one the index says this process holds, and if it resolves (through a symlink)
  outside its storage path it is refused.  A refused request touches nothing.
* Lotus answers 500 for a bad type or name; we answer 400 (the caller's mistake) and 404 for what
  is not here, so a fetcher can tell "try the next URL" from "this server is broken".
* Bodies stream in :data:`CHUNK_SIZE` pieces read in a thread; a client that goes away stops the
  stream at once.  At most ``max_streams`` bodies are sent at a time (others wait their turn, with
  no file open), and a client that takes ``send_timeout`` seconds to accept one chunk is dropped,
  so slow or stalled clients cannot pin memory and file descriptors for ever.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, Final, Protocol, final

import trio

from ..abi import InvalidFileType, InvalidSectorName, SectorFileType, SectorID, parse_sector_name
from ..errors import PylotusError
from .errors import SectorNotFound, StorageIOError, StorageNotFound, StoresError, os_errors
from .local import LocalStore
from .storiface import StorageID
from .tarutil import TarStream, plan_tar

__all__ = ["CHUNK_SIZE", "DEFAULT_MAX_STREAMS", "SEND_TIMEOUT", "FetchHandler"]

log = logging.getLogger(__name__)

CHUNK_SIZE: Final = 4 << 20  # bytes per read and per ASGI body message
DEFAULT_MAX_STREAMS: Final = 16  # bodies sent at once: ≤ 2 chunks each in memory (128 MiB in all)
SEND_TIMEOUT: Final = 60.0  # seconds one chunk may wait on the client (fetch.py READ_TIMEOUT too)
REQUIRED_PERMISSION: Final = "admin"  # Lotus ServeRemote: auth.HasPerm(ctx, nil, api.PermAdmin)

# ASGI's types are the spec's heterogeneous dicts; keys are checked where read.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _Reader(Protocol):
    def read(self, n: int, /) -> bytes: ...

    def close(self) -> None: ...


class _Refused(Exception):
    """A request answered with an error status (the reason is the body)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@final
class FetchHandler:
    """Serves this process's sector files from ``local`` (Lotus ``FetchHandler``).

    Args:
        local: the paths to serve from.
        prefix: where the app is mounted (``/remote``).
        max_streams: file bodies sent at once; further GETs wait for a turn.
        send_timeout: seconds a client may take to accept one chunk before it is dropped.
    """

    def __init__(
        self,
        local: LocalStore,
        *,
        prefix: str = "/remote",
        max_streams: int = DEFAULT_MAX_STREAMS,
        send_timeout: float = SEND_TIMEOUT,
    ) -> None:
        self._local = local
        self._prefix = prefix.rstrip("/")
        self.stream_limiter = trio.CapacityLimiter(max_streams)
        self._send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        ctx = scope.get("pylotus.call")
        if ctx is None or REQUIRED_PERMISSION not in getattr(ctx, "perms", ()):
            body = json.dumps({"Error": f"unauthorized: missing {REQUIRED_PERMISSION} permission"})
            await _respond(send, 401, body.encode(), "application/json")
            return
        method = str(scope.get("method", ""))
        try:
            try:
                await self._route(method, str(scope.get("path", "")), receive, send)
            except PylotusError as exc:  # e.g. the index (over RPC, in a worker) did not answer
                log.error("remote request failed method=%s path=%r err=%s", method, scope.get("path"), exc)
                raise _Refused(500, str(exc)) from exc
        except _Refused as refused:
            log.debug(
                "remote request refused method=%s path=%r status=%d",
                method,
                scope.get("path"),
                refused.status,
            )
            await _respond(
                send, refused.status, (refused.reason + "\n").encode(), "text/plain; charset=utf-8"
            )

    async def _route(self, method: str, path: str, receive: Receive, send: Send) -> None:
        segments = path[len(self._prefix) :].split("/")
        if len(segments) != 3 or segments[0] != "":
            raise _Refused(404, "404 page not found")
        first, second = segments[1], segments[2]
        if first == "stat":
            _allow(method, "GET")
            await self._stat(StorageID(second), send)
            return
        _allow(method, "GET", "DELETE")
        try:
            kind = SectorFileType.parse(first)
            sector = parse_sector_name(second)
        except (InvalidFileType, InvalidSectorName) as exc:
            raise _Refused(400, str(exc)) from exc
        if method == "DELETE":
            await self._delete(kind, sector, send)
        else:
            await self._get(kind, sector, receive, send)

    async def _stat(self, storage_id: StorageID, send: Send) -> None:
        try:
            stat = await self._local.fs_stat(storage_id)
        except StorageNotFound as exc:
            raise _Refused(404, str(exc)) from exc
        except StoresError as exc:
            log.error("remote stat failed id=%s err=%s", storage_id, exc)
            raise _Refused(500, str(exc)) from exc
        await _respond(send, 200, json.dumps(stat.to_json()).encode(), "application/json")

    async def _delete(self, kind: SectorFileType, sector: SectorID, send: Send) -> None:
        log.info("serve delete sector=%s type=%s", sector, kind)
        try:
            await self._local.remove(sector, kind)
        except SectorNotFound as exc:
            raise _Refused(404, str(exc)) from exc
        except StoresError as exc:
            log.error("remote delete failed sector=%s type=%s err=%s", sector, kind, exc)
            raise _Refused(500, str(exc)) from exc
        await _respond(send, 200, b"", "text/plain; charset=utf-8")

    async def _get(self, kind: SectorFileType, sector: SectorID, receive: Receive, send: Send) -> None:
        found = await self._local.sector_file(sector, kind)
        if found is None:
            raise _Refused(404, f"sector file not found here: {kind}/{sector}")
        if self.stream_limiter.available_tokens == 0:
            log.info(
                "throttling remote stream, %d already running path=%s",
                self.stream_limiter.borrowed_tokens,
                found,
            )
        async with self.stream_limiter:
            await self._serve(found, sector, kind, send, receive)

    async def _serve(
        self, found: Path, sector: SectorID, kind: SectorFileType, send: Send, receive: Receive
    ) -> None:
        try:
            reader, length, is_dir = await trio.to_thread.run_sync(_open, found)
        except StorageNotFound as exc:
            log.warning("refused to serve path=%s err=%s", found, exc)
            raise _Refused(404, str(exc)) from exc
        except StoresError as exc:
            log.error("cannot serve path=%s err=%s", found, exc)
            raise _Refused(500, str(exc)) from exc
        content_type = "application/x-tar" if is_dir else "application/octet-stream"
        log.debug("serve sector=%s type=%s path=%s bytes=%d", sector, kind, found, length)
        await _stream(reader, found, length, content_type, receive, _timed(send, self._send_timeout))


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise _Refused(405, f"405 method not allowed: use {' or '.join(allowed)}")


def _open(found: Path) -> tuple[_Reader, int, bool]:
    """Blocking: a reader over the file or the directory's tar, its length, and which it was."""
    root = found.parent.parent
    real = os.path.realpath(found)
    if os.path.commonpath([real, os.path.realpath(root)]) != os.path.realpath(root):
        raise StorageNotFound(f"'{found}' resolves outside its storage path; refusing to serve it")
    if os.path.isdir(real):
        stream = TarStream(plan_tar(Path(real)))
        return stream, stream.length, True
    with os_errors("open", found):
        handle = open(real, "rb")  # noqa: SIM115 - closed by _stream
        length = os.fstat(handle.fileno()).st_size
        if hasattr(os, "posix_fadvise"):  # read front to back once: a larger kernel read-ahead
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
    return handle, length, False


async def _stream(
    reader: _Reader, name: Path, length: int, content_type: str, receive: Receive, send: Send
) -> None:
    """Send ``length`` bytes of ``reader``; stop early if the client disconnects or the data ends short.

    The next chunk is read from disk while the current one is sent, so disk and socket overlap.

    Resources: closes ``reader``, however it ends.
    """
    sent = 0
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(length).encode()),
                ],
            }
        )
        # Buffer 1: exactly one chunk read ahead of the one being sent.
        chunks_in, chunks_out = trio.open_memory_channel[bytes](1)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_cancel_on_disconnect, receive, nursery.cancel_scope)
            nursery.start_soon(_read_ahead, reader, length, chunks_in, name)
            async with chunks_out:
                async for chunk in chunks_out:
                    sent += len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": sent < length})
            nursery.cancel_scope.cancel()
    except* StoresError as group:
        log.error(
            "sending a sector file failed after %d of %d bytes err=%s", sent, length, group.exceptions[0]
        )
    except* _SendStalled as group:
        log.warning("dropping a stalled client sent=%d length=%d err=%s", sent, length, group.exceptions[0])
    finally:
        reader.close()
    if sent < length:
        # Leaving without the final body message makes the server drop the connection, so the
        # fetcher sees a short transfer instead of a complete-looking one.
        log.warning("remote transfer ended early sent=%d length=%d", sent, length)


class _SendStalled(Exception):
    """The client did not accept a message within the send timeout."""


def _timed(send: Send, timeout: float) -> Send:
    """``send`` that gives up (:class:`_SendStalled`) when one message waits ``timeout`` seconds."""

    async def timed(message: Message) -> None:
        with trio.move_on_after(timeout) as scope:
            await send(message)
        if scope.cancelled_caught:
            raise _SendStalled(f"client accepted nothing for {timeout:g} s")

    return timed


async def _read_ahead(
    reader: _Reader, length: int, chunks: trio.MemorySendChannel[bytes], name: Path
) -> None:
    left = length
    async with chunks:
        while left > 0:
            with os_errors("read", name):
                chunk = await trio.to_thread.run_sync(reader.read, min(CHUNK_SIZE, left))
            if not chunk:
                raise StorageIOError(f"the data ended {left} bytes short of its announced length")
            left -= len(chunk)
            await chunks.send(chunk)


async def _cancel_on_disconnect(receive: Receive, scope: trio.CancelScope) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            scope.cancel()
            return


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
