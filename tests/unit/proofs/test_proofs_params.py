"""porep_id, prover_id, replica_id and the SDR parameter table (reference/proofs.md §3.1–§3.2)."""

from __future__ import annotations

import pytest

from pylotus.abi import RegisteredSealProof
from pylotus.proofs import (
    ApiVersion,
    InvalidSealInput,
    UnsupportedProof,
    porep_id,
    prover_id,
    replica_id,
    sdr_params,
)

ZERO_2KIB_COMM_D = bytes.fromhex("fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833")


def test_replica_id_matches_go_state_types_vector() -> None:
    # GST abi/sector_test.go TestReplicaID: actor 123, sector 1, StackedDrg2KiBV1, ticket 1..10 repeated.
    ticket = bytes(([1, 2, 3, 4, 5, 6, 7, 8, 9, 10] * 4)[:32])
    rid = replica_id(prover_id(123), 1, ticket, ZERO_2KIB_COMM_D, porep_id(RegisteredSealProof(0)))
    assert rid.hex() == "1e2e06391a0d1b99dc896aa6f7fa113ff8e993cbdcbfb503e99571603b61a016"


def test_replica_id_hashes_the_sector_number_big_endian() -> None:
    ticket = bytes(32)
    one = replica_id(prover_id(1000), 1, ticket, ZERO_2KIB_COMM_D, porep_id(RegisteredSealProof(5)))
    swapped = replica_id(prover_id(1000), 1 << 56, ticket, ZERO_2KIB_COMM_D, porep_id(RegisteredSealProof(5)))
    assert one != swapped
    # reference/proofs.md §7: t01000, sector 1, ticket 0, 2KiB V1_1.
    assert one.hex() == "2940faa406e4c6cbad015e2b08e76fd9e3b0e5b852cea7f8174c02ba33039a01"


def test_prover_id_is_the_uvarint_payload() -> None:
    assert prover_id(1000) == bytes.fromhex("e807") + bytes(30)
    assert prover_id(123) == bytes([0x7B]) + bytes(31)


def test_porep_id_layout() -> None:
    assert porep_id(RegisteredSealProof.STACKED_DRG_8MIB_V1_1) == bytes([6]) + bytes(31)


@pytest.mark.parametrize(
    "proof,nodes,layers,api",
    [
        (RegisteredSealProof.STACKED_DRG_2KIB_V1, 64, 2, ApiVersion.V1_0_0),
        (RegisteredSealProof.STACKED_DRG_2KIB_V1_1, 64, 2, ApiVersion.V1_1_0),
        (RegisteredSealProof.STACKED_DRG_8MIB_V1_1, 262144, 2, ApiVersion.V1_1_0),
        (RegisteredSealProof.STACKED_DRG_512MIB_V1_1, 1 << 24, 2, ApiVersion.V1_1_0),
        (RegisteredSealProof.STACKED_DRG_32GIB_V1_1, 1 << 30, 11, ApiVersion.V1_1_0),
    ],
)
def test_sdr_params(proof: RegisteredSealProof, nodes: int, layers: int, api: ApiVersion) -> None:
    params = sdr_params(proof)
    assert (params.nodes, params.layers, params.api_version) == (nodes, layers, api)
    if layers == 2:
        assert (params.partitions, params.challenges_per_partition, params.base_tree_count) == (1, 2, 1)
    else:
        assert (params.partitions, params.challenges_per_partition, params.base_tree_count) == (10, 18, 8)


def test_synthetic_and_ni_proofs_are_refused_by_name() -> None:
    with pytest.raises(UnsupportedProof, match="StackedDrg2KiBV1_1_Feat_SyntheticPoRep"):
        sdr_params(RegisteredSealProof.STACKED_DRG_2KIB_V1_1_FEAT_SYNTHETIC_POREP)


def test_replica_id_refuses_short_inputs() -> None:
    with pytest.raises(InvalidSealInput, match="ticket must be '32' bytes, got '31'"):
        replica_id(prover_id(1), 1, bytes(31), ZERO_2KIB_COMM_D, porep_id(RegisteredSealProof(5)))
