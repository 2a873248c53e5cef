"""Downloading one sector file (or cache directory) from one ``/remote`` URL to a temporary name.

Counterpart: Lotus ``storage/paths/remote.go`` ``fetch`` (reference/lotus-miner.md §5.1, client
side).  :func:`download` is the blocking half of a fetch: :class:`~.remote.RemoteStore` runs it in a
thread under the ``ParallelFetchLimit`` limiter, then renames the result into place and declares it.

Why a thread with the standard library's ``http.client`` rather than httpx: a sector file is
hundreds of MiB to GiB.  Through the event loop every chunk would cross to a thread to be written;
httpx's sync client hands the body over in 64 KiB pieces, each parsed and copied in Python (about
1 GB/s on loopback here).  ``http.client`` reads a ``Content-Length`` body with ``readinto`` straight
into one reused buffer (about 2 GB/s).  A second thread writing while the first receives was
measured too, and lost on two cores; so did ``O_DIRECT`` writes, which also misbehave on some
network filesystems.  The thread checks between buffers whether its trio task was cancelled
(``trio.from_thread.check_cancelled``), so a cancelled fetch stops within one buffer and removes
what it wrote.

Rules of the file:

* What arrives must be what was announced: HTTP 200, the content type the file type calls for
  (``application/x-tar`` for a cache directory, ``application/octet-stream`` otherwise), exactly
  ``Content-Length`` bytes, and — when the caller knows it — the expected file size (a sealed file
  is exactly one sector).  Anything else fails this URL and leaves nothing behind.
* The data is fsynced before the caller renames it into place: a crash leaves either no file or a
  whole one.
* Pages already written are pushed to disk as the transfer goes (``posix_fadvise(DONTNEED)``
  starts their writeback), so the final fsync does not stall for the whole file.
* Nothing unbounded is taken from a peer: at most ``max_size`` bytes (the space reserved for the
  file) are written, and at most :data:`~.tarutil.MAX_TAIL` bytes after a tar's end marker are
  read (and dropped, a buffer at a time).
* ``http.client`` and socket exceptions — a reset, a read timeout — are translated to
  :class:`~.errors.FetchFailed` (naming the URL, so the caller tries the next one) here and
  nowhere else; only the local file calls are under :func:`~.errors.os_errors`.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Final, final
from urllib.parse import urlsplit

import trio

from .errors import FetchFailed, os_errors
from .fsutil import remove_all
from .tarutil import extract_tar

__all__ = ["BUFFER_SIZE", "CONNECT_TIMEOUT", "READ_TIMEOUT", "DownloadAbort", "download"]

CONNECT_TIMEOUT: Final = 10.0  # seconds
READ_TIMEOUT: Final = 60.0  # seconds without a byte before a transfer is given up
BUFFER_SIZE: Final = 1 << 20  # bytes per read and per write (measured best of 256 KiB…4 MiB)
_WRITEBACK_EVERY: Final = 16 << 20  # bytes written between writeback kicks
_FADVISE: Final = getattr(os, "posix_fadvise", None)  # Linux and most Unixes; not macOS
_TAR: Final = "application/x-tar"
_RAW: Final = "application/octet-stream"


@final
class DownloadAbort:
    """Lets the trio side stop a download that is blocked in ``recv``: it shuts the socket down.

    The download thread checks for cancellation between buffers, but a stalled peer would keep it
    in ``recv`` until :data:`READ_TIMEOUT`; :meth:`abort` (from any thread) ends that wait at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.aborted = False

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.aborted:
                self._shutdown()

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)


class _Body:
    """The response body as ``read``/``fill``, counting bytes and checking for cancellation.

    A socket error or read timeout here is the peer's (or the network's) fault, so it becomes
    :class:`~.errors.FetchFailed` naming the URL, and the caller tries the next one.
    """

    def __init__(self, resp: http.client.HTTPResponse, url: str, check: Callable[[], None]) -> None:
        self._resp = resp
        self._url = url
        self._check = check
        self.count = 0

    def read(self, n: int = -1, /) -> bytes:
        self._check()
        with self._peer_errors():
            data = self._resp.read(None if n < 0 else n)
        self.count += len(data)
        return data

    def fill(self, view: memoryview) -> int:
        """Read until ``view`` is full or the body ends; returns the bytes read."""
        self._check()
        filled = 0
        with self._peer_errors():
            while filled < len(view):
                got = self._resp.readinto(view[filled:])
                if not got:
                    break
                filled += got
                self.count += got
        return filled

    @contextlib.contextmanager
    def _peer_errors(self) -> Iterator[None]:
        try:
            yield
        except (http.client.HTTPException, OSError) as exc:
            raise FetchFailed(
                f"reading from '{self._url:.200}' after {self.count} bytes: {type(exc).__name__}: {exc}"
            ) from exc


def _write_file(body: _Body, target: Path, max_size: int | None) -> int:
    """Write the body to ``target`` one buffer at a time, starting writeback as it goes.

    Only the local calls are under :func:`os_errors`: a failing read is the peer's, not the disk's.
    """
    buf = memoryview(bytearray(BUFFER_SIZE))
    written = flushed = 0
    with os_errors("create", target):
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        while got := body.fill(buf):
            if max_size is not None and written + got > max_size:
                raise FetchFailed(f"peer sent more than {max_size} bytes")
            view = buf[:got]
            with os_errors("write", target):
                while view:
                    done = os.pwrite(fd, view, written)
                    view, written = view[done:], written + done
                if _FADVISE is not None and written - flushed >= _WRITEBACK_EVERY:
                    # On Linux this starts writeback of the range now (and drops its clean pages):
                    # the fsync below then waits for the last few MiB, not the whole file, and
                    # the page cache is not flooded with a file nobody reads soon.
                    _FADVISE(fd, flushed, written - flushed, os.POSIX_FADV_DONTNEED)
                    flushed = written
        with os_errors("fsync", target):
            os.fsync(fd)
    finally:
        os.close(fd)
    return written


def download(
    url: str,
    headers: Mapping[str, str],
    target: Path,
    *,
    is_dir: bool,
    expected_size: int | None = None,
    max_size: int | None = None,
    abort: DownloadAbort | None = None,
    check_cancelled: Callable[[], None] = trio.from_thread.check_cancelled,
) -> int:
    """Blocking: GET ``url`` into ``target`` (a file, or a directory unpacked from a tar).

    Args:
        url: ``http://host:port/remote/<type>/s-t0<miner>-<n>``.
        headers: the ``Authorization`` header to send.
        target: a name that does not exist yet, in the ``fetching/`` directory of the destination.
        is_dir: a cache directory (tar) is expected rather than a file.
        expected_size: the file's size when the caller knows it (sealed: the sector size).
        max_size: the most bytes to write (the space reserved for the file); a peer sending
            more fails this URL rather than filling the disk.
        abort: lets the caller cut a blocked transfer short when it is cancelled.
        check_cancelled: raises when the calling task is cancelled; the trio default needs the
            function to run in ``trio.to_thread.run_sync``.

    Returns:
        Bytes written.

    Raises:
        FetchFailed: the peer is unreachable, answered with an error, or sent something else than
            announced; the message is this URL's reason.
        StorageIOError: the local disk failed.

    Cancellation: stops at the next buffer (at once if ``abort`` is used) and removes ``target``.
    """
    abort = abort or DownloadAbort()
    try:
        return _download(url, headers, target, is_dir, expected_size, max_size, abort, check_cancelled)
    except BaseException as exc:
        remove_all(target)
        if abort.aborted and not isinstance(exc, trio.Cancelled):
            check_cancelled()  # a transfer the abort cut short is a cancelled one, not a failed one
        raise


def _connect(url: str, abort: DownloadAbort) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed(f"unsupported url '{url:.100}'")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, parts.port, timeout=CONNECT_TIMEOUT)
    conn.connect()
    assert conn.sock is not None  # connect() succeeded
    conn.sock.settimeout(READ_TIMEOUT)
    abort.attach(conn.sock)
    return conn, parts.path + (f"?{parts.query}" if parts.query else "")


def _download(
    url: str,
    headers: Mapping[str, str],
    target: Path,
    is_dir: bool,
    expected_size: int | None,
    max_size: int | None,
    abort: DownloadAbort,
    check_cancelled: Callable[[], None],
) -> int:
    want = _TAR if is_dir else _RAW
    try:
        conn, path = _connect(url, abort)
        try:
            conn.request("GET", path, headers=dict(headers))
            resp = conn.getresponse()
            if resp.status != 200:
                reason = resp.read(200).decode("utf-8", "replace").strip()
                raise FetchFailed(f"non-200 code: {resp.status}" + (f" ({reason})" if reason else ""))
            media = (resp.getheader("content-type") or "").split(";")[0].strip()
            if media != want:
                raise FetchFailed(f"unknown content type: '{media}' (want '{want}')")
            declared = resp.getheader("content-length")
            if not is_dir and max_size is not None and declared is not None and declared.isdigit():
                if int(declared) > max_size:  # a tar's headers make its length vary: counted as written
                    raise FetchFailed(f"peer sent more than {max_size} bytes (announced {declared})")
            body = _Body(resp, url, check_cancelled)
            if is_dir:
                # extract_tar also drains what follows the end marker, so the count is complete.
                written = extract_tar(body, target, bufsize=BUFFER_SIZE, max_size=max_size)
            else:
                written = _write_file(body, target, max_size)
        finally:
            conn.close()
    except (http.client.HTTPException, OSError) as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from exc
    if declared is not None and declared.isdigit() and body.count != int(declared):
        raise FetchFailed(f"short transfer: got {body.count} of {declared} bytes")
    if expected_size is not None and written != expected_size:
        raise FetchFailed(f"size mismatch: got {written} bytes, expected {expected_size}")
    return written
