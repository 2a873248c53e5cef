"""The Worker API table and its server over a LocalWorker; the ``run`` command's flag parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from worker_rig import open_rig

from pylotus.jsonrpc import COMMON_TABLE
from pylotus.sched import WorkerInfo
from pylotus.stores import StorageID, StoragePath
from pylotus.worker import WORKER_CONNECT, WORKER_TABLE, WorkerApi, WorkerClient, machine_info_json
from pylotus.worker.cli import cli, format_info
from pylotus.worker.daemon import MinerClient

SEALING = (
    "AddPiece",
    "SealPreCommit1",
    "SealPreCommit2",
    "SealCommit1",
    "SealCommit2",
    "FinalizeSector",
    "MoveStorage",
    "Fetch",
    "UnsealPiece",
)


def test_every_worker_method_is_admin_and_the_client_has_it() -> None:
    assert {spec.perm for spec in WORKER_TABLE.values()} == {"admin"}
    for name in ("Version", "Info", "TaskTypes", "Paths", "Session", "Enabled", "SetEnabled", *SEALING):
        assert name in WORKER_TABLE
        assert hasattr(WorkerClient, WORKER_TABLE[name].python_name)
        assert hasattr(WorkerApi, WORKER_TABLE[name].python_name)
    assert WORKER_CONNECT.perm == "admin"
    assert {"WorkerConnect", "AuthVerify", "StorageAttach"} <= set(MinerClient.TABLE)
    assert set(COMMON_TABLE) <= set(MinerClient.TABLE)


def test_machine_info_is_lotus_worker_info() -> None:
    raw = machine_info_json("fred")
    info = WorkerInfo.from_json(raw)
    assert info.hostname == "fred" and info.resources.cpus >= 1
    assert info.resources.mem_physical > 0 and info.resources.resources is None


async def test_worker_api_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = await open_rig(tmp_path, monkeypatch)
    worker = rig.worker()
    api = WorkerApi(worker, hostname="w1")
    tasks = await api.task_types()
    assert isinstance(tasks, dict) and tasks["seal/v0/precommit/1"] == {}
    assert [p.id for p in await api.paths()] == ["seal", "store"]
    assert await api.session() == str(worker.session)
    assert await api.enabled() is True
    await api.set_enabled(False)
    assert await api.enabled() is False
    info = await api.info()
    assert isinstance(info, dict) and info["Hostname"] == "w1"


def test_run_flags_are_checked() -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["run", "--listen", "nohost"])
    assert bad.exit_code == 2 and "'nohost' is not HOST:PORT" in bad.output
    help_text = runner.invoke(cli, ["run", "--help"]).output
    for flag in ("--listen", "--no-local-storage", "--precommit1", "--parallel-fetch-limit", "--name"):
        assert flag in help_text


def test_run_without_a_miner_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINER_API_INFO", raising=False)
    args = ["--worker-repo", str(tmp_path / "w"), "--miner-repo", str(tmp_path / "m"), "run"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 1
    assert "MINER_API_INFO is not set" in out.output


def test_info_layout() -> None:
    info = machine_info_json("fred")
    assert isinstance(info, dict) and isinstance(info["Resources"], dict)
    info["Resources"].update(
        {"MemPhysical": 16 << 30, "MemUsed": 2 << 30, "MemSwap": 0, "MemSwapUsed": 0, "CPUs": 8}
    )
    paths = [
        StoragePath(StorageID("a1"), 10, "/w", True, False),
        StoragePath(StorageID("b2"), 0, "/r", False, False),
    ]
    out = format_info(0x10000, "s-1", True, info, frozenset({"seal/v0/addpiece", "seal/v0/fetch"}), paths)
    assert out.splitlines()[3:] == [
        "Session: s-1",
        "Enabled: true",
        "Hostname: fred",
        "CPUs: 8; GPUs: []",
        "RAM: 2 GiB/16 GiB; Swap: 0 B/0 B",
        "Task types: GET AP ",
        "",
        "a1:",
        "\tWeight: 10; Use: Seal",
        "\tLocal: /w",
        "b2:",
        "\tWeight: 0; Use: ReadOnly",
        "\tLocal: /r",
    ]
