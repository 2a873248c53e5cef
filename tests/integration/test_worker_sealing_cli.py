"""``pylotus-miner sealing workers|jobs|sched-diag`` (and ``workers list``) against the miner
stand-in with a real seal worker.

The worker's PC1 is slowed (``PYLOTUS_TEST_KERNEL_DELAY``) so the running job can be seen, and it
does not take PreCommit2, so the ``TestSealCC`` call's PC2 stays queued with every worker's reason
for refusing it in ``sealing sched-diag``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Daemon, program, run_cli, wait_for_api
from .test_worker_daemon import free_port, wait_for_workers
from .test_worker_returns import rpc, wait_for_log

pytestmark = pytest.mark.integration

PC1_DELAY = 3.0


def start_testminer(tmp: Path, port: int, *extra: str) -> Daemon:
    repo, log = tmp / "miner", tmp / "miner.log"
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pylotus.sched.testminer", "--repo", str(repo), "--port", str(port)]
            + ["--heartbeat", "0.5", *extra],
            stdout=sink,
            stderr=sink,
            stdin=subprocess.DEVNULL,
        )
    daemon = Daemon(proc, repo, log)
    wait_for_api(daemon)
    return daemon


def start_seal_worker(tmp: Path, name: str, miner: Daemon, *extra: str, delay: str = "") -> Daemon:
    """A ``pylotus-seal-worker run`` with repo ``tmp/<name>`` and log ``tmp/<name>.log``."""
    repo, log = tmp / name, tmp / f"{name}.log"
    env = dict(os.environ, MINER_API_INFO=f"{miner.token}:{miner.api}", PYLOTUS_PARENT_CACHE=str(tmp / "pc"))
    if delay:
        env["PYLOTUS_TEST_KERNEL_DELAY"] = delay
    args = ["--worker-repo", str(repo), "run", "--listen", f"127.0.0.1:{free_port()}", "--heartbeat", "0.5"]
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            [program("pylotus-seal-worker"), *args, *extra],
            stdout=sink,
            stderr=sink,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    return Daemon(proc, repo, log)


def call_in_background(miner: Daemon, method: str, *params: object) -> tuple[threading.Thread, list[object]]:
    """Call ``method`` on a thread; its JSON answer (or the transport error) lands in the list."""
    out: list[object] = []

    def call() -> None:
        try:
            out.append(rpc(miner, method, *params, timeout=120).json())
        except httpx.HTTPError as exc:  # the miner was stopped under the call
            out.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread, out


@pytest.fixture
def procs(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[list[Daemon]]:
    running: list[Daemon] = []
    try:
        yield running
    finally:
        for d in reversed(running):
            d.stop()
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            for path in sorted(tmp_path.glob("*.log")):
                print(f"--- {path.name} ---\n{path.read_text()}")


def miner_cli(miner: Daemon, *args: str) -> str:
    done = run_cli("pylotus-miner", *args, env={"MINER_API_INFO": f"{miner.token}:{miner.api}"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sealing_workers_jobs_and_sched_diag(tmp_path: Path, procs: list[Daemon]) -> None:
    miner = start_testminer(tmp_path, free_port())
    procs.append(miner)
    worker = start_seal_worker(tmp_path, "worker", miner, "--precommit2", "false", delay=f"PC1={PC1_DELAY}")
    procs.append(worker)
    ((session, stats),) = wait_for_workers(miner, 1).items()
    hostname = stats["Info"]["Hostname"]  # type: ignore[index]

    listing = miner_cli(miner, "sealing", "workers")
    assert listing.startswith(f"Worker {session}, host {hostname}\n")
    assert re.search(r"\tCPU:  \[ {64}\] 0/\d+ core\(s\) in use\n", listing)
    assert "\tRAM:  [" in listing and "\tVMEM: [" in listing
    assert miner_cli(miner, "workers", "list") == listing

    # A running PC1 shows in `sealing jobs` (and in the workers' TASK line).
    _, answer = call_in_background(miner, "TestSealCC", 1)
    wait_for_log(worker, "test delay before kernel label=PC1")
    jobs = miner_cli(miner, "sealing", "jobs").splitlines()
    assert re.fullmatch(r"ID\s+Sector\s+Worker\s+Hostname\s+Task\s+State\s+Time", jobs[0])
    (row,) = [line for line in jobs[1:] if " PC1 " in line]
    cells = row.split()
    assert cells[1:6] == ["1", session.replace("-", "")[:8], hostname, "PC1", "running"]
    assert re.fullmatch(r"\d+(\.\d)?m?s", cells[6])
    assert "TASK: PC1(1" in miner_cli(miner, "sealing", "workers")

    # PC2 has no taker: it waits, and sched-diag says why the worker refuses it.
    wait_for_log(worker, "method=SealPreCommit1 ok=True", timeout=60)
    for _ in range(100):
        diag = json.loads(miner_cli(miner, "sealing", "sched-diag"))
        if diag["Requests"]:
            break
    (request,) = diag["Requests"]
    assert request["TaskType"] == "seal/v0/precommit/2"
    assert request["Sector"] == {"Miner": 1000, "Number": 1}
    (refusal,) = request["Refusals"]
    assert refusal["Worker"] == session and refusal["Hostname"] == hostname
    assert refusal["Cause"] == "task-type-disabled"
    assert "seal/v0/precommit/2" in refusal["Reason"]
    assert diag["OpenWindows"] == [session]
    assert json.loads(miner_cli(miner, "sealing", "sched-diag", "--force-sched"))["Requests"] == [request]
    assert not answer  # TestSealCC still waits for a PC2 worker
