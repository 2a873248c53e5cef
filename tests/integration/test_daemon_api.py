"""``pylotus daemon`` as a real process: its repo, lock, token, API, and how it stops."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import Daemon, run_cli, start_node, wait_for_api

pytestmark = pytest.mark.integration


def test_first_start_creates_repo_token_and_api_file(node: Daemon) -> None:
    assert node.api.startswith("/ip4/127.0.0.1/tcp/") and node.api.endswith("/http")
    assert not node.api.endswith("\n")
    assert stat.S_IMODE(os.stat(node.repo / "token").st_mode) == 0o600
    assert (node.repo / "keystore" / "MF2XI2BNNJ3XILLQOJUXMYLUMU").exists()  # auth-jwt-private
    assert stat.S_IMODE(os.stat(node.repo / "keystore").st_mode) == 0o700
    lock = json.loads((node.repo / "repo.lock").read_text())
    assert lock["PID"] == node.proc.pid


def test_version_needs_no_token_but_admin_methods_do(node: Daemon) -> None:
    resp = node.call("Version")
    assert resp.json()["result"]["APIVersion"] == 65536
    err = node.call("AuthNew", ["read"]).json()["error"]
    assert err["code"] == 1
    assert "missing permission to invoke 'AuthNew' (need 'admin')" in err["message"]
    assert "no API token was sent" in err["message"]


def test_repo_token_is_admin_and_tokens_of_each_level_work(node: Daemon) -> None:
    for perm, expect in [
        ("read", ["read"]),
        ("write", ["read", "write"]),
        ("admin", ["read", "write", "sign", "admin"]),
    ]:
        out = run_cli("pylotus", "--repo", str(node.repo), "auth", "create-token", "--perm", perm)
        assert out.returncode == 0, out.stderr
        token = out.stdout.strip()
        assert node.call("AuthVerify", token).json()["result"] == expect
        admin = node.call("AuthNew", ["read"], token=token).json()
        assert ("result" in admin) == (perm == "admin")
    assert node.call("AuthNew", ["read"], token="garbage").status_code == 401


def test_api_info_prints_an_env_line_clients_accept(node: Daemon) -> None:
    out = run_cli("pylotus", "--repo", str(node.repo), "auth", "api-info", "--perm", "admin")
    assert out.returncode == 0, out.stderr
    name, _, value = out.stdout.strip().partition("=")
    assert name == "FULLNODE_API_INFO"
    token, _, maddr = value.partition(":")
    assert maddr == node.api
    # The env var alone (with a repo that has no api file) is enough for a client.
    empty = node.repo.parent / "empty"
    again = run_cli(
        "pylotus",
        "--repo",
        str(empty),
        "auth",
        "create-token",
        "--perm",
        "read",
        env={"FULLNODE_API_INFO": value},
    )
    assert again.returncode == 0, again.stderr
    assert node.call("AuthVerify", again.stdout.strip()).json()["result"] == ["read"]
    assert base64.b64decode(node.call("AuthNew", ["sign"], token=token).json()["result"]).count(b".") == 2


def test_second_daemon_on_the_same_repo_is_refused(node: Daemon, tmp_path: Path) -> None:
    second = run_cli("pylotus", "--repo", str(node.repo), "daemon", "--api", "0")
    assert second.returncode == 1
    assert f"Error: repo at '{node.repo}' is locked by pid {node.proc.pid}" in second.stderr
    assert "is another pylotus daemon running?" in second.stderr
    assert "Traceback" not in second.stderr
    assert node.call("Version").status_code == 200  # the first one is untouched


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_gracefully_and_releases_the_lock(tmp_path: Path, sig: int) -> None:
    daemon = start_node(tmp_path / "node", tmp_path / "node.log")
    wait_for_api(daemon)
    assert daemon.stop(sig) == 0
    assert not (daemon.repo / "api").exists()
    log = daemon.log.read_text()
    assert "shutting down" in log and "Traceback" not in log
    again = start_node(daemon.repo, tmp_path / "again.log")
    try:
        wait_for_api(again)
        assert "stale" not in again.log.read_text()
    finally:
        again.stop()


def test_shutdown_method_stops_the_daemon(node: Daemon) -> None:
    resp = node.call("Shutdown", token=node.token)
    assert resp.json() == {"jsonrpc": "2.0", "id": 1}
    assert node.proc.wait(10) == 0
    assert not (node.repo / "api").exists()


def test_lock_left_by_kill_9_is_taken_over(tmp_path: Path) -> None:
    daemon = start_node(tmp_path / "node", tmp_path / "node.log")
    wait_for_api(daemon)
    old_pid = daemon.proc.pid
    daemon.proc.kill()
    daemon.proc.wait()
    again = start_node(daemon.repo, tmp_path / "again.log")
    try:
        wait_for_api(again)
        log = again.log.read_text()
        assert "stale" in log and str(old_pid) in log
        assert again.call("Version").status_code == 200
    finally:
        again.stop()


def test_port_in_use_is_one_clear_line(node: Daemon, tmp_path: Path) -> None:
    port = node.api.split("/")[4]
    out = run_cli("pylotus", "--repo", str(tmp_path / "other"), "daemon", "--api", port)
    assert out.returncode == 1
    assert f"Error: could not listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr
    # the failed start released its lock: a later daemon can use that repo
    again = start_node(tmp_path / "other", tmp_path / "other.log")
    try:
        wait_for_api(again)
    finally:
        again.stop()


def _create_token(repo: Path) -> subprocess.CompletedProcess[str]:
    args = ["pylotus", "--repo", str(repo), "auth", "create-token", "--perm", "read"]
    return run_cli(*args, env={"FULLNODE_API_INFO": ""})


def test_client_without_a_running_daemon_says_so(tmp_path: Path) -> None:
    out = _create_token(tmp_path / "none")
    assert out.returncode == 1
    assert "has no 'api' file; is the pylotus daemon running?" in out.stderr
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "api").write_text("/ip4/127.0.0.1/tcp/1/http")
    out = _create_token(stale)
    assert out.returncode == 1
    assert "could not reach the API at http://127.0.0.1:1/rpc/v0" in out.stderr
    assert "Traceback" not in out.stderr


def test_miner_auth_commands_use_miner_api_info(node: Daemon, tmp_path: Path) -> None:
    # No miner daemon exists yet (issue #8); any pylotus API serves AuthNew, so point
    # MINER_API_INFO at the node to run pylotus-miner's real code path end to end.
    env = {"MINER_API_INFO": f"{node.token}:{node.api}"}
    out = run_cli(
        "pylotus-miner", "--miner-repo", str(tmp_path / "m"), "auth", "api-info", "--perm", "sign", env=env
    )
    assert out.returncode == 0, out.stderr
    name, _, value = out.stdout.strip().partition("=")
    assert name == "MINER_API_INFO"
    token, _, maddr = value.partition(":")
    assert maddr == node.api
    assert node.call("AuthVerify", token).json()["result"] == ["read", "write", "sign"]
    missing = run_cli(
        "pylotus-miner",
        "--miner-repo",
        str(tmp_path / "m"),
        "auth",
        "create-token",
        "--perm",
        "read",
        env={"MINER_API_INFO": ""},
    )
    assert missing.returncode == 1
    assert "is the pylotus-miner running?" in missing.stderr


def test_two_daemons_racing_on_a_fresh_repo(tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    daemons = [start_node(repo, tmp_path / f"d{i}.log") for i in range(2)]
    try:
        deadline = time.monotonic() + 20
        while all(d.proc.poll() is None for d in daemons) and time.monotonic() < deadline:
            time.sleep(0.05)
        losers = [d for d in daemons if d.proc.poll() is not None]
        assert len(losers) == 1, "exactly one of two racing daemons must give up"
        assert losers[0].proc.returncode == 1
        log = losers[0].log.read_text()
        # "by pid N (started T)", or "by another process" if the winner had the flock but had
        # not yet written its PID: both name the cause, neither is a half-made repo.
        assert f"Error: repo at '{repo}' is locked by " in log, log
        assert "is another pylotus daemon running?" in log
        winner = next(d for d in daemons if d is not losers[0])
        wait_for_api(winner)
    finally:
        for d in daemons:
            d.stop()


def test_empty_repo_path_is_refused(tmp_path: Path) -> None:
    out = run_cli("pylotus", "--repo", "", "daemon", "--api", "0")
    assert out.returncode == 2
    assert "the repo path must not be empty" in out.stderr


def test_net_addrs_listen_is_the_repo_host_key_and_survives_a_restart(tmp_path: Path) -> None:
    from pylotus.repo import Keystore, peer_id_of_host_key, peer_id_text

    daemon = start_node(tmp_path / "node", tmp_path / "node.log")
    wait_for_api(daemon)
    first = daemon.call("NetAddrsListen", token=daemon.token).json()["result"]
    assert daemon.stop() == 0
    key = Keystore(daemon.repo / "keystore").get("libp2p-host")
    assert first == {"ID": peer_id_text(peer_id_of_host_key(key.private_key)), "Addrs": []}
    assert first["ID"].startswith("12D3KooW")
    again = start_node(daemon.repo, tmp_path / "again.log")
    try:
        wait_for_api(again)
        assert again.call("NetAddrsListen", token=again.token).json()["result"] == first
    finally:
        again.stop()
