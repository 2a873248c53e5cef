"""Worker info, stats and jobs in Lotus's JSON shapes (``storiface/worker.go``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from pylotus.abi import ActorID, SectorID, SectorNumber
from pylotus.abi import RegisteredSealProof as P
from pylotus.sched import (
    RESOURCE_TABLE,
    InvalidSchedValue,
    RunWait,
    TaskType,
    WorkerInfo,
    WorkerJob,
    WorkerResources,
    WorkerStats,
    parse_resource_env,
)

GIB = 1 << 30

# What a Lotus HEAD worker answers to Info() (trimmed to two table rows).
LOTUS_INFO = {
    "Hostname": "worker-1",
    "IgnoreResources": False,
    "Resources": {
        "MemPhysical": 274877906944,
        "MemUsed": 2147483648,
        "MemSwap": 0,
        "MemSwapUsed": 0,
        "CPUs": 64,
        "GPUs": ["NVIDIA GeForce RTX 3090"],
        "Resources": {
            "seal/v0/precommit/1": {
                "8": {
                    "MinMemory": 60129542144,
                    "MaxMemory": 68719476736,
                    "GPUUtilization": 0,
                    "MaxParallelism": 4,
                    "MaxParallelismGPU": 0,
                    "BaseMinMemory": 10485760,
                    "MaxConcurrent": 2,
                }
            },
            "seal/v0/replicaupdate": {"8": {"MinMemory": 1}},
        },
    },
}


def test_lotus_worker_info_decodes_and_round_trips() -> None:
    info = WorkerInfo.from_json(LOTUS_INFO)
    res = info.resources
    assert (info.hostname, res.cpus, res.gpus, res.mem_used) == (
        "worker-1",
        64,
        ("NVIDIA GeForce RTX 3090",),
        2 * GIB,
    )
    pc1 = res.resource_spec(P.STACKED_DRG_32GIB_V1_1, TaskType.PRE_COMMIT_1)
    assert (pc1.max_parallelism, pc1.max_concurrent) == (4, 2)
    # Rows the worker did not send fall back to the default table; Finalize needs nothing.
    assert (
        res.resource_spec(P.STACKED_DRG_32GIB_V1_1, TaskType.COMMIT_2)
        == RESOURCE_TABLE[TaskType.COMMIT_2][P(8)]
    )
    assert res.resource_spec(P.STACKED_DRG_32GIB_V1_1, TaskType.FINALIZE).min_memory == 0
    again = WorkerInfo.from_json(info.to_json())
    assert again == info


def test_l05_worker_info_without_used_memory_or_table() -> None:
    info = WorkerInfo.from_json(
        {
            "Hostname": "old",
            "Resources": {"MemPhysical": 1, "MemSwap": 2, "MemReserved": 3, "CPUs": 4, "GPUs": None},
        }
    )
    assert info.resources == WorkerResources(mem_physical=1, mem_swap=2, cpus=4)
    assert info.to_json()["Resources"]["GPUs"] is None  # type: ignore[index]


@pytest.mark.parametrize(
    "value,message",
    [
        ([], "worker info must be a json object"),
        ({"Hostname": 1}, "field 'Hostname' must be a string"),
        (
            {"Hostname": "h", "Resources": {"MemPhysical": -1}},
            "field 'MemPhysical' must be an unsigned integer",
        ),
        ({"Hostname": "h", "Resources": {"MemPhysical": 1, "MemSwap": 0, "CPUs": 1, "GPUs": [1]}}, "'GPUs'"),
    ],
)
def test_bad_worker_info_is_refused(value: object, message: str) -> None:
    with pytest.raises(InvalidSchedValue, match=message):
        WorkerInfo.from_json(value)  # type: ignore[arg-type]


def test_prep_spec_takes_the_prepare_steps_limit() -> None:
    res = WorkerResources(
        128 * GIB, 0, 32, resources=parse_resource_env({"GET_MAX_CONCURRENT": "3", "PC1_MAX_CONCURRENT": "1"})
    )
    spec = res.prep_resource_spec(P.STACKED_DRG_2KIB_V1_1, TaskType.PRE_COMMIT_1, TaskType.FETCH)
    assert spec.max_concurrent == 3 and spec.min_memory == 2048
    assert res.prep_resource_spec(P.STACKED_DRG_2KIB_V1_1, TaskType.PRE_COMMIT_1, None).max_concurrent == 1


def test_stats_and_job_shapes() -> None:
    info = WorkerInfo("fred", WorkerResources(GIB, 0, 2))
    stats = WorkerStats(info, (TaskType.PRE_COMMIT_1,), True, 10, 20, 0.5, 1, {"5:seal/v0/precommit/1": 1})
    assert stats.to_json() == {
        "Info": info.to_json(),
        "Tasks": ["seal/v0/precommit/1"],
        "Enabled": True,
        "MemUsedMin": 10,
        "MemUsedMax": 20,
        "GpuUsed": 0.5,
        "CpuUse": 1,
        "TaskCounts": {"5:seal/v0/precommit/1": 1},
    }
    sched_id = uuid.UUID(int=7)
    sector = SectorID(ActorID(1000), SectorNumber(3))
    job = WorkerJob(
        sched_id, sector, TaskType.COMMIT_2, RunWait.PREPARED, datetime(2020, 7, 1, tzinfo=UTC), "fred"
    )
    assert job.to_json() == {
        "ID": {"Sector": {"Miner": 1000, "Number": 3}, "ID": str(sched_id)},
        "Sector": {"Miner": 1000, "Number": 3},
        "Task": "seal/v0/commit/2",
        "RunWait": 1,
        "Start": "2020-07-01T00:00:00Z",
        "Hostname": "fred",
    }
