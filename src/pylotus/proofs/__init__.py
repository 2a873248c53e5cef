"""Proof kernels: Fr32, CommP, CommD and AddPiece (sealing and PoSt arrive with later issues).

``proofs`` sits on the ground floor of DESIGN.md's package map beside ``abi``: pure computation and
file I/O, no daemons, no trio.  Each kernel keeps a plain reference implementation next to its fast
path behind the same signature (``pad_reference``/``pad``, ``commp_reference``/``commp_from_bytes``,
``subtree_root_reference``/``subtree_root``); the tests hold them equal and pin both to the published
vectors of reference/proofs.md §1–§2.  Import from here, not from the modules.

Modules: ``fr32`` (padding in memory), ``fr32_stream`` (padding over file objects), ``alignment``
(piece layout in a sector), ``tree`` (the sha256-trunc254 tree), ``zerocomm`` (zero commitments),
``commp`` (CommP of a payload), ``commp_file`` (CommP of a file over several processes), ``piece_cid``
(FRC-0069 v2 piece CIDs), ``commd`` (CommD, ``PieceInfo``), ``addpiece`` (AddPiece), ``errors``.
"""

from __future__ import annotations

from .addpiece import add_piece as add_piece
from .alignment import PieceAlignment as PieceAlignment
from .alignment import get_piece_alignment as get_piece_alignment
from .alignment import get_piece_start_byte as get_piece_start_byte
from .alignment import sum_piece_bytes_with_alignment as sum_piece_bytes_with_alignment
from .commd import PieceInfo as PieceInfo
from .commd import compute_comm_d as compute_comm_d
from .commd import generate_unsealed_cid as generate_unsealed_cid
from .commp import MAX_PIECE_PAYLOAD as MAX_PIECE_PAYLOAD
from .commp import MIN_PIECE_PAYLOAD as MIN_PIECE_PAYLOAD
from .commp import CommPHasher as CommPHasher
from .commp import CommPResult as CommPResult
from .commp import ProgressCallback as ProgressCallback
from .commp import commp_from_bytes as commp_from_bytes
from .commp import commp_from_stream as commp_from_stream
from .commp import commp_reference as commp_reference
from .commp_file import PARALLEL_MIN_BYTES as PARALLEL_MIN_BYTES
from .commp_file import commp_from_file as commp_from_file
from .errors import InvalidFr32Length as InvalidFr32Length
from .errors import InvalidPieces as InvalidPieces
from .errors import PayloadTooLarge as PayloadTooLarge
from .errors import PayloadTooSmall as PayloadTooSmall
from .errors import PieceDoesNotFit as PieceDoesNotFit
from .errors import ProofsError as ProofsError
from .errors import ShortRead as ShortRead
from .fr32 import FR32_CHUNK_PADDED as FR32_CHUNK_PADDED
from .fr32 import FR32_CHUNK_UNPADDED as FR32_CHUNK_UNPADDED
from .fr32 import pad as pad
from .fr32 import pad_reference as pad_reference
from .fr32 import unpad as unpad
from .fr32 import unpad_reference as unpad_reference
from .fr32_stream import Fr32PadReader as Fr32PadReader
from .fr32_stream import Fr32PadWriter as Fr32PadWriter
from .fr32_stream import Fr32UnpadReader as Fr32UnpadReader
from .fr32_stream import Fr32UnpadWriter as Fr32UnpadWriter
from .piece_cid import piece_cid_v2 as piece_cid_v2
from .tree import node_hash as node_hash
from .tree import subtree_root as subtree_root
from .tree import subtree_root_reference as subtree_root_reference
from .zerocomm import ZERO_COMMITMENTS as ZERO_COMMITMENTS
from .zerocomm import zero_piece_cid as zero_piece_cid
from .zerocomm import zero_piece_commitment as zero_piece_commitment

__all__ = [
    "FR32_CHUNK_PADDED",
    "FR32_CHUNK_UNPADDED",
    "MAX_PIECE_PAYLOAD",
    "MIN_PIECE_PAYLOAD",
    "PARALLEL_MIN_BYTES",
    "ZERO_COMMITMENTS",
    "CommPHasher",
    "CommPResult",
    "Fr32PadReader",
    "Fr32PadWriter",
    "Fr32UnpadReader",
    "Fr32UnpadWriter",
    "InvalidFr32Length",
    "InvalidPieces",
    "PayloadTooLarge",
    "PayloadTooSmall",
    "PieceAlignment",
    "PieceDoesNotFit",
    "PieceInfo",
    "ProgressCallback",
    "ProofsError",
    "ShortRead",
    "add_piece",
    "commp_from_bytes",
    "commp_from_file",
    "commp_from_stream",
    "commp_reference",
    "compute_comm_d",
    "generate_unsealed_cid",
    "get_piece_alignment",
    "get_piece_start_byte",
    "node_hash",
    "pad",
    "pad_reference",
    "piece_cid_v2",
    "subtree_root",
    "subtree_root_reference",
    "sum_piece_bytes_with_alignment",
    "unpad",
    "unpad_reference",
    "zero_piece_cid",
    "zero_piece_commitment",
]
