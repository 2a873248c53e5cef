"""Durable file writes: synced data, atomic renames, synced directories.

Nothing acknowledged may be lost on a crash (DESIGN.md): a file is written under a temporary name,
synced, renamed over its final name, and the directory synced so the rename itself is on disk.  This
module sits on the ground floor beside ``errors`` so that every package (``proofs`` for sealing
state, ``repo`` for its files, ``stores`` for fetched sectors) uses one copy of the recipe.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from contextlib import ExitStack
from pathlib import Path

__all__ = [
    "fsync_dir",
    "move_into_place",
    "open_fd",
    "pwrite_all",
    "temp_name",
    "write_atomically",
    "write_new",
    "write_synced",
]


def fsync_dir(directory: Path) -> None:
    """Make renames and new names in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    """A temporary name beside ``path``: dot-prefixed so listings skip it, random so writers never collide."""
    return path.with_name(f".{path.name}.tmp-{secrets.token_hex(6)}")


def write_new(path: Path, data: bytes | bytearray, mode: int) -> None:
    """Create ``path`` (must not exist) with exactly ``mode`` and ``data``, fsynced; remove it on failure."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have cleared bits of ``mode``
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def write_atomically(path: Path, data: bytes | bytearray, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: readers see the old file or the new one, never a mix.

    The temporary file has ``mode`` from creation, so a secret (0600) is never world-readable.
    """
    tmp = temp_name(path)
    write_new(tmp, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def move_into_place(src: Path, dst: Path) -> None:
    """Rename ``src`` over ``dst`` atomically; across filesystems, copy beside ``dst`` first.

    A sector's cache and sealed directories normally share a storage path (one filesystem); when
    they do not, the copy goes to ``dst``'s directory under a temporary name, is synced, and is then
    renamed, so ``dst`` is never seen half written.
    """
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = dst.with_name(dst.name + ".tmp")
        shutil.copyfile(src, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dst)
        src.unlink()
    fsync_dir(dst.parent)


def write_synced(path: Path, data: bytes | bytearray) -> None:
    """Write ``data`` to ``path`` (replacing it in place) and sync it; for files a later step checks."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def pwrite_all(fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    """``os.pwrite`` until every byte of ``data`` is at ``offset`` (pwrite may write less)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def open_fd(stack: ExitStack, path: Path, flags: int = os.O_RDONLY) -> int:
    """``os.open`` whose descriptor ``stack`` closes."""
    fd = os.open(path, flags)
    stack.callback(os.close, fd)
    return fd
