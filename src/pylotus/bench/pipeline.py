"""``pylotus-bench pipeline``: pledge → Proving on a real devnet, split into sealing and chain time.

Counterpart: none in Lotus (``lotus-bench`` times the proofs alone); this measures the mission: a
``pylotus devnet`` (node, genesis miner, seal workers as separate processes, :mod:`pylotus.devnet`),
sectors pledged through the miner API and followed through their states.

Two figures per sector size (one worker, one sector at a time):

* **sealing compute**: the time the sector spends in the states whose work is a sealing task
  (Packing, PreCommit1, PreCommit2, Committing, FinalizeSector);
* **chain waiting**: the rest (PreCommitting … WaitSeed, SubmitCommit, CommitWait), bounded below by
  the devnet's PreCommitChallengeDelay of 10 epochs plus a few blocks per message.

States are sampled every 50 ms through ``SectorsStatus``.  Then, for 2KiB with ``--workers``
seal workers (default 2), ``--batch`` sectors (default 8) are pledged at once and the sustained
rate is their count over the time from the first pledge to the last Proving.

The ratio printed is that rate over the machine's limit: how many sectors an hour the sealing
compute alone would allow on this machine's cores (``cores × 3600 / compute per sector``), so 1.0
would be a pipeline that adds nothing to the kernels.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import click
import httpx

__all__ = ["pipeline_command"]

SEALING_STATES: Final = frozenset({"Packing", "PreCommit1", "PreCommit2", "Committing", "FinalizeSector"})
POLL: Final = 0.05


@dataclass
class _Net:
    proc: subprocess.Popen[bytes]
    home: Path

    def rpc(self, repo: str, method: str, *params: object) -> Any:
        api = (self.home / repo / "api").read_text().split("/")
        token = (self.home / repo / "token").read_text()
        body = {"jsonrpc": "2.0", "method": f"Filecoin.{method}", "params": list(params), "id": 1}
        url = f"http://{api[2]}:{api[4]}/rpc/v0"
        doc = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
        if "error" in doc:
            raise click.ClickException(f"{method}: {doc['error']['message']}")
        return doc["result"]


@contextmanager
def _devnet(home: Path, sector_size: str, workers: int, block_delay: str) -> Iterator[_Net]:
    out = home / "devnet.out"
    pylotus = str(Path(sys.executable).parent / "pylotus")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_INFO")}
    argv = [pylotus, "devnet", "--home", str(home / "net"), "--sector-size", sector_size]
    argv += ["--workers", str(workers), "--block-delay", block_delay]
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL
        )
    net = _Net(proc, home / "net")
    try:
        deadline = time.monotonic() + 1800
        while "export MINER_API_INFO=" not in out.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise click.ClickException(f"the devnet did not come up:\n{out.read_text()}")
            time.sleep(0.2)
        yield net
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()


def _follow(net: _Net, numbers: list[int], timeout: float) -> dict[int, dict[str, float]]:
    """Seconds each sector spent in each state, sampled until all are Proving."""
    spent: dict[int, dict[str, float]] = {n: {} for n in numbers}
    current: dict[int, tuple[str, float]] = {}
    deadline = time.monotonic() + timeout
    while True:
        now = time.monotonic()
        done = True
        for number in numbers:
            state = str(net.rpc("miner", "SectorsStatus", number, False)["State"])
            previous = current.get(number)
            if previous is not None and previous[0] != state:
                spent[number][previous[0]] = spent[number].get(previous[0], 0.0) + now - previous[1]
            if previous is None or previous[0] != state:
                current[number] = (state, now)
            done = done and state == "Proving"
        if done:
            return spent
        if now > deadline:
            raise click.ClickException(f"sectors {numbers} did not reach Proving within {timeout:.0f}s")
        time.sleep(POLL)


def _split(spent: dict[str, float]) -> tuple[float, float]:
    sealing = sum(t for s, t in spent.items() if s in SEALING_STATES)
    return sealing, sum(spent.values()) - sealing


@click.command("pipeline")
@click.option("--sector-size", "sizes", multiple=True, default=["2KiB", "8MiB"], show_default=True)
@click.option(
    "--workers", type=click.IntRange(1, 8), default=2, show_default=True, help="workers for the rate"
)
@click.option(
    "--batch", type=click.IntRange(1, 100), default=8, show_default=True, help="sectors for the rate"
)
@click.option("--block-delay", default="1s", show_default=True)
@click.option("--timeout", type=float, default=1800.0, show_default=True, help="seconds a pledge may take")
def pipeline_command(
    sizes: tuple[str, ...], workers: int, batch: int, block_delay: str, timeout: float
) -> None:
    """Time pledge → Proving on a devnet: sealing compute vs chain waiting, and sectors/hour."""
    compute_2k = 0.0
    with tempfile.TemporaryDirectory(prefix="pylotus-bench-pipeline-") as tmp:
        for size in sizes:
            home = Path(tmp) / size
            home.mkdir()
            with _devnet(home, size, 1, block_delay) as net:
                start = time.monotonic()
                number = int(net.rpc("miner", "PledgeSector")["Number"])
                spent = _follow(net, [number], timeout)
                total = time.monotonic() - start
            sealing, chain = _split(spent[number])
            if size == "2KiB":
                compute_2k = sealing
            detail = json.dumps({k: round(v, 2) for k, v in spent[number].items()})
            click.echo(
                f"{size}: pledge→Proving {total:.1f}s = sealing compute {sealing:.1f}s + chain waiting "
                f"{chain:.1f}s (block delay {block_delay}); per state {detail}"
            )
        home = Path(tmp) / "rate"
        home.mkdir()
        with _devnet(home, "2KiB", workers, block_delay) as net:
            start = time.monotonic()
            numbers = [int(net.rpc("miner", "PledgeSector")["Number"]) for _ in range(batch)]
            spent = _follow(net, numbers, timeout)
            wall = time.monotonic() - start
    rate = batch * 3600 / wall
    line = f"2KiB sustained with {workers} workers: {batch} sectors in {wall:.1f}s = {rate:.0f} sectors/hour"
    if compute_2k > 0:
        cores = os.cpu_count() or 1
        limit = cores * 3600 / compute_2k
        line += f"; machine limit {limit:.0f}/hour ({cores} cores × 3600 / {compute_2k:.2f}s)"
        line += f" → ratio {rate / limit:.2f}"
    mean_chain = sum(_split(s)[1] for s in spent.values()) / len(spent)
    click.echo(line + f"; mean chain waiting per sector {mean_chain:.1f}s")
