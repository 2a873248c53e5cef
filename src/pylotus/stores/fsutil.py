"""Blocking filesystem work on storage paths: statfs, disk usage, ``sectorstore.json``, moves.

Counterpart: Lotus ``storage/sealer/fsutil`` (``Statfs``, ``FileSize``/``DiskUsage``) and the
metadata handling of ``storage/paths/local.go``.  Every function here blocks; async callers run them
with ``trio.to_thread.run_sync``.  ``OSError`` leaves this module only as
:class:`~.errors.StorageIOError` (or :class:`~.errors.InvalidStoragePath` where the path itself is
the problem).

Rules of the file: a file that other processes read (``sectorstore.json``) is written to a
temporary name, fsynced and renamed into place (DESIGN.md, persistence).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Final

from ..durable import fsync_dir as fsync_dir
from .errors import InvalidStoragePath, InvalidStorageValue, StorageIOError, os_errors
from .storiface import LocalStorageMeta

__all__ = [
    "FETCH_TEMP_SUBDIR",
    "META_FILE",
    "create_meta",
    "disk_usage",
    "fsync_dir",
    "move_into_place",
    "read_meta",
    "remove_all",
    "statfs",
    "write_all",
]

META_FILE: Final = "sectorstore.json"  # Lotus paths.MetaFile
FETCH_TEMP_SUBDIR: Final = "fetching"  # Lotus paths.FetchTempSubdir: in-flight downloads
_BLOCK: Final = 512  # st_blocks unit


def statfs(path: Path) -> tuple[int, int]:
    """``(capacity, available)`` in bytes of the filesystem holding ``path``, as non-root sees it."""
    with os_errors("stat filesystem of", path):
        st = os.statvfs(path)
    return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize


def disk_usage(path: Path) -> int:
    """Bytes ``path`` really occupies (allocated blocks, recursively; sparse files count what is written).

    Raises:
        FileNotFoundError: ``path`` does not exist (callers reserve space before files exist).
        StorageIOError: any other failure.
    """
    try:
        st = path.lstat()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StorageIOError(f"cannot stat '{path}': {exc.strerror or exc}") from exc
    total = st.st_blocks * _BLOCK
    if not path.is_dir() or path.is_symlink():
        return total
    with os_errors("list", path):
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                with contextlib.suppress(FileNotFoundError):  # removed while we walk
                    total += os.lstat(os.path.join(root, name)).st_blocks * _BLOCK
    return total


def read_meta(path: Path) -> LocalStorageMeta:
    """The path's ``sectorstore.json``.

    Raises:
        InvalidStoragePath: missing, unreadable or malformed; the message says how to initialize it.
    """
    meta_path = path / META_FILE
    try:
        raw = meta_path.read_bytes()
    except FileNotFoundError:
        raise InvalidStoragePath(
            f"storage path '{path}' has no {META_FILE}; "
            f"initialize it with 'storage attach --init --seal|--store {path}'"
        ) from None
    except OSError as exc:
        raise InvalidStoragePath(f"cannot read '{meta_path}': {exc.strerror or exc}") from exc
    try:
        return LocalStorageMeta.from_json(json.loads(raw))
    except (ValueError, InvalidStorageValue) as exc:
        raise InvalidStoragePath(f"storage metadata '{meta_path}' is malformed: {exc}") from exc


def create_meta(path: Path, meta: LocalStorageMeta) -> None:
    """Write ``sectorstore.json`` into ``path`` unless one exists (2-space indent, as Lotus).

    The file is written under a temporary name, fsynced, then hard-linked into place: the link
    fails if another ``attach --init`` won the race, and nobody ever reads half a file.

    Raises:
        InvalidStoragePath: ``path is already initialized``.
        StorageIOError: the directory cannot be written.
    """
    target = path / META_FILE
    tmp = path / f".{META_FILE}.tmp-{secrets.token_hex(6)}"
    data = json.dumps(meta.to_json(), indent=2).encode()
    with os_errors("write", target):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise InvalidStoragePath(f"path '{path}' is already initialized") from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        fsync_dir(path)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def remove_all(path: Path) -> None:
    """``rm -rf path``; a missing path is fine (Lotus ``os.RemoveAll``)."""
    with os_errors("remove", path):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def move_into_place(src: Path, dst: Path) -> None:
    """Rename ``src`` (file or directory) to ``dst``, replacing whatever was there, durably.

    Both live on one storage path, so this is a rename; across filesystems it falls back to
    copy-then-delete (Lotus ``move``).
    """
    with os_errors("move into place", dst):
        remove_all(dst)
        try:
            os.rename(src, dst)
        except OSError as exc:
            if exc.errno != errno.EXDEV:  # another filesystem
                raise
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
            remove_all(src)
        fsync_dir(dst.parent)
