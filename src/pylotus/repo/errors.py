"""The errors of the repo package: one root, subclasses by cause.

Lotus counterpart: the ``xerrors`` values of ``node/repo/fsrepo.go`` (``ErrRepoExists``,
``ErrNoAPIEndpoint``, ``ErrRepoAlreadyLocked``), ``node/repo/fsrepo.go: diskKeyStore``
(``ErrKeyInfoNotFound``, ``ErrKeyExists``, the "too relaxed" permission message) and
``node/config/load.go``.

::

    PylotusError
    └── RepoError                     any repo failure, including file I/O in the repo
        ├── RepoAlreadyInitialized    init() on a repo that already has datastore/ or keystore/
        ├── RepoNotInitialized        lock() on a repo that was never initialized
        ├── RepoLocked                another open file (process) holds repo.lock
        ├── KeystoreError             a key file is unreadable or corrupt
        │   ├── KeyNotFound           no key of that name
        │   ├── KeyExists             put() of a name that is taken (keys are never overwritten)
        │   └── KeyPermissionsTooRelaxed   a key file readable by group or others
        ├── DatastoreError            LevelDB refused: locked by another process, corrupt, I/O
        └── InvalidConfig             config.toml or storage.json cannot be parsed or has unknown keys

Messages follow Lotus (see ``pylotus.errors``): one line, lower-case, values quoted, a hint.
Foreign exceptions (``OSError``, ``plyvel.Error``, tomlkit's ``ParseError``) never leave this
package; each module maps them where it calls the foreign code, ``raise … from exc``.
"""

from __future__ import annotations

from pathlib import Path

from pylotus.errors import PylotusError

__all__ = [
    "DatastoreError",
    "InvalidConfig",
    "KeyExists",
    "KeyNotFound",
    "KeyPermissionsTooRelaxed",
    "KeystoreError",
    "RepoAlreadyInitialized",
    "RepoError",
    "RepoLocked",
    "RepoNotInitialized",
]


class RepoError(PylotusError):
    """A repo operation failed; the message names the path and what to do."""


class RepoAlreadyInitialized(RepoError):
    """``init`` found ``datastore/`` or ``keystore/``: initializing again would mix two identities."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"repo at '{path}' is already initialized")
        self.path = path


class RepoNotInitialized(RepoError):
    """``lock`` found no repo; the hint names the command that creates one for this repo kind."""

    def __init__(self, path: Path, init_hint: str) -> None:
        super().__init__(f"repo at '{path}' is not initialized, {init_hint}")
        self.path = path


class RepoLocked(RepoError):
    """Another holder has ``repo.lock``.

    ``pid`` and ``started`` are ``None`` if it had not yet said who it is.
    """

    def __init__(self, path: Path, program: str, pid: int | None, started: str | None) -> None:
        if pid is None:
            holder = "another process"
        else:
            holder = f"pid {pid} (started {started or 'at an unknown time'})"
        super().__init__(f"repo at '{path}' is locked by {holder}; is another {program} running?")
        self.path = path
        self.pid = pid
        self.started = started


class KeystoreError(RepoError):
    """A keystore entry cannot be read, written or decoded."""


class KeyNotFound(KeystoreError):
    """No key file for the name (Lotus ``types.ErrKeyInfoNotFound``)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"key '{name}' not found in keystore")
        self.name = name


class KeyExists(KeystoreError):
    """``put`` refuses to replace a key: losing a private key is not undoable (Lotus ``ErrKeyExists``)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"key '{name}' already exists")
        self.name = name


class KeyPermissionsTooRelaxed(KeystoreError):
    """A key file has group/other permission bits; Lotus refuses to use it, and so do we.

    ``mode`` is the permission bits found; the message prints them as Go's ``%#o`` does (``0644``).
    """

    def __init__(self, name: str, mode: int) -> None:
        super().__init__(f"permissions of key: '{name}' are too relaxed, required: 0600, got: 0{mode:o}")
        self.name = name
        self.mode = mode


class DatastoreError(RepoError):
    """LevelDB refused an operation; the message names the datastore path."""


class InvalidConfig(RepoError):
    """A config file (``config.toml``, ``storage.json``) is malformed, mistyped or has unknown keys."""
