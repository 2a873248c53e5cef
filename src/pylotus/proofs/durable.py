"""Durable file writes for the proof kernels: synced data, atomic renames, synced directories.

Sealing state must survive a power cut (DESIGN.md: nothing acknowledged is ever lost): a file is
written under a temporary name, synced, renamed over its final name, and the directory synced so the
rename itself is on disk.  One copy of that recipe for the parent cache, PreCommit2 and ``p_aux``.
"""

from __future__ import annotations

import errno
import os
import shutil
from contextlib import ExitStack
from pathlib import Path

__all__ = ["fsync_dir", "move_into_place", "open_fd", "pwrite_all", "write_atomically", "write_synced"]


def fsync_dir(directory: Path) -> None:
    """Make renames and new names in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a synced temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
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
