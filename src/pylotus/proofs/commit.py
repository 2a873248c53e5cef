"""SealCommit1, SealCommit2 and VerifySeal: proving a sealed sector to the chain, vanilla-style.

Counterpart: Lotus ``ffiwrapper`` ``SealCommit1``/``SealCommit2`` and ``chain/proofs`` ``VerifySeal``
over rust-fil-proofs ``seal_commit_phase1``/``seal_commit_phase2``/``verify_seal``;
reference/proofs.md §3.8–§3.9.  Commit1 reads the cache files PreCommit1/2 left (layers, trees,
``p_aux``) and opens every challenged node; like rust, it verifies what it built before returning.
Commit2 checks that proof again and packs it (:mod:`.porep_codec`) — where rust would build a
Groth16 SNARK.  VerifySeal needs only public inputs: miner, sector number, ticket, seed, CommD, CommR
and the proof bytes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from multiformats import CID

from pylotus.abi import AbiError, RegisteredSealProof, cid_to_commd, cid_to_commr, commd_to_cid

from .commd import PieceInfo, compute_comm_d
from .errors import InvalidProof, InvalidSealInput, SectorDataError, UnsupportedProof, holds
from .graph import StackedGraph
from .merkle import NODE, MerklePath, TreeLayout, file_reader, read_compound_path, read_path
from .params import BASE_ARITY, SdrParams, prover_id, replica_id, sdr_params
from .porep import (
    ChallengeProof,
    ColumnOpening,
    SealVanillaProof,
    check_vanilla_seal,
    interactive_challenges,
)
from .porep_codec import Commit1Out, decode_seal_proof, encode_seal_proof
from .poseidon import poseidon_hash_nodes
from .sector_files import (
    T_AUX,
    TREE_D,
    SectorCids,
    SectorPaths,
    layer_file,
    read_json,
    read_p_aux,
    tree_c_file,
    tree_r_last_file,
)

__all__ = ["SealVerifyInfo", "check_seal", "seal_commit1", "seal_commit2", "verify_seal"]

log = logging.getLogger(__name__)


class _OpenTrees:
    """Read access to a sealed sector's cache files for opening nodes (pread on open descriptors)."""

    def __init__(self, params: SdrParams, cache: Path, stack: ExitStack) -> None:
        self.params = params
        count = params.base_tree_count
        self.layers = [self._open(layer_file(cache, layer), stack) for layer in range(1, params.layers + 1)]
        self.tree_d = self._open(cache / TREE_D, stack)
        self.tree_c = [self._open(tree_c_file(cache, i, count), stack) for i in range(count)]
        self.tree_r = [self._open(tree_r_last_file(cache, i, count), stack) for i in range(count)]
        self.base = TreeLayout(params.base_tree_leaves, BASE_ARITY)

    @staticmethod
    def _open(path: Path, stack: ExitStack) -> int:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise SectorDataError(
                f"'{path}' is missing: Commit1 needs the files PreCommit1/2 wrote"
            ) from None
        stack.callback(os.close, fd)
        return fd

    def label(self, layer: int, node: int) -> bytes:
        return file_reader(self.layers[layer - 1])(node * NODE, NODE)

    def tree_d_path(self, node: int) -> tuple[bytes, MerklePath]:
        return read_path(file_reader(self.tree_d), TreeLayout(self.params.nodes, 2), node)

    def poseidon_path(self, fds: list[int], node: int) -> tuple[bytes, MerklePath]:
        """Leaf and path through tree_c or tree_r_last (base levels, then sub and top siblings)."""
        reads = [file_reader(fd) for fd in fds]
        params = self.params
        return read_compound_path(
            reads, self.base, params.sub_arity, params.top_arity, node, poseidon_hash_nodes
        )


def _open_challenge(trees: _OpenTrees, graph: StackedGraph, node: int) -> ChallengeProof:
    data_leaf, tree_d_path = trees.tree_d_path(node)
    columns = []
    for column_node in [node, *graph.parents(node)]:
        labels = tuple(trees.label(layer, column_node) for layer in range(1, trees.params.layers + 1))
        _, path = trees.poseidon_path(trees.tree_c, column_node)
        columns.append(ColumnOpening(column_node, labels, path))
    replica_leaf, tree_r_path = trees.poseidon_path(trees.tree_r, node)
    return ChallengeProof(node, data_leaf, tree_d_path, tuple(columns), replica_leaf, tree_r_path)


def seal_commit1(
    proof: RegisteredSealProof,
    paths: SectorPaths,
    miner_id: int,
    sector_number: int,
    ticket: bytes,
    seed: bytes,
    pieces: Sequence[PieceInfo],
    cids: SectorCids,
) -> bytes:
    """SealCommit1: open every challenged node; returns Commit1Out bytes (JSON).

    Raises:
        InvalidSealInput: the pieces do not give ``cids.unsealed``, or ``p_aux`` does not give
            ``cids.sealed``.
        SectorDataError: cache files missing (finalized already?) or inconsistent.
    """
    params = sdr_params(proof)
    comm_d = compute_comm_d(params.sector_size, pieces)
    if comm_d != cid_to_commd(cids.unsealed):
        raise InvalidSealInput(
            f"the pieces give CommD '{commd_to_cid(comm_d)}', not the unsealed CID '{cids.unsealed}'"
        )
    comm_r = cid_to_commr(cids.sealed)
    comm_c, comm_r_last = read_p_aux(paths.cache)
    if poseidon_hash_nodes([comm_c, comm_r_last]) != comm_r:
        raise InvalidSealInput(
            f"sealed CID '{cids.sealed}' is not the CommR of the replica in '{paths.cache}'"
        )
    if len(seed) != 32:
        raise InvalidSealInput(f"interactive seed must be '32' bytes, got '{len(seed)}'")
    rid = replica_id(prover_id(miner_id), sector_number, ticket, comm_d, params.porep_id)
    record = read_json(paths.cache / T_AUX) or {}
    if record.get("replica_id") not in (None, rid.hex()):
        raise InvalidSealInput(
            f"sector '{sector_number}' of miner '{miner_id}' was sealed with another ticket (or id): "
            "its replica id differs"
        )
    graph = StackedGraph.for_params(params)
    with ExitStack() as stack:
        trees = _OpenTrees(params, paths.cache, stack)
        challenges = tuple(
            _open_challenge(trees, graph, node) for node in interactive_challenges(params, rid, seed)
        )
    vanilla = SealVanillaProof(comm_c, comm_r_last, challenges)
    try:
        check_vanilla_seal(params, rid, seed, comm_d, comm_r, vanilla)
    except InvalidProof as exc:
        raise SectorDataError(f"sector {sector_number} files do not prove its commitments: {exc}") from None
    return Commit1Out(
        params.proof, miner_id, sector_number, ticket, seed, comm_d, comm_r, rid, vanilla
    ).to_bytes()


def seal_commit2(c1_out: bytes) -> bytes:
    """SealCommit2: verify Commit1's vanilla proof and pack it into the proof bytes.

    Raises:
        InvalidProof: the Commit1 output is malformed or its proof does not verify.
    """
    c1 = Commit1Out.from_bytes(c1_out)
    params = sdr_params(c1.proof_type)
    rid = replica_id(prover_id(c1.miner_id), c1.sector_number, c1.ticket, c1.comm_d, params.porep_id)
    if rid != c1.replica_id:
        raise InvalidProof(
            "Commit1 output's replica id does not follow from its miner, sector, ticket and CommD"
        )
    check_vanilla_seal(params, rid, c1.seed, c1.comm_d, c1.comm_r, c1.proof)
    return encode_seal_proof(params, c1.proof)


@dataclass(frozen=True)
class SealVerifyInfo:
    """The public inputs of a seal proof (go-state-types ``proof.SealVerifyInfo``)."""

    seal_proof: RegisteredSealProof
    miner_id: int
    sector_number: int
    randomness: bytes  # the ticket
    interactive_randomness: bytes  # the seed
    proof: bytes
    sealed_cid: CID
    unsealed_cid: CID
    deal_ids: tuple[int, ...] = field(default=())


def check_seal(info: SealVerifyInfo) -> None:
    """Verify a seal proof from public inputs; return quietly if it holds.

    Raises:
        InvalidProof: why it does not (the CIDs, the bytes, or the first failed check).
    """
    try:
        params = sdr_params(RegisteredSealProof(info.seal_proof))
        comm_d = cid_to_commd(info.unsealed_cid)
        comm_r = cid_to_commr(info.sealed_cid)
        if len(info.randomness) != 32:
            raise InvalidProof(f"ticket must be '32' bytes, got '{len(info.randomness)}'")
        rid = replica_id(
            prover_id(info.miner_id), info.sector_number, info.randomness, comm_d, params.porep_id
        )
    except (AbiError, InvalidSealInput, UnsupportedProof) as exc:
        raise InvalidProof(str(exc)) from None
    except ValueError:
        raise InvalidProof(f"unknown seal proof type '{info.seal_proof}'") from None
    proof = decode_seal_proof(params.proof, info.proof, rid, info.interactive_randomness)
    check_vanilla_seal(params, rid, info.interactive_randomness, comm_d, comm_r, proof)


def verify_seal(info: SealVerifyInfo) -> bool:
    """Lotus's ``VerifySeal``: ``True`` if the proof holds; the reason it does not is logged at debug."""
    return holds(check_seal, info, f"seal proof of sector {info.sector_number}", log)
