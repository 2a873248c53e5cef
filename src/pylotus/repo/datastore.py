"""The repo's metadata datastore: LevelDB (plyvel) under string keys, synced writes, namespaces.

Lotus counterpart: ``node/repo/fsrepo_ds.go`` (``levelDs``: go-ds-leveldb with
``Compression: NoCompression, Strict: StrictAll``) opened by ``LockedRepo.Datastore("/metadata")``,
and go-datastore's ``namespace.Wrap``.  Keys are go-datastore keys: slash-separated strings such as
``/miner-address``, ``/storage/nextid``, ``/sectors/5``; they are stored as their UTF-8 bytes so a
Lotus tool reading the LevelDB sees the same keys.

Durability: every write is ``sync=True`` (fsync of the LevelDB log), and :meth:`Datastore.batch`
applies many writes as one synced LevelDB write batch, all or nothing, so "persist, then act"
(DESIGN.md) holds across a crash at any instant.

Blocking: every call blocks the calling thread.  LevelDB is fast (a synced put is one fsync), so
short calls are made directly; trio code that writes large batches or scans long prefixes wraps
them in ``trio.to_thread.run_sync``.  plyvel is thread-safe, but a :class:`Batch` is not: build it
in one thread.

Only one process may open a LevelDB directory (LevelDB's own ``LOCK`` file); a second opener gets
:class:`~pylotus.repo.errors.DatastoreError`, which normally cannot happen because the repo lock
is taken first.
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import final

import plyvel

from .errors import DatastoreError

__all__ = ["Batch", "Datastore", "Namespace", "clean_key"]

log = logging.getLogger(__name__)


def clean_key(key: str) -> str:
    """``key`` as go-datastore's ``NewKey`` cleans it: one leading ``/``, no trailing ``/``, no ``//``.

    ``"miner-address"`` → ``"/miner-address"``; ``"/sectors//5/"`` → ``"/sectors/5"``; ``""`` → ``"/"``.
    """
    return posixpath.normpath("/" + key.lstrip("/"))


def _reason(exc: plyvel.Error) -> str:
    # plyvel puts LevelDB's status string in args[0] as bytes.
    raw = exc.args[0] if exc.args else type(exc).__name__
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text[:1].lower() + text[1:]


@contextlib.contextmanager
def _plyvel_errors(what: str, path: Path) -> Iterator[None]:
    """The boundary for plyvel: its errors become one-line ``DatastoreError``s with a hint."""
    try:
        yield
    except plyvel.CorruptionError as exc:
        raise DatastoreError(
            f"cannot {what} datastore '{path}': {_reason(exc)}; "
            "the database is corrupt, restore it from a backup"
        ) from exc
    except plyvel.IOError as exc:
        reason = _reason(exc)
        hint = (
            "is another process using this repo?"
            if "LOCK" in reason
            else "check the disk and the directory's permissions"
        )
        raise DatastoreError(f"cannot {what} datastore '{path}': {reason}; {hint}") from exc
    except plyvel.Error as exc:
        raise DatastoreError(
            f"cannot {what} datastore '{path}': {_reason(exc)}; check the datastore directory"
        ) from exc


class _View:
    """Get/put/query under a key prefix.

    Shared by :class:`Datastore` (prefix ``""``) and :class:`Namespace`.
    """

    def __init__(self, root: Datastore, prefix: str) -> None:
        self._root = root
        self._prefix = prefix  # "" or a clean key such as "/storage"

    def _full(self, key: str) -> bytes:
        key = clean_key(key)
        full = self._prefix + key if key != "/" else (self._prefix or "/")
        return full.encode("utf-8")

    def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None``."""
        db = self._root._open_db()
        with _plyvel_errors("read", self._root.path):
            value: bytes | None = db.get(self._full(key))
            return value

    def has(self, key: str) -> bool:
        """Whether ``key`` holds a value."""
        return self.get(key) is not None

    def put(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, synced to disk before returning."""
        db = self._root._open_db()
        with _plyvel_errors("write", self._root.path):
            db.put(self._full(key), bytes(value), sync=True)

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent), synced to disk before returning."""
        db = self._root._open_db()
        with _plyvel_errors("write", self._root.path):
            db.delete(self._full(key), sync=True)

    def query(self, prefix: str = "/") -> Iterator[tuple[str, bytes]]:
        """``(key, value)`` for every key under ``prefix``, in byte order of the keys.

        Prefixes are path prefixes, as in go-datastore: ``/sectors`` yields ``/sectors/5`` but not
        ``/sectorsx``; ``/`` yields everything.  Keys are returned relative to this view (a
        namespace strips its own prefix) and in full (``/sectors/5``, not ``5``).  The iteration
        reads a LevelDB snapshot: writes made while iterating are not seen.  Close the iterator
        (or exhaust it) before closing the datastore.
        """
        db = self._root._open_db()  # fail now, not at the first next(), if closed
        base = clean_key(prefix)
        under = self._prefix if base == "/" else self._prefix + base
        return self._scan(db, (under + "/").encode("utf-8"))

    def _scan(self, db: plyvel.DB, scan: bytes) -> Iterator[tuple[str, bytes]]:
        strip = len(self._prefix.encode("utf-8"))
        with _plyvel_errors("read", self._root.path), db.iterator(prefix=scan) as iterator:
            for raw_key, value in iterator:
                yield raw_key[strip:].decode("utf-8", "surrogateescape"), value

    @contextlib.contextmanager
    def batch(self) -> Iterator[Batch]:
        """A write batch applied on exit as one synced LevelDB write, or not at all.

        If the block raises, nothing of the batch is written and the exception propagates.

        Cancellation: a cancelled (raised-through) block writes nothing.
        """
        db = self._root._open_db()
        writer = Batch(self._full, db.write_batch(sync=True))
        try:
            yield writer
        except BaseException:
            writer._abandon()
            raise
        with _plyvel_errors("write", self._root.path):
            writer._commit()

    def namespace(self, prefix: str) -> Namespace:
        """A view whose keys live under ``prefix`` (go-datastore ``namespace.Wrap``)."""
        inner = clean_key(prefix)
        full = self._prefix + inner if inner != "/" else self._prefix
        return Namespace(self._root, full)


@final
class Batch:
    """Puts and deletes gathered by :meth:`Datastore.batch`; written only when the block ends."""

    def __init__(self, full_key: Callable[[str], bytes], batch: plyvel.WriteBatch) -> None:
        self._full_key = full_key
        self._batch: plyvel.WriteBatch | None = batch

    def _live(self) -> plyvel.WriteBatch:
        if self._batch is None:
            raise RuntimeError("the datastore batch was already committed or abandoned")
        return self._batch

    def put(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key`` when the batch commits."""
        self._live().put(self._full_key(key), bytes(value))

    def delete(self, key: str) -> None:
        """Remove ``key`` when the batch commits."""
        self._live().delete(self._full_key(key))

    def _commit(self) -> None:
        batch, self._batch = self._live(), None
        batch.write()

    def _abandon(self) -> None:
        if self._batch is not None:
            self._batch.clear()
            self._batch = None


@final
class Namespace(_View):
    """A prefixed view of a :class:`Datastore`; it does not own the database and has no ``close``."""

    def __repr__(self) -> str:
        return f"Namespace({str(self._root.path)!r}, {self._prefix!r})"


@final
class Datastore(_View):
    """One LevelDB database of the repo (``<repo>/datastore/<name>``), open until :meth:`close`.

    Resources: holds LevelDB's own lock on the directory until closed; the owning
    :class:`~pylotus.repo.fsrepo.LockedRepo` closes it on its own close.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(self, "")
        self.path = Path(path)
        with _plyvel_errors("open", self.path):
            self._db: plyvel.DB | None = plyvel.DB(
                str(self.path),
                create_if_missing=True,
                compression=None,  # as Lotus: NoCompression
                paranoid_checks=True,  # as Lotus: Strict = StrictAll
            )
        log.debug("datastore opened path=%s", self.path)

    def __repr__(self) -> str:
        state = "open" if self._db is not None else "closed"
        return f"Datastore({str(self.path)!r}, {state})"

    def _open_db(self) -> plyvel.DB:
        if self._db is None:
            raise RuntimeError("the datastore is closed")
        return self._db

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._db is None

    def close(self) -> None:
        """Close the database and release LevelDB's lock; a second call does nothing."""
        db, self._db = self._db, None
        if db is None:
            return
        with _plyvel_errors("close", self.path):
            db.close()
        log.debug("datastore closed path=%s", self.path)

    def __enter__(self) -> Datastore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
