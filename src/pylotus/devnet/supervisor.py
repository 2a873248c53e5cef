"""``pylotus devnet``: a whole local network in one command, its programs supervised as children.

Counterpart: Lotus's 2KiB devnet recipe (reference/lotus-miner.md §8: ``lotus-seed pre-seal``,
``genesis new``/``add-miner``, ``lotus daemon --genesis-template``, ``wallet import``,
``lotus-miner init --genesis-miner``, ``lotus-miner run``) plus ``lotus-worker run``, done by one
supervisor.  Every program is the real console script in a process of its own; the supervisor only
starts them, waits for each one's ``api`` file, and restarts one that dies (so ``kill -9`` of the
miner is followed by the miner resuming its sectors), at most :data:`MAX_RESTARTS` times a minute.

Layout under ``--home`` (a fresh temporary directory when not given; an existing home is reused,
so a devnet can be stopped and started again)::

    sectors/            pre-sealed sectors of t01000 (pylotus-seed)
    genesis.json        the genesis template
    node/               pylotus daemon's repo          (PYLOTUS_PATH)
    miner/              pylotus-miner's repo           (PYLOTUS_MINER_PATH)
    worker-<i>/         each seal worker's repo
    logs/<program>.log  each program's output

With ``--workers N`` > 0 the miner's own worker is configured not to seal (``[Storage]
AllowAddPiece/PreCommit1/PreCommit2/Commit = false``), so the seal workers do the sealing and the
miner keeps fetching, finalizing and proving.  Once everything answers, the supervisor prints
``export FULLNODE_API_INFO=…`` and ``export MINER_API_INFO=…`` for another shell.  SIGINT or
SIGTERM stops the workers, then the miner, then the node, each with SIGTERM (SIGKILL after
:data:`STOP_TIMEOUT`).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import trio

from ..errors import PylotusError
from ..repo import RepoType, set_config_values

__all__ = ["DevnetConfig", "DevnetError", "run_devnet"]

log = logging.getLogger(__name__)

GENESIS_MINER: Final = "t01000"
PRESEAL_SECTORS: Final = 2
START_TIMEOUT: Final = 120.0  # seconds a program has to write its api file
STOP_TIMEOUT: Final = 20.0  # seconds between SIGTERM and SIGKILL
MAX_RESTARTS: Final = 5  # restarts of one program within RESTART_WINDOW before the devnet gives up
RESTART_WINDOW: Final = 60.0
_NO_SEALING: Final = {
    "AllowAddPiece": False,
    "AllowPreCommit1": False,
    "AllowPreCommit2": False,
    "AllowCommit": False,
}


class DevnetError(PylotusError):
    """A step of the devnet failed; the message names the program and its log."""


@dataclass(frozen=True)
class DevnetConfig:
    home: Path
    sector_size: str = "2KiB"
    workers: int = 1
    block_delay: str = "1s"


def _free_port() -> int:
    """A port free on 127.0.0.1 now; the devnet keeps it for a program's restarts, so the programs
    that found it (the workers find the miner, the miner the node) still reach it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _program(name: str) -> str:
    """The console script ``name`` next to this interpreter, else on ``PATH``."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise DevnetError(f"program '{name}' is not installed (run 'make install')")
    return found


@dataclass
class _Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    repo: Path
    process: trio.Process | None = None
    restarts: list[float] = field(default_factory=list)


class _Devnet:
    def __init__(self, cfg: DevnetConfig, echo: Callable[[str], None]) -> None:
        self.cfg = cfg
        self.echo = echo
        self.home = cfg.home
        self.logs = cfg.home / "logs"
        self.node_repo = cfg.home / "node"
        self.miner_repo = cfg.home / "miner"
        self.sectors = cfg.home / "sectors"
        self.children: list[_Child] = []
        self.stopping = False
        self.failed: trio.Event = trio.Event()
        self.failure = ""
        base = {k: v for k, v in os.environ.items() if not k.endswith("_API_INFO")}
        self.env = dict(base, PYLOTUS_PATH=str(self.node_repo), PYLOTUS_MINER_PATH=str(self.miner_repo))

    # -- one-shot steps -------------------------------------------------------------------------------

    async def step(self, what: str, *argv: str) -> None:
        log_path = self.logs / "setup.log"
        with log_path.open("ab") as sink:
            result = await trio.run_process(
                [_program(argv[0]), *argv[1:]], stdout=sink, stderr=sink, env=self.env, check=False
            )
        if result.returncode != 0:
            raise DevnetError(f"{what} failed (exit {result.returncode}); see {log_path}")

    async def setup(self) -> None:
        """Pre-seal, genesis, wallet and miner repo, each only if not done in an earlier run."""
        self.logs.mkdir(parents=True, exist_ok=True)
        manifest = self.sectors / f"pre-seal-{GENESIS_MINER}.json"
        genesis = self.home / "genesis.json"
        if not manifest.exists():
            self.echo(f"==> pre-sealing {PRESEAL_SECTORS} {self.cfg.sector_size} sectors for {GENESIS_MINER}")
            await self.step(
                "pylotus-seed pre-seal",
                "pylotus-seed", "--sector-dir", str(self.sectors), "pre-seal",
                "--sector-size", self.cfg.sector_size, "--num-sectors", str(PRESEAL_SECTORS),
                "--miner-addr", GENESIS_MINER,
            )  # fmt: skip
        if not genesis.exists():
            self.echo("==> genesis template")
            tmp = genesis.with_suffix(".json.tmp")
            await self.step("pylotus-seed genesis new", "pylotus-seed", "genesis", "new", str(tmp))
            await self.step(
                "pylotus-seed genesis add-miner",
                "pylotus-seed",
                "genesis",
                "add-miner",
                str(tmp),
                str(manifest),
            )
            tmp.rename(genesis)

    async def init_miner(self) -> None:
        if (self.miner_repo / "keystore").exists():
            return
        self.echo("==> importing the genesis miner's key as the wallet default")
        key = self.sectors / f"pre-seal-{GENESIS_MINER}.key"
        try:
            await self.step("pylotus wallet import", "pylotus", "wallet", "import", "--as-default", str(key))
        except DevnetError as exc:  # an earlier run stopped after the import: the key is there
            self.echo(f"    ({exc}; going on: init says if the wallet lacks the key)")
        self.echo(f"==> pylotus-miner init --genesis-miner --actor {GENESIS_MINER}")
        await self.step(
            "pylotus-miner init",
            "pylotus-miner", "init", "--genesis-miner", "--actor", GENESIS_MINER,
            "--sector-size", self.cfg.sector_size, "--pre-sealed-sectors", str(self.sectors),
            "--pre-sealed-metadata", str(self.sectors / f"pre-seal-{GENESIS_MINER}.json"),
        )  # fmt: skip
        if self.cfg.workers > 0:
            set_config_values(self.miner_repo / "config.toml", RepoType.STORAGE_MINER, "Storage", _NO_SEALING)

    # -- long-running children ------------------------------------------------------------------------

    def child(self, name: str, argv: Sequence[str], repo: Path, **env: str) -> _Child:
        process_env = dict(self.env, **env)
        return _Child(name, [_program(argv[0]), *argv[1:]], process_env, self.logs / f"{name}.log", repo)

    async def start(self, nursery: trio.Nursery, child: _Child) -> None:
        """Start ``child``, supervise it, and wait for its ``api`` file."""
        self.children.append(child)
        await nursery.start(self._supervise, child)
        deadline = trio.current_time() + START_TIMEOUT
        api = child.repo / "api"
        while not (api.exists() and api.stat().st_mtime >= child.restarts[-1] - 1):
            if self.failed.is_set():
                raise DevnetError(self.failure)
            if trio.current_time() > deadline:
                raise DevnetError(f"{child.name} did not start within {START_TIMEOUT:.0f}s; see {child.log}")
            await trio.sleep(0.1)

    async def _supervise(
        self, child: _Child, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        started = False
        while True:
            child.restarts = [t for t in child.restarts if t > time.time() - RESTART_WINDOW] + [time.time()]
            with child.log.open("ab") as sink:
                child.process = await trio.lowlevel.open_process(
                    child.argv,
                    stdout=sink,
                    stderr=sink,
                    env=child.env,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops them in order
                )
            if not started:
                task_status.started()
                started = True
            code = await child.process.wait()
            if self.stopping:
                return
            if len(child.restarts) >= MAX_RESTARTS:
                self.failure = (
                    f"{child.name} exited {len(child.restarts)} times within a minute; see {child.log}"
                )
                self.failed.set()
                return
            self.echo(f"!! {child.name} exited with code {code}; restarting it")
            await trio.sleep(1.0)

    async def stop(self) -> None:
        self.stopping = True
        for child in reversed(self.children):
            process = child.process
            if process is None or process.returncode is not None:
                continue
            self.echo(f"==> stopping {child.name}")
            process.send_signal(signal.SIGTERM)
            with trio.move_on_after(STOP_TIMEOUT):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()

    def api_info(self, repo: Path) -> str:
        token = (repo / "token").read_text().strip()
        return f"{token}:{(repo / 'api').read_text().strip()}"


async def run_devnet(cfg: DevnetConfig, echo: Callable[[str], None] = print) -> None:
    """Run the devnet until SIGINT/SIGTERM; raises :class:`DevnetError` if a step fails."""
    devnet = _Devnet(cfg, echo)
    await devnet.setup()
    async with trio.open_nursery() as nursery:
        try:
            echo(f"==> pylotus daemon (block delay {cfg.block_delay})")
            node = devnet.child(
                "daemon",
                ["pylotus", "daemon", "--api", str(_free_port()), "--block-delay", cfg.block_delay,
                 "--genesis-template", str(cfg.home / "genesis.json")],
                devnet.node_repo,
            )  # fmt: skip
            await devnet.start(nursery, node)
            await devnet.init_miner()
            echo("==> pylotus-miner run")
            await devnet.start(
                nursery,
                devnet.child(
                    "miner", ["pylotus-miner", "run", "--miner-api", str(_free_port())], devnet.miner_repo
                ),
            )
            miner_info = devnet.api_info(devnet.miner_repo)
            for index in range(cfg.workers):
                repo = cfg.home / f"worker-{index}"
                echo(f"==> pylotus-seal-worker run ({repo.name})")
                worker = devnet.child(
                    f"worker-{index}",
                    [
                        "pylotus-seal-worker",
                        "run",
                        "--listen",
                        "127.0.0.1:0",
                        "--name",
                        f"devnet-worker-{index}",
                    ],
                    repo,
                    PYLOTUS_WORKER_PATH=str(repo),
                    MINER_API_INFO=miner_info,
                )
                await devnet.start(nursery, worker)
            echo("")
            echo("The devnet is up. In another shell:")
            echo(f"export FULLNODE_API_INFO={devnet.api_info(devnet.node_repo)}")
            echo(f"export MINER_API_INFO={devnet.api_info(devnet.miner_repo)}")
            echo(f"(logs in {devnet.logs}; Ctrl-C stops everything)")
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async with trio.open_nursery() as waiters:

                    async def on_signal() -> None:
                        async for _ in signals:
                            waiters.cancel_scope.cancel()
                            return

                    async def on_failure() -> None:
                        await devnet.failed.wait()
                        waiters.cancel_scope.cancel()

                    waiters.start_soon(on_signal)
                    waiters.start_soon(on_failure)
        finally:
            with trio.CancelScope(shield=True):
                await devnet.stop()
            nursery.cancel_scope.cancel()
    if devnet.failed.is_set():
        raise DevnetError(devnet.failure)
    echo("==> devnet stopped")
