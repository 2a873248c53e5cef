"""The filesystem repo: initializing it, locking it, and the files of an opened (locked) repo.

Lotus counterpart: ``node/repo/fsrepo.go`` (``FsRepo``, ``fsLockedRepo``) and
``fsrepo_ds.go``; the layout is reference/lotus-miner.md §2.1::

    <repo>/
      config.toml        commented defaults (config.py)                       0644
      api                the API multiaddr, no newline                        0644
      token              the API's admin JWT, raw bytes, no newline           0600
      storage.json       {"StoragePaths": [{"Path": "/abs"}]}                 0644
      keystore/          one file per key (keystore.py)                       0700
      datastore/<name>/  LevelDB, e.g. datastore/metadata (datastore.py)      0755
      repo.lock          held while a process has the repo open (lock.py)

Two objects, as in Lotus: :class:`FsRepo` is a path and a kind and can only answer "does it
exist", create it, or lock it; everything that reads or writes the repo's state needs the
:class:`LockedRepo` that :meth:`FsRepo.lock` returns, so one process at a time changes it.
Clients that only *read* where the API is (``api``, ``token``) use :func:`read_api_info`, which
takes no lock, because the daemon holding the lock is exactly who they want to reach.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import final

from .config import ConfigDict, load_config, write_default_config
from .datastore import Datastore
from .errors import InvalidConfig, RepoAlreadyInitialized, RepoNotInitialized
from .files import os_errors, read_optional, write_atomic
from .keystore import KEYSTORE_DIR_MODE, Keystore
from .kind import RepoType
from .lock import RepoLock, acquire_repo_lock

__all__ = ["FsRepo", "LockedRepo", "read_api_info"]

log = logging.getLogger(__name__)

CONFIG_FILE = "config.toml"
API_FILE = "api"
TOKEN_FILE = "token"
STORAGE_FILE = "storage.json"
KEYSTORE_DIR = "keystore"
DATASTORE_DIR = "datastore"
DIR_MODE = 0o755


def _as_path(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser()


@final
class FsRepo:
    """A repo directory of a given kind, opened or not (Lotus ``FsRepo``)."""

    def __init__(self, path: str | os.PathLike[str], kind: RepoType) -> None:
        self.path = _as_path(path)
        self.kind = kind

    def __repr__(self) -> str:
        return f"FsRepo({str(self.path)!r}, {self.kind})"

    def exists(self) -> bool:
        """Whether ``datastore/`` or ``keystore/`` exists (Lotus ``Exists``).

        A directory with only ``config.toml`` in it does not count: an operator may prepare the
        config before the first ``init``.
        """
        return (self.path / DATASTORE_DIR).exists() or (self.path / KEYSTORE_DIR).exists()

    def init(self) -> None:
        """Create the repo: directory, ``config.toml`` (commented defaults), ``keystore/``, ``datastore/``.

        An existing ``config.toml`` is kept, as Lotus's ``initConfig`` keeps it.

        Raises:
            RepoAlreadyInitialized: :meth:`exists` is true.
            RepoError: a directory or file cannot be created.
        """
        if self.exists():
            raise RepoAlreadyInitialized(self.path)
        log.info("initializing repo path=%s kind=%s", self.path, self.kind.value)
        with os_errors("create directory", self.path):
            self.path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        config = self.path / CONFIG_FILE
        if not config.exists():
            write_default_config(config, self.kind)
        keystore = self.path / KEYSTORE_DIR
        with os_errors("create directory", keystore):
            keystore.mkdir(mode=KEYSTORE_DIR_MODE)
            keystore.chmod(KEYSTORE_DIR_MODE)  # exactly 0700, whatever the umask allowed
        datastore = self.path / DATASTORE_DIR
        with os_errors("create directory", datastore):
            datastore.mkdir(mode=DIR_MODE)

    def lock(self) -> LockedRepo:
        """Open the repo for this process alone.

        Raises:
            RepoNotInitialized: the repo does not exist; the message says how to create it.
            RepoLocked: another holder has it; the message names its PID and start time.
        """
        if not self.exists():
            raise RepoNotInitialized(self.path, self.kind.init_hint)
        return LockedRepo(self.path, self.kind, acquire_repo_lock(self.path, self.kind.program))

    def open_or_init(self) -> LockedRepo:
        """Lock the repo, creating it first if it does not exist (``pylotus daemon``'s first start).

        The lock is taken *before* the existence check, so two processes starting on a fresh
        path cannot both initialise it: the loser gets :class:`RepoLocked`, not a half-made
        repo or a confusing "file exists".

        Raises:
            RepoLocked: another holder has it.
            RepoError: the directory or its files cannot be created.
        """
        with os_errors("create directory", self.path):
            self.path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        repo_lock = acquire_repo_lock(self.path, self.kind.program)
        try:
            if not self.exists():
                self.init()
        except BaseException:
            repo_lock.release()
            raise
        return LockedRepo(self.path, self.kind, repo_lock)


@final
class LockedRepo:
    """An opened repo (Lotus ``fsLockedRepo``); use as a context manager or call :meth:`close`.

    Resources: owns the repo lock and every datastore it opened; :meth:`close` closes the
    datastores first, then releases the lock, on every exit path of a ``with`` block.
    Not thread-safe: one owner (the daemon's main task) opens and closes it.
    """

    def __init__(self, path: Path, kind: RepoType, repo_lock: RepoLock) -> None:
        self.path = path
        self.kind = kind
        self._lock = repo_lock
        self._datastores: dict[str, Datastore] = {}
        self.keystore = Keystore(path / KEYSTORE_DIR)

    def __repr__(self) -> str:
        state = "open" if self._lock.is_held else "closed"
        return f"LockedRepo({str(self.path)!r}, {self.kind}, {state})"

    def _check_open(self) -> None:
        if not self._lock.is_held:
            raise RuntimeError("the repo is closed")

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return not self._lock.is_held

    # -- datastores ----------------------------------------------------------------------

    def datastore(self, name: str = "metadata") -> Datastore:
        """The LevelDB datastore ``<repo>/datastore/<name>``, opened on first use and cached.

        ``name`` may be spelt as Lotus does (``/metadata``).

        Raises:
            DatastoreError: LevelDB cannot open it (corrupt, or held by another process).
        """
        self._check_open()
        clean = name.strip("/")
        if not clean or "/" in clean or clean in (".", ".."):
            raise ValueError(f"datastore name must be a single path component, got {name!r}")
        store = self._datastores.get(clean)
        if store is None:
            store = Datastore(self.path / DATASTORE_DIR / clean)
            self._datastores[clean] = store
        return store

    # -- api and token -------------------------------------------------------------------

    def set_api_endpoint(self, multiaddr: str) -> None:
        """Write ``api``: the multiaddr clients dial (``/ip4/127.0.0.1/tcp/2345/http``), no newline."""
        self._check_open()
        write_atomic(self.path / API_FILE, multiaddr.encode("utf-8"), mode=0o644)

    def clear_api_endpoint(self) -> None:
        """Remove ``api`` when the daemon stops listening (Lotus's ``lockedRepo.Close``).

        A stale ``api`` file would send clients to a port nobody serves, or to someone else's.
        """
        self._check_open()
        try:
            (self.path / API_FILE).unlink()
        except FileNotFoundError:
            pass

    def api_endpoint(self) -> str | None:
        """The content of ``api``, or ``None`` if the daemon has not written it."""
        self._check_open()
        return _read_api(self.path)

    def set_api_token(self, token: bytes) -> None:
        """Write ``token``: the raw JWT, no newline, mode 0600 from the moment the file exists."""
        self._check_open()
        write_atomic(self.path / TOKEN_FILE, bytes(token), mode=0o600)

    def api_token(self) -> bytes | None:
        """The content of ``token``, or ``None``."""
        self._check_open()
        return _read_token(self.path)

    # -- config --------------------------------------------------------------------------

    def config(self) -> ConfigDict:
        """``config.toml`` merged over this kind's defaults (see :func:`load_config`).

        Raises:
            InvalidConfig: syntax error (file and line named), unknown key, or wrong type.
        """
        self._check_open()
        return load_config(self.path / CONFIG_FILE, self.kind)

    def storage_config(self) -> list[str]:
        """The storage paths in ``storage.json``; a missing file means none.

        Raises:
            InvalidConfig: the file is not ``{"StoragePaths": [{"Path": "<str>"}, …]}``.
        """
        self._check_open()
        path = self.path / STORAGE_FILE
        raw = read_optional(path)
        if raw is None:
            return []
        try:
            paths = _parse_storage_paths(raw)
        except ValueError as exc:
            raise InvalidConfig(
                f"storage config '{path}' is malformed: {exc}; "
                'expected {"StoragePaths": [{"Path": "/abs/path"}]}'
            ) from exc
        return paths

    def set_storage_config(self, paths: list[str]) -> None:
        """Replace ``storage.json`` with ``paths``, each made absolute (``~`` expanded), 2-space indent."""
        self._check_open()
        entries = [{"Path": os.path.abspath(os.path.expanduser(p))} for p in paths]
        data = json.dumps({"StoragePaths": entries}, indent=2).encode()
        write_atomic(self.path / STORAGE_FILE, data, mode=0o644)

    # -- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Close every datastore, then release the lock; a second call does nothing.

        The lock is released even if closing a datastore fails (that error is then raised).
        """
        if not self._lock.is_held:
            return
        stores, self._datastores = list(self._datastores.values()), {}
        try:
            for store in stores:
                store.close()
        finally:
            self._lock.release()
        log.debug("repo closed path=%s", self.path)

    def __enter__(self) -> LockedRepo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_api_info(path: str | os.PathLike[str]) -> tuple[str | None, bytes | None]:
    """``(api multiaddr, token)`` of the repo at ``path``, without locking; ``None`` for a missing file.

    For clients (CLI commands), which read these while the daemon holds the lock.  Both files are
    replaced atomically by the daemon, so a reader never sees half a value.

    Raises:
        RepoError: a file exists but cannot be read, or ``api`` is not UTF-8.
    """
    repo = _as_path(path)
    return _read_api(repo), _read_token(repo)


def _read_api(repo: Path) -> str | None:
    # Trimmed as Lotus's APIEndpoint trims: a hand-edited file with a newline still works.
    path = repo / API_FILE
    raw = read_optional(path)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise InvalidConfig(f"api file '{path}' is not utf-8 text; delete it and restart the daemon") from exc


def _read_token(repo: Path) -> bytes | None:
    raw = read_optional(repo / TOKEN_FILE)
    return None if raw is None else raw.strip()


def _parse_storage_paths(raw: bytes) -> list[str]:
    """The ``Path`` of each entry of ``storage.json``; ValueError says what is wrong."""
    doc = json.loads(raw)  # json.JSONDecodeError is a ValueError
    if not isinstance(doc, dict):
        raise ValueError("not a json object")
    entries = doc.get("StoragePaths")
    if entries is None:  # Go writes a nil slice as null
        return []
    if not isinstance(entries, list):
        raise ValueError("'StoragePaths' is not a list")
    paths = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("Path"), str):
            raise ValueError("an entry of 'StoragePaths' has no string 'Path'")
        paths.append(entry["Path"])
    return paths
