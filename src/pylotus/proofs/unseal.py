"""After sealing: FinalizeSector (drop what only sealing needed), Unseal and ReadPiece.

Counterpart: Lotus ``ffiwrapper`` ``FinalizeSector`` (rust ``clear_cache``), ``UnsealPiece`` (rust
``unseal_range``) and ``ReadPiece``; reference/proofs.md §3.7 (decoding is ``replica − key``).

Finalize keeps exactly what PoSt and unsealing need: ``p_aux``, ``t_aux`` and tree_r_last; the layers,
tree_c and tree_d (the bulk: ``layers + 2`` sector sizes) go.  Unsealing recomputes the SDR layers from
the replica id (the key is the last layer) and subtracts it from the replica over the requested
range; an unseal of the whole sector is checked against CommD before it is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Final

from pylotus.abi import RegisteredSealProof, UnpaddedPieceSize, commd_to_cid

from . import fr32
from .encoding import decode_nodes
from .errors import InvalidSealInput, SectorDataError
from .graph import StackedGraph
from .labels import label_layer
from .merkle import build_tree, reduce_binary
from .params import prover_id, replica_id, sdr_params
from .parent_cache import open_parent_cache
from .sector_files import REPLICA_TMP, TREE_D, SectorPaths, layer_file, tree_c_file

__all__ = ["finalize_sector", "read_piece", "unseal_range"]

_READ_BLOCK: Final = fr32.FR32_CHUNK_PADDED * 8192


def finalize_sector(proof: RegisteredSealProof, cache: Path) -> list[Path]:
    """Delete the layers, tree_c and tree_d from ``cache``; return what was removed.

    Idempotent: files already gone are skipped.  tree_r_last, ``p_aux`` and ``t_aux`` stay.
    """
    params = sdr_params(proof)
    count = params.base_tree_count
    candidates = [layer_file(cache, layer) for layer in range(1, params.layers + 1)]
    candidates += [tree_c_file(cache, i, count) for i in range(count)]
    candidates.append(cache / TREE_D)
    if (cache / REPLICA_TMP).exists():
        raise SectorDataError(
            f"PreCommit2 of the sector in '{cache}' did not finish (its replica is still in the cache): "
            "run PreCommit2 again before finalizing"
        )
    removed = []
    for path in candidates:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


def _padded_range(offset: int, size: int, sector_size: int) -> tuple[int, int]:
    if offset % fr32.FR32_CHUNK_UNPADDED or size % fr32.FR32_CHUNK_UNPADDED or size <= 0:
        raise InvalidSealInput(f"unpadded range at '{offset}' of '{size}' bytes is not whole 127-byte chunks")
    start = offset // fr32.FR32_CHUNK_UNPADDED * fr32.FR32_CHUNK_PADDED
    length = size // fr32.FR32_CHUNK_UNPADDED * fr32.FR32_CHUNK_PADDED
    if start + length > sector_size:
        raise InvalidSealInput(f"range at '{offset}' of '{size}' unpadded bytes runs past the sector")
    return start, length


def unseal_range(
    proof: RegisteredSealProof,
    paths: SectorPaths,
    miner_id: int,
    sector_number: int,
    ticket: bytes,
    comm_d: bytes,
    offset: int,
    size: UnpaddedPieceSize | int,
    *,
    parent_cache_dir: Path | None = None,
) -> None:
    """Decode unpadded bytes ``[offset, offset + size)`` of the replica into the unsealed file.

    Args:
        offset, size: an unpadded byte range of whole 127-byte chunks (a piece's place in the sector).
        ticket, comm_d: the sealing ticket and CommD, which give the replica id and so the key.

    Raises:
        InvalidSealInput: a range that is not whole chunks or runs past the sector.
        SectorDataError: the sealed file is missing or short, or the whole-sector result does not
            match ``comm_d`` (wrong ticket, or a damaged replica); the unsealed file is not touched.
    """
    params = sdr_params(proof)
    start, length = _padded_range(offset, int(size), params.sector_size)
    if not paths.unsealed.parent.is_dir():
        raise SectorDataError(f"directory '{paths.unsealed.parent}' for the unsealed file does not exist")
    try:
        with open(paths.sealed, "rb") as f:
            replica = f.read()
    except FileNotFoundError:
        raise SectorDataError(f"sealed file '{paths.sealed}' does not exist") from None
    if len(replica) != params.sector_size:
        raise SectorDataError(
            f"sealed file '{paths.sealed}' holds {len(replica)} bytes, expected {params.sector_size}"
        )
    rid = replica_id(prover_id(miner_id), sector_number, ticket, comm_d, params.porep_id)
    graph = StackedGraph.for_params(params)
    with open_parent_cache(graph, parent_cache_dir) as cache:
        labels: bytearray | None = None
        for layer in range(1, params.layers + 1):
            labels = label_layer(rid, layer, cache.array, labels)
    assert labels is not None
    data = decode_nodes(replica[start : start + length], labels[start : start + length])
    if length == params.sector_size:
        got = bytes(build_tree(data, 2, reduce_binary)[-32:])
        if got != comm_d:
            raise SectorDataError(
                f"unsealed data has CommD '{commd_to_cid(got)}', expected '{commd_to_cid(comm_d)}': "
                "wrong ticket or damaged replica"
            )
    mode = "r+b" if paths.unsealed.exists() else "w+b"
    with open(paths.unsealed, mode) as f:
        if f.seek(0, os.SEEK_END) < params.sector_size:
            f.truncate(params.sector_size)
        f.seek(start)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_piece(unsealed: Path, offset: int, size: int, out: BinaryIO) -> None:
    """Write unpadded bytes ``[offset, offset + size)`` of the unsealed file to ``out`` (Fr32-unpadded).

    Raises:
        InvalidSealInput: not whole 127-byte chunks.
        SectorDataError: the unsealed file is missing or too short.
    """
    start, length = _padded_range(offset, size, 1 << 62)
    try:
        f = open(unsealed, "rb")
    except FileNotFoundError:
        raise SectorDataError(f"unsealed file '{unsealed}' does not exist: unseal the sector first") from None
    with f:
        f.seek(start)
        remaining = length
        while remaining:
            block = f.read(min(_READ_BLOCK, remaining))
            if len(block) % fr32.FR32_CHUNK_PADDED or not block:
                raise SectorDataError(f"unsealed file '{unsealed}' ends inside the requested range")
            out.write(fr32.unpad(block))
            remaining -= len(block)
