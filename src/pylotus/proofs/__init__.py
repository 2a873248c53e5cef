"""Proof kernels: Fr32, CommP, CommD, AddPiece, SDR sealing (PC1/PC2), vanilla PoRep (C1/C2/verify), PoSt.

``proofs`` sits on the ground floor of DESIGN.md's package map beside ``abi``: pure computation and
file I/O, no daemons, no trio.  Each kernel keeps a plain reference implementation next to its fast
path behind the same signature (``pad_reference``/``pad``, ``commp_reference``/``commp_from_bytes``,
``poseidon_hash_reference``/``poseidon_hash``, ``label_layer_reference``/``label_layer``, the graph's
per-node parents/``parents_bytes``); the tests hold them equal and pin both to the published vectors
of reference/proofs.md.  Import from here, not from the modules.

Modules, bottom up: ``fr32``, ``fr32_stream``, ``alignment``, ``tree`` (sha256-trunc254 tree),
``zerocomm``, ``commp``, ``commp_file``, ``piece_cid``, ``commd``, ``addpiece`` (Proofs I); ``field``
(Fr), ``params`` (SDR parameters, porep/prover/replica ids), ``chacha`` and ``graph`` (the SDR parent
graph), ``parent_cache`` (its upstream-layout cache file), ``poseidon`` (neptune's hash), ``labels``,
``encoding``, ``merkle`` (tree_d/tree_c/tree_r_last), ``sector_files``, ``pool`` and ``pc2_kernel``
(parallel PreCommit2), ``seal`` (PreCommit1/2), ``porep`` and ``porep_codec`` (vanilla proofs and their
wire forms), ``commit`` (Commit1/2, VerifySeal), ``post`` (Winning/Window PoSt), ``unseal``
(Finalize, Unseal, ReadPiece); ``errors``.

pylotus has no Groth16 SNARKs (their parameters are multi-GB downloads): Commit2 and PoSt produce
*vanilla* proofs in a documented compact form (docs/vanilla-proofs.md), which verification checks in
full.
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
from .commit import SealVerifyInfo as SealVerifyInfo
from .commit import check_seal as check_seal
from .commit import seal_commit1 as seal_commit1
from .commit import seal_commit2 as seal_commit2
from .commit import verify_seal as verify_seal
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
from .errors import InvalidFieldElement as InvalidFieldElement
from .errors import InvalidFr32Length as InvalidFr32Length
from .errors import InvalidPieces as InvalidPieces
from .errors import InvalidProof as InvalidProof
from .errors import InvalidSealInput as InvalidSealInput
from .errors import ParentCacheError as ParentCacheError
from .errors import PayloadTooLarge as PayloadTooLarge
from .errors import PayloadTooSmall as PayloadTooSmall
from .errors import PieceDoesNotFit as PieceDoesNotFit
from .errors import ProofsError as ProofsError
from .errors import SectorDataError as SectorDataError
from .errors import ShortRead as ShortRead
from .errors import UnsupportedProof as UnsupportedProof
from .field import FR_MODULUS as FR_MODULUS
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
from .graph import StackedGraph as StackedGraph
from .labels import label_layer as label_layer
from .labels import label_layer_reference as label_layer_reference
from .params import ApiVersion as ApiVersion
from .params import SdrParams as SdrParams
from .params import porep_id as porep_id
from .params import prover_id as prover_id
from .params import replica_id as replica_id
from .params import sdr_params as sdr_params
from .parent_cache import ParentCache as ParentCache
from .parent_cache import default_cache_dir as default_parent_cache_dir
from .parent_cache import open_parent_cache as open_parent_cache
from .piece_cid import piece_cid_v2 as piece_cid_v2
from .porep import interactive_challenges as interactive_challenges
from .porep_codec import seal_proof_length as seal_proof_length
from .poseidon import hash_columns as hash_columns
from .poseidon import hash_groups as hash_groups
from .poseidon import poseidon_hash as poseidon_hash
from .poseidon import poseidon_hash_nodes as poseidon_hash_nodes
from .poseidon import poseidon_hash_reference as poseidon_hash_reference
from .post import PoStProof as PoStProof
from .post import PrivateSectorInfo as PrivateSectorInfo
from .post import SectorInfo as SectorInfo
from .post import WindowPoStVerifyInfo as WindowPoStVerifyInfo
from .post import WinningPoStVerifyInfo as WinningPoStVerifyInfo
from .post import check_window_post as check_window_post
from .post import check_winning_post as check_winning_post
from .post import generate_window_post as generate_window_post
from .post import generate_winning_post as generate_winning_post
from .post import generate_winning_post_sector_challenge as generate_winning_post_sector_challenge
from .post import verify_window_post as verify_window_post
from .post import verify_winning_post as verify_winning_post
from .seal import PreCommit1Out as PreCommit1Out
from .seal import seal_pre_commit1 as seal_pre_commit1
from .seal import seal_pre_commit2 as seal_pre_commit2
from .sector_files import SectorCids as SectorCids
from .sector_files import SectorPaths as SectorPaths
from .tree import node_hash as node_hash
from .tree import subtree_root as subtree_root
from .tree import subtree_root_reference as subtree_root_reference
from .unseal import finalize_sector as finalize_sector
from .unseal import read_piece as read_piece
from .unseal import unseal_range as unseal_range
from .zerocomm import ZERO_COMMITMENTS as ZERO_COMMITMENTS
from .zerocomm import zero_piece_cid as zero_piece_cid
from .zerocomm import zero_piece_commitment as zero_piece_commitment

__all__ = [
    "FR32_CHUNK_PADDED",
    "FR32_CHUNK_UNPADDED",
    "FR_MODULUS",
    "MAX_PIECE_PAYLOAD",
    "MIN_PIECE_PAYLOAD",
    "PARALLEL_MIN_BYTES",
    "ZERO_COMMITMENTS",
    "ApiVersion",
    "CommPHasher",
    "CommPResult",
    "Fr32PadReader",
    "Fr32PadWriter",
    "Fr32UnpadReader",
    "Fr32UnpadWriter",
    "InvalidFieldElement",
    "InvalidFr32Length",
    "InvalidPieces",
    "InvalidProof",
    "InvalidSealInput",
    "ParentCache",
    "ParentCacheError",
    "PayloadTooLarge",
    "PayloadTooSmall",
    "PieceAlignment",
    "PieceDoesNotFit",
    "PieceInfo",
    "PoStProof",
    "PreCommit1Out",
    "PrivateSectorInfo",
    "ProgressCallback",
    "ProofsError",
    "SdrParams",
    "SealVerifyInfo",
    "SectorCids",
    "SectorDataError",
    "SectorInfo",
    "SectorPaths",
    "ShortRead",
    "StackedGraph",
    "UnsupportedProof",
    "WindowPoStVerifyInfo",
    "WinningPoStVerifyInfo",
    "add_piece",
    "check_seal",
    "check_window_post",
    "check_winning_post",
    "commp_from_bytes",
    "commp_from_file",
    "commp_from_stream",
    "commp_reference",
    "compute_comm_d",
    "default_parent_cache_dir",
    "finalize_sector",
    "generate_unsealed_cid",
    "generate_window_post",
    "generate_winning_post",
    "generate_winning_post_sector_challenge",
    "get_piece_alignment",
    "get_piece_start_byte",
    "hash_columns",
    "hash_groups",
    "interactive_challenges",
    "label_layer",
    "label_layer_reference",
    "node_hash",
    "open_parent_cache",
    "pad",
    "pad_reference",
    "piece_cid_v2",
    "porep_id",
    "poseidon_hash",
    "poseidon_hash_nodes",
    "poseidon_hash_reference",
    "prover_id",
    "read_piece",
    "replica_id",
    "sdr_params",
    "seal_commit1",
    "seal_commit2",
    "seal_pre_commit1",
    "seal_pre_commit2",
    "seal_proof_length",
    "subtree_root",
    "subtree_root_reference",
    "sum_piece_bytes_with_alignment",
    "unpad",
    "unpad_reference",
    "unseal_range",
    "verify_seal",
    "verify_window_post",
    "verify_winning_post",
    "zero_piece_cid",
    "zero_piece_commitment",
]
