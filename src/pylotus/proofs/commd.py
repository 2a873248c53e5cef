"""CommD: the unsealed-sector commitment, combined from the CommPs of the pieces in it.

Counterpart: rust-fil-proofs ``filecoin-proofs/src/pieces.rs`` ``compute_comm_d``, go-commp-utils
``commd.go`` ``PieceAggregateCommP``, Lotus ``chain/proofs`` ``GenerateUnsealedCID``; reference/proofs.md
§2.3.  Pieces are taken in sector order; each is a whole subtree, so CommD needs only their roots:

- push the first piece; before each next piece, while the top of the stack is smaller than it,
  push a zero piece of the top's size (the alignment filler); push the piece; whenever the two top
  entries have the same size, replace them by their parent;
- at the end, complete the tree with zero pieces up to the sector size (Lotus's
  ``ZeroPadPieceCommitment``; rust stops at the pieces' own root, Lotus and this module do not);
- no pieces at all: the zero commitment of the sector size.

:class:`PieceInfo` is Lotus's ``abi.PieceInfo`` and keeps its JSON shape,
``{"Size": 2048, "PieceCID": {"/": "baga…"}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from multiformats import CID

from pylotus.abi import (
    AbiError,
    JsonObject,
    JsonValue,
    PaddedPieceSize,
    cid_from_json,
    cid_to_json,
    cid_to_piece_commitment,
    commd_to_cid,
)

from .errors import InvalidPieces
from .tree import NODE_SIZE, SubtreeStack, node_hash
from .zerocomm import ZERO_COMMITMENTS, zero_piece_commitment

__all__ = ["PieceInfo", "compute_comm_d", "generate_unsealed_cid"]

_MIN_PADDED: Final = 128


@dataclass(frozen=True)
class PieceInfo:
    """A piece in a sector: its padded size and its piece CID (Lotus ``abi.PieceInfo``)."""

    size: PaddedPieceSize
    piece_cid: CID

    def to_json(self) -> JsonObject:
        """Lotus's wire form: ``{"Size": 2048, "PieceCID": {"/": "baga…"}}``."""
        return {"Size": int(self.size), "PieceCID": cid_to_json(self.piece_cid)}

    @classmethod
    def from_json(cls, obj: JsonValue) -> PieceInfo:
        """Read Lotus's wire form; the size must be a valid padded piece size.

        Raises:
            InvalidPieces: not an object with an integer ``Size`` and a CID ``PieceCID``, or a size
                that is not a power of two ≥ 128.
        """
        if not isinstance(obj, dict) or set(obj) != {"Size", "PieceCID"}:
            raise InvalidPieces(
                f'piece info must be {{"Size": n, "PieceCID": {{"/": cid}}}}, got {obj!r:.100}'
            )
        size = obj["Size"]
        if isinstance(size, bool) or not isinstance(size, int):
            raise InvalidPieces(f"piece info size must be an integer, got {size!r:.100}")
        try:
            padded = PaddedPieceSize(size)
            padded.validate()
            cid = cid_from_json(obj["PieceCID"])
        except AbiError as exc:
            raise InvalidPieces(f"invalid piece info: {exc}") from exc
        return cls(padded, cid)


def _piece_roots(sector_size: int, pieces: Sequence[PieceInfo]) -> list[tuple[int, bytes]]:
    """Check every piece against the sector, as go-commp-utils does; return (level, root) pairs."""
    roots = []
    for i, piece in enumerate(pieces):
        size = int(piece.size)
        if size < _MIN_PADDED or size & (size - 1):
            raise InvalidPieces(f"piece {i} size '{size}' is not a power of two of at least 128 bytes")
        if size > sector_size:
            raise InvalidPieces(f"piece {i} size '{size}' is larger than the sector size '{sector_size}'")
        try:
            root = cid_to_piece_commitment(piece.piece_cid)
        except AbiError as exc:
            raise InvalidPieces(f"piece {i} cid is not a piece commitment: {exc}") from exc
        roots.append((size.bit_length() - NODE_SIZE.bit_length(), root))
    total = sum(int(piece.size) for piece in pieces)
    if total > sector_size:
        raise InvalidPieces(f"pieces sum up to '{total}' bytes, more than the sector size '{sector_size}'")
    return roots


def compute_comm_d(sector_size: int, pieces: Sequence[PieceInfo]) -> bytes:
    """The raw 32-byte CommD of a sector of ``sector_size`` bytes holding ``pieces`` in this order.

    Raises:
        InvalidPieces: ``sector_size`` is not a power of two ≥ 128; a piece size is not a power of
            two ≥ 128 or exceeds the sector; a CID is not a piece commitment; or the pieces with
            their alignment fillers do not fit in the sector.
    """
    if sector_size < _MIN_PADDED or sector_size & (sector_size - 1):
        raise InvalidPieces(f"sector size '{sector_size}' is not a power of two of at least 128 bytes")
    if not pieces:
        return zero_piece_commitment(sector_size)
    roots = _piece_roots(sector_size, pieces)
    stack = SubtreeStack(ZERO_COMMITMENTS)
    for level, piece_root in roots:
        while stack.entries and stack.entries[-1].level < level:  # alignment filler
            filler = stack.entries[-1].level
            stack.push(filler, ZERO_COMMITMENTS[filler])
        stack.push(level, piece_root)
    top = stack.finish()
    sector_level = sector_size.bit_length() - NODE_SIZE.bit_length()
    if top.level > sector_level:
        raise InvalidPieces(
            f"pieces with their alignment fillers take '{NODE_SIZE << top.level}' bytes, "
            f"more than the sector size '{sector_size}'"
        )
    commitment = top.root
    for level in range(top.level, sector_level):  # Lotus ZeroPadPieceCommitment
        commitment = node_hash(commitment, ZERO_COMMITMENTS[level])
    return commitment


def generate_unsealed_cid(sector_size: int, pieces: Sequence[PieceInfo]) -> CID:
    """The unsealed CID (CommD, ``baga6ea4sea…``) of a sector: Lotus ``GenerateUnsealedCID``.

    See :func:`compute_comm_d` for the rules and errors.
    """
    return commd_to_cid(compute_comm_d(sector_size, pieces))
