"""``pylotus-miner init`` and ``run`` as real processes against a real devnet node (issue #8).

One devnet per module: ``pylotus-seed pre-seal`` of two real 2KiB sectors, ``genesis new`` and
``add-miner``, ``pylotus daemon`` from that template, the pre-seal key imported as the wallet
default.  Then, in order: an ``init`` that fails half-way leaves no repo; the genesis-miner
``init`` and ``run``; the CLI against it (``info``, ``sectors list``, ``storage find``,
``workers list``, ``sectors status``, ``pledge``); a second ``run`` refused with the PID;
``/debug/metrics``; SIGTERM releasing the lock; a non-genesis ``init`` creating a new miner.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pylotus.stores import SKIPPED_HEARTBEAT_THRESH

from .conftest import Daemon, program, run_cli, start_node, wait_for_api


@dataclass
class Devnet:
    root: Path
    node: Daemon
    sectors: Path

    def env(self, miner_repo: Path) -> dict[str, str]:
        return {"PYLOTUS_PATH": str(self.node.repo), "PYLOTUS_MINER_PATH": str(miner_repo)}


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    root = tmp_path_factory.mktemp("devnet")
    sectors = root / "sectors"
    seed = run_cli(
        "pylotus-seed", "--sector-dir", str(sectors), "pre-seal",
        "--sector-size", "2KiB", "--num-sectors", "2", "--miner-addr", "t01000",
        timeout=120,
    )  # fmt: skip
    assert seed.returncode == 0, seed.stderr
    genesis = root / "genesis.json"
    for args in (("new", str(genesis)), ("add-miner", str(genesis), str(sectors / "pre-seal-t01000.json"))):
        out = run_cli("pylotus-seed", "genesis", *args)
        assert out.returncode == 0, out.stderr
    node = start_node(
        root / "node", root / "node.log", "--genesis-template", str(genesis), "--block-delay", "1s"
    )
    try:
        wait_for_api(node)
        key = run_cli(
            "pylotus", "wallet", "import", "--as-default", str(sectors / "pre-seal-t01000.key"),
            env={"PYLOTUS_PATH": str(node.repo)},
        )  # fmt: skip
        assert key.returncode == 0, key.stderr
        yield Devnet(root, node, sectors)
    finally:
        node.stop()


def _genesis_init(devnet: Devnet, repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "pylotus-miner", "init", "--genesis-miner", "--actor", "t01000", "--sector-size", "2KiB",
        "--pre-sealed-sectors", str(devnet.sectors),
        "--pre-sealed-metadata", str(devnet.sectors / "pre-seal-t01000.json"), *extra,
        env=devnet.env(repo), timeout=60,
    )  # fmt: skip


def start_miner(devnet: Devnet, repo: Path, log: Path) -> Daemon:
    env = dict(os.environ, **devnet.env(repo))
    env.pop("MINER_API_INFO", None)
    env.pop("FULLNODE_API_INFO", None)
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            [program("pylotus-miner"), "run", "--miner-api", "0"],
            stdout=sink, stderr=sink, env=env, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    return Daemon(proc, repo, log)


@pytest.fixture(scope="module")
def miner(devnet: Devnet) -> Iterator[Daemon]:
    repo = devnet.root / "miner"
    out = _genesis_init(devnet, repo)
    assert out.returncode == 0, out.stderr
    assert "Imported 2 pre-sealed sectors" in out.stdout
    assert "Miner successfully created (t01000)" in out.stdout
    daemon = start_miner(devnet, repo, devnet.root / "miner.log")
    try:
        wait_for_api(daemon, timeout=60)
        yield daemon
    finally:
        daemon.stop()


def test_init_failing_half_way_leaves_no_repo(devnet: Devnet) -> None:
    repo = devnet.root / "broken"
    # t01005 does not exist on chain: the repo is made, then ChangePeerID cannot find the miner
    out = run_cli(
        "pylotus-miner", "init", "--actor", "t01005", "--nosync", "--sector-size", "2KiB",
        env=devnet.env(repo), timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    last = out.stderr.splitlines()[-1]
    assert last.startswith("Error: Storage-miner init failed: ") and "t01005" in last
    assert not repo.exists()


def test_init_local_checks_come_first(devnet: Devnet) -> None:
    repo = devnet.root / "checks"
    out = run_cli("pylotus-miner", "init", "--sector-size", "2QiB", env=devnet.env(repo))
    assert out.returncode == 2 and "2QiB" in out.stderr  # not a size RAMInBytes reads
    out = run_cli("pylotus-miner", "init", "--sector-size", "3KiB", env=devnet.env(repo))
    assert out.returncode == 1 and "invalid --sector-size: unsupported sector size" in out.stderr
    out = run_cli(
        "pylotus-miner", "init", "--actor", "t01000", "--pre-sealed-metadata", str(devnet.root / "nope.json"),
        env=devnet.env(repo),
    )  # fmt: skip
    assert out.returncode == 1 and "reading pre-seal metadata" in out.stderr
    assert not repo.exists()


def test_genesis_miner_repo_and_chain(devnet: Devnet, miner: Daemon) -> None:
    repo = miner.repo
    storage = json.loads((repo / "storage.json").read_text())
    assert [p["Path"] for p in storage["StoragePaths"]] == [
        str(devnet.sectors.resolve()),
        str(repo.resolve()),
    ]
    meta = json.loads((repo / "sectorstore.json").read_text())
    assert meta["Weight"] == 10 and meta["CanSeal"] and meta["CanStore"]
    assert (repo / "keystore" / "NRUWE4BSOAWWQ33TOQ").stat().st_mode & 0o777 == 0o600  # libp2p-host
    info = devnet.node.call("StateMinerInfo", "t01000", None, token=devnet.node.token).json()["result"]
    log = devnet.root / "miner.log"
    assert info["PeerId"].startswith("12D3KooW")
    # the peer ID on chain is the one init made (ChangePeerID landed), not the pre-seal's dummy
    manifest = json.loads((devnet.sectors / "pre-seal-t01000.json").read_text())
    assert info["PeerId"] != manifest["t01000"]["PeerId"], log.read_text()


def test_cli_against_the_running_miner(devnet: Devnet, miner: Daemon) -> None:
    env = devnet.env(miner.repo)
    out = run_cli("pylotus-miner", "info", env=env)
    assert out.returncode == 0, out.stderr
    assert "Miner: t01000\n" in out.stdout and "Sector Size: 2 KiB\n" in out.stdout
    assert "Byte Power:   4 KiB / 4 KiB (100.0000%)\n" in out.stdout
    assert "Sectors:\n\tTotal: 2\n\tProving: 2\n" in out.stdout
    assert "\nExpected Seal Duration: 24h0m0s\n" in out.stdout

    out = run_cli("pylotus-miner", "sectors", "list", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 2
    for number, line in enumerate(lines):
        assert re.match(
            rf"{number}: Proving +sSet: YES +active: YES +tktH: 0 +seedH: 0 +deals: \[\d+\] +toUpgrade:false",
            line,
        ), line

    out = run_cli("pylotus-miner", "storage", "find", "0", env=env)
    assert out.returncode == 0, out.stderr
    assert f"Local ({devnet.sectors.resolve()})" in out.stdout and "(Sealed, Cache)" in out.stdout

    out = run_cli("pylotus-miner", "workers", "list", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Worker ") and "CPU:" in out.stdout

    out = run_cli("pylotus-miner", "sectors", "status", "--log", "--on-chain-info", "1", env=env)
    assert out.returncode == 0, out.stderr
    assert "SectorID:\t1\nStatus:\t\tProving\n" in out.stdout
    assert "[event;sealing.SectorImported]" in out.stdout and "Activation:\t\t0\n" in out.stdout

    out = run_cli("pylotus-miner", "sectors", "status", "9", env=env)
    assert out.returncode == 1 and "sector 9 not found" in out.stderr


def test_proving_commands(devnet: Devnet, miner: Daemon) -> None:
    env = devnet.env(miner.repo)
    out = run_cli("pylotus-miner", "proving", "info", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Miner: t01000\nCurrent Epoch:           ")
    assert re.search(r"^Deadline Open:        \d+ \((in \d+s|now|\d+s ago)\)$", out.stdout, re.M), out.stdout
    out = run_cli("pylotus-miner", "proving", "deadlines", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Miner: t01000" and lines[1].split() == [
        "deadline",
        "partitions",
        "sectors",
        "(faults)",
        "proven",
        "partitions",
    ]
    assert len(lines) == 2 + 48 and sum(1 for line in lines if line.endswith("(current)")) == 1
    sectors = sum(int(line.split()[2]) for line in lines[2:])
    assert sectors == 2  # the two pre-sealed sectors, each in a deadline
    with_sectors = next(int(line.split()[0]) for line in lines[2:] if int(line.split()[2]) > 0)
    out = run_cli("pylotus-miner", "proving", "deadline", str(with_sectors), env=env)
    assert out.returncode == 0 and "Partition Index:          0\n" in out.stdout, out.stderr
    out = run_cli("pylotus-miner", "proving", "deadline", "48", env=env)
    assert out.returncode == 2


def test_pledge_allocates_the_next_number_after_the_pre_seal(devnet: Devnet, miner: Daemon) -> None:
    env = devnet.env(miner.repo)
    out = run_cli("pylotus-miner", "pledge", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Created CC sector:  2\n"
    out = run_cli("pylotus-miner", "sectors", "status", "--log", "2", env=env)
    assert "[event;sealing.SectorStartCC]" in out.stdout


def test_remove_while_sealing_ends_removed(devnet: Devnet, miner: Daemon) -> None:
    env = devnet.env(miner.repo)
    out = run_cli("pylotus-miner", "pledge", env=env)
    number = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 60
    while _status(miner, number)["State"] != "WaitSeed":  # 10 epochs of 1 s: time to remove it
        assert time.monotonic() < deadline, _status(miner, number)
        time.sleep(0.2)
    out = run_cli("pylotus-miner", "sectors", "remove", str(number), env=env)
    assert out.returncode == 1 and "--really-do-it" in out.stderr
    out = run_cli("pylotus-miner", "sectors", "remove", "--really-do-it", str(number), env=env)
    assert out.returncode == 0, out.stderr
    while _status(miner, number)["State"] != "Removed":
        assert time.monotonic() < deadline + 30, _status(miner, number)
        time.sleep(0.2)
    time.sleep(12)  # past the seed epoch: the interrupted WaitSeed must not bring it back
    status = _status(miner, number)
    assert status["State"] == "Removed", status["Log"]
    out = run_cli("pylotus-miner", "storage", "find", str(number), env=env)
    assert "In " not in out.stdout  # no file of it left anywhere


def _status(miner: Daemon, number: int) -> dict[str, Any]:
    body = miner.call("SectorsStatus", number, False, token=miner.token).json()
    assert "error" not in body, body
    result: dict[str, Any] = body["result"]
    return result


def test_failed_init_keeps_what_the_operator_prepared(devnet: Devnet) -> None:
    repo = devnet.root / "prepared"
    repo.mkdir()
    (repo / "config.toml").write_text('[API]\nListenAddress = "/ip4/127.0.0.1/tcp/2399/http"\n')
    (repo / "notes.txt").write_text("mine")
    out = run_cli(
        "pylotus-miner", "init", "--actor", "t01005", "--nosync", env=devnet.env(repo), timeout=60,
    )  # fmt: skip
    assert out.returncode == 1 and "Storage-miner init failed" in out.stderr
    assert sorted(p.name for p in repo.iterdir()) == ["config.toml", "notes.txt"]
    assert "2399" in (repo / "config.toml").read_text()


def test_own_storage_stays_allocatable_past_the_heartbeat_threshold(miner: Daemon) -> None:
    # the index skips a path with no heartbeat for SKIPPED_HEARTBEAT_THRESH: the miner must keep
    # reporting its own paths, or no sealed sector could be moved to its storage (FinalizeSector)
    started = miner.repo.joinpath("api").stat().st_mtime
    time.sleep(max(0.0, started + SKIPPED_HEARTBEAT_THRESH + 2 - time.time()))
    body = miner.call("StorageBestAlloc", 6, 2048, "storage", token=miner.token).json()
    assert "error" not in body, body
    assert any(info["CanStore"] for info in body["result"])


def test_second_run_is_refused_with_the_pid(devnet: Devnet, miner: Daemon) -> None:
    out = run_cli("pylotus-miner", "run", "--miner-api", "0", env=devnet.env(miner.repo))
    assert out.returncode == 1
    assert f"locked by pid {miner.proc.pid}" in out.stderr


def test_metrics_without_a_token(miner: Daemon) -> None:
    base = miner.url.removesuffix("/rpc/v0")
    response = httpx.get(base + "/debug/metrics", timeout=10)
    assert response.status_code == 200
    proving = re.search(r'lotus_sealing_states\{sector_state="Proving"\} (\d+)\.0', response.text)
    assert proving is not None and int(proving.group(1)) >= 2, response.text  # the pre-seals, and pledges
    assert httpx.post(base + "/debug/metrics", timeout=10).status_code == 405


def test_sigterm_releases_the_lock_and_the_api_file(devnet: Devnet, miner: Daemon) -> None:
    listed = run_cli("pylotus-miner", "sectors", "list", env=devnet.env(miner.repo)).stdout
    before = [line.split(":")[0] for line in listed.splitlines()]
    assert len(before) >= 3  # the pre-seals and the pledge of an earlier test
    assert miner.stop(signal.SIGTERM) == 0
    assert not (miner.repo / "api").exists()
    again = start_miner(devnet, miner.repo, devnet.root / "miner2.log")
    try:
        wait_for_api(again, timeout=60)
        out = run_cli("pylotus-miner", "sectors", "list", env=devnet.env(miner.repo))
        assert [line.split(":")[0] for line in out.stdout.splitlines()] == before  # all survived
        out = run_cli("pylotus-miner", "stop", env=devnet.env(miner.repo))
        assert out.returncode == 0, out.stderr
        assert again.proc.wait(20) == 0
    finally:
        again.stop()


def test_non_genesis_init_creates_a_miner_on_chain(devnet: Devnet) -> None:
    repo = devnet.root / "miner-new"
    out = run_cli(
        "pylotus-miner", "init", "--sector-size", "2KiB", "--create-worker-key", "--no-local-storage",
        env=devnet.env(repo), timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    found = re.search(r"New miners address is: (t0\d+) \((t2\w+)\)", out.stdout)
    assert found is not None, out.stdout
    address = found.group(1)
    assert address != "t01000"
    info = devnet.node.call("StateMinerInfo", address, None, token=devnet.node.token).json()["result"]
    assert info["Owner"] != info["Worker"]  # --create-worker-key made a separate worker
    assert info["SectorSize"] == 2048 and info["PeerId"].startswith("12D3KooW")
    assert not (repo / "sectorstore.json").exists()
    assert json.loads((repo / "storage.json").read_text())["StoragePaths"] == []
