"""``pylotus-bench sched``: how long the scheduler takes to place a queue of tasks on many workers.

Counterpart: Lotus ``BenchmarkTrySched`` (``storage/sealer/sched_test.go``; anchors.md §2.5): fake
workers, a "slowish" selector, cases ``1w-1q``, ``500w-1q``, ``1w-500q``, ``200w-400q``, plus
``200w-2000q``, the size at which Lotus users measured 10+ minutes and a community fork 5 s
(lotus#3166).  The target here is 2000 tasks on 200 workers in under a second.

Set-up, per case: ``W`` in-process workers (128 GiB RAM, 200 GiB swap, 32 cores, no GPU, as Lotus's
``decentWorkerResources``) accepting PreCommit1; then ``Q`` PreCommit1 requests for 2 KiB sectors
(one core each, so a worker fits 32 and every case but ``1w-500q`` can place its whole queue) are
submitted at once.  The time printed runs from the first submission until the last *placeable*
task has been assigned (its prepare step entered on its worker); the work never ends during the
measurement, so the resources stay held, as with real PC1s.

Selector cost: every ``ok`` call of the benchmark's selector costs 100 µs (``--cost-us``) as a
**busy wait** on ``time.perf_counter``, not ``trio.sleep``.  Two reasons: trio's sleeps wait in
``epoll``, whose timeout has a resolution of one millisecond, so ``trio.sleep(100e-6)`` lasts about
1 ms, ten times the cost asked for; and a busy wait cannot be overlapped with other work, so the
selector time is a true floor: ``calls × cost`` is the least any run making that many calls can
take.  The ratio printed is the measured time over that floor: how much the scheduler's own work
adds to the unavoidable selector cost (1.0 would be a scheduler that costs nothing).  ``naive``
is what one selector call per (request, worker) pair costs by itself, which is what Lotus's
``trySched`` makes (in parallel goroutines, so not a wall-clock figure for Lotus).

By default every request has an equal selector, as in Lotus's benchmark (and as AddPiece and
PreCommit1 requests have: ``AllocSelector`` on the same file types), so the scheduler asks each
worker once per pass.  ``--distinct-selectors`` gives each request its own selector key, the
worst case (one ``ok`` per fitting worker per request, like ``ExistingSelector`` on many sectors).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import click
import trio

from ..abi import ActorID, RegisteredSealProof, SectorID, SectorNumber
from ..sched import (
    PassCache,
    PoolUsage,
    PrepareAction,
    Scheduler,
    SchedWorker,
    SealTask,
    TaskType,
    WorkerHandle,
    WorkerID,
    WorkerInfo,
    WorkerResources,
    check_resources,
)
from ..stores import SectorRef, StorageID

__all__ = ["CASES", "SchedBenchResult", "run_sched_case", "sched_command"]

CASES: Final = {
    "1w-1q": (1, 1),
    "500w-1q": (500, 1),
    "1w-500q": (1, 500),
    "200w-400q": (200, 400),
    "200w-2000q": (200, 2000),
}
TARGET_CASE: Final = "200w-2000q"
TARGET_SECONDS: Final = 1.0
_GIB: Final = 1 << 30
_PROOF: Final = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
_TASK: Final = TaskType.PRE_COMMIT_1
_SEAL_TASK: Final = SealTask(_TASK, _PROOF)
_MACHINE: Final = WorkerResources(  # Lotus sched_test.go decentWorkerResources
    mem_physical=128 * _GIB, mem_swap=200 * _GIB, cpus=32, mem_used=_GIB, mem_swap_used=_GIB
)


@dataclass(frozen=True)
class _FakeWorker:
    worker_id: WorkerID
    info: WorkerInfo
    task_types: frozenset[TaskType]
    paths: frozenset[StorageID]
    enabled: bool = True


class _SlowSelector:
    """Accepts workers with the task type; every ``ok`` busy-waits ``cost`` seconds."""

    def __init__(self, cost: float, key: Hashable, counter: list[int]) -> None:
        self._cost = cost
        self._key = key
        self._counter = counter

    @property
    def key(self) -> Hashable:
        return self._key

    async def ok(
        self, task: TaskType, proof: RegisteredSealProof, worker: SchedWorker, cache: PassCache
    ) -> bool:
        self._counter[0] += 1
        deadline = time.perf_counter() + self._cost
        while time.perf_counter() < deadline:
            pass
        return task in worker.task_types

    def cmp(self, task: TaskType, a: SchedWorker, b: SchedWorker) -> bool:
        return a.utilization < b.utilization

    def explain(self, worker: SchedWorker) -> str:
        return "the worker does not accept this task type"


@dataclass(frozen=True)
class SchedBenchResult:
    """One run of one case."""

    case: str
    workers: int
    queued: int
    placeable: int
    seconds: float
    selector_calls: int
    cost: float

    @property
    def floor(self) -> float:
        """Seconds the selector calls made cannot take less than."""
        return self.selector_calls * self.cost

    @property
    def naive(self) -> float:
        """Seconds of selector calls if every (request, worker) pair were asked once."""
        return self.queued * self.workers * self.cost


def placeable(workers: int, queued: int) -> int:
    """How many of the case's requests fit on its workers at once (the pools' own check)."""
    per_worker = 0
    pool = PoolUsage()
    info = WorkerInfo("bench", _MACHINE)
    need = _MACHINE.resource_spec(_PROOF, _TASK)
    while per_worker < queued and check_resources(pool, {}, need, _SEAL_TASK, info) is None:
        pool = pool.add(need, _MACHINE)
        per_worker += 1
    return min(queued, per_worker * workers)


def run_sched_case(name: str, workers: int, queued: int, *, cost: float, distinct: bool) -> SchedBenchResult:
    """Place ``queued`` requests on ``workers`` fake workers once; see the module docstring."""
    calls = [0]
    expected = placeable(workers, queued)
    elapsed: list[float] = []

    async def main() -> None:
        sched = Scheduler()
        placed = 0
        all_placed = trio.Event()
        start = 0.0

        async def prepare(handle: WorkerHandle) -> None:
            nonlocal placed
            placed += 1
            if placed == expected:
                elapsed.append(time.perf_counter() - start)
                all_placed.set()

        async def work(handle: WorkerHandle) -> None:
            await trio.sleep_forever()

        async def submit(number: int) -> None:
            sector = SectorRef(SectorID(ActorID(1000), SectorNumber(number)), _PROOF)
            key = ("bench", number) if distinct else ("bench",)
            selector = _SlowSelector(cost, key, calls)
            await sched.schedule(sector, _TASK, selector, PrepareAction(prepare), work)

        async with trio.open_nursery() as nursery:
            await nursery.start(sched.run)
            for _ in range(workers):
                info = WorkerInfo("bench", _MACHINE)
                await sched.add_worker(
                    _FakeWorker(WorkerID(uuid.uuid4()), info, frozenset({_TASK}), frozenset())
                )
            calls[0] = 0
            async with trio.open_nursery() as requests:
                start = time.perf_counter()
                for number in range(queued):
                    requests.start_soon(submit, number)
                await all_placed.wait()
                requests.cancel_scope.cancel()
            nursery.cancel_scope.cancel()

    trio.run(main)
    return SchedBenchResult(name, workers, queued, expected, elapsed[0], calls[0], cost)


def format_table(results: Sequence[SchedBenchResult]) -> str:
    """One line per case: sizes, seconds to place, selector calls, the floor and the ratio to it."""
    lines = [
        f"{'case':<11} {'workers':>7} {'queued':>6} {'placed':>6} {'seconds':>8} {'ok calls':>8} "
        f"{'floor s':>8} {'x floor':>7} {'naive s':>8}"
    ]
    for r in results:
        ratio = f"{r.seconds / r.floor:>7.1f}" if r.floor else f"{'-':>7}"
        lines.append(
            f"{r.case:<11} {r.workers:>7} {r.queued:>6} {r.placeable:>6} {r.seconds:>8.4f} "
            f"{r.selector_calls:>8} {r.floor:>8.4f} {ratio} {r.naive:>8.1f}"
        )
    return "\n".join(lines)


@contextmanager
def _quiet_scheduler() -> Iterator[None]:
    """Hold the scheduler's per-worker INFO lines back (500 "new worker" lines say nothing here)."""
    logger = logging.getLogger("pylotus.sched")
    previous = logger.level
    if logger.getEffectiveLevel() > logging.DEBUG:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


@click.command("sched")
@click.option(
    "--case",
    "cases",
    multiple=True,
    type=click.Choice(list(CASES)),
    help="run only this case; repeatable (default: all)",
)
@click.option(
    "--cost-us",
    type=click.FloatRange(min=0),
    default=100.0,
    show_default=True,
    help="cost of one selector ok() call, microseconds (busy wait)",
)
@click.option("--repeat", type=click.IntRange(min=1), default=3, show_default=True, help="runs per case")
@click.option(
    "--distinct-selectors",
    is_flag=True,
    help="give every request its own selector key (worst case: no answer is shared)",
)
def sched_command(cases: tuple[str, ...], cost_us: float, repeat: int, distinct_selectors: bool) -> None:
    """Scheduler throughput with simulated workers (Lotus BenchmarkTrySched)."""
    cost = cost_us / 1e6
    kind = "one selector key per request" if distinct_selectors else "one selector shared by all requests"
    click.echo(
        f"PreCommit1 2KiB requests, workers of 32 cores / 128 GiB; selector ok() busy-waits "
        f"{cost_us:g} us; {kind}; median of {repeat} run(s)"
    )
    results = []
    with _quiet_scheduler():
        for name in cases or tuple(CASES):
            workers, queued = CASES[name]
            runs = [
                run_sched_case(name, workers, queued, cost=cost, distinct=distinct_selectors)
                for _ in range(repeat)
            ]
            results.append(sorted(runs, key=lambda r: r.seconds)[len(runs) // 2])
    click.echo(format_table(results))
    for r in results:
        if r.case == TARGET_CASE:
            verdict = "met" if r.seconds < TARGET_SECONDS else "missed"
            click.echo(
                f"target: {r.placeable} tasks on {r.workers} workers in < {TARGET_SECONDS:g} s: {verdict}"
            )
