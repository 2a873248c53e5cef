"""The ``sealing workers`` (``workers list``) layout, from ``WorkerStats`` JSON.

Counterpart: Lotus HEAD ``cli/miner/sealing.go`` (``workersCmd``, ``barString``);
reference/lotus-miner.md §1.6.  Per worker, sorted by UUID string::

    Worker <uuid>, host <host>[ (disabled)]
    \tTASK: PC1(1/4) AP(2)                     (running counts; /max when MaxConcurrent > 0)
    \tCPU:  [<64-col bar>] 4/16 core(s) in use
    \tRAM:  [<bar>] 28% 18.1 GiB/62.7 GiB
    \tVMEM: [<bar>] 28% 18.1 GiB/62.7 GiB
    \tGPU:  [<bar>] 0% 0.00/1 gpu(s) in use    (only with GPUs)
    \tGPU: GeForce RTX 2080, not used          (one line per GPU)

Printed without colours, as Lotus does when stdout is not a terminal.  Two deliberate differences
from Lotus HEAD: the TASK line lists every task type (HEAD's loop assigns instead of appending and
keeps only the last one, unlike the layout the reference documents), and a worker reporting zero
CPUs or memory gets empty bars instead of a division by zero.  Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from ..abi import JsonValue, RegisteredSealProof, size_str
from .errors import InvalidSchedValue
from .task_types import TaskType
from .worker_info import WorkerInfo

__all__ = ["BAR_COLS", "format_workers"]

BAR_COLS: Final = 64  # Lotus barCols


def _go_round(x: float) -> int:
    """Go's ``math.Round`` for the non-negative values here: halves away from zero (Python's
    ``round`` goes to even)."""
    return int(math.floor(x + 0.5))


def _bar(total: float, reserved: float, used: float) -> str:
    """Lotus ``barString``: reserved then used bars (rounded), padded with spaces to 64."""
    if total <= 0:
        return " " * BAR_COLS
    y = _go_round(reserved / total * BAR_COLS)
    g = _go_round(used / total * BAR_COLS)
    return "|" * y + "|" * g + " " * max(BAR_COLS - y - g, 0)


def _task_line(info: WorkerInfo, counts: Mapping[str, JsonValue]) -> str:
    entries: list[tuple[TaskType, str]] = []
    for key, count in counts.items():
        if not isinstance(count, int) or count == 0:
            continue
        proof_id, _, task_str = key.partition(":")
        task = TaskType.from_json(task_str)
        text = str(count)
        if proof_id.isdigit():
            limit = info.resources.resource_spec(RegisteredSealProof(int(proof_id)), task).max_concurrent
            if limit > 0:
                text += f"/{limit}"
        entries.append((task, text))
    entries.sort(key=lambda e: e[0].order)
    return " ".join(f"{task.short}({text})" for task, text in entries)


def _uint(obj: Mapping[str, JsonValue], key: str) -> int:
    value = obj.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidSchedValue(f"field '{key}' must be an unsigned integer, got {value!r:.60}")
    return value


def _worker(wid: str, stat: JsonValue) -> list[str]:
    if not isinstance(stat, dict):
        raise InvalidSchedValue(f"worker stats of '{wid}' must be a json object, got {stat!r:.60}")
    info = WorkerInfo.from_json(stat.get("Info"))
    res = info.resources
    disabled = "" if stat.get("Enabled", True) else " (disabled)"
    lines = [f"Worker {wid}, host {info.hostname}{disabled}"]
    counts = stat.get("TaskCounts") or {}
    if isinstance(counts, dict) and (tasks := _task_line(info, counts)):
        lines.append(f"\tTASK: {tasks}")
    cpu_use = _uint(stat, "CpuUse")
    cpu_bars = cpu_use * BAR_COLS // res.cpus if res.cpus else 0
    lines.append(
        f"\tCPU:  [{'|' * cpu_bars}{' ' * max(BAR_COLS - cpu_bars, 0)}] {cpu_use}/{res.cpus} core(s) in use"
    )
    ram_tasks = _uint(stat, "MemUsedMin")
    ram_reserved = max(res.mem_used - ram_tasks, 0)
    lines.append(_mem_line("RAM: ", res.mem_physical, ram_reserved, ram_tasks))
    vmem_total = res.mem_physical + res.mem_swap
    vmem_tasks = _uint(stat, "MemUsedMax")
    vmem_reserved = max(res.mem_used + res.mem_swap_used - vmem_tasks, 0)
    lines.append(_mem_line("VMEM:", vmem_total, vmem_reserved, vmem_tasks))
    gpu_used = stat.get("GpuUsed", 0.0)
    gpu_used = float(gpu_used) if isinstance(gpu_used, int | float) else 0.0
    if res.gpus:
        n = len(res.gpus)
        bar = _bar(n, 0, gpu_used)
        lines.append(f"\tGPU:  [{bar}] {gpu_used * 100 / n:.0f}% {gpu_used:.2f}/{n} gpu(s) in use")
    use = "" if gpu_used > 0 else "not "
    lines.extend(f"\tGPU: {gpu}, {use}used" for gpu in res.gpus)
    return lines


def _mem_line(label: str, total: int, reserved: int, tasks: int) -> str:
    pct = (tasks + reserved) * 100 // total if total else 0
    return f"\t{label} [{_bar(total, reserved, tasks)}] {pct}% {size_str(tasks + reserved)}/{size_str(total)}"


def format_workers(stats: Mapping[str, JsonValue]) -> str:
    """The ``sealing workers`` output for a ``WorkerStats`` result (``{"<uuid>": WorkerStats}``).

    Raises:
        InvalidSchedValue: a worker's stats are not Lotus's shape.
    """
    lines: list[str] = []
    for wid in sorted(stats):
        lines.extend(_worker(wid, stats[wid]))
    return "".join(line + "\n" for line in lines)
