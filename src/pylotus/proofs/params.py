"""SDR parameters per proof type, and the identities sealing starts from: porep_id, prover_id, replica_id.

Counterparts: rust-fil-proofs ``filecoin-proofs/src/constants.rs`` and ``parameters.rs`` (sizes,
layers, tree shapes, challenge counts), ``filecoin-proofs-api`` ``registry.rs`` (``porep_id``,
``version``), go-state-types ``abi/sector.go`` (``MakeProverID``, ``ReplicaId``) and
``storage-proofs-porep`` ``params.rs`` (``generate_replica_id``); reference/proofs.md §3.1–§3.2.

Byte orders differ on purpose and are the classic pitfall (reference/proofs.md §8.4): porep_id holds
the proof id little endian, replica_id hashes the sector number *big* endian.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Final

from pylotus.abi import RegisteredSealProof

from .errors import InvalidSealInput, UnsupportedProof
from .field import trunc254

__all__ = [
    "BASE_DEGREE",
    "EXP_DEGREE",
    "BASE_ARITY",
    "TOTAL_PARENTS",
    "ApiVersion",
    "SdrParams",
    "porep_id",
    "prover_id",
    "replica_id",
    "sdr_params",
]

BASE_DEGREE: Final = 6
"""DRG parents per node (rust ``drgraph.rs`` ``BASE_DEGREE``)."""

EXP_DEGREE: Final = 8
"""Expander parents per node (rust ``stacked/vanilla/graph.rs`` ``EXP_DEGREE``)."""

TOTAL_PARENTS: Final = 37
"""Parent labels hashed into every label but node 0's (reference/proofs.md §3.6)."""


class ApiVersion(enum.Enum):
    """rust-fil-proofs ``ApiVersion``: it changes parent order (1.1.0) and PoSt challenges (1.2.0)."""

    V1_0_0 = "1.0.0"
    V1_1_0 = "1.1.0"
    V1_2_0 = "1.2.0"

    @classmethod
    def parse(cls, text: str) -> ApiVersion:
        """``"1.1.0"`` → :attr:`V1_1_0`."""
        return cls(text)


@dataclass(frozen=True)
class _Shape:
    layers: int
    sub_arity: int
    top_arity: int
    challenges: int  # minimum interactive challenges, all partitions together
    partitions: int


# rust constants.rs: LAYERS, the tree shape (base 8, sub, top) and POREP_MINIMUM_CHALLENGES /
# POREP_PARTITIONS, by sector size (reference/proofs.md §3.1).
_SHAPES: Final = {
    2 << 10: _Shape(2, 0, 0, 2, 1),
    8 << 20: _Shape(2, 0, 0, 2, 1),
    512 << 20: _Shape(2, 0, 0, 2, 1),
    32 << 30: _Shape(11, 8, 0, 176, 10),
    64 << 30: _Shape(11, 8, 2, 176, 10),
}

BASE_ARITY: Final = 8
"""Arity of tree_c and tree_r_last base trees (rust ``SectorShapeBase`` = U8)."""


@dataclass(frozen=True)
class SdrParams:
    """Everything the SDR kernels need to know about one seal proof type.

    Attributes:
        proof: the registered seal proof.
        sector_size: padded bytes; ``nodes = sector_size / 32``.
        nodes: 32-byte nodes (labels per layer, leaves of every tree).
        layers: SDR layers, numbered 1..layers (2 for test sizes, 11 for 32/64GiB).
        sub_arity, top_arity: compound tree shape (0 = none); only 32/64GiB have one.
        challenges_per_partition, partitions: interactive PoRep challenges (2 × 1 for test sizes).
        api_version: decides the DRG parent order (1.1.0 puts the predecessor first).
        porep_id: 32 bytes, :func:`porep_id`.
    """

    proof: RegisteredSealProof
    sector_size: int
    nodes: int
    layers: int
    sub_arity: int
    top_arity: int
    challenges_per_partition: int
    partitions: int
    api_version: ApiVersion
    porep_id: bytes

    @property
    def base_tree_count(self) -> int:
        """Base (arity-8) trees under tree_c and tree_r_last (rust ``get_base_tree_count``)."""
        return max(1, self.sub_arity) * max(1, self.top_arity)

    @property
    def base_tree_leaves(self) -> int:
        """Leaves of each base tree."""
        return self.nodes // self.base_tree_count

    @property
    def total_challenges(self) -> int:
        """Interactive challenges over all partitions."""
        return self.challenges_per_partition * self.partitions


def porep_id(proof: RegisteredSealProof) -> bytes:
    """``u64_le(proof id) ‖ u64_le(0) ‖ 16 zero bytes`` (rust ``registry.rs`` ``porep_id``)."""
    return int(proof).to_bytes(8, "little") + bytes(24)


def sdr_params(proof: RegisteredSealProof) -> SdrParams:
    """The SDR parameters of ``proof``.

    Raises:
        UnsupportedProof: synthetic and NI-PoRep proofs (ids 10–19) challenge differently and are
            not implemented; their sectors cannot be sealed here.
    """
    proof = RegisteredSealProof(proof)
    if proof.is_synthetic or proof.is_ni_porep:
        raise UnsupportedProof(
            f"seal proof '{proof.lotus_name}' is not supported: pylotus seals StackedDrg*V1 and *V1_1 only"
        )
    size = int(proof.sector_size)
    shape = _SHAPES[size]
    return SdrParams(
        proof=proof,
        sector_size=size,
        nodes=size // 32,
        layers=shape.layers,
        sub_arity=shape.sub_arity,
        top_arity=shape.top_arity,
        challenges_per_partition=-(-shape.challenges // shape.partitions),
        partitions=shape.partitions,
        api_version=ApiVersion.parse(proof.api_version),
        porep_id=porep_id(proof),
    )


def prover_id(miner_id: int) -> bytes:
    """32 bytes: the ID address payload (uvarint of ``miner_id``) zero-padded (``MakeProverID``).

    ``prover_id(1000)`` is ``e8 07`` followed by 30 zero bytes (reference/proofs.md §3.2).
    """
    if isinstance(miner_id, bool) or not isinstance(miner_id, int) or not 0 <= miner_id < 2**63:
        raise InvalidSealInput(f"miner id must be an integer in 0..2^63-1, got '{miner_id!r}'")
    payload = bytearray()
    value = miner_id
    while True:
        byte = value & 0x7F
        value >>= 7
        payload.append(byte | (0x80 if value else 0))
        if not value:
            break
    return bytes(payload) + bytes(32 - len(payload))


def replica_id(prover: bytes, sector_number: int, ticket: bytes, comm_d: bytes, porep: bytes) -> bytes:
    """``trunc254(SHA256(prover ‖ u64_be(sector) ‖ ticket ‖ comm_d ‖ porep_id))`` (``generate_replica_id``).

    Raises:
        InvalidSealInput: an argument is not 32 bytes or the sector number is out of range.
    """
    for name, value in (("prover id", prover), ("ticket", ticket), ("comm_d", comm_d), ("porep id", porep)):
        if len(value) != 32:
            raise InvalidSealInput(f"{name} must be '32' bytes, got '{len(value)}'")
    if not 0 <= sector_number < 2**63:
        raise InvalidSealInput(f"sector number '{sector_number}' is out of range 0..2^63-1")
    digest = hashlib.sha256(
        prover + sector_number.to_bytes(8, "big") + bytes(ticket) + bytes(comm_d) + porep
    ).digest()
    return trunc254(digest)
