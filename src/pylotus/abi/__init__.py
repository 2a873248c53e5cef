"""The vocabulary every other package speaks: sizes, sectors, proof types, addresses, CIDs.

``abi`` is the ground floor of DESIGN.md's package map: it imports nothing of ours but
:mod:`pylotus.errors`, does no I/O, and every function in it is pure.  It mirrors go-state-types
``abi/`` plus the few Lotus helpers that turn those values into text and back (go-units sizes,
``types.SizeStr``, sector file names, go-address, go-fil-commcid), so that what pylotus prints and
parses matches Lotus to the byte.  Import from here, not from the modules.

Modules: ``sizes`` (human sizes, sector sizes), ``piece_size`` (padded/unpadded piece sizes),
``sector`` (SectorID, file names, file types), ``proof_types`` (registered seal/PoSt proofs),
``address`` (Filecoin addresses), ``cids`` (commitment CIDs, CID JSON), ``json_types`` (the
``JsonValue`` alias), ``errors`` (the ``AbiError`` tree).
"""

from __future__ import annotations

from .address import DEFAULT_NETWORK as DEFAULT_NETWORK
from .address import Address as Address
from .address import AddressProtocol as AddressProtocol
from .address import Network as Network
from .cids import FIL_COMMITMENT_SEALED as FIL_COMMITMENT_SEALED
from .cids import FIL_COMMITMENT_UNSEALED as FIL_COMMITMENT_UNSEALED
from .cids import POSEIDON_BLS12_381_A2_FC1 as POSEIDON_BLS12_381_A2_FC1
from .cids import SHA2_256_TRUNC254_PADDED as SHA2_256_TRUNC254_PADDED
from .cids import cid_from_json as cid_from_json
from .cids import cid_to_commd as cid_to_commd
from .cids import cid_to_commr as cid_to_commr
from .cids import cid_to_json as cid_to_json
from .cids import cid_to_piece_commitment as cid_to_piece_commitment
from .cids import commd_to_cid as commd_to_cid
from .cids import commr_to_cid as commr_to_cid
from .cids import parse_cid as parse_cid
from .cids import piece_commitment_to_cid as piece_commitment_to_cid
from .errors import AbiError as AbiError
from .errors import InvalidAddress as InvalidAddress
from .errors import InvalidCid as InvalidCid
from .errors import InvalidFileType as InvalidFileType
from .errors import InvalidPieceSize as InvalidPieceSize
from .errors import InvalidProofType as InvalidProofType
from .errors import InvalidSectorId as InvalidSectorId
from .errors import InvalidSectorName as InvalidSectorName
from .errors import InvalidSize as InvalidSize
from .errors import UnsupportedSectorSize as UnsupportedSectorSize
from .json_types import JsonObject as JsonObject
from .json_types import JsonValue as JsonValue
from .piece_size import PaddedPieceSize as PaddedPieceSize
from .piece_size import UnpaddedPieceSize as UnpaddedPieceSize
from .proof_types import DEVNET_NETWORK_VERSION as DEVNET_NETWORK_VERSION
from .proof_types import RegisteredPoStProof as RegisteredPoStProof
from .proof_types import RegisteredSealProof as RegisteredSealProof
from .proof_types import seal_proof_type_from_sector_size as seal_proof_type_from_sector_size
from .proof_types import window_post_proof_for as window_post_proof_for
from .proof_types import winning_post_proof_for as winning_post_proof_for
from .sector import ActorID as ActorID
from .sector import SectorFileType as SectorFileType
from .sector import SectorID as SectorID
from .sector import SectorNumber as SectorNumber
from .sector import parse_sector_name as parse_sector_name
from .sector import sector_name as sector_name
from .sizes import SUPPORTED_SECTOR_SIZES as SUPPORTED_SECTOR_SIZES
from .sizes import SectorSize as SectorSize
from .sizes import bytes_size as bytes_size
from .sizes import check_sector_size as check_sector_size
from .sizes import parse_ram_bytes as parse_ram_bytes
from .sizes import parse_sector_size as parse_sector_size
from .sizes import size_str as size_str

__all__ = [
    "DEFAULT_NETWORK",
    "DEVNET_NETWORK_VERSION",
    "FIL_COMMITMENT_SEALED",
    "FIL_COMMITMENT_UNSEALED",
    "POSEIDON_BLS12_381_A2_FC1",
    "SHA2_256_TRUNC254_PADDED",
    "SUPPORTED_SECTOR_SIZES",
    "AbiError",
    "ActorID",
    "Address",
    "AddressProtocol",
    "InvalidAddress",
    "InvalidCid",
    "InvalidFileType",
    "InvalidPieceSize",
    "InvalidProofType",
    "InvalidSectorId",
    "InvalidSectorName",
    "InvalidSize",
    "JsonObject",
    "JsonValue",
    "Network",
    "PaddedPieceSize",
    "RegisteredPoStProof",
    "RegisteredSealProof",
    "SectorFileType",
    "SectorID",
    "SectorNumber",
    "SectorSize",
    "UnpaddedPieceSize",
    "UnsupportedSectorSize",
    "bytes_size",
    "check_sector_size",
    "cid_from_json",
    "cid_to_commd",
    "cid_to_commr",
    "cid_to_json",
    "cid_to_piece_commitment",
    "commd_to_cid",
    "commr_to_cid",
    "parse_cid",
    "parse_ram_bytes",
    "parse_sector_name",
    "parse_sector_size",
    "piece_commitment_to_cid",
    "sector_name",
    "seal_proof_type_from_sector_size",
    "size_str",
    "window_post_proof_for",
    "winning_post_proof_for",
]
