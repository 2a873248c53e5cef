"""The ``Return*`` pattern end to end: a PC1 that finishes on the worker while the miner is down is
kept by the worker, delivered to the restarted miner, and not run a second time.

The worker's PC1 is slowed by ``PYLOTUS_TEST_KERNEL_DELAY`` so the test can kill the miner (SIGKILL)
while it runs; the miner's call tracker persisted the call, so the re-issued PC1 after the restart
waits for (or takes) the delivered result instead of scheduling the task again.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Daemon, program
from .test_worker_daemon import free_port, start_miner, wait_for_workers

pytestmark = pytest.mark.integration

PC1_DELAY = 3.0  # seconds the worker sleeps before running PC1


def start_slow_worker(tmp: Path, miner: Daemon, port: int) -> Daemon:
    repo, log = tmp / "worker", tmp / "worker.log"
    env = dict(
        os.environ,
        MINER_API_INFO=f"{miner.token}:{miner.api}",
        PYLOTUS_PARENT_CACHE=str(tmp / "pc"),
        PYLOTUS_TEST_KERNEL_DELAY=f"PC1={PC1_DELAY}",
    )
    args = ["--worker-repo", str(repo), "run", "--listen", f"127.0.0.1:{port}", "--heartbeat", "0.5"]
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            [program("pylotus-seal-worker"), *args],
            stdout=sink,
            stderr=sink,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    return Daemon(proc, repo, log)


def wait_for_log(daemon: Daemon, pattern: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, daemon.log.read_text()):
            return
        time.sleep(0.05)
    pytest.fail(f"{pattern!r} did not appear in {daemon.log.name} within {timeout}s")


def rpc(miner: Daemon, method: str, *params: object, timeout: float = 60) -> httpx.Response:
    return httpx.post(
        miner.url,
        json={"jsonrpc": "2.0", "method": f"Filecoin.{method}", "params": list(params), "id": 1},
        headers={"Authorization": f"Bearer {miner.token}"},
        timeout=timeout,
    )


@pytest.fixture
def procs(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[list[Daemon]]:
    running: list[Daemon] = []
    try:
        yield running
    finally:
        for d in reversed(running):
            d.stop()
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            for name in ("miner.log", "worker.log"):
                path = tmp_path / name
                if path.exists():
                    print(f"--- {name} ---\n{path.read_text()}")


def test_pc1_finished_while_the_miner_is_down_is_delivered_not_redone(
    tmp_path: Path, procs: list[Daemon]
) -> None:
    miner_port = free_port()
    miner = start_miner(tmp_path, miner_port)
    procs.append(miner)
    worker = start_slow_worker(tmp_path, miner, free_port())
    procs.append(worker)
    (session,) = wait_for_workers(miner, 1)

    piece = rpc(miner, "TestAddPiece", 1).json()["result"]
    assert piece["Size"] == 2048

    # PC1 starts on the worker; the miner persisted the call; then the miner dies.
    lost = threading.Thread(target=lambda: _ignore_errors(rpc, miner, "TestPreCommit1", 1, [piece]))
    lost.start()
    wait_for_log(miner, r"call tracked call=\S+ method=SealPreCommit1 work=PC1:")
    wait_for_log(worker, "test delay before kernel label=PC1")
    miner.proc.send_signal(signal.SIGKILL)
    miner.proc.wait()
    lost.join(timeout=30)

    # PC1 finishes with nobody to tell: the worker keeps the result and retries.
    wait_for_log(worker, "method=SealPreCommit1 ok=True", timeout=60)
    wait_for_log(worker, "could not deliver a result, will retry")
    assert worker.proc.poll() is None

    # The miner comes back; the worker registers again and delivers the stored result.
    again = start_miner(tmp_path, miner_port)
    procs.append(again)
    assert list(wait_for_workers(again, 1)) == [session]
    wait_for_log(worker, r"result delivered call=\S+ method=ReturnSealPreCommit1")

    # The re-issued PC1 takes the delivered result; the worker ran PC1 once.
    resp = rpc(again, "TestPreCommit1", 1, [piece]).json()
    assert "error" not in resp, resp
    assert len(base64.b64decode(resp["result"])) > 0
    log = worker.log.read_text()
    assert sum("call started" in line and "method=SealPreCommit1" in line for line in log.splitlines()) == 1
    assert "waiting for a call already out" in again.log.read_text()


def _ignore_errors(fn: object, *args: object) -> None:
    try:
        fn(*args)  # type: ignore[operator]
    except httpx.HTTPError:
        pass  # the miner was killed under the call
