"""Registered proof types: which PoRep and PoSt flavour a sector uses, by number.

Counterparts: go-state-types ``abi/sector.go`` (``RegisteredSealProof``, ``RegisteredPoStProof``,
``SealProofInfos``), Lotus ``chain/actors/builtin/miner/utils.go`` (``SealProofTypeFromSectorSize``,
``WinningPoStProofTypeFromWindowPoStProofType``) and go-state-types
``RegisteredWindowPoStProofByNetworkVersion``; the tables are reference/proofs.md §6.

The ids are wire values (``"ProofType": 5`` in Lotus JSON, an int in CBOR) and index rust-fil-proofs'
own registry, so they are fixed: seal ids run size-major within each version (id mod 5 is the size,
2KiB…64GiB), which is the arithmetic this module uses.  Member names are the go-state-types names in
Python spelling (``StackedDrg2KiBV1_1`` → ``STACKED_DRG_2KIB_V1_1``); :attr:`lotus_name` gives the Go
spelling back for messages and for ``lotus-miner``-style output.
"""

from __future__ import annotations

import enum
from typing import Final

from .errors import InvalidProofType, described, quoted
from .json_types import JsonValue
from .sizes import SUPPORTED_SECTOR_SIZES, SectorSize, check_sector_size

__all__ = [
    "DEVNET_NETWORK_VERSION",
    "RegisteredPoStProof",
    "RegisteredSealProof",
    "seal_proof_type_from_sector_size",
    "window_post_proof_for",
    "winning_post_proof_for",
]

DEVNET_NETWORK_VERSION: Final = 16
"""The network version the pylotus devnet runs at.

16 is the first version past every change pylotus needs (V1_1 seal proofs from nv7, the version
Lotus 2k devnets defaulted to for years) and before the ones it does not implement: window PoSt V1_1
(the grindability fix, nv19), synthetic PoRep (nv21) and NI-PoRep (nv23).  So new sectors are
``StackedDrg*V1_1`` and window proofs ``StackedDrgWindow*V1``.  Raise it only together with the
matching kernels in ``proofs/``."""

# Network versions at which Lotus switches proof flavour (reference/proofs.md §6.2, §6.3).
_NV_SEAL_V1_1: Final = 7
_NV_WINDOW_POST_V1_1: Final = 19

# Go spelling of the sizes, in id order (id mod 5).
_SIZE_LABELS: Final = ("2KiB", "8MiB", "512MiB", "32GiB", "64GiB")
_SIZES_PER_FAMILY: Final = len(_SIZE_LABELS)

# Seal proof families, in id order (id div 5): Go name suffix and rust-fil-proofs api version.
_SEAL_FAMILIES: Final = (
    ("V1", "1.0.0"),
    ("V1_1", "1.1.0"),
    ("V1_1_Feat_SyntheticPoRep", "1.2.0"),
    ("V1_2_Feat_NiPoRep", "1.2.0"),
)

# PoSt families, in id order (id div 5): Go name pattern and api version (reference/proofs.md §5.1).
_POST_FAMILIES: Final = (
    ("StackedDrgWinning{size}V1", "1.0.0"),
    ("StackedDrgWindow{size}V1", "1.0.0"),
    ("StackedDrgWindow{size}V1_1", "1.2.0"),
)

# go-state-types PoStProofInfos WindowPoStPartitionSectors, by size (rust WINDOW_POST_SECTOR_COUNT).
_WINDOW_POST_PARTITION_SECTORS: Final = (2, 2, 2, 2349, 2300)


class RegisteredSealProof(enum.IntEnum):
    """A PoRep flavour and sector size (go-state-types ``abi.RegisteredSealProof``)."""

    STACKED_DRG_2KIB_V1 = 0
    STACKED_DRG_8MIB_V1 = 1
    STACKED_DRG_512MIB_V1 = 2
    STACKED_DRG_32GIB_V1 = 3
    STACKED_DRG_64GIB_V1 = 4
    STACKED_DRG_2KIB_V1_1 = 5
    STACKED_DRG_8MIB_V1_1 = 6
    STACKED_DRG_512MIB_V1_1 = 7
    STACKED_DRG_32GIB_V1_1 = 8
    STACKED_DRG_64GIB_V1_1 = 9
    STACKED_DRG_2KIB_V1_1_FEAT_SYNTHETIC_POREP = 10
    STACKED_DRG_8MIB_V1_1_FEAT_SYNTHETIC_POREP = 11
    STACKED_DRG_512MIB_V1_1_FEAT_SYNTHETIC_POREP = 12
    STACKED_DRG_32GIB_V1_1_FEAT_SYNTHETIC_POREP = 13
    STACKED_DRG_64GIB_V1_1_FEAT_SYNTHETIC_POREP = 14
    STACKED_DRG_2KIB_V1_2_FEAT_NI_POREP = 15
    STACKED_DRG_8MIB_V1_2_FEAT_NI_POREP = 16
    STACKED_DRG_512MIB_V1_2_FEAT_NI_POREP = 17
    STACKED_DRG_32GIB_V1_2_FEAT_NI_POREP = 18
    STACKED_DRG_64GIB_V1_2_FEAT_NI_POREP = 19

    @property
    def sector_size(self) -> SectorSize:
        """The sector size this proof seals."""
        return SUPPORTED_SECTOR_SIZES[self % _SIZES_PER_FAMILY]

    @property
    def lotus_name(self) -> str:
        """The go-state-types name without its type prefix: ``"StackedDrg2KiBV1_1"``."""
        suffix, _ = _SEAL_FAMILIES[self // _SIZES_PER_FAMILY]
        return f"StackedDrg{_SIZE_LABELS[self % _SIZES_PER_FAMILY]}{suffix}"

    @property
    def api_version(self) -> str:
        """The rust-fil-proofs ``ApiVersion`` this proof runs with (reference/proofs.md §6.1)."""
        _, version = _SEAL_FAMILIES[self // _SIZES_PER_FAMILY]
        return version

    @property
    def is_v1(self) -> bool:
        """The original ``V1`` proofs (ids 0–4), sealed before network version 7."""
        return self // _SIZES_PER_FAMILY == 0

    @property
    def is_v1_1(self) -> bool:
        """The plain ``V1_1`` proofs (ids 5–9): what the devnet seals."""
        return self // _SIZES_PER_FAMILY == 1

    @property
    def is_synthetic(self) -> bool:
        """``V1_1_Feat_SyntheticPoRep`` (ids 10–14)."""
        return self // _SIZES_PER_FAMILY == 2

    @property
    def is_ni_porep(self) -> bool:
        """``V1_2_Feat_NiPoRep`` (ids 15–19), non-interactive PoRep."""
        return self // _SIZES_PER_FAMILY == 3

    @property
    def winning_post_proof(self) -> RegisteredPoStProof:
        """The winning PoSt proof for this size (``SealProofInfos``: same for every family)."""
        return RegisteredPoStProof(self % _SIZES_PER_FAMILY)

    @classmethod
    def from_lotus_name(cls, name: str) -> RegisteredSealProof:
        """The proof named ``name`` in Go spelling (``"StackedDrg32GiBV1_1"``).

        Raises:
            InvalidProofType: no seal proof has that name.
        """
        for proof in cls:
            if proof.lotus_name == name:
                return proof
        raise InvalidProofType(f"unknown seal proof type {quoted(name)}")

    @classmethod
    def from_json(cls, value: JsonValue) -> RegisteredSealProof:
        """Read the wire form, a JSON number (``"SealProof": 5``).

        Raises:
            InvalidProofType: not an integer, or not a registered id.
        """
        return cls(_proof_id("seal", value, len(cls)))


class RegisteredPoStProof(enum.IntEnum):
    """A PoSt flavour and sector size (go-state-types ``abi.RegisteredPoStProof``)."""

    STACKED_DRG_WINNING_2KIB_V1 = 0
    STACKED_DRG_WINNING_8MIB_V1 = 1
    STACKED_DRG_WINNING_512MIB_V1 = 2
    STACKED_DRG_WINNING_32GIB_V1 = 3
    STACKED_DRG_WINNING_64GIB_V1 = 4
    STACKED_DRG_WINDOW_2KIB_V1 = 5
    STACKED_DRG_WINDOW_8MIB_V1 = 6
    STACKED_DRG_WINDOW_512MIB_V1 = 7
    STACKED_DRG_WINDOW_32GIB_V1 = 8
    STACKED_DRG_WINDOW_64GIB_V1 = 9
    STACKED_DRG_WINDOW_2KIB_V1_1 = 10
    STACKED_DRG_WINDOW_8MIB_V1_1 = 11
    STACKED_DRG_WINDOW_512MIB_V1_1 = 12
    STACKED_DRG_WINDOW_32GIB_V1_1 = 13
    STACKED_DRG_WINDOW_64GIB_V1_1 = 14

    @property
    def sector_size(self) -> SectorSize:
        """The sector size this proof covers."""
        return SUPPORTED_SECTOR_SIZES[self % _SIZES_PER_FAMILY]

    @property
    def lotus_name(self) -> str:
        """The go-state-types name without its type prefix: ``"StackedDrgWindow2KiBV1"``."""
        pattern, _ = _POST_FAMILIES[self // _SIZES_PER_FAMILY]
        return pattern.format(size=_SIZE_LABELS[self % _SIZES_PER_FAMILY])

    @property
    def api_version(self) -> str:
        """The rust-fil-proofs ``ApiVersion``: window ``V1_1`` is rust's ``V1_2`` (1.2.0)."""
        _, version = _POST_FAMILIES[self // _SIZES_PER_FAMILY]
        return version

    @property
    def is_winning(self) -> bool:
        """A winning PoSt proof (ids 0–4)."""
        return self // _SIZES_PER_FAMILY == 0

    @property
    def is_window(self) -> bool:
        """A window PoSt proof (ids 5–14)."""
        return not self.is_winning

    @property
    def window_post_partition_sectors(self) -> int:
        """Sectors per window PoSt partition for this size (go-state-types ``PoStProofInfos``)."""
        return _WINDOW_POST_PARTITION_SECTORS[self % _SIZES_PER_FAMILY]

    @classmethod
    def from_lotus_name(cls, name: str) -> RegisteredPoStProof:
        """The proof named ``name`` in Go spelling (``"StackedDrgWindow2KiBV1"``).

        Raises:
            InvalidProofType: no PoSt proof has that name.
        """
        for proof in cls:
            if proof.lotus_name == name:
                return proof
        raise InvalidProofType(f"unknown post proof type {quoted(name)}")

    @classmethod
    def from_json(cls, value: JsonValue) -> RegisteredPoStProof:
        """Read the wire form, a JSON number (``"WindowPoStProofType": 5``).

        Raises:
            InvalidProofType: not an integer, or not a registered id.
        """
        return cls(_proof_id("post", value, len(cls)))


def _proof_id(kind: str, value: JsonValue, count: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidProofType(f"{kind} proof type must be an integer, got {described(value)}")
    if not 0 <= value < count:
        raise InvalidProofType(f"unknown {kind} proof type {quoted(str(value))}")
    return value


def seal_proof_type_from_sector_size(
    size: int, network_version: int = DEVNET_NETWORK_VERSION
) -> RegisteredSealProof:
    """The seal proof a new miner/sector of ``size`` gets (Lotus ``miner.SealProofTypeFromSectorSize``).

    Below network version 7 that is the ``V1`` proof (ids 0–4), from 7 on ``V1_1`` (ids 5–9).  Lotus
    also takes a variant (synthetic, NI-PoRep); pylotus seals neither, so there is none here.

    Raises:
        UnsupportedSectorSize: ``size`` is not a Filecoin sector size.
    """
    index = SUPPORTED_SECTOR_SIZES.index(check_sector_size(size))
    family = 0 if network_version < _NV_SEAL_V1_1 else 1
    return RegisteredSealProof(family * _SIZES_PER_FAMILY + index)


def winning_post_proof_for(seal_proof: RegisteredSealProof) -> RegisteredPoStProof:
    """The winning PoSt proof for sectors sealed with ``seal_proof`` (``SealProofInfos``)."""
    return seal_proof.winning_post_proof


def window_post_proof_for(
    seal_proof: RegisteredSealProof, network_version: int = DEVNET_NETWORK_VERSION
) -> RegisteredPoStProof:
    """The window PoSt proof a miner with ``seal_proof`` uses at ``network_version``.

    ``StackedDrgWindow*V1`` (ids 5–9) up to network version 18, ``*V1_1`` (ids 10–14) from 19: Lotus
    ``RegisteredWindowPoStProofByNetworkVersion`` (reference/proofs.md §6.2).
    """
    family = 1 if network_version < _NV_WINDOW_POST_V1_1 else 2
    return RegisteredPoStProof(family * _SIZES_PER_FAMILY + seal_proof % _SIZES_PER_FAMILY)
