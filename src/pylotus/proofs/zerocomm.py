"""Zero commitments: the tree roots of all-zero data, one per tree level, 32 B to 2 TiB.

Counterpart: go-commp-utils ``zerocomm/zerocomm.go`` (``PieceComms``, ``ZeroPieceCommitment``) and
go-fil-commp-hashhash ``stackedNulPadding``, reference/proofs.md §2.2.  Zeros Fr32-pad to zeros, so
the CommP of an all-zero piece of padded size ``32·2^i`` is ``z_i`` with ``z_0`` 32 zero bytes and
``z_{i+1} = H(z_i, z_i)``.  These are the fillers of CommD (§2.3), the commitment of a pledged
(committed-capacity) piece, and the padding that completes a CommP tree.

The table is computed once at import (37 hashes), not written out: a test checks every published
row of §2.2 against it, so a typo cannot hide in a constant.
"""

from __future__ import annotations

from typing import Final

from multiformats import CID

from pylotus.abi import PaddedPieceSize, piece_commitment_to_cid

from .errors import InvalidPieces
from .tree import NODE_SIZE, node_hash

__all__ = ["ZERO_COMMITMENTS", "ZERO_LEVELS", "zero_piece_cid", "zero_piece_commitment"]

ZERO_LEVELS: Final = 37
"""Levels in the table, as go-commp-utils ``zerocomm.Levels``: z_0 (32 B) … z_36 (2 TiB)."""


def _zero_table() -> tuple[bytes, ...]:
    table = [bytes(NODE_SIZE)]
    for _ in range(ZERO_LEVELS - 1):
        table.append(node_hash(table[-1], table[-1]))
    return tuple(table)


ZERO_COMMITMENTS: Final[tuple[bytes, ...]] = _zero_table()
"""``ZERO_COMMITMENTS[i]`` is the root of ``32·2^i`` zero bytes (reference/proofs.md §2.2)."""

_MIN_PIECE_LEVEL: Final = 2  # 128 bytes: the smallest padded piece


def zero_piece_commitment(padded_size: int) -> bytes:
    """The CommP of an all-zero piece of ``padded_size`` bytes (a power of two, 128 B … 2 TiB).

    ``zero_piece_commitment(2048)`` is ``fc7e9282…bc18f833``, the CommD of an empty 2KiB sector.

    Raises:
        InvalidPieces: ``padded_size`` is not a power of two in the table's range.
    """
    size = int(padded_size)
    level = size.bit_length() - 1 - (NODE_SIZE.bit_length() - 1)
    if size <= 0 or size & (size - 1) or not _MIN_PIECE_LEVEL <= level < ZERO_LEVELS:
        raise InvalidPieces(
            f"zero piece size must be a power of two from 128 bytes to 2TiB, got '{size}' bytes"
        )
    return ZERO_COMMITMENTS[level]


def zero_piece_cid(padded_size: int) -> CID:
    """The piece CID of an all-zero piece: go-commp-utils ``ZeroPieceCommitment(Unpadded(size))``."""
    return piece_commitment_to_cid(zero_piece_commitment(PaddedPieceSize(padded_size)))
