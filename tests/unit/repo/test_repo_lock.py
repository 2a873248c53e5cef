"""The repo lock: refusal in-process and across processes, stale takeover, release on signals.

The cross-process tests start real Python processes that lock a repo and then wait on stdin; the
parent waits for their "locked" line (a condition, not a sleep) before acting.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylotus.repo import FsRepo, RepoLocked, RepoType, acquire_repo_lock, raise_on_sigterm

SRC = Path(__file__).resolve().parents[3] / "src"

# A miniature daemon: lock the repo, say so, hold it until stdin has a line (or a signal comes).
# SIGTERM becomes SystemExit through raise_on_sigterm, as daemons are told to do in lock.py.
CHILD = r"""
import sys
from pylotus.repo import FsRepo, RepoError, RepoType, raise_on_sigterm
try:
    with raise_on_sigterm(), FsRepo(sys.argv[1], RepoType.STORAGE_MINER).lock():
        print("locked", flush=True)
        sys.stdin.readline()
except RepoError as exc:
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(1)
"""


@pytest.fixture
def repo(tmp_path: Path) -> FsRepo:
    miner = FsRepo(tmp_path / "miner", RepoType.STORAGE_MINER)
    miner.init()
    return miner


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=5)


def _spawn(repo: FsRepo, children: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    pythonpath = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(repo.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": pythonpath},
    )
    children.append(child)
    return child


def _holding(repo: FsRepo, children: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """A child process that holds the lock; returns once it says so."""
    child = _spawn(repo, children)
    assert child.stdout is not None
    line = child.stdout.readline()  # EOF if the child died: then show why
    assert line == "locked\n", child.communicate(timeout=5)[1]
    return child


def _lock_file(repo: FsRepo) -> bytes:
    return (repo.path / "repo.lock").read_bytes()


# -- in one process -----------------------------------------------------------------------


def test_second_lock_in_the_same_process_is_refused(repo: FsRepo) -> None:
    with repo.lock() as first:
        holder = json.loads(_lock_file(repo))
        assert holder == {"PID": os.getpid(), "Started": holder["Started"], "Program": "pylotus-miner"}
        assert holder["Started"].endswith("Z") and "T" in holder["Started"]
        with pytest.raises(RepoLocked) as caught:
            repo.lock()
        assert str(caught.value) == (
            f"repo at '{repo.path}' is locked by pid {os.getpid()} (started {holder['Started']}); "
            "is another pylotus-miner running?"
        )
        assert caught.value.pid == os.getpid()
        assert not first.closed  # the refused attempt did not disturb the holder
    assert _lock_file(repo) == b""


def test_relock_after_release_logs_no_warning(repo: FsRepo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="pylotus.repo")
    repo.lock().close()
    repo.lock().close()
    assert caplog.records == []


def test_holder_that_has_not_written_yet(repo: FsRepo) -> None:
    fd = os.open(repo.path / "repo.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RepoLocked) as caught:
            repo.lock()
    finally:
        os.close(fd)
    assert str(caught.value) == (
        f"repo at '{repo.path}' is locked by another process; is another pylotus-miner running?"
    )
    assert caught.value.pid is None


def test_release_is_idempotent(repo: FsRepo) -> None:
    with acquire_repo_lock(repo.path, "pylotus-miner") as lock:
        assert lock.is_held
        lock.release()
        lock.release()
        assert not lock.is_held
    assert _lock_file(repo) == b""


def test_stale_record_is_taken_over_with_a_warning(repo: FsRepo, caplog: pytest.LogCaptureFixture) -> None:
    (repo.path / "repo.lock").write_text(
        '{"PID": 4000000, "Started": "2020-01-01T00:00:00Z", "Program": "x"}'
    )
    caplog.set_level(logging.WARNING, logger="pylotus.repo.lock")
    with repo.lock():
        assert json.loads(_lock_file(repo))["PID"] == os.getpid()
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        "repo lock left by pid 4000000 (started 2020-01-01T00:00:00Z) is stale, taking it over"
    )


def test_raise_on_sigterm_turns_sigterm_into_system_exit() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as caught:
        with raise_on_sigterm():
            signal.raise_signal(signal.SIGTERM)
    assert caught.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before


# -- across processes ---------------------------------------------------------------------


def test_second_process_is_refused(repo: FsRepo, children: list[subprocess.Popen[str]]) -> None:
    first = _holding(repo, children)
    started = json.loads(_lock_file(repo))["Started"]
    second = _spawn(repo, children)
    _, err = second.communicate(timeout=10)
    assert second.returncode == 1
    assert err == (
        f"Error: repo at '{repo.path}' is locked by pid {first.pid} (started {started}); "
        "is another pylotus-miner running?\n"
    )
    first.communicate("\n", timeout=10)  # let the holder finish normally
    assert first.returncode == 0
    assert _lock_file(repo) == b""


def test_kill_9_leaves_a_stale_lock_that_is_taken_over(
    repo: FsRepo, children: list[subprocess.Popen[str]], caplog: pytest.LogCaptureFixture
) -> None:
    holder = _holding(repo, children)
    record = json.loads(_lock_file(repo))
    holder.kill()  # SIGKILL: no cleanup runs, the kernel drops the flock
    holder.wait(timeout=10)
    assert json.loads(_lock_file(repo))["PID"] == holder.pid  # the dead holder's record is still there
    caplog.set_level(logging.WARNING, logger="pylotus.repo.lock")
    with repo.lock():
        assert json.loads(_lock_file(repo))["PID"] == os.getpid()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 1
    assert messages[0].startswith(
        f"repo lock left by pid {holder.pid} (started {record['Started']}) is stale, taking it over"
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_releases_the_lock(
    repo: FsRepo,
    children: list[subprocess.Popen[str]],
    caplog: pytest.LogCaptureFixture,
    signum: signal.Signals,
) -> None:
    holder = _holding(repo, children)
    holder.send_signal(signum)
    holder.communicate(timeout=10)
    assert holder.returncode != 0
    assert _lock_file(repo) == b""  # the with-block's exit emptied it
    caplog.set_level(logging.WARNING, logger="pylotus.repo")
    repo.lock().close()
    assert caplog.records == []  # nothing stale to take over
