"""``SealingSchedDiag`` and the other status calls: why each worker refuses, answered without waiting.

Also what rides on the same machinery: requests that asked not to wait, a selector that hangs,
and the periodic full pass that notices what no worker event announces (storage space freed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Hashable

import trio
import trio.testing
from sched_fakes import GIB, PC1, PC2, PROOF_2K, TIB, Harness, decent

from pylotus.abi import RegisteredSealProof, SectorFileType
from pylotus.sched import (
    FULL_PASS_INTERVAL,
    SELECTOR_TIMEOUT,
    AllocSelector,
    NoCapableWorker,
    PassCache,
    SchedWorker,
    TaskSelector,
    TaskType,
)
from pylotus.stores import FsStat, HealthReport, PathType, StorageID


class HangingSelector:
    """Accepts every worker, but only once ``release`` is set (a selector stuck on an RPC)."""

    def __init__(self, release: trio.Event) -> None:
        self.release = release
        self.calls = 0

    @property
    def key(self) -> Hashable:
        return ("hanging",)

    async def ok(
        self, task: TaskType, proof: RegisteredSealProof, worker: SchedWorker, cache: PassCache
    ) -> bool:
        self.calls += 1
        await self.release.wait()
        return True

    def cmp(self, task: TaskType, a: SchedWorker, b: SchedWorker) -> bool:
        return a.utilization < b.utilization

    def explain(self, worker: SchedWorker) -> str:
        return "never"


async def test_diag_says_why_each_worker_refuses(harness: Harness) -> None:
    limited = await harness.worker("limited", {PC1}, decent(env={"PC1_32G_MAX_CONCURRENT": "1"}))
    harness.submit("holder", 1, PC1)
    await harness.settle()
    await harness.worker("disabled", {PC1}, enabled=False)
    await harness.worker("pc2only", {PC2})
    await harness.worker("small", {PC1}, decent(mem_physical=32 * GIB))
    await harness.worker("noswap", {PC1}, decent(mem_swap=0, mem_used=80 * GIB))
    await harness.worker("cores", {PC1}, decent(env={"PC1_32G_MAX_PARALLELISM": "64"}))
    await harness.worker("gpu", {PC1}, decent(env={"PC1_32G_GPU_UTILIZATION": "2"}, gpus=("RTX",)))
    await harness.worker("full", {PC1}, paths=["full-disk"], free=0)
    harness.submit("waiting", 2, PC1)
    await harness.settle()
    assert not harness.tasks["waiting"].started.is_set()

    diag = harness.sched.snapshot().diag()
    wire = diag.to_json()
    json.dumps(wire)  # plain JSON
    [request] = wire["Requests"]  # type: ignore[misc]
    assert request["Sector"] == {"Miner": 1000, "Number": 2}
    assert request["TaskType"] == "seal/v0/precommit/1" and request["Priority"] == 0
    reasons = {r["Hostname"]: (r["Cause"], r["Reason"]) for r in request["Refusals"]}
    assert reasons == {
        "limited": ("max-concurrent", "1 PC1 tasks already on the worker, limit 1 (PC1_32G_MAX_CONCURRENT)"),
        "disabled": ("worker-disabled", "the worker is disabled"),
        "pc2only": ("task-type-disabled", "the worker does not accept seal/v0/precommit/1"),
        "small": ("ram", "not enough physical memory: need 56.01 GiB, 32 GiB free"),
        "noswap": ("vmem", "not enough virtual memory (ram+swap): need 64.01 GiB, 47 GiB free"),
        "cores": ("cpu", "not enough cpu: need 64 core(s), 0 of 32 in use"),
        "gpu": ("gpu", "gpu(s) in use: need 2, 0 of 1 in use"),
        "full": (
            "selector",
            "selector refused: none of the worker's paths can take new cache files for sealing "
            "(paths that can: 'bb-8')",
        ),
    }
    assert str(limited.worker_id) in wire["OpenWindows"]  # type: ignore[operator]
    assert len(wire["OpenWindows"]) == 7  # type: ignore[arg-type]  # every enabled worker
    assert diag.describe(0).startswith("PC1 s-t01000-2: host '")
    await harness.finish("holder")
    assert harness.running() == {"waiting"}
    await harness.finish("waiting")


async def test_status_answers_while_the_loop_is_stuck_with_1000_queued(harness: Harness) -> None:
    release = trio.Event()
    selector = HangingSelector(release)
    for number in range(1000):
        harness.submit(f"q{number}", number, PC1, proof=PROOF_2K, selector=selector, hold=False)
    await harness.settle()
    fred = await harness.worker("fred", {PC1})
    await harness.settle()
    assert selector.calls == 1  # the loop is inside a pass, waiting on the selector

    start = time.perf_counter()
    diag = harness.sched.snapshot().diag()
    stats = harness.sched.worker_stats()
    with trio.fail_after(1):
        same = await harness.sched.sched_diag()
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"status calls took {elapsed:.3f}s"
    assert len(diag.requests) == len(same.requests) == 1000
    assert [int(req.sector.id.number) for req, _ in diag.requests] == list(range(1000))
    assert {r.cause.value for _, refusals in diag.requests for r in refusals} == {"pending"}
    assert list(stats) == [fred.worker_id]

    with trio.move_on_after(0.2) as waited:  # a forced pass has to wait for the loop
        await harness.sched.sched_diag(force_sched=True)
    assert waited.cancelled_caught

    release.set()
    with trio.fail_after(10):
        for task in harness.tasks.values():
            await task.done.wait()
    assert all(task.result == "fred" for task in harness.tasks.values())
    assert (await harness.sched.sched_diag(force_sched=True)).requests == ()


async def test_no_wait_request_fails_when_no_worker_could_ever_run_it(harness: Harness) -> None:
    lonely = harness.submit("lonely", 1, PC1, wait_for_worker=False)
    await harness.settle()
    assert isinstance(lonely.error, NoCapableWorker)
    assert (
        str(lonely.error)
        == "no worker can run seal/v0/precommit/1 for sector 's-t01000-1': no workers connected"
    )

    await harness.worker("pc2only", {PC2})
    await harness.worker("small", {PC1}, decent(mem_physical=8 * GIB))
    task = harness.submit("too-big", 2, PC1, wait_for_worker=False)
    await harness.settle()
    assert str(task.error) == (
        "no worker can run seal/v0/precommit/1 for sector 's-t01000-2': "
        "host 'pc2only': does not accept seal/v0/precommit/1; "
        "host 'small': not enough physical memory: need 56.01 GiB, 8 GiB free when idle"
    )


async def test_no_wait_request_waits_for_a_busy_capable_worker(harness: Harness) -> None:
    fred = await harness.worker("fred", {PC1}, decent(env={"PC1_MAX_CONCURRENT": "1"}))
    harness.submit("busy", 1, PC1)
    patient = harness.submit("patient", 2, PC1, wait_for_worker=False)
    await harness.settle()
    assert not patient.done.is_set()  # fred could run it, once free
    await harness.finish("busy")
    assert harness.running() == {"patient"}
    await harness.finish("patient")
    # ... but if the only capable worker goes away, it fails instead of waiting forever.
    harness.submit("busy2", 3, PC1)
    orphan = harness.submit("orphan", 4, PC1, wait_for_worker=False)
    await harness.settle()
    await harness.sched.drop_worker(fred.worker_id)
    await harness.settle()
    assert isinstance(orphan.error, NoCapableWorker) and "no workers connected" in str(orphan.error)


async def test_hung_selector_refuses_after_the_timeout_and_the_queue_moves_on(
    harness: Harness, autojump_clock: trio.testing.MockClock
) -> None:
    await harness.worker("fred", {PC1})
    hung = harness.submit("hung", 1, PC1, proof=PROOF_2K, selector=HangingSelector(trio.Event()), hold=False)
    fine = harness.submit("fine", 2, PC1, proof=PROOF_2K, selector=TaskSelector(), hold=False)
    start = trio.current_time()
    with trio.fail_after(SELECTOR_TIMEOUT + 1):
        await fine.done.wait()
    assert fine.result == "fred"
    assert trio.current_time() - start >= SELECTOR_TIMEOUT
    assert not hung.done.is_set()
    [(_, [refusal])] = harness.sched.snapshot().diag().requests
    assert refusal.reason == "selector refused: no answer within 5s"


async def test_freed_storage_space_is_noticed_by_the_periodic_pass(
    harness: Harness, autojump_clock: trio.testing.MockClock
) -> None:
    await harness.worker("fred", {PC1}, free=0)
    await harness.worker("ticker", {TaskType.COMMIT_1}, paths=["ticker-disk"])
    selector = AllocSelector(harness.index, SectorFileType.CACHE | SectorFileType.SEALED, PathType.SEALING)
    task = harness.submit("pc1", 1, PC1, proof=PROOF_2K, selector=selector, hold=False)
    with trio.move_on_after(1):
        await task.done.wait()
    [(_, refusals)] = harness.sched.snapshot().diag().requests
    fred = next(r for r in refusals if r.hostname == "fred")
    assert fred.reason == (
        "selector refused: none of the worker's paths can take new sealed|cache files for sealing "
        "(paths that can: 'ticker-disk')"
    )

    async def keep_the_loop_busy() -> None:  # another worker's tasks wake the loop twice a second
        for number in range(100, 1000):
            harness.submit(f"c1-{number}", number, TaskType.COMMIT_1, selector=TaskSelector(), hold=False)
            await trio.sleep(0.5)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(keep_the_loop_busy)
        await trio.sleep(3)
        # Space appears: no event tells the scheduler; its periodic full pass finds out.
        freed_at = trio.current_time()
        report = HealthReport(FsStat(capacity=TIB, available=TIB))
        await harness.index.storage_report_health(StorageID("bb-8"), report)
        with trio.fail_after(FULL_PASS_INTERVAL + 1):
            await task.done.wait()
        nursery.cancel_scope.cancel()
    assert task.result == "fred"
    assert trio.current_time() - freed_at <= FULL_PASS_INTERVAL
