"""Cache directories over HTTP: a tar stream of a directory's files, and its safe extraction.

Counterpart: Lotus ``storage/sealer/tarutil`` (``TarDirectory``, ``ExtractTar``): a sector's cache
directory travels as a tar of its **top-level regular files**, entries named by bare file name, no
recursion (reference/lotus-miner.md §5.1).  Lotus streams it chunked; we compute the exact length up
front (headers are built before any byte is sent) so the response carries ``Content-Length`` and the
fetcher can verify it got every byte.  A Lotus fetcher reads it the same.

Rules of the file:

* The writer is a plain ``read(n)`` object over headers, file bytes and padding, so the HTTP handler
  streams a directory exactly as it streams a file.  A file that shrinks while it is sent is an
  error, never a short member.
* The reader trusts nothing: only regular files with bare names (no ``/``, no ``..``, no NUL) are
  written, each created exclusively inside the destination, so a hostile or broken peer cannot
  write outside it (no links, devices or absolute paths).
* Both sides block; callers run them in a thread.
"""

from __future__ import annotations

import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Protocol

from .errors import FetchFailed, StorageIOError, os_errors
from .fsutil import fsync_dir, write_all

__all__ = ["MAX_TAIL", "TarMember", "TarStream", "extract_tar", "plan_tar"]

_BLOCK: Final = 512
_END: Final = b"\0" * (2 * _BLOCK)  # two zero blocks end an archive (Go writes no record padding)
_COPY_CHUNK: Final = 1 << 20
MAX_TAIL: Final = 10240 + 2 * _BLOCK  # GNU tar pads to 10 KiB records; Go pads nothing


@dataclass(frozen=True)
class TarMember:
    """One file of a planned tar: its header block(s), where it is, and its size."""

    header: bytes
    path: Path
    size: int

    @property
    def length(self) -> int:
        return len(self.header) + self.size + (-self.size % _BLOCK)


def plan_tar(directory: Path) -> list[TarMember]:
    """Blocking: the members of ``directory``'s tar (top-level regular files, sorted by name)."""
    members = []
    with os_errors("list", directory):
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            info = tarfile.TarInfo(entry.name)
            info.size, info.mode, info.mtime = st.st_size, st.st_mode & 0o777, int(st.st_mtime)
            # PAX only adds an extended header when a value does not fit ustar (files ≥ 8 GiB).
            header = info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")
            members.append(TarMember(header, Path(entry.path), st.st_size))
    return members


class TarStream:
    """``read(n)`` over the tar of planned members; ``length`` is its exact size in bytes.

    Resources: holds at most one member file open; :meth:`close` closes it.
    """

    def __init__(self, members: list[TarMember]) -> None:
        self.length = sum(m.length for m in members) + len(_END)
        self._members = list(reversed(members))
        self._pending = b""
        self._file: BinaryIO | None = None
        self._left = 0  # bytes of the open member still to read
        self._pad = 0
        self._ended = False

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; ``b""`` at the end.

        Raises:
            StorageIOError: a member file shrank or could not be read while being sent.
        """
        while not self._pending:
            if not self._refill(n):
                return b""
        out, self._pending = self._pending[:n], self._pending[n:]
        return out

    def _refill(self, n: int) -> bool:
        if self._file is not None:
            data = self._file.read(min(n, self._left))
            if not data:
                raise StorageIOError(f"'{self._file.name!s}' shrank while it was being sent")
            self._left -= len(data)
            self._pending = data
            if self._left == 0:
                self._file.close()
                self._file = None
                self._pending += b"\0" * self._pad
            return True
        if self._members:
            member = self._members.pop()
            self._pending = member.header
            if member.size:
                with os_errors("open", member.path):
                    self._file = open(member.path, "rb")  # noqa: SIM115 - closed when fully read or by close()
                self._left, self._pad = member.size, -member.size % _BLOCK
            return True
        if not self._ended:
            self._ended = True
            self._pending = _END
            return True
        return False

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


def extract_tar(
    source: _Readable,
    dest: Path,
    *,
    bufsize: int = _COPY_CHUNK,
    max_size: int | None = None,
    max_tail: int = MAX_TAIL,
) -> int:
    """Blocking: unpack a tar stream into the new directory ``dest``; returns the bytes written.

    ``bufsize`` is how much is read from ``source`` at a time (tarfile's default is 10 KiB, far
    too small for multi-GiB tree files).  After the end marker the rest of ``source`` is read
    and dropped, ``bufsize`` at a time, so its byte count is complete; more than ``max_tail``
    bytes there is refused.  The directory is fsynced before returning, so a rename that follows
    cannot outlive its entries in a crash.

    Args:
        max_size: the most file bytes to write (the space reserved); ``None``: no cap.
        max_tail: bytes allowed after the end marker (record padding of other tar writers).

    Raises:
        FetchFailed: the stream is not a tar, is cut short, has a member that is not a regular
            file with a bare name, holds more than ``max_size`` bytes, or goes on after its end.
        StorageIOError: ``dest`` cannot be written.
    """
    with os_errors("create directory", dest):
        dest.mkdir(mode=0o755)
    counted = _Counted(source)
    written = 0
    try:
        with tarfile.open(fileobj=counted, mode="r|", bufsize=bufsize) as archive:  # type: ignore[call-overload]  # a stream, not a file
            for member in archive:
                _check_member(member)
                if max_size is not None and written + member.size > max_size:
                    raise FetchFailed(f"peer sent more than {max_size} bytes")
                data = archive.extractfile(member)
                assert data is not None  # a regular file always has data
                written += _write_member(data, dest / member.name, member.mode & 0o777)
            end = archive.offset + len(_END)  # offset: where the (zero) header that ended it starts
    except tarfile.TarError as exc:
        raise FetchFailed(f"bad tar stream: {exc}") from exc
    _drain_tail(counted, end, bufsize, max_tail)
    with os_errors("sync directory", dest):
        fsync_dir(dest)
    return written


class _Counted:
    """``read`` over a source, counting what it returned (tarfile reads ahead of what it parsed)."""

    def __init__(self, source: _Readable) -> None:
        self._source = source
        self.count = 0

    def read(self, n: int = -1, /) -> bytes:
        data = self._source.read(n)
        self.count += len(data)
        return data


def _drain_tail(source: _Counted, end: int, bufsize: int, max_tail: int) -> None:
    while True:
        if source.count - end > max_tail:
            raise FetchFailed(f"more than {max_tail} bytes after the end of the tar stream")
        if not source.read(bufsize):
            return


def _check_member(member: tarfile.TarInfo) -> None:
    name = member.name
    if not member.isreg():
        raise FetchFailed(f"refusing tar member '{name:.100}': not a regular file")
    if not name or "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
        raise FetchFailed(f"refusing tar member '{name:.100}': not a bare file name")


def _write_member(data: BinaryIO, target: Path, mode: int) -> int:
    # Only the local calls are under os_errors: a failing read is the peer's (FetchFailed).
    written = 0
    with os_errors("create", target):
        fd = os.open(
            target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode or 0o644
        )
    try:
        while chunk := data.read(_COPY_CHUNK):
            with os_errors("write", target):
                write_all(fd, chunk)
            written += len(chunk)
        with os_errors("fsync", target):
            os.fsync(fd)
    finally:
        os.close(fd)
    return written
