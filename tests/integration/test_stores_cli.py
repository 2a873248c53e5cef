"""`pylotus-miner storage …` and `find` against a real storage node process (until the miner runs)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import Daemon, run_cli
from .test_stores_fetch import make_path, nodes, put_sector, start_node

pytestmark = pytest.mark.integration

__all__ = ["nodes"]  # the fixture, shared with test_stores_fetch


def miner_cli(miner: Daemon, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out = run_cli("pylotus-miner", "--miner-repo", str(miner.repo), *args, env=env)
    return out.returncode, out.stdout, out.stderr


def test_attach_list_find_and_list_sectors(tmp_path: Path, nodes: list[Daemon]) -> None:
    miner = start_node(tmp_path, "miner", [])
    nodes.append(miner)
    seal = tmp_path / "seal"
    code, out, err = miner_cli(miner, "storage", "attach", "--init", "--seal", "--weight", "7", str(seal))
    assert (code, out) == (0, ""), err
    meta = json.loads((seal / "sectorstore.json").read_text())
    assert (meta["Weight"], meta["CanSeal"], meta["CanStore"], meta["MaxStorage"]) == (7, True, False, 0)
    store = make_path(tmp_path / "store", "store-path", seal=False, store=True)
    put_sector(store, number=3, sealed_size=1 << 20)
    code, _, err = miner_cli(miner, "storage", "attach", str(store))
    assert code == 0, err
    saved = json.loads((miner.repo / "storage.json").read_text())
    assert saved == {"StoragePaths": [{"Path": str(seal)}, {"Path": str(store)}]}

    code, out, err = miner_cli(miner, "storage", "list")
    assert code == 0, err
    seal_id = meta["ID"]
    port = miner.api.split("/")[4]
    blocks = {b.split(":\n")[0]: b for b in out.strip("\n").split("\n\n")}
    assert set(blocks) == {seal_id, "store-path"}
    assert re.search(r"\t\[[# *]{50}\] [0-9.]+ [KMGT]?i?B/[0-9.]+ [KMGT]?i?B \d+%\n", blocks["store-path"])
    assert (
        "\tUnsealed: 0; Sealed: 1; Caches: 1; Reserved: 0 B\n\tWeight: 10; Use: Store\n"
        in blocks["store-path"]
    )
    assert (
        f"\tWeight: 7; Use: Seal \n\tLocal: {seal}\n\tURL: http://127.0.0.1:{port}/remote" in blocks[seal_id]
    )

    code, out, err = miner_cli(miner, "storage", "find", "3")
    assert code == 0, err
    assert out == (
        "In store-path (Sealed, Cache)\n"
        "\tSealing: false; Storage: true\n"
        f"\tLocal ({store})\n"
        f"\tURL: http://127.0.0.1:{port}/remote/sealed/s-t01000-3\n"
    )
    assert miner_cli(miner, "find", "3")[1] == out  # the top-level alias
    assert miner_cli(miner, "find", "4")[:2] == (0, "")

    code, out, err = miner_cli(miner, "storage", "list", "sectors")
    assert code == 0, err
    assert out.splitlines() == [
        "Storage     Sector  Type    Primary  Path use  URLs",
        f"store-path  3       sealed  primary  store     http://127.0.0.1:{port}/remote/sealed/s-t01000-3",
        f"store-path  3       cache   primary  store     http://127.0.0.1:{port}/remote/cache/s-t01000-3",
    ]


def test_attach_refusals_leave_no_state_behind(tmp_path: Path, nodes: list[Daemon]) -> None:
    miner = start_node(tmp_path, "miner", [])
    nodes.append(miner)
    bare = tmp_path / "bare"
    bare.mkdir()
    code, _, err = miner_cli(miner, "storage", "attach", str(bare))
    assert code == 1
    assert f"Error: storage path '{bare}' has no sectorstore.json" in err and "Traceback" not in err
    assert list(bare.iterdir()) == []
    assert not (miner.repo / "storage.json").exists() or json.loads(
        (miner.repo / "storage.json").read_text()
    ) == {"StoragePaths": []}

    done = tmp_path / "done"
    assert miner_cli(miner, "storage", "attach", "--init", "--store", str(done))[0] == 0
    code, _, err = miner_cli(miner, "storage", "attach", "--init", "--store", str(done))
    assert code == 1 and f"path '{done}' is already initialized" in err
    code, _, err = miner_cli(miner, "storage", "attach", str(done))
    assert code == 1 and "already opened" in err
    assert json.loads((miner.repo / "storage.json").read_text()) == {"StoragePaths": [{"Path": str(done)}]}


def test_tokens_are_checked(tmp_path: Path, nodes: list[Daemon]) -> None:
    miner = start_node(tmp_path, "miner", [])
    nodes.append(miner)
    nowhere = str(tmp_path / "no-repo")
    bad = {"MINER_API_INFO": f"garbage.token.here:{miner.api}"}
    out = run_cli("pylotus-miner", "--miner-repo", nowhere, "storage", "list", env=bad)
    assert out.returncode == 1
    assert "rejected the token (HTTP 401)" in out.stderr and "Traceback" not in out.stderr

    code, read, _ = miner_cli(miner, "auth", "create-token", "--perm", "write")
    assert code == 0
    weak = {"MINER_API_INFO": f"{read.strip()}:{miner.api}"}
    out = run_cli("pylotus-miner", "--miner-repo", nowhere, "storage", "list", env=weak)
    assert out.returncode == 1
    assert "missing permission to invoke 'StorageList' (need 'admin')" in out.stderr
    target = tmp_path / "p"
    out = run_cli(
        "pylotus-miner",
        "--miner-repo",
        nowhere,
        "storage",
        "attach",
        "--init",
        "--seal",
        str(target),
        env=weak,
    )
    assert out.returncode == 1 and "need 'admin'" in out.stderr
    assert not target.exists()  # the refused attach took back what --init wrote
