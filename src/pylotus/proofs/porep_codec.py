"""The two wire forms of a vanilla PoRep proof: Commit1Out (JSON) and the sealed proof bytes (binary).

Counterpart: Lotus's ``storiface.Commit1Out`` (opaque bytes: rust's ``SealCommitPhase1Output`` as
JSON) and ``SealCommit2``'s ``storiface.Proof``.  rust's C2 turns the vanilla proofs into a 192-byte
Groth16 proof; pylotus has no SNARK (reference/proofs.md §8.3), so C2 packs the vanilla proof itself
into a compact, versioned binary form, documented here and in ``docs/vanilla-proofs.md``:

``Commit1Out`` — JSON: ``format``, ``registered_proof``, ``miner``, ``sector``, ``ticket``, ``seed``,
``comm_d``, ``comm_r``, ``replica_id`` (hex) and ``vanilla_proof``: ``comm_c``, ``comm_r_last`` and per
challenge its ``node``, ``data_leaf``, ``tree_d_path``, ``columns`` (``node``, ``labels``, ``path``),
``replica_leaf``, ``tree_r_last_path``.  Everything is explicit, for humans and for C2's checks.

Proof bytes, *pylotus vanilla seal proof v1* (all integers big endian)::

    "PLVS"  u8 version=1  u8 seal proof id  u16 challenge count  comm_c[32]  comm_r_last[32]
    then per challenge, in challenge order:
        data_leaf[32]
        tree_d siblings: log2(nodes) × 32
        15 columns (the node, its 6 DRG parents, its 8 expander parents, in graph order), each:
            layers × label[32], then tree_c siblings: S × 32
        tree_r_last siblings: S × 32
    where S = Σ (arity − 1) over tree_c's levels (7 per base level, then sub − 1, top − 1)

Nothing derivable is stored: the challenged nodes come from the seed, parents from the graph, leaf
positions from the node index, the tree_c leaf from the labels, the replica leaf from data + key.
The length is fixed per proof type (16 776 bytes for 2KiB, 46 216 for 8MiB, 60 936 for 512MiB), so a
truncated or padded proof is refused before any hashing.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Final

from pylotus.abi import AbiError, RegisteredSealProof

from .encoding import encode_nodes
from .errors import InvalidProof
from .graph import StackedGraph
from .merkle import MerklePath
from .params import SdrParams, sdr_params
from .porep import ChallengeProof, ColumnOpening, SealVanillaProof, interactive_challenges, tree_arities

__all__ = [
    "C1_FORMAT",
    "Commit1Out",
    "decode_seal_proof",
    "encode_seal_proof",
    "seal_proof_length",
]

C1_FORMAT: Final = 1
MAGIC: Final = b"PLVS"
VERSION: Final = 1
_HEADER = struct.Struct(">4sBBH32s32s")
NODE: Final = 32
COLUMNS: Final = 15


def _path_to_json(path: MerklePath) -> list[list[str]]:
    return [[node.hex() for node in level] for level in path]


def _path_from_json(value: Any) -> MerklePath:
    return [[bytes.fromhex(node) for node in level] for level in value]


def _proof_to_json(proof: SealVanillaProof) -> dict[str, Any]:
    return {
        "comm_c": proof.comm_c.hex(),
        "comm_r_last": proof.comm_r_last.hex(),
        "challenges": [
            {
                "node": c.node,
                "data_leaf": c.data_leaf.hex(),
                "tree_d_path": _path_to_json(c.tree_d_path),
                "columns": [
                    {
                        "node": col.node,
                        "labels": [x.hex() for x in col.labels],
                        "path": _path_to_json(col.path),
                    }
                    for col in c.columns
                ],
                "replica_leaf": c.replica_leaf.hex(),
                "tree_r_last_path": _path_to_json(c.tree_r_path),
            }
            for c in proof.challenges
        ],
    }


def _proof_from_json(doc: Any) -> SealVanillaProof:
    return SealVanillaProof(
        comm_c=bytes.fromhex(doc["comm_c"]),
        comm_r_last=bytes.fromhex(doc["comm_r_last"]),
        challenges=tuple(
            ChallengeProof(
                node=int(c["node"]),
                data_leaf=bytes.fromhex(c["data_leaf"]),
                tree_d_path=_path_from_json(c["tree_d_path"]),
                columns=tuple(
                    ColumnOpening(
                        int(col["node"]),
                        tuple(bytes.fromhex(x) for x in col["labels"]),
                        _path_from_json(col["path"]),
                    )
                    for col in c["columns"]
                ),
                replica_leaf=bytes.fromhex(c["replica_leaf"]),
                tree_r_path=_path_from_json(c["tree_r_last_path"]),
            )
            for c in doc["challenges"]
        ),
    )


class Commit1Out:
    """SealCommit1's output: public inputs plus the explicit vanilla proof."""

    def __init__(
        self,
        proof_type: RegisteredSealProof,
        miner_id: int,
        sector_number: int,
        ticket: bytes,
        seed: bytes,
        comm_d: bytes,
        comm_r: bytes,
        replica_id: bytes,
        proof: SealVanillaProof,
    ) -> None:
        self.proof_type = proof_type
        self.miner_id = miner_id
        self.sector_number = sector_number
        self.ticket = ticket
        self.seed = seed
        self.comm_d = comm_d
        self.comm_r = comm_r
        self.replica_id = replica_id
        self.proof = proof

    def to_bytes(self) -> bytes:
        """The JSON bytes."""
        doc = {
            "format": C1_FORMAT,
            "registered_proof": self.proof_type.lotus_name,
            "miner": self.miner_id,
            "sector": self.sector_number,
            "ticket": self.ticket.hex(),
            "seed": self.seed.hex(),
            "comm_d": self.comm_d.hex(),
            "comm_r": self.comm_r.hex(),
            "replica_id": self.replica_id.hex(),
            "vanilla_proof": _proof_to_json(self.proof),
        }
        return json.dumps(doc, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Commit1Out:
        """Decode Commit1Out bytes.

        Raises:
            InvalidProof: not a Commit1Out of this format.
        """
        try:
            doc = json.loads(data)
            if doc.get("format") != C1_FORMAT:
                raise InvalidProof(f"Commit1 output format '{doc.get('format')}' is not {C1_FORMAT}")
            return cls(
                RegisteredSealProof.from_lotus_name(doc["registered_proof"]),
                int(doc["miner"]),
                int(doc["sector"]),
                bytes.fromhex(doc["ticket"]),
                bytes.fromhex(doc["seed"]),
                bytes.fromhex(doc["comm_d"]),
                bytes.fromhex(doc["comm_r"]),
                bytes.fromhex(doc["replica_id"]),
                _proof_from_json(doc["vanilla_proof"]),
            )
        except InvalidProof:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, AbiError) as exc:
            raise InvalidProof(f"Commit1 output is malformed: {exc!r}") from None


def _siblings(params: SdrParams) -> int:
    return sum(arity - 1 for arity in tree_arities(params))


def seal_proof_length(params: SdrParams) -> int:
    """The exact byte length of a proof of this type."""
    tree_d = (params.nodes.bit_length() - 1) * NODE
    per_column = params.layers * NODE + _siblings(params) * NODE
    per_challenge = NODE + tree_d + COLUMNS * per_column + _siblings(params) * NODE
    return _HEADER.size + params.total_challenges * per_challenge


def encode_seal_proof(params: SdrParams, proof: SealVanillaProof) -> bytes:
    """The proof bytes of ``proof`` (see the module docstring)."""
    out = bytearray(
        _HEADER.pack(
            MAGIC, VERSION, int(params.proof), len(proof.challenges), proof.comm_c, proof.comm_r_last
        )
    )
    for c in proof.challenges:
        out += c.data_leaf
        out += b"".join(node for level in c.tree_d_path for node in level)
        for column in c.columns:
            out += b"".join(column.labels)
            out += b"".join(node for level in column.path for node in level)
        out += b"".join(node for level in c.tree_r_path for node in level)
    assert len(out) == seal_proof_length(params)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes, offset: int) -> None:
        self.data = data
        self.offset = offset

    def take(self, count: int = 1) -> list[bytes]:
        nodes = [self.data[self.offset + i * NODE : self.offset + (i + 1) * NODE] for i in range(count)]
        self.offset += count * NODE
        return nodes

    def path(self, arities: list[int]) -> MerklePath:
        return [self.take(arity - 1) for arity in arities]


def decode_seal_proof(
    proof_type: RegisteredSealProof, data: bytes, replica_id: bytes, seed: bytes
) -> SealVanillaProof:
    """Read proof bytes back, filling in what they leave out (nodes, parents, replica leaves).

    Raises:
        InvalidProof: wrong magic, version, proof type, challenge count or length.
    """
    params = sdr_params(proof_type)
    expected = seal_proof_length(params)
    if len(data) < _HEADER.size:
        raise InvalidProof(f"proof is {len(data)} bytes, shorter than its header")
    magic, version, proof_id, count, comm_c, comm_r_last = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise InvalidProof("proof does not start with 'PLVS': not a pylotus vanilla seal proof")
    if version != VERSION:
        raise InvalidProof(
            f"proof format version '{version}' is not supported (this pylotus reads {VERSION})"
        )
    if proof_id != int(proof_type):
        raise InvalidProof(f"proof is for seal proof '{proof_id}', the sector uses '{int(proof_type)}'")
    if count != params.total_challenges:
        raise InvalidProof(
            f"proof has {count} challenges, '{params.proof.lotus_name}' needs {params.total_challenges}"
        )
    if len(data) != expected:
        raise InvalidProof(f"proof is {len(data)} bytes, '{params.proof.lotus_name}' proofs are {expected}")
    graph = StackedGraph.for_params(params)
    tree_d_arities = [2] * (params.nodes.bit_length() - 1)
    arities = tree_arities(params)
    reader = _Reader(data, _HEADER.size)
    challenges = []
    for node in interactive_challenges(params, replica_id, seed):
        data_leaf = reader.take()[0]
        tree_d_path = reader.path(tree_d_arities)
        columns = []
        for column_node in [node, *graph.parents(node)]:
            labels = tuple(reader.take(params.layers))
            columns.append(ColumnOpening(column_node, labels, reader.path(arities)))
        replica_leaf = bytes(encode_nodes(data_leaf, columns[0].labels[-1]))
        challenges.append(
            ChallengeProof(node, data_leaf, tree_d_path, tuple(columns), replica_leaf, reader.path(arities))
        )
    return SealVanillaProof(comm_c, comm_r_last, tuple(challenges))
