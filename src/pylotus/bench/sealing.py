"""``pylotus-bench sealing``: seal one sector phase by phase, timing each and measuring its peak memory.

Counterpart: ``lotus-bench sealing`` (``cmd/lotus-bench/main.go``, ``runSeals``) and ``lotus-bench
simple`` (whose 2KiB example, ticket = 32 zero bytes, gives the CommR of reference/proofs.md §7).
Phases: AddPiece, PreCommit1, PreCommit2, Commit1, Commit2, Verify, then (unless skipped) Unseal
with a byte-for-byte check, and Window and Winning PoSt with their verification.

Each phase runs in a fresh worker process; the seconds exclude process start, and the peak RSS
printed is the most memory the phase held at once across its process and the worker processes it
spread over (sampled from /proc every 20 ms, see :class:`_RssSampler`).  The machine's limit is
given for the one phase it is well defined for: labelling is
``nodes × layers`` SHA-256 of 1248 bytes each, so ``openssl speed sha256`` bounds PreCommit1 from below;
the ratio printed is that bound over the measured time.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import click

from ..abi import (
    AbiError,
    Address,
    RegisteredSealProof,
    UnpaddedPieceSize,
    cid_to_commd,
    parse_sector_size,
    seal_proof_type_from_sector_size,
    size_str,
    window_post_proof_for,
    winning_post_proof_for,
)
from ..proofs import (
    PieceInfo,
    PoStProof,
    PrivateSectorInfo,
    SealVerifyInfo,
    SectorCids,
    SectorInfo,
    SectorPaths,
    StackedGraph,
    WindowPoStVerifyInfo,
    WinningPoStVerifyInfo,
    add_piece,
    check_seal,
    check_window_post,
    check_winning_post,
    generate_window_post,
    generate_winning_post,
    open_parent_cache,
    read_piece,
    sdr_params,
    seal_commit1,
    seal_commit2,
    seal_pre_commit1,
    seal_pre_commit2,
    unseal_range,
)

__all__ = ["sealing_command"]

_LABEL_BYTES: Final = 64 + 37 * 32
_PAGE: Final = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Phase:
    """One timed phase: what it is, seconds, and peak RSS in bytes."""

    name: str
    seconds: float
    peak_rss: int


def _descendant_rss(root: int) -> int:
    """Resident bytes of every process descended from ``root`` (read from /proc; 0 where it is absent)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        parents[int(entry)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
    family, frontier = set(), {root}
    while frontier:
        family |= frontier
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - family
    total = 0
    for pid in family - {root}:
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * _PAGE
        except OSError:
            continue
    return total


class _RssSampler:
    """Samples the summed RSS of this process's descendants every 20 ms while a phase runs.

    Phases run in a child process and may spread over worker processes that are children of the
    fork server, not of the phase: ``getrusage`` sees neither, so the sum is read from /proc.  The
    figure reported is the peak of that sum minus its value just before the phase (the idle fork
    server), i.e. the resident memory of the phase's process and its workers at their highest.
    """

    def __init__(self) -> None:
        self.baseline = _descendant_rss(os.getpid())
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _descendant_rss(os.getpid()))

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def used(self) -> int:
        return self.peak - self.baseline


def _timed(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """Run in a worker process: the result and the seconds it took."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


class _Runner:
    """Runs each phase in a new process and records it."""

    def __init__(self) -> None:
        context = multiprocessing.get_context(
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        self.context = context
        self.phases: list[Phase] = []
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            pool.submit(int).result()  # starts the fork server, so no phase is charged for it

    def run(self, name: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with _RssSampler() as sampler, ProcessPoolExecutor(max_workers=1, mp_context=self.context) as pool:
            result, seconds = pool.submit(_timed, function, *args, **kwargs).result()
        self.phases.append(Phase(name, seconds, sampler.used))
        return result


def _add_piece(unsealed: Path, sector_size: int, data: Path | None) -> PieceInfo:
    piece = UnpaddedPieceSize(sector_size - sector_size // 128)
    if data is None:
        return add_piece(unsealed, [], piece, None, sector_size)
    with open(data, "rb") as source:
        payload = source.read(int(piece) + 1)
    if len(payload) > int(piece):
        raise click.ClickException(
            f"data file '{data}' is larger than the sector's {int(piece)} unpadded bytes"
        )
    import io

    return add_piece(unsealed, [], piece, io.BytesIO(payload + bytes(int(piece) - len(payload))), sector_size)


def _read_back(unsealed: Path, size: int) -> bytes:
    import io

    out = io.BytesIO()
    read_piece(unsealed, 0, size, out)
    return out.getvalue()


def _openssl_sha256_rate() -> float | None:
    exe = shutil.which("openssl")
    if exe is None:
        return None
    out = subprocess.run(
        [exe, "speed", "-bytes", "1024", "-seconds", "1", "sha256"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in out.splitlines():
        words = line.split()
        if words[:1] == ["sha256"] and len(words) > 1 and words[-1].endswith("k"):
            return float(words[-1].rstrip("k")) * 1000
    return None


@dataclass(frozen=True)
class SealingArgs:
    """The benchmark's inputs."""

    proof: RegisteredSealProof
    miner_id: int
    sector_number: int
    ticket: bytes
    seed: bytes
    data: Path | None
    workers: int | None
    parent_cache: Path | None
    skip_unseal: bool
    skip_post: bool


def run_sealing(args: SealingArgs, workdir: Path) -> dict[str, Any]:
    """Seal, prove and check one sector in ``workdir``; the figures and commitments as a dict."""
    size = int(args.proof.sector_size)
    paths = SectorPaths(workdir / "unsealed", workdir / "sealed", workdir / "cache")
    runner = _Runner()
    start = time.perf_counter()
    graph = StackedGraph.for_params(sdr_params(args.proof))
    with open_parent_cache(graph, args.parent_cache, workers=args.workers) as cache:
        cache_path = str(cache.path)
    parent_cache = {"Path": cache_path, "Seconds": time.perf_counter() - start}
    piece = runner.run("AddPiece", _add_piece, paths.unsealed, size, args.data)
    pieces = [piece]
    pc1 = runner.run(
        "PreCommit1",
        seal_pre_commit1,
        args.proof,
        paths,
        args.miner_id,
        args.sector_number,
        args.ticket,
        pieces,
        parent_cache_dir=args.parent_cache,
        workers=args.workers,
    )
    cids: SectorCids = runner.run(
        "PreCommit2", seal_pre_commit2, args.proof, paths, pc1, workers=args.workers
    )
    c1 = runner.run(
        "Commit1",
        seal_commit1,
        args.proof,
        paths,
        args.miner_id,
        args.sector_number,
        args.ticket,
        args.seed,
        pieces,
        cids,
    )
    proof = runner.run("Commit2", seal_commit2, c1)
    info = SealVerifyInfo(
        args.proof,
        args.miner_id,
        args.sector_number,
        args.ticket,
        args.seed,
        proof,
        cids.sealed,
        cids.unsealed,
    )
    runner.run("Verify", check_seal, info)
    result: dict[str, Any] = {
        "CommD": str(cids.unsealed),
        "CommR": str(cids.sealed),
        "ProofBytes": len(proof),
        "ParentCache": parent_cache,
    }
    if not args.skip_unseal:
        original = paths.unsealed.read_bytes()
        paths.unsealed.unlink()
        unpadded = size - size // 128
        runner.run(
            "Unseal",
            unseal_range,
            args.proof,
            paths,
            args.miner_id,
            args.sector_number,
            args.ticket,
            cid_to_commd(cids.unsealed),
            0,
            unpadded,
            parent_cache_dir=args.parent_cache,
        )
        if paths.unsealed.read_bytes() != original:
            raise click.ClickException("unsealed data differs from the data sealed")
        result["UnsealMatches"] = True
    if not args.skip_post:
        _post_phases(runner, args, paths, cids)
    result["Phases"] = [p.__dict__ for p in runner.phases]
    return result


def _post_phases(runner: _Runner, args: SealingArgs, paths: SectorPaths, cids: SectorCids) -> None:
    sector = SectorInfo(args.proof, args.sector_number, cids.sealed)
    private = PrivateSectorInfo(sector, paths.cache, paths.sealed)
    randomness = bytes(range(32))
    window = window_post_proof_for(args.proof)
    proofs, skipped = runner.run(
        "WindowPoSt", generate_window_post, window, args.miner_id, [private], randomness
    )
    if skipped:
        raise click.ClickException(f"window PoSt skipped sectors {skipped}")
    runner.run(
        "VerifyWindowPoSt",
        check_window_post,
        WindowPoStVerifyInfo(randomness, tuple(proofs), (sector,), args.miner_id),
    )
    winning = winning_post_proof_for(args.proof)
    won: list[PoStProof] = runner.run(
        "WinningPoSt", generate_winning_post, winning, args.miner_id, [private], randomness
    )
    runner.run(
        "VerifyWinningPoSt",
        check_winning_post,
        WinningPoStVerifyInfo(randomness, tuple(won), (sector,), args.miner_id),
    )


def format_report(args: SealingArgs, result: dict[str, Any], sha_rate: float | None) -> str:
    """lotus-bench's layout: one ``seal: <phase>: <time>`` line per phase, then the commitments."""
    params = sdr_params(args.proof)
    lines = [
        "----",
        f"results (pylotus vanilla) SectorSize:({params.sector_size}), SectorNumber:({args.sector_number}), "
        f"Proof:({args.proof.lotus_name})",
        f"parent cache: {result['ParentCache']['Path']} "
        f"(ready in {result['ParentCache']['Seconds']:.3f} s, untimed)",
    ]
    for phase in result["Phases"]:
        rate = params.sector_size / phase["seconds"] if phase["seconds"] else 0
        lines.append(
            f"seal: {phase['name']:<18} {phase['seconds']:>9.3f} s  ({size_str(int(rate))}/s)  "
            f"peak RSS {size_str(phase['peak_rss'])}"
        )
    if sha_rate:
        bound = params.nodes * params.layers * _LABEL_BYTES / sha_rate
        pc1 = next(p for p in result["Phases"] if p["name"] == "PreCommit1")
        lines.append(
            f"PreCommit1 SHA-256 bound (openssl speed -bytes 1024 sha256, 1 core): {bound:.3f} s "
            f"= {bound / pc1['seconds']:.1%} of the measured time"
        )
    lines += [
        f"CommD: {result['CommD']}",
        f"CommR: {result['CommR']}",
        f"proof: {result['ProofBytes']} bytes (vanilla)",
    ]
    return "\n".join(lines)


def _hex32(ctx: click.Context, param: click.Parameter, value: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not hex") from None
    if len(raw) != 32:
        raise click.BadParameter(f"must be 32 bytes (64 hex digits), got {len(raw)} bytes")
    return raw


def _sector_size(ctx: click.Context, param: click.Parameter, value: str) -> RegisteredSealProof:
    try:
        return seal_proof_type_from_sector_size(parse_sector_size(value))
    except AbiError as exc:
        raise click.BadParameter(str(exc)) from None


def _miner(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        return Address.from_string(value).id()
    except (AbiError, ValueError) as exc:
        raise click.BadParameter(f"'{value}' is not an ID address (t0…): {exc}") from None


@click.command("sealing")
@click.option(
    "--sector-size", default="2KiB", show_default=True, callback=_sector_size, help="size of the sector"
)
@click.option(
    "--miner-addr",
    default="t01000",
    show_default=True,
    callback=_miner,
    help="miner ID address (the prover id)",
)
@click.option("--sector-number", default=1, show_default=True, type=click.IntRange(min=0, max=2**63 - 1))
@click.option(
    "--ticket", default="00" * 32, show_default="32 zero bytes", callback=_hex32, help="sealing ticket, hex"
)
@click.option(
    "--seed", default="00" * 32, show_default="32 zero bytes", callback=_hex32, help="interactive seed, hex"
)
@click.option(
    "--data",
    default="zero",
    show_default=True,
    help="'zero' (a CC sector) or a FILE of sector data, zero-filled",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="processes for PreCommit2 [default: all CPUs]"
)
@click.option(
    "--parent-cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="SDR parent cache dir",
)
@click.option(
    "--storage-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="keep sector files here",
)
@click.option("--skip-unseal", is_flag=True, help="do not time unsealing")
@click.option("--skip-post", is_flag=True, help="do not time window and winning PoSt")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
def sealing_command(
    sector_size: RegisteredSealProof,
    miner_addr: int,
    sector_number: int,
    ticket: bytes,
    seed: bytes,
    data: str,
    workers: int | None,
    parent_cache: Path | None,
    storage_dir: Path | None,
    skip_unseal: bool,
    skip_post: bool,
    as_json: bool,
) -> None:
    """Seal a sector and time each phase, like lotus-bench sealing (vanilla proofs, no SNARK)."""
    data_path = None if data == "zero" else Path(data)
    if data_path is not None and not data_path.is_file():
        raise click.BadParameter(f"'{data}' is neither 'zero' nor a readable file", param_hint="'--data'")
    args = SealingArgs(
        sector_size,
        miner_addr,
        sector_number,
        ticket,
        seed,
        data_path,
        workers,
        parent_cache,
        skip_unseal,
        skip_post,
    )
    if storage_dir is not None:
        storage_dir.mkdir(parents=True, exist_ok=True)
        result = run_sealing(args, storage_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="pylotus-bench-sealing-") as tmp:
            result = run_sealing(args, Path(tmp))
    if as_json:
        click.echo(
            json.dumps(
                {"SectorSize": int(args.proof.sector_size), "Proof": args.proof.lotus_name, **result},
                indent=2,
            )
        )
        return
    click.echo(format_report(args, result, _openssl_sha256_rate()))
