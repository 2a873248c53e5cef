"""Two storage nodes as real processes on loopback: a miner-like index and a worker-like fetcher.

The miner node (``python -m pylotus.stores.testserver``) owns the sector index and a path with a
64 MiB sealed file and a cache directory; the worker node attaches its own path to that index over
JSON-RPC and, asked through its ``Fetch`` method, pulls the sector over ``/remote`` with the
miner's admin token.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pylotus.repo import FsRepo, RepoType

from .conftest import Daemon, run_cli, wait_for_api

pytestmark = pytest.mark.integration

SECTOR = {"Miner": 1000, "Number": 1}
SEALED_SIZE = 64 << 20
REF = {"ID": SECTOR, "ProofType": 7}  # 512 MiB V1_1; the nodes run with --sector-size 64MiB


def make_path(root: Path, sid: str, *, seal: bool, store: bool) -> Path:
    root.mkdir(parents=True)
    meta = {"ID": sid, "Weight": 10, "CanSeal": seal, "CanStore": store}
    (root / "sectorstore.json").write_text(json.dumps(meta))
    return root


def put_sector(root: Path, number: int = 1, sealed_size: int = SEALED_SIZE) -> None:
    sealed = root / "sealed" / f"s-t01000-{number}"
    sealed.parent.mkdir(exist_ok=True)
    block = os.urandom(1 << 20)
    with sealed.open("wb") as f:
        for _ in range(sealed_size >> 20):
            f.write(block)
            block = hashlib.sha256(block).digest() * (1 << 15)  # every MiB different, cheaply
    cache = root / "cache" / f"s-t01000-{number}"
    cache.mkdir(parents=True)
    (cache / "p_aux").write_bytes(os.urandom(64))
    (cache / "t_aux").write_bytes(os.urandom(1200))
    (cache / "sc-02-data-tree-r-last.dat").write_bytes(os.urandom(3 << 20))


def start_node(
    tmp: Path, name: str, paths: list[Path], *, index: Daemon | None = None, extra: tuple[str, ...] = ()
) -> Daemon:
    repo = tmp / name
    with FsRepo(repo, RepoType.STORAGE_MINER).open_or_init() as locked:
        locked.set_storage_config([str(p) for p in paths])
    args = [sys.executable, "-m", "pylotus.stores.testserver", "--repo", str(repo), "--sector-size", "64MiB"]
    if index is not None:
        args += ["--index-api", f"{index.token}:{index.api}"]
    log = tmp / f"{name}.log"
    with log.open("ab") as sink:
        proc = subprocess.Popen([*args, *extra], stdout=sink, stderr=sink, stdin=subprocess.DEVNULL)
    node = Daemon(proc, repo, log)
    wait_for_api(node)
    return node


@pytest.fixture
def nodes(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[list[Daemon]]:
    """Started nodes are appended here and stopped (logs printed on failure) at teardown."""
    started: list[Daemon] = []
    yield started
    for node in started:
        node.stop()
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            print(f"--- {node.repo.name} log ---\n{node.log.read_text()}")


def rpc(node: Daemon, method: str, *params: object, token: str, timeout: float = 30) -> object:
    body = {"jsonrpc": "2.0", "method": f"Filecoin.{method}", "params": list(params), "id": 1}
    resp = httpx.post(node.url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
    data = resp.json()
    assert "error" not in data, data["error"]
    return data.get("result")


def remote_url(node: Daemon, rest: str) -> str:
    return node.url.replace("/rpc/v0", "/remote/" + rest)


def digest(path: Path) -> str:
    if path.is_dir():
        return ",".join(f"{p.name}:{digest(p)}" for p in sorted(path.iterdir()))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetching_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if "fetching" in p.parts and p.is_file()]


def test_worker_moves_a_64mib_sealed_file_and_a_cache_dir_from_the_miner(
    tmp_path: Path, nodes: list[Daemon]
) -> None:
    source = make_path(tmp_path / "miner-store", "miner-store", seal=True, store=True)
    put_sector(source)
    want = {kind: digest(source / kind / "s-t01000-1") for kind in ("sealed", "cache")}
    miner = start_node(tmp_path, "miner", [source])
    nodes.append(miner)
    scratch = make_path(tmp_path / "worker-seal", "worker-seal", seal=True, store=False)
    worker = start_node(tmp_path, "worker", [scratch], index=miner)
    nodes.append(worker)

    rpc(worker, "Fetch", REF, 6, "sealing", "move", token=miner.token, timeout=120)

    for kind in ("sealed", "cache"):
        assert digest(scratch / kind / "s-t01000-1") == want[kind]
        assert not (source / kind / "s-t01000-1").exists()  # a move deletes the source
    assert fetching_files(scratch) == []
    found = rpc(miner, "StorageFindSector", SECTOR, 2, 0, False, token=miner.token)
    assert found == [
        {
            "ID": "worker-seal",
            "URLs": [remote_url(worker, "sealed/s-t01000-1")],
            "Weight": 10,
            "CanSeal": True,
            "CanStore": False,
            "Primary": True,
        }
    ]
    listing = run_cli("pylotus-miner", "--miner-repo", str(miner.repo), "storage", "list")
    assert listing.returncode == 0, listing.stderr
    worker_block = listing.stdout.split("worker-seal:\n")[1].split("\n\n")[0]
    assert "\tUnsealed: 0; Sealed: 1; Caches: 1; Reserved: 0 B" in worker_block
    assert f"\tURL: {remote_url(worker, '')[:-1]} (latency: " in worker_block
    assert "Local:" not in worker_block


def test_remote_needs_an_admin_token_the_miner_signed(tmp_path: Path, nodes: list[Daemon]) -> None:
    source = make_path(tmp_path / "miner-store", "miner-store", seal=True, store=True)
    put_sector(source, sealed_size=1 << 20)
    miner = start_node(tmp_path, "miner", [source])
    nodes.append(miner)
    worker = start_node(
        tmp_path, "worker", [make_path(tmp_path / "w", "w", seal=True, store=False)], index=miner
    )
    nodes.append(worker)
    read = run_cli(
        "pylotus-miner", "--miner-repo", str(miner.repo), "auth", "create-token", "--perm", "write"
    )
    assert read.returncode == 0, read.stderr
    url = remote_url(miner, "sealed/s-t01000-1")

    def get(target: str, token: str | None) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.get(target, headers=headers, timeout=10)

    assert get(url, None).status_code == 401
    assert get(url, read.stdout.strip()).json() == {"Error": "unauthorized: missing admin permission"}
    assert get(url, "garbage").status_code == 401
    assert get(url, miner.token[:-2] + "xx").status_code == 401  # signature does not verify
    ok = get(url, miner.token)
    assert ok.status_code == 200 and len(ok.content) == 1 << 20
    # The worker has its own secret but takes only the miner's tokens (it asks the miner's AuthVerify).
    stat = remote_url(worker, "stat/w")
    assert get(stat, worker.token).status_code == 401
    assert get(stat, miner.token).json()["Capacity"] > 0
    assert httpx.delete(url, headers={"Authorization": f"Bearer {read.stdout.strip()}"}).status_code == 401
    assert (source / "sealed" / "s-t01000-1").exists()


def raw_get(node: Daemon, path: str, token: str) -> tuple[int, bytes]:
    """A request sent byte for byte, so no client library normalises the path first."""
    host, port = node.url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        sock.sendall((head + "Connection: close\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


@pytest.fixture(scope="module")
def lone_miner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Daemon, Path]]:
    tmp = tmp_path_factory.mktemp("traversal")
    source = make_path(tmp / "miner-store", "miner-store", seal=True, store=True)
    put_sector(source, sealed_size=1 << 20)
    miner = start_node(tmp, "miner", [source])
    try:
        yield miner, tmp
    finally:
        miner.stop()


@pytest.mark.parametrize(
    "path,status",
    [
        ("/remote/sealed/..%2F..%2Fsectorstore.json", 404),
        ("/remote/sealed/%2e%2e%2fsectorstore.json", 404),
        ("/remote/../../miner/token", 404),
        ("/remote/sealed/../sectorstore.json", 404),
        ("/remote/cache/s-t01000-1%2Fp_aux", 404),
        ("/remote/stat/..%2F..%2F..%2Fetc%2Fpasswd", 404),
        ("/remote/..%2Fcache/s-t01000-1", 404),
        ("/remote/sealed/s-t01000-1%00", 400),
        ("/remote/sealed/s-t01000-0001", 400),
        ("/remote/sealed/s-t01000-1.json", 400),
    ],
)
def test_path_traversal_attempts_get_400_or_404_and_leak_nothing(
    lone_miner: tuple[Daemon, Path], path: str, status: int
) -> None:
    miner, tmp = lone_miner
    files = sorted(str(p) for p in tmp.rglob("*") if not p.name.endswith(".log"))
    got, body = raw_get(miner, path, miner.token)
    assert got == status, body
    assert b"miner-store" not in body and miner.token.encode() not in body and b"root:" not in body
    assert sorted(str(p) for p in tmp.rglob("*") if not p.name.endswith(".log")) == files


def test_a_killed_fetch_leaves_no_partial_file_in_place(tmp_path: Path, nodes: list[Daemon]) -> None:
    source = make_path(tmp_path / "miner-store", "miner-store", seal=True, store=True)
    put_sector(source)
    # Slow the miner's /remote to 4 MiB every 0.1 s so the transfer is still running when killed.
    miner = start_node(tmp_path, "miner", [source], extra=("--remote-delay", "0.1"))
    nodes.append(miner)
    scratch = make_path(tmp_path / "worker-seal", "worker-seal", seal=True, store=False)
    worker = start_node(tmp_path, "worker", [scratch], index=miner)

    def fetch() -> None:
        try:
            rpc(worker, "Fetch", REF, 2, "sealing", "move", token=miner.token, timeout=60)
        except (httpx.HTTPError, ValueError):
            pass  # the worker is killed mid-call

    caller = threading.Thread(target=fetch, daemon=True)
    caller.start()
    partial = scratch / "sealed" / "fetching" / "s-t01000-1"
    deadline = time.monotonic() + 20
    while not (partial.exists() and partial.stat().st_size > 0):
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.01)
    worker.stop(signal.SIGKILL)
    caller.join(10)

    assert not (scratch / "sealed" / "s-t01000-1").exists()
    found = rpc(miner, "StorageFindSector", SECTOR, 2, 0, False, token=miner.token)
    assert isinstance(found, list) and [f["ID"] for f in found] == [
        "miner-store"
    ]  # not declared, and the source is intact
    assert (source / "sealed" / "s-t01000-1").stat().st_size == SEALED_SIZE

    again = start_node(tmp_path, "worker", [scratch], index=miner)
    nodes.append(again)
    assert fetching_files(scratch) == []  # the dead download was cleared when the path was opened
    assert "removing an unfinished download" in again.log.read_text()
