"""Where a piece goes in a sector: alignment of unpadded pieces, as rust-fil-proofs lays them out.

Counterpart: rust-fil-proofs ``filecoin-proofs/src/pieces.rs`` (``get_piece_alignment``,
``sum_piece_bytes_with_alignment``, ``get_piece_start_byte``), reference/proofs.md §1.3.  A piece of
``n`` unpadded bytes occupies the smallest ``127·2^k ≥ n`` bytes and must start at a multiple of
that size, so that its bytes are exactly one subtree of the sector's tree and its CommP is a node
of CommD.  Bytes skipped to reach that start (left) and the unused tail (right) are zeros.

All sizes here are *unpadded* byte counts: a sector of S bytes holds ``S·127/128`` of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from pylotus.abi import UnpaddedPieceSize

from .fr32 import FR32_CHUNK_UNPADDED

__all__ = [
    "PieceAlignment",
    "get_piece_alignment",
    "get_piece_start_byte",
    "sum_piece_bytes_with_alignment",
]

_MIN_PIECE: Final = FR32_CHUNK_UNPADDED  # rust MINIMUM_RESERVED_BYTES_FOR_PIECE_IN_FULLY_ALIGNED_SECTOR


@dataclass(frozen=True)
class PieceAlignment:
    """Zero bytes to write before (``left_bytes``) and after (``right_bytes``) a piece's data."""

    left_bytes: UnpaddedPieceSize
    right_bytes: UnpaddedPieceSize

    def total(self, piece_bytes: int) -> int:
        """Unpadded bytes the aligned piece takes: left filler, data, right filler (rust ``sum``)."""
        return int(self.left_bytes) + int(piece_bytes) + int(self.right_bytes)


def get_piece_alignment(written_bytes: int, piece_bytes: int) -> PieceAlignment:
    """The alignment of a piece of ``piece_bytes`` after ``written_bytes`` already in the sector.

    ``get_piece_alignment(127, 508)`` is ``PieceAlignment(381, 0)``: the 508-byte piece must start
    at a multiple of 508, so 381 zero bytes go first (reference/proofs.md §1.3 has the full table).
    """
    needed = _MIN_PIECE
    while needed < piece_bytes:
        needed *= 2
    encroaching = written_bytes % needed
    left = needed - encroaching if encroaching else 0
    return PieceAlignment(UnpaddedPieceSize(left), UnpaddedPieceSize(needed - piece_bytes))


def sum_piece_bytes_with_alignment(pieces: Iterable[int]) -> int:
    """Unpadded bytes taken by ``pieces`` laid out in order, each after its alignment filler."""
    written = 0
    for piece in pieces:
        written += get_piece_alignment(written, piece).total(piece)
    return written


def get_piece_start_byte(pieces: Iterable[int], piece_bytes: int) -> int:
    """The unpadded offset where a piece of ``piece_bytes`` starts after ``pieces``.

    ``get_piece_start_byte([31, 32], 33)`` is 254: each small piece takes a whole 127-byte slot.
    """
    written = sum_piece_bytes_with_alignment(pieces)
    return written + int(get_piece_alignment(written, piece_bytes).left_bytes)
