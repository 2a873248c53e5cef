"""Pools and the fit check (Lotus HEAD ``CanHandleRequest``, ``utilization``)."""

from __future__ import annotations

import pytest

from pylotus.abi import RegisteredSealProof as P
from pylotus.sched import (
    RESOURCE_TABLE,
    PoolUsage,
    RefusalCause,
    Resources,
    SealTask,
    TaskType,
    WorkerInfo,
    WorkerResources,
    check_resources,
)
from pylotus.sched.pools import describe_refusal

GIB = 1 << 30
PC1 = SealTask(TaskType.PRE_COMMIT_1, P.STACKED_DRG_32GIB_V1_1)
PC1_NEED = RESOURCE_TABLE[TaskType.PRE_COMMIT_1][P.STACKED_DRG_32GIB_V1_1]
C2_NEED = RESOURCE_TABLE[TaskType.COMMIT_2][P.STACKED_DRG_32GIB_V1_1]
MACHINE = WorkerResources(
    mem_physical=128 * GIB, mem_swap=200 * GIB, cpus=32, mem_used=GIB, mem_swap_used=GIB
)
INFO = WorkerInfo("fred", MACHINE)


def test_add_and_free_are_inverse() -> None:
    pool = PoolUsage().add(PC1_NEED, MACHINE).add(C2_NEED, MACHINE)
    assert pool == PoolUsage(86 * GIB, 214 * GIB, 1.0, 1 + 29)
    assert pool.free(C2_NEED, MACHINE).free(PC1_NEED, MACHINE) == PoolUsage()


def test_two_pc1_fit_in_128_gib_not_three() -> None:
    pool = PoolUsage()
    for _ in range(2):
        assert check_resources(pool, {}, PC1_NEED, PC1, INFO) is None
        pool = pool.add(PC1_NEED, MACHINE)
    assert check_resources(pool, {}, PC1_NEED, PC1, INFO) is RefusalCause.RAM
    assert describe_refusal(RefusalCause.RAM, pool, {}, PC1_NEED, PC1, INFO) == (
        "not enough physical memory: need 56.01 GiB, 16 GiB free"
    )


def test_memory_used_outside_counts_for_vmem_only() -> None:
    # HEAD: MemUsed "can be swapped", so only the virtual-memory check sees it.
    busy = WorkerResources(mem_physical=128 * GIB, mem_swap=0, cpus=32, mem_used=100 * GIB)
    assert check_resources(PoolUsage(), {}, PC1_NEED, PC1, WorkerInfo("b", busy)) is RefusalCause.VMEM


def test_checks_in_lotus_order_and_max_concurrent_first() -> None:
    limited = Resources(min_memory=1 << 50, max_concurrent=1)
    assert check_resources(PoolUsage(), {PC1: 1}, limited, PC1, INFO) is RefusalCause.MAX_CONCURRENT
    assert check_resources(PoolUsage(), {PC1: 1}, limited, PC1, INFO, counted_self=True) is RefusalCause.RAM
    ignoring = WorkerInfo("i", MACHINE, ignore_resources=True)
    assert check_resources(PoolUsage(), {}, limited, PC1, ignoring) is None  # except MaxConcurrent:
    assert check_resources(PoolUsage(), {PC1: 1}, limited, PC1, ignoring) is RefusalCause.MAX_CONCURRENT


def test_cpu_and_gpu() -> None:
    pc2 = RESOURCE_TABLE[TaskType.PRE_COMMIT_2][P.STACKED_DRG_32GIB_V1_1]
    one_core_used = PoolUsage().add(PC1_NEED, MACHINE)
    assert check_resources(one_core_used, {}, pc2, PC1, INFO) is None  # 1 + 29 <= 32
    assert check_resources(PoolUsage(cpu_use=4), {}, pc2, PC1, INFO) is RefusalCause.CPU
    gpu_box = WorkerInfo("g", WorkerResources(mem_physical=512 * GIB, mem_swap=0, cpus=64, gpus=("a", "b")))
    pool = PoolUsage().add(C2_NEED, gpu_box.resources)
    assert pool.cpu_use == 6  # MaxParallelismGPU on a GPU worker
    assert check_resources(pool, {}, C2_NEED, PC1, gpu_box) is None  # the second GPU
    pool = pool.add(C2_NEED, gpu_box.resources)
    assert check_resources(pool, {}, C2_NEED, PC1, gpu_box) is RefusalCause.GPU
    assert check_resources(pool, {}, PC1_NEED, PC1, gpu_box) is None  # a CPU task does not care
    no_gpu = WorkerInfo("n", MACHINE)
    assert check_resources(PoolUsage(gpu_used=5.0), {}, C2_NEED, PC1, no_gpu) is None  # never blocks on GPU


@pytest.mark.parametrize(
    "pool,expected",
    [
        (PoolUsage(), 1 / 128),  # idle: the 1 GiB of RAM used outside the worker's tasks
        (PoolUsage(cpu_use=16), 0.5),
        (PoolUsage(mem_used_min=96 * GIB, mem_used_max=96 * GIB), 0.75),
        (PoolUsage(mem_used_max=300 * GIB), 300 / 328),
    ],
)
def test_utilization_is_the_busiest_resource(pool: PoolUsage, expected: float) -> None:
    assert pool.utilization(MACHINE) == pytest.approx(expected)
