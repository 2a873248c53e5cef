"""The errors of :mod:`pylotus.stores`: storage paths, the sector index, locks and fetches.

The tree, httpx-style::

    PylotusError
    └── StoresError                 any refused or failed storage operation
        ├── StorageNotFound         an unknown storage path ID ("sector store not found")
        ├── SectorNotFound          no copy of a sector file where it was looked for
        ├── NoSpace                 no path with room, or a reservation refused     [Temporary]
        ├── InvalidStoragePath      a path without (or with a broken) sectorstore.json, a relative
        │                           path, a path already attached or initialized
        ├── InvalidStorageValue     a storage wire value (StorageInfo, FsStat, …) not in Lotus's shape
        ├── InvalidLockRequest      a sector lock asked for unknown file types
        ├── FetchFailed             every URL of every copy failed; each URL's error is kept [Temporary]
        └── StorageIOError          the filesystem under a storage path failed (OSError mapped)

Messages follow STYLE.md: one line, lower case, values quoted, Lotus's own wording where Lotus has
one (``sector store not found``, ``no good path found``, ``health report for unknown storage``), and
a hint of what to do when there is one.  ``OSError`` is mapped to :class:`StorageIOError` by
:func:`os_errors` and nowhere else in this package.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from ..errors import PylotusError, Temporary

__all__ = [
    "FetchFailed",
    "InvalidLockRequest",
    "InvalidStoragePath",
    "InvalidStorageValue",
    "NoSpace",
    "SectorNotFound",
    "StorageIOError",
    "StorageNotFound",
    "StoresError",
    "os_errors",
]


class StoresError(PylotusError):
    """Root of every error raised by :mod:`pylotus.stores`."""


class StorageNotFound(StoresError):
    """A storage path ID the index (or this process) does not know."""


class SectorNotFound(StoresError):
    """No copy of the requested sector file exists where it was looked for."""


class NoSpace(StoresError, Temporary):
    """No storage path can take the files (Lotus ``ErrTempAllocateSpace``); may pass once space frees."""


class InvalidStoragePath(StoresError):
    """A storage path that cannot be opened or attached: missing or malformed ``sectorstore.json``,
    not absolute, already attached, or already initialized."""


class InvalidStorageValue(StoresError):
    """A JSON value that is not the Lotus shape of a storage type (``StorageInfo``, ``FsStat``, …)."""


class InvalidLockRequest(StoresError):
    """A sector lock request naming file types that do not exist (``unknown file types specified``)."""


class FetchFailed(StoresError, Temporary):
    """A sector file could not be fetched from any URL; the message lists every URL's error."""


class StorageIOError(StoresError):
    """A filesystem operation under a storage path failed (permission, disk full, I/O error)."""


def _reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[:1].lower() + reason[1:]


@contextlib.contextmanager
def os_errors(what: str, path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an ``OSError`` raised in the block into ``StorageIOError: cannot <what> '<path>': <reason>``.

    The one boundary between the filesystem and this package's callers.
    """
    try:
        yield
    except OSError as exc:
        raise StorageIOError(f"cannot {what} '{os.fspath(path)}': {_reason(exc)}") from exc
