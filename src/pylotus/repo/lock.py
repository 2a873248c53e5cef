"""The repo's exclusive lock: ``<repo>/repo.lock`` held with ``flock`` for as long as a process uses the repo.

Lotus counterpart: ``node/repo/fsrepo.go`` (``Lock``, ``ErrRepoAlreadyLocked``) over
``go-fs-lock``, which also uses ``flock`` on a ``repo.lock`` file.

Why ``flock``: the kernel drops the lock when the last descriptor of the open file goes away,
which includes every kind of process death (``kill -9``, OOM kill, power loss on reboot).  A PID
file alone cannot tell a live holder from a dead one whose PID was reused; the flock can.  The PID
written into the file is for humans: it lets the refusal say *who* holds the repo.

Rules:

* The lock belongs to one *open file description*, not to a process: a second
  :func:`acquire_repo_lock` in the same process opens the file again and is refused like any
  other process would be.  Descriptors are close-on-exec, so programs we spawn never inherit it.
* After taking the flock the file holds ``{"PID": …, "Started": …, "Program": …}``, written and
  fsynced.  If the flock is free but the file still names another PID, that holder died without
  cleaning up; we log a warning and take the lock over.
* :meth:`RepoLock.release` empties the file and closes it.  The file is emptied, not removed:
  removing it would let a process that opened the old file (about to flock it) and a process that
  creates a new one both believe they hold the lock.

Signals: a daemon must leave through the ``with`` block (or ``finally``) that holds the lock.
Ctrl-C already does so (``KeyboardInterrupt``).  SIGTERM's default action kills the process
without unwinding; the flock is still dropped by the kernel, but the file keeps our PID, and the
next start logs a stale-lock warning and skips the clean shutdown (datastore close).  So:

* synchronous programs wrap their run in :func:`raise_on_sigterm`, which turns SIGTERM into
  ``SystemExit`` for the duration of a ``with`` block;
* trio programs instead watch ``trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT)`` and
  cancel their root nursery, so the lock's ``with`` block exits in order (a Python signal handler
  raising inside trio's scheduler is as unsafe as an unguarded ``KeyboardInterrupt``).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import logging
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import final

from .errors import RepoLocked
from .files import os_errors

__all__ = ["LOCK_FILE_NAME", "LockHolder", "RepoLock", "acquire_repo_lock", "raise_on_sigterm"]

log = logging.getLogger(__name__)

LOCK_FILE_NAME = "repo.lock"
"""As go-fs-lock names it in a Lotus repo."""

_MAX_HOLDER_BYTES = 4096  # the holder record is ~80 bytes; anything longer is not ours


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) a repo lock, as recorded in ``repo.lock``."""

    pid: int
    started: str  # RFC 3339 UTC, second precision: "2026-11-24T23:15:50Z"
    program: str

    @classmethod
    def current(cls, program: str) -> LockHolder:
        """A record for this process, started now."""
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        return cls(pid=os.getpid(), started=now.strftime("%Y-%m-%dT%H:%M:%SZ"), program=program)

    def to_json(self) -> bytes:
        """``{"PID": …, "Started": …, "Program": …}``."""
        return json.dumps({"PID": self.pid, "Started": self.started, "Program": self.program}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> LockHolder | None:
        """Parse :meth:`to_json`; ``None`` for an empty, half-written or foreign file."""
        try:
            doc = json.loads(data)
        except ValueError:
            return None
        if not isinstance(doc, dict):
            return None
        pid, started, program = doc.get("PID"), doc.get("Started"), doc.get("Program", "")
        if isinstance(pid, bool) or not isinstance(pid, int) or not isinstance(started, str):
            return None
        return cls(pid=pid, started=started, program=program if isinstance(program, str) else "")


def _read_holder(fd: int) -> LockHolder | None:
    # pread: the offset of the descriptor does not matter and is not moved.
    return LockHolder.from_json(os.pread(fd, _MAX_HOLDER_BYTES, 0))


@final
class RepoLock:
    """A held repo lock; release it with :meth:`release` or by leaving a ``with`` block.

    Resources: owns one file descriptor on ``repo.lock``; the flock lives exactly as long as that
    descriptor, so a lock that is never released lasts until the process exits.
    """

    def __init__(self, path: Path, fd: int, holder: LockHolder) -> None:
        self.path = path
        self.holder = holder
        self._fd: int | None = fd

    def __repr__(self) -> str:
        state = "held" if self._fd is not None else "released"
        return f"RepoLock({str(self.path)!r}, {state})"

    @property
    def is_held(self) -> bool:
        """Whether :meth:`release` has not been called yet."""
        return self._fd is not None

    def release(self) -> None:
        """Empty the lock file and drop the flock; later calls do nothing.

        Never raises: it runs on error paths, where a failure to empty the file must not hide the
        original exception; the flock goes away with the descriptor regardless.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            # Say "nobody" before letting go, so the next holder sees no stale PID.
            os.ftruncate(fd, 0)
        except OSError:
            log.warning("cannot empty repo lock file path=%s", self.path, exc_info=True)
        finally:
            os.close(fd)  # the last descriptor of the open file: the kernel drops the flock
        log.debug("repo lock released path=%s", self.path)

    def __enter__(self) -> RepoLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def acquire_repo_lock(repo: Path, program: str) -> RepoLock:
    """Take ``<repo>/repo.lock`` without waiting, or say who holds it.

    Args:
        repo: the repo directory (must exist).
        program: the program name for messages and the holder record (``pylotus-miner``).

    Raises:
        RepoLocked: another open file holds the flock, in this process or another;
            ``repo at '<repo>' is locked by pid N (started T); is another <program> running?``.
        RepoError: the lock file cannot be opened or written.
    """
    path = repo / LOCK_FILE_NAME
    with os_errors("open lock file", path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        with os_errors("lock", path, hint="the filesystem must support flock"):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                holder = _read_holder(fd)
                raise RepoLocked(
                    repo, program, holder.pid if holder else None, holder.started if holder else None
                ) from exc
        previous = _read_holder(fd)
        if previous is not None and previous.pid != os.getpid():
            log.warning(
                "repo lock left by pid %d (started %s) is stale, taking it over path=%s",
                previous.pid,
                previous.started,
                path,
            )
        me = LockHolder.current(program)
        with os_errors("write lock file", path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, me.to_json(), 0)
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        raise
    log.debug("repo lock taken path=%s pid=%d", path, me.pid)
    return RepoLock(path, fd, me)


@contextlib.contextmanager
def raise_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit(143)`` inside the block, so ``with``/``finally`` cleanup runs.

    For synchronous programs (see the module docstring for trio).  The previous handler is
    restored on exit.  Must be called from the main thread, as any ``signal.signal``.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # the shell's exit status for "killed by signal"

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
