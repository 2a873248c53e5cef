"""``pylotus-bench commp``: CommP throughput against the machine's own SHA-256 limit.

CommP costs one SHA-256 of 64 bytes per 32 bytes of padded data (a binary tree over 32-byte
leaves has as many inner nodes as leaves, less one), so the machine's limit is its rate of 64-byte
hashes: ``openssl speed -bytes 64 -multi N -seconds 2 sha256`` reports ``r`` thousand bytes/s of
64-byte blocks, ``r·1000/64`` hashes a second, i.e. ``r·1000/64·32`` padded bytes or
``r·1000/2·127/128`` bytes of payload a second.  (``-bytes 64`` runs only the column used: without
it openssl times six block sizes, 24 s per run.)  That is what native code would reach; the ratio
printed says how close pure-Python CommP comes.  It is measured in the same run, for one core and
for the cores used, because shared and throttled machines vary from run to run.

The payload is random data written once per size to a temporary file; each mode then times
:func:`pylotus.proofs.commp_from_file` on it, worker pool start-up included.  The fork server that
pools fork from is started once, untimed, before the first timing: a daemon starts it once too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import click

from ..abi import AbiError, parse_ram_bytes, size_str
from ..proofs import commp_from_file

__all__ = ["BenchRow", "commp_command", "openssl_limit", "parse_openssl_speed", "run_commp_bench"]

DEFAULT_SIZES: Final = ("64MiB", "256MiB", "1GiB")
_PAYLOAD_PER_PADDED: Final = 127 / 128
_RANDOM_BLOCK: Final = 4 << 20
# openssl speed's default block sizes: the column order of its result line when it prints no header.
_OPENSSL_BLOCKS: Final = (16, 64, 256, 1024, 8192, 16384)


@dataclass(frozen=True)
class BenchRow:
    """One timing: ``size`` payload bytes hashed by ``workers`` processes in ``seconds``."""

    size: int
    workers: int
    seconds: float

    @property
    def mb_per_s(self) -> float:
        return self.size / self.seconds / 1e6


def parse_openssl_speed(output: str) -> float:
    """The payload bytes/s that the 64-byte column of ``openssl speed sha256`` output allows.

    Raises:
        ValueError: no ``sha256`` result line with a 64-byte figure in ``output``.
    """
    columns: list[int] | None = None
    figures: list[str] = []
    for line in output.splitlines():
        words = line.split()
        if words[:1] == ["type"] and "bytes" in words:
            columns = [int(word) for word in words if word.isdigit()]
        elif words[:1] == ["sha256"] and len(words) > 1 and words[1].endswith("k"):
            figures = words[1:]
    if columns is None:  # -multi prints no header: one figure per block size asked for
        columns = [64] if len(figures) == 1 else list(_OPENSSL_BLOCKS)
    if 64 not in columns or len(figures) <= columns.index(64):
        raise ValueError("no 64-byte sha256 figure in openssl speed output")
    rate = float(figures[columns.index(64)].rstrip("k")) * 1000  # bytes of 64-byte blocks per second
    return rate / 2 * _PAYLOAD_PER_PADDED


def openssl_limit(cores: int, seconds: int = 2) -> float | None:
    """Payload bytes/s of CommP at native SHA-256 speed on ``cores``; ``None`` without openssl."""
    exe = shutil.which("openssl")
    if exe is None:
        return None
    command = [exe, "speed", "-bytes", "64", "-multi", str(cores), "-seconds", str(seconds), "sha256"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_openssl_speed(out)


def _random_file(directory: str, size: int) -> Path:
    path = Path(directory) / f"commp-{size}.bin"
    with open(path, "wb") as f:
        for start in range(0, size, _RANDOM_BLOCK):
            f.write(os.urandom(min(_RANDOM_BLOCK, size - start)))
    return path


def run_commp_bench(sizes: Sequence[int], workers: int) -> list[BenchRow]:
    """Time CommP of each size with one process and, if ``workers`` > 1, with ``workers``."""
    modes = [1] if workers == 1 else [1, workers]
    rows = []
    with tempfile.TemporaryDirectory(prefix="pylotus-bench-commp-") as tmp:
        if workers > 1:  # start the fork server, untimed
            commp_from_file(_random_file(tmp, 127), workers=workers, parallel_min_bytes=0)
        for size in sizes:
            path = _random_file(tmp, size)
            for mode in modes:
                start = time.perf_counter()
                commp_from_file(path, workers=mode, parallel_min_bytes=0)
                rows.append(BenchRow(size, mode, time.perf_counter() - start))
            path.unlink()
    return rows


def format_table(rows: Sequence[BenchRow], limits: dict[int, float | None]) -> str:
    """The result table: size, mode, seconds, MB/s and the ratio to the limit of that many cores."""
    lines = [f"{'size':>8}  {'mode':<8}  {'seconds':>8}  {'MB/s':>8}  {'of limit':>8}"]
    for row in rows:
        limit = limits.get(row.workers)
        ratio = f"{row.mb_per_s * 1e6 / limit:>7.1%}" if limit else "       -"
        mode = "1 proc" if row.workers == 1 else f"{row.workers} procs"
        lines.append(
            f"{size_str(row.size):>8}  {mode:<8}  {row.seconds:>8.2f}  {row.mb_per_s:>8.1f}  {ratio:>8}"
        )
    return "\n".join(lines)


def _parse_size(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[int]:
    try:
        sizes = [parse_ram_bytes(value) for value in values or DEFAULT_SIZES]
    except AbiError as exc:
        raise click.BadParameter(str(exc)) from exc
    for size in sizes:
        if size < 65:
            raise click.BadParameter(f"commp needs at least 65 bytes, got '{size}'")
    return sizes


@click.command("commp")
@click.option(
    "--size",
    "sizes",
    multiple=True,
    callback=_parse_size,
    help="payload size, e.g. 64MiB or 1GiB; repeatable (default: 64MiB, 256MiB and 1GiB)",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default=True,
    help="processes of the parallel mode",
)
@click.option(
    "--limit-seconds",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="seconds per openssl speed run",
)
def commp_command(sizes: list[int], workers: int, limit_seconds: int) -> None:
    """CommP throughput against openssl's sha256 speed on this machine."""
    limits: dict[int, float | None] = {}
    for cores in sorted({1, workers}):
        limit = openssl_limit(cores, limit_seconds)
        if limit is None:
            click.echo("openssl not found: printing figures without the ratio to the machine's limit")
            break
        limits[cores] = limit
        click.echo(
            f"limit, {cores} core{'s' if cores > 1 else ''} (openssl speed -bytes 64 -multi {cores} "
            f"sha256): {limit / 1e6:.1f} MB/s of payload"
        )
    click.echo(format_table(run_commp_bench(sizes, workers), limits))
