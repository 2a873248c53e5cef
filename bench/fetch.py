"""Sector fetch throughput against the disk's own read rate: ``python bench/fetch.py --size 512MiB``.

What it measures (issue #5): one sealed-sector file of ``--size`` bytes is fetched over loopback
from a storage node running in another process (``python -m pylotus.stores.testserver``, serving
``/remote`` with an admin token) into a storage path of this process, through the real code path:
``StorageFindSector`` and ``StorageBestAlloc`` over JSON-RPC, a space reservation, the download
into ``sealed/fetching/``, fsync, rename, ``StorageDeclareSector``.  The file's page cache is
dropped (``posix_fadvise(DONTNEED)``) before each fetch, so the server reads it from disk.

The limit it is compared with is the raw disk read rate of the same file, measured in the same
run: drop its pages, then ``cat file > /dev/null``.  The ratio is fetch rate / disk read rate
(target ≥ 50%).  A fetch also writes (and fsyncs) every byte on the same disk, so the disk's
write+fsync rate for the same size is printed too, as is the warm (page-cache) read rate.

Disks of cloud VMs vary a lot from one second to the next, so each figure is measured ``--runs``
times, interleaved, and the medians are compared.  By default both storage paths share one disk,
which then carries the read and the write of every byte; ``--dest-dir /dev/shm`` puts the
fetching side on another filesystem, as a second machine's disk would be.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import trio

from pylotus.abi import ActorID, SectorFileType, SectorID, SectorNumber, parse_ram_bytes
from pylotus.jsonrpc import ApiInfo, open_http_client
from pylotus.repo import FsRepo, RepoType
from pylotus.stores import AcquireMode, LocalStore, PathType, RemoteStore, StorageClient

SECTOR = SectorID(ActorID(1000), SectorNumber(1))
BLOCK = 1 << 20


def _write_path(root: Path, storage_id: str, *, seal: bool, store: bool) -> None:
    root.mkdir(parents=True)
    meta = {"ID": storage_id, "Weight": 10, "CanSeal": seal, "CanStore": store, "MaxStorage": 0}
    (root / "sectorstore.json").write_text(json.dumps(meta))


def _write_file(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(BLOCK)
    with path.open("wb") as f:
        for offset in range(0, size, BLOCK):
            f.write(block[: min(BLOCK, size - offset)])
        f.flush()
        os.fsync(f.fileno())


def _drop_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _cat_rate(path: Path, size: int) -> float:
    started = time.perf_counter()
    subprocess.run(f"cat '{path}' > /dev/null", shell=True, check=True)
    return size / (time.perf_counter() - started)


def _repo_with_paths(repo: Path, paths: list[Path]) -> None:
    with FsRepo(repo, RepoType.STORAGE_MINER).open_or_init() as locked:
        locked.set_storage_config([str(p) for p in paths])


def _start_server(repo: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pylotus.stores.testserver", "--repo", str(repo), "--log-level", "warn"],
            stdout=sink,
            stderr=sink,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + 30
    while not (repo / "api").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise click.ClickException(f"storage node did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return proc


class _DestConfig:
    """The fetching side's storage.json, kept in memory: one path."""

    def __init__(self, path: Path) -> None:
        self._paths = [str(path)]

    def storage_config(self) -> list[str]:
        return list(self._paths)

    def set_storage_config(self, paths: list[str]) -> None:
        self._paths = list(paths)


async def _fetch(info: ApiInfo, dest: Path, size: int) -> float:
    async with open_http_client(info, StorageClient) as index:
        local = LocalStore(index, _DestConfig(dest))
        await local.open([])
        remote = RemoteStore(local, index, info.auth_headers())
        started = trio.current_time()
        paths = await remote.acquire_sector(
            SECTOR, size, SectorFileType.SEALED, SectorFileType.NONE, PathType.SEALING, AcquireMode.COPY
        )
        took = trio.current_time() - started
    fetched = paths.paths[SectorFileType.SEALED]
    if fetched.stat().st_size != size:
        raise click.ClickException(f"fetched file has {fetched.stat().st_size} bytes, expected {size}")
    return took


def _write_rate(directory: Path, size: int) -> float:
    probe = directory / "write-probe"
    started = time.perf_counter()
    _write_file(probe, size)
    rate = size / (time.perf_counter() - started)
    probe.unlink()
    return rate


def _one_fetch(info: ApiInfo, dest_base: Path, run: int, size: int) -> float:
    dest = dest_base / f"pylotus-bench-dest{run}"
    _write_path(dest, f"bench-dest-{run:04d}", seal=True, store=False)
    try:
        return size / trio.run(_fetch, info, dest, size)
    finally:
        shutil.rmtree(dest)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@click.command()
@click.option("--size", default="512MiB", show_default=True, help="file size (go-units: 512MiB, 64MiB, …)")
@click.option(
    "--runs", type=click.IntRange(1), default=3, show_default=True, help="measurements of each rate"
)
@click.option(
    "--dir", "base", type=click.Path(file_okay=False, path_type=Path), default=None, help="work directory"
)
@click.option(
    "--dest-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="where the fetching side's storage path goes (default: the work directory, i.e. the same disk;"
    " another filesystem such as /dev/shm stands in for a second machine's disk)",
)
def main(size: str, runs: int, base: Path | None, dest_dir: Path | None) -> None:
    """Fetch one sealed file between two local processes; print MiB/s next to the disk's read rate."""
    nbytes = parse_ram_bytes(size)
    work = Path(tempfile.mkdtemp(prefix="pylotus-bench-fetch-", dir=base))
    proc: subprocess.Popen[bytes] | None = None
    try:
        source = work / "source"
        _write_path(source, "bench-source-0000", seal=True, store=True)
        sealed = source / "sealed" / "s-t01000-1"
        _write_file(sealed, nbytes)
        _repo_with_paths(work / "repo", [source])
        proc = _start_server(work / "repo", work / "server.log")
        info = ApiInfo(
            multiaddr=(work / "repo" / "api").read_text(), token=(work / "repo" / "token").read_bytes()
        )
        cold, warm, write, fetch = [], [], [], []
        mib = 2**20
        where = "same disk" if dest_dir is None else f"destination in {dest_dir}"
        click.echo(
            f"{nbytes / mib:.0f} MiB sealed sector file, loopback, 2 processes, {where}; MiB/s per run:"
        )
        for run in range(runs):
            _drop_cache(sealed)
            cold.append(_cat_rate(sealed, nbytes))
            warm.append(_cat_rate(sealed, nbytes))
            write.append(_write_rate(work, nbytes))
            _drop_cache(sealed)
            fetch.append(_one_fetch(info, dest_dir or work, run, nbytes))
            click.echo(
                f"  run {run + 1}: disk read (cold) {cold[-1] / mib:7.1f}   "
                f"disk write+fsync {write[-1] / mib:7.1f}   fetch {fetch[-1] / mib:7.1f}"
            )
        med = {
            name: statistics.median(v) / mib for name, v in [("cold", cold), ("warm", warm), ("write", write)]
        }
        med["fetch"] = statistics.median(fetch) / mib
        click.echo(
            f"disk read (cold):  {med['cold']:8.1f} MiB/s  median (cat after dropping the file's page cache)"
        )
        click.echo(f"disk read (warm):  {med['warm']:8.1f} MiB/s  median (cat from page cache, for context)")
        click.echo(f"disk write+fsync:  {med['write']:8.1f} MiB/s  median (same size, for context)")
        click.echo(f"fetch:             {med['fetch']:8.1f} MiB/s  median (incl. fsync, rename, declare)")
        click.echo(f"ratio fetch / cold disk read: {med['fetch'] / med['cold']:.0%}  (target >= 50%)")
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
