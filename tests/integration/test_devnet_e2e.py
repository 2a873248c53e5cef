"""The mission, end to end (issue #9): ``pylotus devnet`` with one seal worker, two pledged 2KiB
sectors sealed by the worker and proven on chain, a Window PoSt for them accepted, then the miner
killed with SIGKILL in the middle of a third pledge, restarted by the devnet, and that sector
still reaching Proving."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pylotus.chain import dagcbor
from pylotus.chain.bitfield import encode_rle

from .conftest import program, run_cli

BLOCK_DELAY = "250ms"  # a 240-epoch proving period is a minute


@dataclass
class Devnet:
    proc: subprocess.Popen[bytes]
    home: Path
    out: Path

    def env(self) -> dict[str, str]:
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in self.out.read_text().splitlines()
            if line.startswith("export ")
        )
        return {
            **exports,
            "PYLOTUS_PATH": str(self.home / "node"),
            "PYLOTUS_MINER_PATH": str(self.home / "miner"),
        }

    def rpc(self, repo: str, method: str, *params: object) -> Any:
        api = (self.home / repo / "api").read_text().split("/")
        token = (self.home / repo / "token").read_text()
        body = {"jsonrpc": "2.0", "method": f"Filecoin.{method}", "params": list(params), "id": 1}
        response = httpx.post(
            f"http://{api[2]}:{api[4]}/rpc/v0",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        doc = response.json()
        assert "error" not in doc, doc
        return doc["result"]

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name} ---\n{p.read_text()[-4000:]}" for p in sorted((self.home / "logs").glob("*.log"))
        )


def wait_for(what: str, check: Callable[[], bool], devnet: Devnet, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if devnet.proc.poll() is not None:
            pytest.fail(
                f"devnet exited with {devnet.proc.returncode} while waiting for {what}\n{devnet.logs()}"
            )
        try:
            if check():
                return
        except (httpx.HTTPError, OSError, AssertionError, KeyError):
            pass
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{devnet.out.read_text()}\n{devnet.logs()}")


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    home, out = tmp_path / "devnet", tmp_path / "devnet.out"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_INFO")}
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [
                program("pylotus"),
                "devnet",
                "--home",
                str(home),
                "--workers",
                "1",
                "--block-delay",
                BLOCK_DELAY,
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    net = Devnet(proc, home, out)
    try:
        wait_for("the devnet to come up", lambda: "export MINER_API_INFO=" in out.read_text(), net, 180)
        yield net
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _state(devnet: Devnet, number: int) -> str:
    return str(devnet.rpc("miner", "SectorsStatus", number, False)["State"])


def _deadline_of(devnet: Devnet, number: int) -> int:
    for index in range(48):
        for partition in devnet.rpc("node", "StateMinerPartitions", "t01000", index, None):
            if number in _members(partition["AllSectors"]):
                return index
    raise AssertionError(f"sector {number} is in no deadline")


def test_pledge_seal_prove_and_survive_kill_9(devnet: Devnet) -> None:
    env = devnet.env()
    assert env["FULLNODE_API_INFO"].count(":") >= 1 and env["MINER_API_INFO"].startswith("ey")

    # two pledges, sealed by the worker (the miner's own worker does not seal)
    for expected in (2, 3):
        out = run_cli("pylotus-miner", "pledge", env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout == f"Created CC sector:  {expected}\n"
    wait_for(
        "sectors 2 and 3 to reach Proving",
        lambda: _state(devnet, 2) == _state(devnet, 3) == "Proving",
        devnet,
        180,
    )
    for number in (2, 3):
        on_chain = devnet.rpc("node", "StateSectorGetInfo", "t01000", number, None)
        assert on_chain is not None and on_chain["SectorNumber"] == number and on_chain["Activation"] > 0
    worker_log = (devnet.home / "logs" / "worker-0.log").read_text()
    assert "method=SealPreCommit1 sector=s-t01000-2" in worker_log
    assert "method=SealPreCommit1 sector=s-t01000-3" in worker_log

    out = run_cli("pylotus-miner", "storage", "find", "2", env=env)
    assert out.returncode == 0, out.stderr
    assert f"Local ({devnet.home / 'miner'})" in out.stdout and "(Sealed, Cache)" in out.stdout
    out = run_cli("pylotus-miner", "workers", "list", env=env)
    assert "host devnet-worker-0" in out.stdout
    out = run_cli("pylotus-miner", "sectors", "list", env=env)
    assert "2: Proving" in out.stdout and "3: Proving" in out.stdout

    # a Window PoSt covering sector 2 is accepted on chain
    deadline = _deadline_of(devnet, 2)

    def proven() -> bool:
        return devnet.rpc("node", "StateMinerDeadlines", "t01000", None)[deadline]["PostSubmissions"] != [0]

    wait_for(f"a Window PoSt for deadline {deadline}", proven, devnet, 150)
    faults = devnet.rpc("node", "StateMinerFaults", "t01000", None)
    assert 2 not in _members(faults) and 3 not in _members(faults)

    # kill -9 the miner while sector 4 is being sealed; the devnet restarts it and 4 still proves
    out = run_cli("pylotus-miner", "pledge", env=env)
    assert out.stdout == "Created CC sector:  4\n", out.stderr
    wait_for("sector 4 to be sealing", lambda: _state(devnet, 4) not in ("Packing", "Proving"), devnet, 60)
    killed_in = _state(devnet, 4)
    holder = json.loads((devnet.home / "miner" / "repo.lock").read_bytes())
    os.kill(holder["PID"], signal.SIGKILL)
    wait_for(
        "the miner to be restarted",
        lambda: (
            json.loads((devnet.home / "miner" / "repo.lock").read_bytes())["PID"] != holder["PID"]
            and _state(devnet, 4) != ""
        ),
        devnet,
        120,
    )
    wait_for(
        f"sector 4 (killed in {killed_in}) to reach Proving",
        lambda: _state(devnet, 4) == "Proving",
        devnet,
        180,
    )
    assert devnet.rpc("node", "StateSectorGetInfo", "t01000", 4, None) is not None
    miner_log = (devnet.home / "logs" / "miner.log").read_text()
    assert "resuming sectors [4]" in miner_log
    kinds = [entry["Kind"] for entry in devnet.rpc("miner", "SectorsStatus", 4, False)["Log"]]
    assert kinds.count("event;sealing.SectorFinalized") == 1, kinds

    devnet.proc.send_signal(signal.SIGINT)
    assert devnet.proc.wait(90) == 0
    assert "==> devnet stopped" in devnet.out.read_text()
    assert not (devnet.home / "miner" / "api").exists() and not (devnet.home / "node" / "api").exists()


def _members(runs: list[int]) -> set[int]:
    members, position = set(), 0
    for i, run in enumerate(runs):
        if i % 2:
            members.update(range(position, position + run))
        position += run
    return members


def test_a_faulty_sector_is_declared_recovered_and_proven_again(devnet: Devnet) -> None:
    """A sector declared faulty on chain (DeclareFaults sent by hand) loses its power; the miner's
    PoSt scheduler finds its files readable, declares it recovered before the fault cutoff, and the
    next Window PoSt of its deadline gives the power back."""
    deadline = _deadline_of(devnet, 0)
    partition = 0
    params = dagcbor.encode([[[deadline, partition, encode_rle([0])]]])
    info = devnet.rpc("node", "StateMinerInfo", "t01000", None)

    def declared() -> bool:
        message = {
            "To": "t01000",
            "From": info["Worker"],
            "Value": "0",
            "Method": 10,
            "Params": base64.b64encode(params).decode(),
        }
        signed = devnet.rpc("node", "MpoolPushMessage", message, None)
        lookup = devnet.rpc("node", "StateWaitMsg", signed["CID"], 1)
        return bool(lookup["Receipt"]["ExitCode"] == 0)  # refused past the deadline's fault cutoff: retry

    def raw_power() -> int:
        return int(devnet.rpc("node", "StateMinerPower", "t01000", None)["MinerPower"]["RawBytePower"])

    wait_for("the miner to prove both pre-sealed sectors", lambda: raw_power() == 2 * 2048, devnet, 120)
    wait_for("DeclareFaults for sector 0 to land", declared, devnet, 120)
    assert 0 in _members(devnet.rpc("node", "StateMinerFaults", "t01000", None))
    assert raw_power() == 2048  # sector 0's 2 KiB are no longer counted

    def recovered() -> bool:
        faults = _members(devnet.rpc("node", "StateMinerFaults", "t01000", None))
        recovering = _members(devnet.rpc("node", "StateMinerRecoveries", "t01000", None))
        return 0 not in faults and 0 not in recovering and raw_power() == 2 * 2048

    wait_for("sector 0 to be recovered by a Window PoSt", recovered, devnet, 240)
    assert "declared faults recovered" in (devnet.home / "logs" / "miner.log").read_text()
