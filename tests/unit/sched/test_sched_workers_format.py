"""``sealing workers`` layout against a golden rendering (reference/lotus-miner.md §1.6)."""

from __future__ import annotations

import pytest

from pylotus.abi import JsonValue
from pylotus.sched import InvalidSchedValue
from pylotus.sched.workers_format import format_workers

GIB = 1 << 30


def stats(
    host: str,
    *,
    cpus: int,
    cpu_use: int,
    mem: int,
    mem_used: int,
    swap: int = 0,
    used_min: int = 0,
    used_max: int = 0,
    gpus: list[str] | None = None,
    gpu_used: float = 0.0,
    enabled: bool = True,
    counts: dict[str, int] | None = None,
) -> JsonValue:
    return {
        "Info": {
            "Hostname": host,
            "IgnoreResources": False,
            "Resources": {
                "MemPhysical": mem,
                "MemUsed": mem_used,
                "MemSwap": swap,
                "MemSwapUsed": 0,
                "CPUs": cpus,
                "GPUs": gpus,
                "Resources": None,
            },
        },
        "Tasks": None,
        "Enabled": enabled,
        "MemUsedMin": used_min,
        "MemUsedMax": used_max,
        "GpuUsed": gpu_used,
        "CpuUse": cpu_use,
        "TaskCounts": counts,
    }


GOLDEN = (
    "Worker 0b1c7e43-0000-4000-8000-000000000002, host fred (disabled)\n"
    "\tCPU:  [" + " " * 64 + "] 0/8 core(s) in use\n"
    "\tRAM:  [||||||||" + " " * 56 + "] 12% 2 GiB/16 GiB\n"
    "\tVMEM: [||||||||" + " " * 56 + "] 12% 2 GiB/16 GiB\n"
    "Worker ef8d99a2-6865-4189-8ffa-9fef0f806eee, host host\n"
    "\tTASK: PC1(1) AP(2)\n"
    "\tCPU:  [" + "|" * 16 + " " * 48 + "] 16/64 core(s) in use\n"
    "\tRAM:  [" + "|" * 17 + " " * 47 + "] 25% 64 GiB/256 GiB\n"  # 0.5 reserved bar rounds up, as Go
    "\tVMEM: [" + "|" * 22 + " " * 42 + "] 34% 130 GiB/376 GiB\n"
    "\tGPU:  [" + "|" * 32 + " " * 32 + "] 50% 0.50/1 gpu(s) in use\n"
    "\tGPU: aGPU 1337, used\n"
)


def test_workers_layout_matches_golden() -> None:
    out = format_workers(
        {
            "ef8d99a2-6865-4189-8ffa-9fef0f806eee": stats(
                "host",
                cpus=64,
                cpu_use=16,
                mem=256 * GIB,
                mem_used=64 * GIB,
                swap=120 * GIB,
                used_min=62 * GIB,
                used_max=130 * GIB,
                gpus=["aGPU 1337"],
                gpu_used=0.5,
                counts={"8:seal/v0/addpiece": 2, "8:seal/v0/precommit/1": 1, "8:seal/v0/fetch": 0},
            ),
            "0b1c7e43-0000-4000-8000-000000000002": stats(
                "fred", cpus=8, cpu_use=0, mem=16 * GIB, mem_used=2 * GIB, enabled=False
            ),
        }
    )
    assert out == GOLDEN


def test_an_idle_gpu_says_not_used_and_zero_cpus_do_not_divide() -> None:
    out = format_workers({"w": stats("h", cpus=0, cpu_use=0, mem=0, mem_used=0, gpus=["g"])})
    assert "\tGPU: g, not used\n" in out
    assert "0/0 core(s) in use" in out and "0% 0 B/0 B" in out


def test_bad_stats_are_refused() -> None:
    with pytest.raises(InvalidSchedValue, match="field 'CpuUse' must be an unsigned integer"):
        format_workers({"w": {**stats("h", cpus=1, cpu_use=0, mem=1, mem_used=0), "CpuUse": -1}})  # type: ignore[dict-item]
