"""A real ``pylotus-seal-worker run`` against the miner stand-in (``python -m pylotus.sched.testminer``).

The worker registers itself (``WorkerConnect``, the miner dials back), seals a 2KiB CC sector's
AddPiece, PreCommit1 and PreCommit2 as the miner's manager asks it (CommR from proofs.md §7), refuses
a bad token, and registers again by itself after the miner is killed and restarted on the same port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Daemon, program, run_cli, wait_for_api

pytestmark = pytest.mark.integration

CC_COMM_R = "bagboea4b5abcbrshxgmmpaucffwp2elaofbcrvb7hmcu3653o4lsw2arlor4hn3c"  # proofs.md §7, ticket 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_miner(tmp: Path, port: int) -> Daemon:
    repo, log = tmp / "miner", tmp / "miner.log"
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pylotus.sched.testminer", "--repo", str(repo), "--port", str(port)]
            + ["--heartbeat", "1"],
            stdout=sink,
            stderr=sink,
            stdin=subprocess.DEVNULL,
        )
    daemon = Daemon(proc, repo, log)
    wait_for_api(daemon)
    return daemon


def start_worker(tmp: Path, miner: Daemon, port: int) -> Daemon:
    repo, log = tmp / "worker", tmp / "worker.log"
    env = dict(os.environ, MINER_API_INFO=f"{miner.token}:{miner.api}", PYLOTUS_PARENT_CACHE=str(tmp / "pc"))
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


def wait_for_workers(miner: Daemon, count: int, timeout: float = 20.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            resp = miner.call("WorkerStats", token=miner.token)
            stats = resp.json().get("result") or {}
            if len(stats) == count:
                return dict(stats)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the miner did not see {count} worker(s) in {timeout}s")


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Daemon, Daemon, int]]:
    miner_port = free_port()
    miner = start_miner(tmp_path, miner_port)
    worker = start_worker(tmp_path, miner, free_port())
    procs = [miner, worker]
    try:
        yield miner, worker, miner_port
    finally:
        for d in procs:
            d.stop()
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            for name in ("miner.log", "worker.log"):
                print(f"--- {name} ---\n{(tmp_path / name).read_text()}")


def test_worker_registers_seals_and_comes_back(tmp_path: Path, cluster: tuple[Daemon, Daemon, int]) -> None:
    miner, worker, miner_port = cluster
    stats = wait_for_workers(miner, 1)
    (session, entry) = next(iter(stats.items()))
    assert isinstance(entry, dict)
    assert "seal/v0/precommit/1" in entry["Tasks"]
    assert (worker.repo / "sectorstore.json").exists()
    assert worker.api.startswith("/ip4/127.0.0.1/tcp/")

    resp = httpx.post(
        miner.url,
        json={"jsonrpc": "2.0", "method": "Filecoin.TestSealCC", "params": [1], "id": 1},
        headers={"Authorization": f"Bearer {miner.token}"},
        timeout=60,
    )
    assert resp.json()["result"]["Sealed"] == {"/": CC_COMM_R}
    assert (worker.repo / "sealed" / "s-t01000-1").exists()  # sealed on the worker, not the miner

    # Only the miner's tokens open the worker's API, and only admin ones.
    assert worker.call("Session", token="not-a-token").status_code == 401
    assert worker.call("Session").json()["error"]["code"] == 1
    assert worker.call("Session", token=miner.token).json()["result"] == session

    # `info` finds the worker through its repo's api and token files.
    env = dict(os.environ)
    env.pop("WORKER_API_INFO", None)
    out = run_cli("pylotus-seal-worker", "--worker-repo", str(worker.repo), "info", env=env)
    assert out.returncode == 0, out.stderr
    assert f"Session: {session}\nEnabled: true\n" in out.stdout
    assert "Task types: FIN GET C1 UNS C2 PC2 PC1 AP \n" in out.stdout
    assert "\tWeight: 10; Use: Seal\n" in out.stdout

    # Kill the miner; the worker keeps serving and registers again once it is back.
    miner.proc.send_signal(signal.SIGKILL)
    miner.proc.wait()
    assert worker.proc.poll() is None
    again = start_miner(tmp_path, miner_port)
    cluster_miner = again
    try:
        assert list(wait_for_workers(cluster_miner, 1)) == [session]
    finally:
        again.stop()
