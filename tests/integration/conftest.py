"""Fixtures that run the real console scripts as subprocesses on 127.0.0.1.

A daemon fixture starts the program with ``--api 0`` (a free port), waits for its repo's ``api``
file and a first successful call, and on teardown stops it with SIGTERM (SIGKILL after a grace
period).  Its stderr is kept in a file that is printed if the test fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent


def program(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"console script {name!r} is not installed; run 'make test'")
    return found


@dataclass
class Daemon:
    proc: subprocess.Popen[bytes]
    repo: Path
    log: Path

    @property
    def api(self) -> str:
        return (self.repo / "api").read_text()

    @property
    def token(self) -> str:
        return (self.repo / "token").read_text()

    @property
    def url(self) -> str:
        parts = self.api.split("/")
        return f"http://{parts[2]}:{parts[4]}/rpc/v0"

    def call(self, method: str, *params: object, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"jsonrpc": "2.0", "method": f"Filecoin.{method}", "params": list(params), "id": 1}
        return httpx.post(self.url, json=body, headers=headers, timeout=10)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"daemon did not stop within {timeout}s of signal {sig}")
        return self.proc.returncode


def wait_for_api(daemon: Daemon, timeout: float = 20.0) -> None:
    """Wait until the daemon wrote its api file and answers a first call."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.proc.poll() is not None:
            pytest.fail(f"daemon exited with {daemon.proc.returncode}:\n{daemon.log.read_text()}")
        if (daemon.repo / "api").exists() and (daemon.repo / "token").exists():
            try:
                if daemon.call("Version").status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    pytest.fail(f"daemon did not come up in {timeout}s:\n{daemon.log.read_text()}")


def start_node(repo: Path, log: Path, *extra: str) -> Daemon:
    env = dict(os.environ, PYLOTUS_PATH=str(repo))
    env.pop("FULLNODE_API_INFO", None)
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            [program("pylotus"), "daemon", "--api", "0", *extra],
            stdout=sink,
            stderr=sink,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    return Daemon(proc, repo, log)


@pytest.fixture
def node(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Daemon]:
    daemon = start_node(tmp_path / "node", tmp_path / "node.log")
    try:
        wait_for_api(daemon)
        yield daemon
    finally:
        daemon.stop()
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            print(f"--- daemon log ---\n{daemon.log.read_text()}")


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run a console script to completion; returns its exit code, stdout and stderr."""
    name, *rest = args
    return subprocess.run(
        [program(name), *rest],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
        stdin=subprocess.DEVNULL,
    )


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, "rep_" + rep.when, rep)
