"""The real ``pylotus daemon`` making a devnet chain: heights, a send, its receipt, restarts and kill -9."""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from pylotus.chain import FullNodeClient
from pylotus.jsonrpc import resolve_api_info
from pylotus.jsonrpc.client import open_ws_client
from pylotus.repo import RepoType

from .conftest import Daemon, run_cli, start_node, wait_for_api

BLOCK_DELAY = "1s"


def _start(repo: Path, log: Path) -> Daemon:
    daemon = start_node(repo, log, "--block-delay", BLOCK_DELAY)
    wait_for_api(daemon)
    return daemon


@pytest.fixture
def devnet(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Daemon]:
    daemon = _start(tmp_path / "node", tmp_path / "node.log")
    try:
        yield daemon
    finally:
        daemon.stop()
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            print(f"--- daemon log ---\n{daemon.log.read_text()}")


def result(daemon: Daemon, method: str, *params: object) -> object:
    body = daemon.call(method, *params, token=daemon.token).json()
    assert "error" not in body, body
    return body["result"]


def height(daemon: Daemon) -> int:
    head = result(daemon, "ChainHead")
    assert isinstance(head, dict)
    return int(head["Height"])


def wait_height(daemon: Daemon, target: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while height(daemon) < target:
        assert time.monotonic() < deadline, f"height stuck below {target}"
        time.sleep(0.1)


def cli(daemon: Daemon, *args: str) -> str:
    env = {"PYLOTUS_PATH": str(daemon.repo)}
    out = run_cli("pylotus", *args, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_send_wait_restart_and_kill(devnet: Daemon, tmp_path: Path) -> None:
    start = height(devnet)
    wait_height(devnet, start + 2)
    genesis = result(devnet, "ChainGetGenesis")
    assert genesis["Height"] == 0  # type: ignore[index]
    assert result(devnet, "ChainGetTipSetByHeight", 1, None)["Height"] == 1  # type: ignore[index]

    sender = cli(devnet, "wallet", "default").strip()
    target = cli(devnet, "wallet", "new").strip()
    cid = cli(devnet, "send", target, "1.5").strip()
    lookup = result(devnet, "StateWaitMsg", {"/": cid}, 0)
    assert lookup["Receipt"]["ExitCode"] == 0  # type: ignore[index]
    assert lookup["Message"] == {"/": cid}  # type: ignore[index]
    assert result(devnet, "StateSearchMsg", {"/": cid})["Height"] == lookup["Height"]  # type: ignore[index]
    assert result(devnet, "WalletBalance", target) == "1500000000000000000"
    assert cli(devnet, "wallet", "balance", target) == "1.5 FIL\n"
    target_id = result(devnet, "StateLookupID", target, None)
    assert result(devnet, "StateAccountKey", target_id, None) == target
    listing = cli(devnet, "wallet", "list").splitlines()
    assert listing[0].split() == ["Address", "Balance", "Nonce", "Default"]
    assert any(line.startswith(sender) and line.rstrip().endswith("X") for line in listing)
    assert cli(devnet, "sync", "status").startswith("sync status:\nworker 0:\n")
    assert cli(devnet, "mpool", "pending") == ""
    sender_balance = result(devnet, "WalletBalance", sender)

    # graceful restart: the chain continues from its head with the same balances
    before = height(devnet)
    assert devnet.stop() == 0
    devnet = _start(devnet.repo, tmp_path / "node2.log")
    try:
        assert height(devnet) >= before
        assert result(devnet, "WalletBalance", target) == "1500000000000000000"
        assert result(devnet, "StateSearchMsg", {"/": cid})["Height"] == lookup["Height"]  # type: ignore[index]
        wait_height(devnet, before + 1)
        before = height(devnet)
        devnet.stop(signal.SIGKILL)
    finally:
        devnet.stop()

    # kill -9: at most the tipset being built is lost
    devnet = _start(devnet.repo, tmp_path / "node3.log")
    try:
        assert height(devnet) >= before
        assert result(devnet, "WalletBalance", target) == "1500000000000000000"
        assert result(devnet, "WalletBalance", sender) == sender_balance
        assert cli(devnet, "chain", "head").strip().startswith("bafy2bza")
    finally:
        devnet.stop()


def test_bad_messages_are_refused_with_reasons(devnet: Daemon) -> None:
    sender = cli(devnet, "wallet", "default").strip()
    target = cli(devnet, "wallet", "new").strip()
    draft = {"Version": 0, "To": target, "From": sender, "Nonce": 0, "Value": "1", "GasLimit": 1000000,
             "GasFeeCap": "1000", "GasPremium": "1", "Method": 0, "Params": None}  # fmt: skip
    forged = {"Message": draft, "Signature": {"Type": 1, "Data": "AA" * 43 + "AA=="}}
    body = devnet.call("MpoolPush", forged, token=devnet.token).json()
    assert body["error"]["code"] == 1 and "signature" in body["error"]["message"], body
    poor = cli(devnet, "wallet", "new").strip()
    env = {"PYLOTUS_PATH": str(devnet.repo)}
    out = run_cli("pylotus", "send", "--from", poor, target, "1", env=env)
    assert out.returncode == 1 and "not found in the state tree" in out.stderr, out.stderr
    out = run_cli("pylotus", "send", target, "lots", env=env)
    assert out.returncode == 2 and "failed to parse amount" in out.stderr
    assert result(devnet, "MpoolPending", None) == []
    assert os.path.exists(devnet.repo / "datastore")


def test_chain_notify_sends_current_then_applies(devnet: Daemon) -> None:
    async def first_three() -> list[tuple[str, int]]:
        info = resolve_api_info(RepoType.FULL_NODE, devnet.repo)
        seen: list[tuple[str, int]] = []
        with trio.fail_after(15):
            async with open_ws_client(info, FullNodeClient) as client:
                async with client.subscribe("ChainNotify") as changes:
                    async for change in changes:
                        (item,) = change  # type: ignore[misc]
                        seen.append((item["Type"], item["Val"]["Height"]))
                        if len(seen) == 3:
                            return seen
        raise AssertionError("ChainNotify ended early")

    seen = trio.run(first_three)
    assert [kind for kind, _ in seen] == ["current", "apply", "apply"]
    assert seen[1][1] > seen[0][1] and seen[2][1] > seen[1][1]


def test_wallet_and_state_methods_keep_lotus_permissions(devnet: Daemon) -> None:
    sender = result(devnet, "WalletDefaultAddress")
    assert result(devnet, "WalletHas", sender) is True
    assert result(devnet, "WalletList") == [sender]
    signature = result(devnet, "WalletSign", sender, "aGVsbG8=")
    assert signature["Type"] == 1 and len(base64.b64decode(signature["Data"])) == 65  # type: ignore[index]
    assert isinstance(result(devnet, "StateNetworkVersion", None), int)
    assert result(devnet, "StateLookupID", sender, None) == "t0100"
    assert result(devnet, "SyncState")["ActiveSyncs"][0]["Stage"] == 4  # type: ignore[index]
    refused = devnet.call("WalletSign", sender, "aGVsbG8=").json()  # no token: read only
    assert refused["error"]["code"] != 0 and "sign" in refused["error"]["message"], refused
    missing = devnet.call("StateLookupID", "t0999", None).json()
    assert "actor not found" in missing["error"]["message"], missing


def test_wallet_export_then_import_into_another_node(devnet: Daemon, tmp_path: Path) -> None:
    # A key exported from one node (hex of the KeyInfo JSON, as Lotus) imports into another one,
    # which then signs for the same address; garbage is refused with one line and changes nothing.
    address = cli(devnet, "wallet", "new").strip()
    exported = cli(devnet, "wallet", "export", address).strip()
    key_info = json.loads(bytes.fromhex(exported))
    assert key_info["Type"] == "secp256k1" and len(base64.b64decode(key_info["PrivateKey"])) == 32
    other = _start(tmp_path / "other", tmp_path / "other.log")
    try:
        key_file = tmp_path / "key.hex"
        key_file.write_text(exported + "\n")
        assert cli(other, "wallet", "import", "--as-default", str(key_file)).strip() == (
            f"imported key {address} successfully!"
        )
        assert cli(other, "wallet", "default").strip() == address
        before = cli(other, "wallet", "list")
        key_file.write_text("not hex")
        out = run_cli("pylotus", "wallet", "import", str(key_file), env={"PYLOTUS_PATH": str(other.repo)})
        assert out.returncode == 1 and "key is not hex-lotus" in out.stderr, out.stderr
        assert cli(other, "wallet", "list") == before
        read_token = result(other, "AuthNew", ["read"])  # []byte in Lotus: base64 in JSON
        assert isinstance(read_token, str)
        read_only = other.call("WalletExport", address, token=base64.b64decode(read_token).decode()).json()
        assert read_only["error"]["code"] != 0 and "admin" in read_only["error"]["message"]
    finally:
        other.stop()
