"""Sealing a sector: SealPreCommit1 (tree_d and the SDR layers) and SealPreCommit2 (trees, replica, CommR).

Counterpart: Lotus ``storage/sealer/ffiwrapper/sealer_cgo.go`` (``SealPreCommit1``, ``SealPreCommit2``)
over rust-fil-proofs ``filecoin-proofs/src/api/seal.rs`` (``seal_pre_commit_phase1/2``);
reference/proofs.md §3.  The data flow is Lotus's: PreCommit1 reads the unsealed file, checks it
against the pieces (CommD), copies it into the sealed file, writes tree_d and the layers into the
cache directory and returns an opaque PreCommit1Out; PreCommit2 turns the layers into tree_c, encodes
the sealed file into the replica, builds tree_r_last, and returns CommD and CommR as CIDs.

PreCommit1Out is JSON bytes shaped like rust's ``SealPreCommitPhase1Output`` (``registered_proof``,
``labels``, ``config``, ``comm_d`` as 32 numbers) plus Lotus's ``_lotus_SealRandomness`` (the ticket)
and a ``_pylotus`` object: the sector, the replica id and the SHA-256 of each layer file, so that
PreCommit2 refuses layers that changed since (rust would silently seal garbage).  File locations are
ids relative to the cache directory PreCommit2 is given, so a sector can move between workers.

Crash safety of PreCommit2: the replica and trees are written to temporary files, renamed into place,
``p_aux`` and ``t_aux`` written, and only then the replica renamed over the sealed file (which until
then still holds the data).  A PreCommit2 repeated after success reads ``t_aux`` and returns the same
CIDs; one repeated after a crash before the last rename starts again from the intact data.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pylotus.abi import AbiError, RegisteredSealProof, commd_to_cid, commr_to_cid

from ..durable import fsync_dir, move_into_place, write_atomically, write_synced
from .commd import PieceInfo, compute_comm_d
from .errors import InvalidSealInput, KernelProcessDied, SectorDataError
from .graph import StackedGraph
from .labels import label_layer
from .merkle import TreeLayout, build_tree, compound_root, reduce_binary
from .params import BASE_ARITY, SdrParams, prover_id, replica_id, sdr_params
from .parent_cache import open_parent_cache
from .pc2_kernel import Pc2Chunk, run_chunk, write_subtree
from .pool import process_pool, worker_count
from .poseidon import poseidon_hash_nodes
from .sector_files import (
    P_AUX,
    REPLICA_TMP,
    T_AUX,
    TREE_D,
    SectorCids,
    SectorPaths,
    layer_file,
    read_json,
    tree_c_file,
    tree_r_last_file,
)

__all__ = ["PreCommit1Out", "seal_pre_commit1", "seal_pre_commit2"]

log = logging.getLogger(__name__)

PC1_FORMAT = 1
_PARALLEL_MIN_NODES = 1 << 15  # below this (1 MiB sectors) worker start-up costs more than it saves
_CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class PreCommit1Out:
    """What PreCommit1 hands to PreCommit2 (decoded from / encoded to its JSON bytes)."""

    proof: RegisteredSealProof
    miner_id: int
    sector_number: int
    ticket: bytes
    comm_d: bytes
    replica_id: bytes
    layer_digests: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        """The JSON bytes (rust's field names, Lotus's ticket key, pylotus's integrity block)."""
        params = sdr_params(self.proof)
        size_label = self.proof.lotus_name.removeprefix("StackedDrg").split("V1")[0]
        store = [
            {"path": ".", "id": f"layer-{layer}", "size": params.nodes, "rows_to_discard": 0}
            for layer in range(1, params.layers + 1)
        ]
        document = {
            "_lotus_SealRandomness": base64.b64encode(self.ticket).decode(),
            "registered_proof": self.proof.lotus_name,
            "labels": {f"StackedDrg{size_label}V1": {"labels": store, "_h": None}},
            "config": {"path": ".", "id": "tree-d", "size": 2 * params.nodes - 1, "rows_to_discard": 0},
            "comm_d": list(self.comm_d),
            "_pylotus": {
                "format": PC1_FORMAT,
                "miner": self.miner_id,
                "sector": self.sector_number,
                "replica_id": self.replica_id.hex(),
                "layer_sha256": [digest.hex() for digest in self.layer_digests],
            },
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> PreCommit1Out:
        """Decode PreCommit1Out bytes.

        Raises:
            InvalidSealInput: not a PreCommit1Out this version wrote.
        """
        try:
            doc = json.loads(data)
            extra = doc["_pylotus"]
            if extra["format"] != PC1_FORMAT:
                raise InvalidSealInput(f"PreCommit1 output format '{extra['format']}' is not {PC1_FORMAT}")
            return cls(
                proof=RegisteredSealProof.from_lotus_name(doc["registered_proof"]),
                miner_id=int(extra["miner"]),
                sector_number=int(extra["sector"]),
                ticket=base64.b64decode(doc["_lotus_SealRandomness"], validate=True),
                comm_d=bytes(doc["comm_d"]),
                replica_id=bytes.fromhex(extra["replica_id"]),
                layer_digests=tuple(bytes.fromhex(d) for d in extra["layer_sha256"]),
            )
        except InvalidSealInput:
            raise
        except (ValueError, KeyError, TypeError, AbiError) as exc:
            raise InvalidSealInput(f"PreCommit1 output is malformed: {exc}") from None


def _check_ticket(ticket: bytes) -> None:
    if len(ticket) != 32:
        raise InvalidSealInput(f"ticket must be '32' bytes, got '{len(ticket)}'")


def _check_pieces(params: SdrParams, pieces: Sequence[PieceInfo]) -> bytes:
    """CommD of ``pieces``, which must fill the sector exactly (Lotus's check, its wording)."""
    total = sum(int(piece.size) for piece in pieces)
    if total != params.sector_size:
        raise InvalidSealInput(
            f"aggregated piece sizes don't match sector size: {total} != {params.sector_size} "
            f"('{params.proof.lotus_name}')"
        )
    return compute_comm_d(params.sector_size, pieces)


def _read_sector_data(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(size + 1)
    except FileNotFoundError:
        raise SectorDataError(f"unsealed file '{path}' does not exist") from None
    if len(data) != size:
        raise SectorDataError(
            f"unsealed file '{path}' holds {len(data)} bytes, expected the sector size {size}"
        )
    return data


def seal_pre_commit1(
    proof: RegisteredSealProof,
    paths: SectorPaths,
    miner_id: int,
    sector_number: int,
    ticket: bytes,
    pieces: Sequence[PieceInfo],
    *,
    parent_cache_dir: Path | None = None,
    workers: int | None = None,
) -> bytes:
    """SealPreCommit1: tree_d, the SDR layers and a copy of the data in the sealed file.

    Args:
        proof: the sector's seal proof type.
        paths: the sector's files; the unsealed file holds the whole padded sector.
        miner_id, sector_number: the sector id (the prover id is the miner's).
        ticket: 32 bytes of chain randomness (the sealing ticket).
        pieces: the sector's pieces in order; their padded sizes must sum to the sector size.
        parent_cache_dir: where the SDR parent cache lives (default: see :mod:`.parent_cache`).
        workers: processes for generating a missing parent cache.

    Returns:
        PreCommit1Out bytes for :func:`seal_pre_commit2`.

    Raises:
        InvalidSealInput: bad ticket, pieces that do not fill the sector or do not match the data.
        SectorDataError: the unsealed file is missing, short or not Fr32 data.
        UnsupportedProof: a synthetic or NI-PoRep proof type.
    """
    params = sdr_params(proof)
    _check_ticket(ticket)
    comm_d = _check_pieces(params, pieces)
    data = _read_sector_data(paths.unsealed, params.sector_size)
    tree_d = build_tree(data, 2, reduce_binary)
    if bytes(tree_d[-32:]) != comm_d:
        raise InvalidSealInput(
            f"unsealed file '{paths.unsealed}' does not hold the pieces: its CommD is "
            f"'{commd_to_cid(bytes(tree_d[-32:]))}', the pieces give '{commd_to_cid(comm_d)}'"
        )
    rid = replica_id(prover_id(miner_id), sector_number, ticket, comm_d, params.porep_id)
    _prepare_dirs(paths)
    graph = StackedGraph.for_params(params)
    digests: list[bytes] = []
    with open_parent_cache(graph, parent_cache_dir, workers=workers) as cache:
        previous: bytearray | None = None
        for layer in range(1, params.layers + 1):
            labels = label_layer(rid, layer, cache.array, previous)
            write_synced(layer_file(paths.cache, layer), labels)
            digests.append(hashlib.sha256(labels).digest())
            previous = labels
    write_synced(paths.cache / TREE_D, tree_d)
    write_synced(paths.sealed, data)
    fsync_dir(paths.cache)
    out = PreCommit1Out(proof, miner_id, sector_number, bytes(ticket), comm_d, rid, tuple(digests))
    return out.to_bytes()


def _prepare_dirs(paths: SectorPaths) -> None:
    """Make the cache dir and forget any earlier PreCommit2 result, before anything is written.

    The record goes first (and durably): a PreCommit1 cut short after it rewrote the sealed file must
    not leave a ``t_aux`` claiming that file is a replica.

    Raises:
        SectorDataError: the sealed file's directory is missing, or the cache path is not a directory.
    """
    if not paths.sealed.parent.is_dir():
        raise SectorDataError(f"directory '{paths.sealed.parent}' for the sealed file does not exist")
    if paths.cache.exists() and not paths.cache.is_dir():
        raise SectorDataError(f"cache path '{paths.cache}' exists and is not a directory")
    paths.cache.mkdir(parents=True, exist_ok=True)
    for stale in (T_AUX, P_AUX):
        (paths.cache / stale).unlink(missing_ok=True)
    fsync_dir(paths.cache)


def _check_layers(params: SdrParams, cache: Path, pc1: PreCommit1Out) -> list[str]:
    paths = []
    for layer, expected in zip(range(1, params.layers + 1), pc1.layer_digests, strict=True):
        path = layer_file(cache, layer)
        try:
            digest = hashlib.sha256(path.read_bytes()).digest()
        except FileNotFoundError:
            raise SectorDataError(f"layer file '{path}' is missing: run PreCommit1 again") from None
        if digest != expected:
            raise SectorDataError(
                f"layer file '{path}' does not match the PreCommit1 output: run PreCommit1 again"
            )
        paths.append(str(path))
    return paths


def _finished_pc2(cache: Path, sealed: Path, pc1: PreCommit1Out) -> SectorCids | None:
    """The CIDs of a PreCommit2 that already ran on this PreCommit1 output, finishing its last rename."""
    record = read_json(cache / T_AUX)
    if record is None or record.get("replica_id") != pc1.replica_id.hex():
        return None
    try:
        comm_r = bytes.fromhex(str(record["comm_r"]))
    except (KeyError, ValueError):
        log.warning("'%s' is malformed; running PreCommit2 again", cache / T_AUX)
        return None
    replica_tmp = cache / REPLICA_TMP
    if replica_tmp.exists():
        move_into_place(replica_tmp, sealed)
    if not _replica_matches_tree(cache, sealed):
        log.warning("'%s' does not hold the replica '%s' describes; running PreCommit2 again", sealed, T_AUX)
        return None
    return SectorCids(commd_to_cid(pc1.comm_d), commr_to_cid(comm_r))


def _replica_matches_tree(cache: Path, sealed: Path) -> bool:
    """Spot check: the sealed file's first and last nodes are tree_r_last's leaves (raw data is not)."""
    tree = tree_r_last_file(cache)
    if not tree.exists():  # compound shapes keep tree_r_last in several files: trust the record
        return True
    try:
        with open(sealed, "rb") as replica, open(tree, "rb") as leaves:
            size = replica.seek(0, os.SEEK_END)
            for offset in (0, size - 32):
                replica.seek(offset)
                leaves.seek(offset)
                if replica.read(32) != leaves.read(32):
                    return False
    except OSError:
        return False
    return True


def _chunk_leaves(base_leaves: int, workers: int) -> int:
    """The largest ``8^k`` giving every worker about four chunks (a whole base tree if small)."""
    target = max(1, base_leaves // (workers * _CHUNKS_PER_WORKER))
    size = base_leaves
    while size > target and size % BASE_ARITY == 0 and size > BASE_ARITY:
        size //= BASE_ARITY
    return size


def _plan_chunks(
    params: SdrParams,
    layers: list[str],
    data: str,
    replica: str,
    tree_c: list[Path],
    tree_r: list[Path],
    workers: int,
) -> list[Pc2Chunk]:
    per_base = params.base_tree_leaves
    leaves = _chunk_leaves(per_base, workers)
    return [
        Pc2Chunk(
            tuple(layers),
            data,
            replica,
            str(tree_c[b]),
            str(tree_r[b]),
            per_base,
            b * per_base + s,
            s,
            leaves,
        )
        for b in range(params.base_tree_count)
        for s in range(0, per_base, leaves)
    ]


def _finish_base_tree(path: Path, layout: TreeLayout, chunk_roots: list[bytes], chunk_leaves: int) -> bytes:
    """Hash the levels above the chunk roots into ``path``; return the base tree's root."""
    height = TreeLayout(chunk_leaves, BASE_ARITY).height
    fd = os.open(path, os.O_WRONLY)
    try:
        root = write_subtree(fd, layout, 0, b"".join(chunk_roots), height)
        os.fsync(fd)
    finally:
        os.close(fd)
    return root


def _preallocate(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        f.truncate(size)


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def seal_pre_commit2(
    proof: RegisteredSealProof, paths: SectorPaths, pc1_out: bytes, *, workers: int | None = None
) -> SectorCids:
    """SealPreCommit2: tree_c, the replica, tree_r_last, ``p_aux``; returns CommD and CommR.

    Args:
        proof: the sector's seal proof type; must be the one PreCommit1 ran with.
        paths: the sector's files (the sealed file holds PreCommit1's copy of the data).
        pc1_out: :func:`seal_pre_commit1`'s result.
        workers: processes for the parallel part (default: every CPU this process may use).

    Returns:
        CommD and CommR as CIDs (``SectorCids``); the sealed file now holds the replica.

    Raises:
        InvalidSealInput: ``pc1_out`` is malformed or for another proof type.
        SectorDataError: layer files missing or changed since PreCommit1; sealed file short.
        KernelProcessDied: a worker process died; nothing was committed, run PreCommit2 again.
    """
    params = sdr_params(proof)
    pc1 = PreCommit1Out.from_bytes(pc1_out)
    if pc1.proof != params.proof:
        raise InvalidSealInput(
            f"PreCommit1 output is for '{pc1.proof.lotus_name}', the sector is '{params.proof.lotus_name}'"
        )
    finished = _finished_pc2(paths.cache, paths.sealed, pc1)
    if finished is not None:
        log.info("PreCommit2 of sector %d already done; returning its result", pc1.sector_number)
        return finished
    layers = _check_layers(params, paths.cache, pc1)
    size = paths.sealed.stat().st_size if paths.sealed.exists() else -1
    if size != params.sector_size:
        raise SectorDataError(
            f"sealed file '{paths.sealed}' holds {size} bytes, expected {params.sector_size}"
        )
    count = params.base_tree_count
    tree_c = [tree_c_file(paths.cache, i, count) for i in range(count)]
    tree_r = [tree_r_last_file(paths.cache, i, count) for i in range(count)]
    layout = TreeLayout(params.base_tree_leaves, BASE_ARITY)
    replica_tmp = paths.cache / REPLICA_TMP
    _preallocate(replica_tmp, params.sector_size)
    for path in tree_c + tree_r:
        _preallocate(_tmp(path), layout.byte_size)
    n_workers = worker_count(workers) if params.nodes >= _PARALLEL_MIN_NODES else 1
    chunks = _plan_chunks(
        params,
        layers,
        str(paths.sealed),
        str(replica_tmp),
        [_tmp(p) for p in tree_c],
        [_tmp(p) for p in tree_r],
        n_workers,
    )
    roots = _run_chunks(chunks, n_workers)
    comm_c, comm_r_last = _finish_trees(params, layout, chunks, roots, tree_c, tree_r)
    comm_r = poseidon_hash_nodes([comm_c, comm_r_last])
    _commit_pc2(paths, pc1, comm_c, comm_r_last, comm_r)
    return SectorCids(commd_to_cid(pc1.comm_d), commr_to_cid(comm_r))


def _run_chunks(chunks: list[Pc2Chunk], workers: int) -> list[tuple[bytes, bytes]]:
    if workers == 1 or len(chunks) == 1:
        return [run_chunk(chunk) for chunk in chunks]
    try:
        with process_pool(min(workers, len(chunks))) as pool:
            futures = [pool.submit(run_chunk, chunk) for chunk in chunks]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    except BrokenProcessPool as exc:
        raise KernelProcessDied(f"a PreCommit2 worker process died ({exc}); run PreCommit2 again") from None


def _finish_trees(
    params: SdrParams,
    layout: TreeLayout,
    chunks: list[Pc2Chunk],
    roots: list[tuple[bytes, bytes]],
    tree_c: list[Path],
    tree_r: list[Path],
) -> tuple[bytes, bytes]:
    c_roots, r_roots = [], []
    per_base = len(chunks) // params.base_tree_count
    for b in range(params.base_tree_count):
        mine = roots[b * per_base : (b + 1) * per_base]
        leaves = chunks[0].leaves
        c_roots.append(_finish_base_tree(_tmp(tree_c[b]), layout, [c for c, _ in mine], leaves))
        r_roots.append(_finish_base_tree(_tmp(tree_r[b]), layout, [r for _, r in mine], leaves))
    for path in tree_c + tree_r:
        os.replace(_tmp(path), path)

    def hash_group(children: Sequence[bytes]) -> bytes:
        return poseidon_hash_nodes(children)

    comm_c = compound_root(c_roots, params.sub_arity, params.top_arity, hash_group)
    comm_r_last = compound_root(r_roots, params.sub_arity, params.top_arity, hash_group)
    return comm_c, comm_r_last


def _commit_pc2(
    paths: SectorPaths, pc1: PreCommit1Out, comm_c: bytes, comm_r_last: bytes, comm_r: bytes
) -> None:
    """Make PreCommit2's result durable, the replica last (see the module docstring)."""
    replica_tmp = paths.cache / REPLICA_TMP
    with open(replica_tmp, "rb+") as f:
        os.fsync(f.fileno())
    write_atomically(paths.cache / P_AUX, comm_c + comm_r_last)
    record: dict[str, Any] = {
        "replica_id": pc1.replica_id.hex(),
        "comm_d": pc1.comm_d.hex(),
        "comm_r": comm_r.hex(),
        "proof": pc1.proof.lotus_name,
    }
    write_atomically(paths.cache / T_AUX, json.dumps(record).encode())
    move_into_place(replica_tmp, paths.sealed)
