"""Registered proof ids against go-state-types abi/sector.go and Lotus miner/utils.go.

The tables are reference/proofs.md §6.1–§6.3, typed in by hand.
"""

from __future__ import annotations

import pytest

from pylotus.abi import (
    DEVNET_NETWORK_VERSION,
    InvalidProofType,
    RegisteredPoStProof,
    RegisteredSealProof,
    UnsupportedSectorSize,
    seal_proof_type_from_sector_size,
    window_post_proof_for,
    winning_post_proof_for,
)
from pylotus.abi.json_types import JsonValue

KIB, MIB, GIB = 1024, 1024**2, 1024**3

# reference/proofs.md §6.1: id, Go name, sector size, api version.
SEAL_TABLE = [
    (0, "StackedDrg2KiBV1", 2 * KIB, "1.0.0"),
    (1, "StackedDrg8MiBV1", 8 * MIB, "1.0.0"),
    (2, "StackedDrg512MiBV1", 512 * MIB, "1.0.0"),
    (3, "StackedDrg32GiBV1", 32 * GIB, "1.0.0"),
    (4, "StackedDrg64GiBV1", 64 * GIB, "1.0.0"),
    (5, "StackedDrg2KiBV1_1", 2 * KIB, "1.1.0"),
    (6, "StackedDrg8MiBV1_1", 8 * MIB, "1.1.0"),
    (7, "StackedDrg512MiBV1_1", 512 * MIB, "1.1.0"),
    (8, "StackedDrg32GiBV1_1", 32 * GIB, "1.1.0"),
    (9, "StackedDrg64GiBV1_1", 64 * GIB, "1.1.0"),
    (10, "StackedDrg2KiBV1_1_Feat_SyntheticPoRep", 2 * KIB, "1.2.0"),
    (11, "StackedDrg8MiBV1_1_Feat_SyntheticPoRep", 8 * MIB, "1.2.0"),
    (12, "StackedDrg512MiBV1_1_Feat_SyntheticPoRep", 512 * MIB, "1.2.0"),
    (13, "StackedDrg32GiBV1_1_Feat_SyntheticPoRep", 32 * GIB, "1.2.0"),
    (14, "StackedDrg64GiBV1_1_Feat_SyntheticPoRep", 64 * GIB, "1.2.0"),
    (15, "StackedDrg2KiBV1_2_Feat_NiPoRep", 2 * KIB, "1.2.0"),
    (16, "StackedDrg8MiBV1_2_Feat_NiPoRep", 8 * MIB, "1.2.0"),
    (17, "StackedDrg512MiBV1_2_Feat_NiPoRep", 512 * MIB, "1.2.0"),
    (18, "StackedDrg32GiBV1_2_Feat_NiPoRep", 32 * GIB, "1.2.0"),
    (19, "StackedDrg64GiBV1_2_Feat_NiPoRep", 64 * GIB, "1.2.0"),
]

# reference/proofs.md §6.2.
POST_TABLE = [
    (0, "StackedDrgWinning2KiBV1", 2 * KIB),
    (1, "StackedDrgWinning8MiBV1", 8 * MIB),
    (2, "StackedDrgWinning512MiBV1", 512 * MIB),
    (3, "StackedDrgWinning32GiBV1", 32 * GIB),
    (4, "StackedDrgWinning64GiBV1", 64 * GIB),
    (5, "StackedDrgWindow2KiBV1", 2 * KIB),
    (6, "StackedDrgWindow8MiBV1", 8 * MIB),
    (7, "StackedDrgWindow512MiBV1", 512 * MIB),
    (8, "StackedDrgWindow32GiBV1", 32 * GIB),
    (9, "StackedDrgWindow64GiBV1", 64 * GIB),
    (10, "StackedDrgWindow2KiBV1_1", 2 * KIB),
    (11, "StackedDrgWindow8MiBV1_1", 8 * MIB),
    (12, "StackedDrgWindow512MiBV1_1", 512 * MIB),
    (13, "StackedDrgWindow32GiBV1_1", 32 * GIB),
    (14, "StackedDrgWindow64GiBV1_1", 64 * GIB),
]


def test_seal_enum_has_exactly_the_table() -> None:
    assert [int(p) for p in RegisteredSealProof] == list(range(20))


@pytest.mark.parametrize(("pid", "name", "size", "api"), SEAL_TABLE)
def test_seal_proof_table(pid: int, name: str, size: int, api: str) -> None:
    proof = RegisteredSealProof(pid)
    assert proof.lotus_name == name
    assert proof.sector_size == size
    assert proof.api_version == api
    assert RegisteredSealProof.from_lotus_name(name) is proof
    assert RegisteredSealProof.from_json(pid) is proof


def test_member_names_follow_go_names() -> None:
    assert RegisteredSealProof.STACKED_DRG_2KIB_V1 == 0
    assert RegisteredSealProof.STACKED_DRG_2KIB_V1_1 == 5
    assert RegisteredSealProof.STACKED_DRG_64GIB_V1_1 == 9
    assert RegisteredSealProof.STACKED_DRG_2KIB_V1_1_FEAT_SYNTHETIC_POREP == 10
    assert RegisteredSealProof.STACKED_DRG_64GIB_V1_2_FEAT_NI_POREP == 19
    assert RegisteredPoStProof.STACKED_DRG_WINNING_2KIB_V1 == 0
    assert RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1 == 5
    assert RegisteredPoStProof.STACKED_DRG_WINDOW_64GIB_V1_1 == 14


def test_seal_families() -> None:
    families = [(p.is_v1, p.is_v1_1, p.is_synthetic, p.is_ni_porep) for p in RegisteredSealProof]
    assert families == (
        [(True, False, False, False)] * 5
        + [(False, True, False, False)] * 5
        + [(False, False, True, False)] * 5
        + [(False, False, False, True)] * 5
    )


@pytest.mark.parametrize(("pid", "name", "size"), POST_TABLE)
def test_post_proof_table(pid: int, name: str, size: int) -> None:
    proof = RegisteredPoStProof(pid)
    assert proof.lotus_name == name
    assert proof.sector_size == size
    assert proof.is_winning == (pid < 5)
    assert proof.is_window == (pid >= 5)
    assert proof.api_version == ("1.2.0" if pid >= 10 else "1.0.0")
    assert RegisteredPoStProof.from_lotus_name(name) is proof
    assert RegisteredPoStProof.from_json(pid) is proof


def test_window_post_partition_sectors() -> None:
    # reference/proofs.md §5.1: 2 for the test sizes, 2349 for 32GiB, 2300 for 64GiB.
    assert [RegisteredPoStProof(i).window_post_partition_sectors for i in range(5, 10)] == [
        2,
        2,
        2,
        2349,
        2300,
    ]


@pytest.mark.parametrize(
    ("size", "nv", "expected"),
    [
        (2 * KIB, 0, 0),
        (8 * MIB, 6, 1),
        (512 * MIB, 6, 2),
        (32 * GIB, 6, 3),
        (64 * GIB, 6, 4),
        (2 * KIB, 7, 5),
        (8 * MIB, 7, 6),
        (512 * MIB, 16, 7),
        (32 * GIB, 21, 8),
        (64 * GIB, 23, 9),
    ],
)
def test_seal_proof_type_from_sector_size(size: int, nv: int, expected: int) -> None:
    assert seal_proof_type_from_sector_size(size, nv) == expected


def test_devnet_defaults_to_v1_1() -> None:
    assert DEVNET_NETWORK_VERSION >= 16
    assert seal_proof_type_from_sector_size(2048) is RegisteredSealProof.STACKED_DRG_2KIB_V1_1
    assert seal_proof_type_from_sector_size(8 * MIB) is RegisteredSealProof.STACKED_DRG_8MIB_V1_1


@pytest.mark.parametrize("size", [0, 1024, 4096, 1 * GIB, 128 * GIB])
def test_seal_proof_type_refuses_other_sizes(size: int) -> None:
    with pytest.raises(UnsupportedSectorSize):
        seal_proof_type_from_sector_size(size)


@pytest.mark.parametrize("pid", range(20))
def test_post_proofs_for_seal_proof(pid: int) -> None:
    seal = RegisteredSealProof(pid)
    # TestV1_1SealProofEquivalence: winning = size index, window V1 = winning + 5, V1_1 = + 10.
    assert winning_post_proof_for(seal) == pid % 5
    assert window_post_proof_for(seal, 18) == pid % 5 + 5
    assert window_post_proof_for(seal, 19) == pid % 5 + 10
    assert winning_post_proof_for(seal).sector_size == seal.sector_size


def test_devnet_window_post_is_v1() -> None:
    seal = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
    assert window_post_proof_for(seal) is RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1


@pytest.mark.parametrize("value", [20, -1, 100, "5", 5.0, True, None])
def test_seal_from_json_refuses(value: JsonValue) -> None:
    with pytest.raises(InvalidProofType):
        RegisteredSealProof.from_json(value)


@pytest.mark.parametrize("value", [15, -1, "0", None])
def test_post_from_json_refuses(value: JsonValue) -> None:
    with pytest.raises(InvalidProofType):
        RegisteredPoStProof.from_json(value)


@pytest.mark.parametrize("name", ["", "StackedDrg4KiBV1", "stackeddrg2kibv1", "STACKED_DRG_2KIB_V1"])
def test_from_lotus_name_refuses(name: str) -> None:
    with pytest.raises(InvalidProofType, match="unknown seal proof type"):
        RegisteredSealProof.from_lotus_name(name)
    with pytest.raises(InvalidProofType, match="unknown post proof type"):
        RegisteredPoStProof.from_lotus_name(name)
