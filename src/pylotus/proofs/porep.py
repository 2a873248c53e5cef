"""Vanilla PoRep proofs: interactive challenges, what a proof holds, and its full verification.

Counterpart: rust-fil-proofs ``storage-proofs-porep/src/stacked/vanilla/`` — ``challenges.rs``
(``InteractiveChallenges``), ``params.rs`` (``Proof``, ``ReplicaColumnProof``, ``Proof::verify``),
``column.rs`` and ``labeling_proof.rs``; reference/proofs.md §3.8–§3.9.

pylotus puts vanilla proofs on chain: the Groth16 SNARK that rust wraps around them needs multi-GB
parameters (reference/proofs.md §8.3).  So the verifier here must be complete.  Per challenge ``c`` it
checks, from public inputs alone (replica id, seed, CommD, CommR):

1. ``c`` is the challenge the seed gives (the proof does not get to choose its nodes);
2. the data leaf's tree_d path leads to CommD;
3. the columns opened are those of ``c`` and its 14 parents from the SDR graph, each column's
   Poseidon hash has a tree_c path to ``comm_c``;
4. every layer's label of ``c`` recomputes from the parents' column entries;
5. the replica leaf equals data + last label (the encoding) and its tree_r_last path leads to
   ``comm_r_last``;

and once: ``Poseidon_2(comm_c, comm_r_last) == CommR``.  A failure raises :class:`InvalidProof`
naming the challenge, the node and the check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from .encoding import encode_nodes
from .errors import InvalidFieldElement, InvalidProof
from .field import FR_MODULUS
from .graph import StackedGraph
from .labels import label_for_node
from .merkle import ArityHash, MerklePath, binary_hash_group, path_root
from .params import BASE_ARITY, BASE_DEGREE, SdrParams
from .poseidon import poseidon_hash_nodes

__all__ = [
    "ChallengeProof",
    "ColumnOpening",
    "SealVanillaProof",
    "check_vanilla_seal",
    "interactive_challenges",
    "poseidon_group",
    "tree_arities",
]


def interactive_challenges(params: SdrParams, replica_id: bytes, seed: bytes) -> list[int]:
    """The challenged nodes: ``(LE(SHA256(replica_id ‖ seed ‖ u32_le(j))) mod (N − 1)) + 1``."""
    if len(seed) != 32:
        raise InvalidProof(f"interactive seed must be '32' bytes, got '{len(seed)}'")
    nodes = []
    for j in range(params.total_challenges):
        digest = hashlib.sha256(replica_id + seed + j.to_bytes(4, "little")).digest()
        nodes.append(int.from_bytes(digest, "little") % (params.nodes - 1) + 1)
    return nodes


def tree_arities(params: SdrParams) -> list[int]:
    """Arity of each level of tree_c / tree_r_last, leaves up: base levels, then sub, then top."""
    height, count = 0, params.base_tree_leaves
    while count > 1:
        count //= BASE_ARITY
        height += 1
    return [BASE_ARITY] * height + [a for a in (params.sub_arity, params.top_arity) if a]


def poseidon_group(arity: int, children: Sequence[bytes]) -> bytes:
    """``hash_group`` for the Poseidon trees (the arity is the number of children)."""
    return poseidon_hash_nodes(children)


@dataclass(frozen=True)
class ColumnOpening:
    """One node's column: its label in every layer (1..L) and the tree_c path of their hash."""

    node: int
    labels: tuple[bytes, ...]
    path: MerklePath


@dataclass(frozen=True)
class ChallengeProof:
    """Everything proven about one challenged node."""

    node: int
    data_leaf: bytes
    tree_d_path: MerklePath
    columns: tuple[ColumnOpening, ...]  # the node's, then its 6 DRG and 8 expander parents'
    replica_leaf: bytes
    tree_r_path: MerklePath


@dataclass(frozen=True)
class SealVanillaProof:
    """A sector's vanilla PoRep proof: the two tree roots behind CommR and one proof per challenge."""

    comm_c: bytes
    comm_r_last: bytes
    challenges: tuple[ChallengeProof, ...]


def _check_shape(where: str, path: MerklePath, arities: Sequence[int]) -> None:
    if [len(level) + 1 for level in path] != list(arities):
        raise InvalidProof(f"{where}: path has the wrong shape for this sector size")


def _root(
    where: str, leaf: bytes, index: int, path: MerklePath, hash_group: ArityHash, expected: bytes, name: str
) -> None:
    try:
        root = path_root(leaf, index, path, hash_group)
    except InvalidFieldElement as exc:
        raise InvalidProof(f"{where}: {exc}") from None
    if root != expected:
        raise InvalidProof(f"{where}: path does not lead to {name}")


def _check_columns(
    where: str, params: SdrParams, graph: StackedGraph, proof: ChallengeProof, comm_c: bytes
) -> None:
    expected_nodes = [proof.node, *graph.parents(proof.node)]
    if [column.node for column in proof.columns] != expected_nodes:
        raise InvalidProof(f"{where}: columns opened are not the node and its SDR parents")
    arities = tree_arities(params)
    for column in proof.columns:
        if len(column.labels) != params.layers:
            raise InvalidProof(f"{where}: column of node {column.node} has {len(column.labels)} labels")
        _check_shape(f"{where} column {column.node}", column.path, arities)
        try:
            leaf = poseidon_hash_nodes(column.labels)
        except InvalidFieldElement as exc:
            raise InvalidProof(f"{where}: column of node {column.node}: {exc}") from None
        _root(
            f"{where} column {column.node}", leaf, column.node, column.path, poseidon_group, comm_c, "comm_c"
        )


def _check_labels(where: str, params: SdrParams, replica_id: bytes, proof: ChallengeProof) -> None:
    own = proof.columns[0].labels
    base = proof.columns[1 : 1 + BASE_DEGREE]
    expander = proof.columns[1 + BASE_DEGREE :]
    for layer in range(1, params.layers + 1):
        parents = [column.labels[layer - 1] for column in base]
        if layer > 1:
            parents += [column.labels[layer - 2] for column in expander]
        if label_for_node(replica_id, layer, proof.node, parents) != own[layer - 1]:
            raise InvalidProof(f"{where}: label of layer {layer} does not follow from its parents")


def check_vanilla_seal(
    params: SdrParams, replica_id: bytes, seed: bytes, comm_d: bytes, comm_r: bytes, proof: SealVanillaProof
) -> None:
    """Verify ``proof`` completely (see the module docstring); return quietly if it holds.

    Raises:
        InvalidProof: naming the first check that failed.
    """
    try:
        joined = poseidon_hash_nodes([proof.comm_c, proof.comm_r_last])
    except InvalidFieldElement as exc:
        raise InvalidProof(f"comm_c / comm_r_last: {exc}") from None
    if joined != comm_r:
        raise InvalidProof("comm_r is not Poseidon(comm_c, comm_r_last): the proof is for another replica")
    challenges = interactive_challenges(params, replica_id, seed)
    if [c.node for c in proof.challenges] != challenges:
        raise InvalidProof("the proof's challenged nodes are not the ones the seed selects")
    graph = StackedGraph.for_params(params)
    tree_d_arities = [2] * (params.nodes.bit_length() - 1)
    arities = tree_arities(params)
    for i, challenge in enumerate(proof.challenges):
        where = f"challenge '{i}' (node '{challenge.node}')"
        if int.from_bytes(challenge.data_leaf, "little") >= FR_MODULUS:
            raise InvalidProof(f"{where}: data leaf is not a field element (rust refuses it)")
        _check_shape(f"{where} tree_d", challenge.tree_d_path, tree_d_arities)
        _root(
            f"{where} tree_d",
            challenge.data_leaf,
            challenge.node,
            challenge.tree_d_path,
            binary_hash_group,
            comm_d,
            "CommD",
        )
        _check_columns(where, params, graph, challenge, proof.comm_c)
        _check_labels(where, params, replica_id, challenge)
        key = challenge.columns[0].labels[-1]
        if bytes(encode_nodes(challenge.data_leaf, key)) != challenge.replica_leaf:
            raise InvalidProof(f"{where}: replica leaf is not data + key (encoding check)")
        _check_shape(f"{where} tree_r_last", challenge.tree_r_path, arities)
        _root(
            f"{where} tree_r_last",
            challenge.replica_leaf,
            challenge.node,
            challenge.tree_r_path,
            poseidon_group,
            proof.comm_r_last,
            "comm_r_last",
        )
