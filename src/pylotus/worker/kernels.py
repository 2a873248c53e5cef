"""The functions a kernel process runs: thin, picklable wrappers over :mod:`pylotus.proofs`.

Counterpart: Lotus ``storage/sealer/ffiwrapper/sealer_cgo.go`` (``Sealer``: the calls into
rust-fil-proofs).  Each function here takes only plain, picklable values, because it is sent to a
child process by :class:`~.kernel_runner.KernelRunner`; those whose proofs counterpart needs a
stream or keyword arguments adapt them.  No trio, no index, no locks: the worker does that around
the call.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..abi import RegisteredSealProof, UnpaddedPieceSize
from ..proofs import (
    PieceInfo,
    SectorCids,
    SectorPaths,
    add_piece,
    finalize_sector,
    seal_commit1,
    seal_commit2,
    seal_pre_commit1,
    seal_pre_commit2,
    unseal_range,
)

__all__ = [
    "add_piece_kernel",
    "commit1_kernel",
    "commit2_kernel",
    "finalize_kernel",
    "pre_commit1_kernel",
    "pre_commit2_kernel",
    "unseal_kernel",
]


def add_piece_kernel(
    unsealed: Path,
    existing: list[UnpaddedPieceSize],
    size: UnpaddedPieceSize,
    data: bytes | None,
    sector_size: int,
) -> PieceInfo:
    """AddPiece; ``data`` ``None`` is a zero (pledge) piece."""
    source = None if data is None else io.BytesIO(data)
    return add_piece(unsealed, existing, size, source, sector_size)


def pre_commit1_kernel(
    proof: RegisteredSealProof,
    paths: SectorPaths,
    miner: int,
    number: int,
    ticket: bytes,
    pieces: list[PieceInfo],
    parent_cache_dir: Path | None,
    workers: int | None,
) -> bytes:
    """SealPreCommit1: returns the PreCommit1Out bytes."""
    return seal_pre_commit1(
        proof, paths, miner, number, ticket, pieces, parent_cache_dir=parent_cache_dir, workers=workers
    )


def pre_commit2_kernel(
    proof: RegisteredSealProof, paths: SectorPaths, pc1_out: bytes, workers: int | None
) -> SectorCids:
    """SealPreCommit2: returns CommD and CommR."""
    return seal_pre_commit2(proof, paths, pc1_out, workers=workers)


def commit1_kernel(
    proof: RegisteredSealProof,
    paths: SectorPaths,
    miner: int,
    number: int,
    ticket: bytes,
    seed: bytes,
    pieces: list[PieceInfo],
    cids: SectorCids,
) -> bytes:
    """SealCommit1: returns the Commit1Out bytes."""
    return seal_commit1(proof, paths, miner, number, ticket, seed, pieces, cids)


def commit2_kernel(c1_out: bytes) -> bytes:
    """SealCommit2: returns the (vanilla) proof bytes."""
    return seal_commit2(c1_out)


def finalize_kernel(proof: RegisteredSealProof, cache: Path) -> int:
    """FinalizeSector: drop the layers and trees PoSt does not need; returns how many files went."""
    return len(finalize_sector(proof, cache))


def unseal_kernel(
    proof: RegisteredSealProof,
    paths: SectorPaths,
    miner: int,
    number: int,
    ticket: bytes,
    comm_d: bytes,
    offset: int,
    size: int,
    parent_cache_dir: Path | None,
) -> None:
    """UnsealPiece: decode an unpadded range of the replica into the unsealed file."""
    unseal_range(proof, paths, miner, number, ticket, comm_d, offset, size, parent_cache_dir=parent_cache_dir)
