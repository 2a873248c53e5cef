"""How the repo touches small files: atomic replace, exclusive create, optional read, OSError mapping.

Lotus counterpart: ``node/repo/fsrepo.go`` writes ``api``/``token`` with ``ioutil.WriteFile`` and
the keystore with ``O_CREATE|O_EXCL``; pylotus keeps those permissions but follows DESIGN.md
("files are written to a temporary name and renamed into place"), so a crash at any instant
leaves either the old content or the new one, never half a file.

Rules for this module:

* a temporary file is created next to its target (same directory, so ``rename``/``link`` stay
  on one filesystem) with the final mode from the start: a secret is never readable by others,
  not even while it is being written;
* the data is fsynced before the rename and the directory after it, so an acknowledged write
  survives power loss;
* every ``OSError`` is turned into a :class:`~pylotus.repo.errors.RepoError` by
  :func:`os_errors`, the one boundary for the filesystem in this package.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..durable import fsync_dir, temp_name, write_atomically, write_new
from .errors import RepoError

__all__ = ["create_exclusive", "describe_os_error", "os_errors", "read_optional", "write_atomic"]


def describe_os_error(exc: OSError) -> str:
    """``exc`` as a lower-case phrase for a one-line message (``permission denied``)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[:1].lower() + reason[1:]


@contextlib.contextmanager
def os_errors(what: str, path: Path, hint: str = "check the path and its permissions") -> Iterator[None]:
    """Turn an ``OSError`` raised in the block into ``RepoError: cannot <what> '<path>': <reason>; <hint>``.

    Args:
        what: the verb phrase for the failed action (``write``, ``create directory``).
        path: the file or directory the action was about.
        hint: what the operator should do.
    """
    try:
        yield
    except OSError as exc:
        raise RepoError(f"cannot {what} '{path}': {describe_os_error(exc)}; {hint}") from exc


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: readers see the old file or the new one, never a mix.

    The temporary file has ``mode`` from creation, so ``token`` (0600) is never world-readable.

    Raises:
        RepoError: the directory is missing or not writable, or the disk is full.
    """
    with os_errors("write", path):
        write_atomically(path, data, mode)


def create_exclusive(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Create ``path`` with ``data`` unless it exists; atomic and exclusive at once.

    The data goes to a temporary file first (``O_EXCL``, ``mode`` from creation, fsynced), which
    is then hard-linked to ``path``: ``link`` fails if ``path`` exists, so two writers cannot both
    win, and nobody ever sees a half-written file (which ``O_EXCL`` on ``path`` itself would show).

    Returns:
        ``True`` if the file was created, ``False`` if ``path`` already existed (nothing written).

    Raises:
        RepoError: any other filesystem failure.
    """
    tmp = temp_name(path)
    with os_errors("write", path):
        write_new(tmp, data, mode)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        fsync_dir(path.parent)
    return True


def read_optional(path: Path) -> bytes | None:
    """The content of ``path``, or ``None`` if it does not exist.

    Raises:
        RepoError: it exists but cannot be read.
    """
    with os_errors("read", path):
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
