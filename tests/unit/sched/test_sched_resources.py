"""The resource table (Lotus HEAD ``storiface/resources.go``) and its env overrides."""

from __future__ import annotations

import pytest

from pylotus.abi import RegisteredSealProof as P
from pylotus.sched import (
    RESOURCE_TABLE,
    InvalidResourceEnv,
    InvalidSchedValue,
    Resources,
    TaskType,
    default_resource_env,
    parse_resource_env,
)
from pylotus.sched.resources import resource_table_from_json, resource_table_to_json

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
T = TaskType


@pytest.mark.parametrize(
    "task,proof,min_mem,max_mem,par,base,gpu,par_gpu",
    [
        (T.ADD_PIECE, P.STACKED_DRG_32GIB_V1, 4 * GIB, 4 * GIB, 1, GIB, 0.0, 0),
        (T.ADD_PIECE, P.STACKED_DRG_2KIB_V1_1, 2 * KIB, 2 * KIB, 1, 2 * KIB, 0.0, 0),
        (T.PRE_COMMIT_1, P.STACKED_DRG_32GIB_V1_1, 56 * GIB, 64 * GIB, 1, 10 * MIB, 0.0, 0),
        (T.PRE_COMMIT_1, P.STACKED_DRG_512MIB_V1, 768 * MIB, GIB, 1, MIB, 0.0, 0),
        (
            T.PRE_COMMIT_1,
            P.STACKED_DRG_64GIB_V1_1_FEAT_SYNTHETIC_POREP,
            112 * GIB,
            128 * GIB,
            1,
            10 * MIB,
            0,
            0,
        ),
        (T.PRE_COMMIT_2, P.STACKED_DRG_32GIB_V1, 15 * GIB, 15 * GIB, -1, GIB, 1.0, 6),
        (T.PRE_COMMIT_2, P.STACKED_DRG_512MIB_V1_1, GIB, 3 << 29, -1, GIB, 0.0, 0),
        (T.COMMIT_1, P.STACKED_DRG_32GIB_V1, GIB, GIB, 0, GIB, 0.0, 0),
        (T.COMMIT_2, P.STACKED_DRG_32GIB_V1_1, 30 * GIB, 150 * GIB, -1, 32 * GIB, 1.0, 6),
        (T.COMMIT_2, P.STACKED_DRG_64GIB_V1, 60 * GIB, 190 * GIB, -1, 64 * GIB, 1.0, 6),
        (T.COMMIT_2, P.STACKED_DRG_512MIB_V1, GIB, 3 << 29, 1, 10 * GIB, 1.0, 0),
        (T.COMMIT_2, P.STACKED_DRG_8MIB_V1_1, 8 * MIB, 8 * MIB, 1, 8 * MIB, 1.0, 0),
        (T.FETCH, P.STACKED_DRG_64GIB_V1_1, MIB, MIB, 0, 0, 0.0, 0),
        (T.UNSEAL, P.STACKED_DRG_32GIB_V1_1, 56 * GIB, 64 * GIB, 1, 10 * MIB, 0.0, 0),
    ],
)
def test_table_matches_lotus(
    task: TaskType, proof: P, min_mem: int, max_mem: int, par: int, base: int, gpu: float, par_gpu: int
) -> None:
    assert RESOURCE_TABLE[task][proof] == Resources(
        min_memory=min_mem,
        max_memory=max_mem,
        max_parallelism=par,
        base_min_memory=base,
        gpu_utilization=gpu,
        max_parallelism_gpu=par_gpu,
    )


def test_table_covers_v1_v1_1_and_synthetic_and_no_finalize() -> None:
    proofs = {p for p in P if p.is_v1 or p.is_v1_1 or p.is_synthetic}
    assert set(RESOURCE_TABLE) == set(TaskType) - {T.FINALIZE}  # Finalize needs nothing in Lotus
    assert all(set(row) == proofs for row in RESOURCE_TABLE.values())
    assert (
        RESOURCE_TABLE[T.PRE_COMMIT_1][P.STACKED_DRG_2KIB_V1]
        is RESOURCE_TABLE[T.PRE_COMMIT_1][P.STACKED_DRG_2KIB_V1_1]
    )


@pytest.mark.parametrize("cpus,threads", [(12, 11), (16, 14), (32, 29), (64, 58), (128, 117), (1, 1)])
def test_multithreaded_tasks_take_92_percent_of_cores(cpus: int, threads: int) -> None:
    assert RESOURCE_TABLE[T.PRE_COMMIT_2][P.STACKED_DRG_2KIB_V1_1].threads(cpus, 0) == threads


def test_gpu_parallelism_only_with_a_gpu() -> None:
    pc2 = RESOURCE_TABLE[T.PRE_COMMIT_2][P.STACKED_DRG_32GIB_V1_1]
    assert (pc2.threads(32, 0), pc2.threads(32, 1)) == (29, 6)


def test_lotus_resource_override() -> None:
    # Lotus resources_test.go TestListResourceOverride.
    table = parse_resource_env(
        {"UNS_2K_MAX_PARALLELISM": "2", "PC2_2K_GPU_UTILIZATION": "0.4", "PC2_2K_MAX_MEMORY": "2222"}
    )
    assert table[T.UNSEAL][P.STACKED_DRG_2KIB_V1_1].max_parallelism == 2
    assert table[T.PRE_COMMIT_2][P.STACKED_DRG_2KIB_V1_1].gpu_utilization == 0.4
    assert table[T.PRE_COMMIT_2][P.STACKED_DRG_2KIB_V1_1].max_memory == 2222
    assert table[T.PRE_COMMIT_2][P.STACKED_DRG_8MIB_V1_1].max_memory == 8 * MIB  # other sizes untouched
    assert RESOURCE_TABLE[T.UNSEAL][P.STACKED_DRG_2KIB_V1_1].max_parallelism == 1  # defaults not mutated


def test_unsized_var_sets_every_size_and_sized_wins() -> None:
    # Lotus TestUnsizedSetAll, plus precedence.
    table = parse_resource_env(
        {"UNS_MAX_PARALLELISM": "2", "PC1_MAX_CONCURRENT": "3", "PC1_32G_MAX_CONCURRENT": "1"}
    )
    assert {table[T.UNSEAL][p].max_parallelism for p in table[T.UNSEAL]} == {2}
    assert table[T.PRE_COMMIT_1][P.STACKED_DRG_32GIB_V1].max_concurrent == 1
    assert table[T.PRE_COMMIT_1][P.STACKED_DRG_64GIB_V1].max_concurrent == 3


def test_multicore_sdr_sets_pc1_and_unseal_parallelism() -> None:
    # Lotus TestListResourceSDRMulticoreOverride.
    table = parse_resource_env({"FIL_PROOFS_USE_MULTICORE_SDR": "1"})
    assert table[T.PRE_COMMIT_1][P.STACKED_DRG_2KIB_V1_1].max_parallelism == 4
    assert table[T.UNSEAL][P.STACKED_DRG_2KIB_V1_1].max_parallelism == 4
    table = parse_resource_env(
        {"FIL_PROOFS_USE_MULTICORE_SDR": "1", "FIL_PROOFS_MULTICORE_SDR_PRODUCERS": "9000"}
    )
    assert table[T.PRE_COMMIT_1][P.STACKED_DRG_2KIB_V1_1].max_parallelism == 9001
    assert table[T.PRE_COMMIT_2][P.STACKED_DRG_2KIB_V1_1].max_parallelism == -1
    explicit = parse_resource_env({"FIL_PROOFS_USE_MULTICORE_SDR": "1", "PC1_MAX_PARALLELISM": "2"})
    assert explicit[T.PRE_COMMIT_1][P.STACKED_DRG_2KIB_V1_1].max_parallelism == 2


@pytest.mark.parametrize(
    "env,message",
    [
        ({"C2_MAX_MEMORY": "150GiB"}, "invalid resource env var C2_32G_MAX_MEMORY='150GiB'|C2_MAX_MEMORY"),
        ({"PC1_2K_MIN_MEMORY": "-1"}, "PC1_2K_MIN_MEMORY='-1': want a byte count"),
        ({"PC1_2K_MAX_CONCURRENT": "two"}, "PC1_2K_MAX_CONCURRENT='two': want an integer"),
        ({"PC2_2K_GPU_UTILIZATION": "nan"}, "PC2_2K_GPU_UTILIZATION='nan': want a number of gpus"),
        ({"FIL_PROOFS_USE_MULTICORE_SDR": "1", "FIL_PROOFS_MULTICORE_SDR_PRODUCERS": "x"}, "PRODUCERS='x'"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(env: dict[str, str], message: str) -> None:
    # Lotus stores the parser's zero instead: C2_MAX_MEMORY=150GiB would become 0 bytes.
    with pytest.raises(InvalidResourceEnv, match=message):
        parse_resource_env(env)


def test_default_env_listing() -> None:
    pairs = dict(default_resource_env())
    assert pairs["PC1_32G_MIN_MEMORY"] == str(56 * GIB)
    assert pairs["PC2_32G_GPU_UTILIZATION"] == "1" and pairs["PC1_32G_GPU_UTILIZATION"] == "0"
    assert pairs["C2_512M_MAX_PARALLELISM"] == "1" and pairs["PC2_2K_MAX_PARALLELISM"] == "-1"
    assert len(pairs) == 7 * 5 * 7  # task types with a row × sizes × fields
    assert list(pairs) == sorted(pairs)


def test_table_json_round_trip_in_lotus_shape() -> None:
    wire = resource_table_to_json(RESOURCE_TABLE)
    assert wire["seal/v0/precommit/1"]["8"] == {  # type: ignore[index]
        "MinMemory": 56 * GIB,
        "MaxMemory": 64 * GIB,
        "GPUUtilization": 0.0,
        "MaxParallelism": 1,
        "MaxParallelismGPU": 0,
        "BaseMinMemory": 10 * MIB,
        "MaxConcurrent": 0,
    }
    assert resource_table_from_json(wire) == RESOURCE_TABLE
    # A Lotus worker's table has rows pylotus does not schedule: skipped, not refused.
    fetch_row = {**wire["seal/v0/fetch"], "99": {}}  # type: ignore[dict-item]
    extra = {**wire, "seal/v0/replicaupdate": {"8": {"MinMemory": 1}}, "seal/v0/fetch": fetch_row}
    assert resource_table_from_json(extra) == RESOURCE_TABLE
    with pytest.raises(InvalidSchedValue, match="field 'MinMemory' must be an integer"):
        Resources.from_json({"MinMemory": "1"})
