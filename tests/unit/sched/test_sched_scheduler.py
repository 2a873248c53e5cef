"""The scheduling loop with fake workers: Lotus's ``TestSched`` cases, then what pylotus adds.

Lotus cases (reference/lotus-miner.md §9): one-pc1, pc1-2workers-1/2, pc1-block-pc2, pc2-block-pc1,
pc1-batching, pc1-pc2-prio, constrained-resources.  ``TestWindowCompact`` has no counterpart: this
scheduler keeps no per-worker windows to compact; the queue's own compaction (requests whose
caller gave up) is tested here instead.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import trio
from sched_fakes import GIB, MINER, PC1, PC2, PROOF_2K, PROOF_32G, Harness, decent

from pylotus.abi import SectorID, SectorNumber
from pylotus.errors import Temporary
from pylotus.sched import (
    PrepareAction,
    RunWait,
    SchedClosed,
    TaskSelector,
    TaskType,
    WorkerClosed,
    WorkerHandle,
)
from pylotus.stores import SectorRef

# -- Lotus TestSched ------------------------------------------------------------------------------


async def test_one_pc1(harness: Harness) -> None:
    await harness.worker("fred", {PC1})
    task = harness.submit("pc1-1", 8, PC1)
    await harness.settle()
    assert task.started.is_set()
    await harness.finish("pc1-1")
    assert task.result == "fred" and task.error is None


@pytest.mark.parametrize("pc1_first", [False, True], ids=["pc1-2workers-1", "pc1-2workers-2"])
async def test_pc1_goes_to_the_worker_that_accepts_it(harness: Harness, pc1_first: bool) -> None:
    specs = [("fred2", {PC2}), ("fred1", {PC1})]
    for name, types in reversed(specs) if pc1_first else specs:
        await harness.worker(name, types)
    task = harness.submit("pc1-1", 8, PC1)
    await harness.settle()
    assert task.worked_on == ["fred1"] and task.prepared_on == ["fred1"]
    await harness.finish("pc1-1")


async def test_pc1_blocks_pc2(harness: Harness) -> None:
    fred = await harness.worker("fred", {PC1, PC2})
    harness.submit("pc1", 8, PC1)
    await harness.settle()
    harness.submit("pc2", 8, PC2)
    await harness.settle()
    # PC2 takes all 32 cores, PC1 holds one: PC2 is prepared on fred but waits for its cores.
    assert harness.running() == {"pc1"}
    jobs = {job.task: job.run_wait for job in harness.sched.worker_jobs()[fred.worker_id]}
    assert jobs == {PC1: RunWait.RUNNING, PC2: RunWait.PREPARED}
    await harness.finish("pc1")
    assert harness.running() == {"pc2"}
    await harness.finish("pc2")


async def test_pc2_blocks_pc1(harness: Harness) -> None:
    await harness.worker("fred", {PC1, PC2})
    harness.submit("pc2", 8, PC2)
    await harness.settle()
    harness.submit("pc1", 9, PC1)
    await harness.settle()
    assert harness.running() == {"pc2"}
    await harness.finish("pc2")
    assert harness.running() == {"pc1"}
    await harness.finish("pc1")


async def test_pc1_batching_two_fit_in_128_gib(harness: Harness) -> None:
    fred = await harness.worker("fred", {PC1})
    for number, name in enumerate(["t1", "t2", "t3", "t4", "t5"], start=1):
        harness.submit(name, number, PC1)
        await harness.settle()
    # 32 GiB PC1 = 56 GiB + 10 MiB of RAM: two run; two more are prepared and wait (the preparing
    # pool has room for two as well); the fifth waits in the queue for RAM.
    assert harness.running() == {"t1", "t2"}
    jobs = sorted((job.sector.number, job.run_wait) for job in harness.sched.worker_jobs()[fred.worker_id])
    assert jobs == [(1, 0), (2, 0), (3, 1), (4, 1)]
    diag = harness.sched.snapshot().diag()
    assert [int(req.sector.id.number) for req, _ in diag.requests] == [5]
    assert diag.requests[0][1][0].cause.value == "ram"
    assert "not enough physical memory: need 56.01 GiB, 16 GiB free" in diag.requests[0][1][0].reason

    await harness.finish("t1")
    assert harness.running() == {"t2", "t3"}
    await harness.finish("t2")
    assert harness.running() == {"t3", "t4"}
    await harness.finish("t3", "t4")
    assert harness.running() == {"t5"}
    await harness.finish("t5")


async def test_pc1_pc2_prio_task_order_beats_submission_order(harness: Harness) -> None:
    await harness.worker("fred", {PC1, PC2})
    for name, number in [("w0-a", 0), ("w0-b", 1), ("w1-a", 2), ("w1-b", 3), ("w2", 4)]:
        harness.submit(name, number, PC1)
        await harness.settle()
    assert harness.running() == {"w0-a", "w0-b"}  # w1-* prepared, waiting; w2 queued
    harness.submit("t1", 8, PC1)
    harness.submit("t2", 9, PC1)
    harness.submit("t3", 10, PC2)
    await harness.settle()
    assert harness.running() == {"w0-a", "w0-b"}

    await harness.finish("w0-a", "w0-b")
    assert harness.running() == {"w1-a", "w1-b"}
    await harness.finish("w1-a", "w1-b")
    # Submitted last, but PC2 comes before PC1 in task order: it took the preparing slot first.
    assert harness.running() == {"t3"}
    await harness.finish("t3")
    assert harness.running() == {"w2", "t1"}  # then PC1s by sector number, two at a time
    await harness.finish("w2", "t1")
    assert harness.running() == {"t2"}
    await harness.finish("t2")


async def test_constrained_resources_go_to_the_worker_ignoring_them(harness: Harness) -> None:
    tiny = decent(mem_physical=GIB, mem_swap=0, cpus=1)
    await harness.worker("fred1", {PC1}, tiny)
    await harness.worker("fred2", {PC1}, tiny, ignore_resources=True)
    task = harness.submit("pc1-1", 8, PC1)
    await harness.settle()
    assert task.worked_on == ["fred2"]
    await harness.finish("pc1-1")


# -- waiting, priorities, cancellation ----------------------------------------------------------


async def test_request_waits_until_a_capable_worker_connects(harness: Harness) -> None:
    await harness.worker("pc1only", {PC1})
    task = harness.submit("pc2", 8, PC2)
    await harness.settle()
    assert not task.started.is_set() and not task.done.is_set()
    [(_, refusals)] = harness.sched.snapshot().diag().requests
    assert [(r.hostname, r.cause.value) for r in refusals] == [("pc1only", "task-type-disabled")]

    await harness.worker("pc2box", {PC2})
    await harness.settle()
    assert task.worked_on == ["pc2box"]
    await harness.finish("pc2")
    assert task.result == "pc2box"


async def test_deal_priority_and_data_moving_tasks_go_first(harness: Harness) -> None:
    fred = await harness.worker("fred", {PC1, TaskType.FINALIZE}, decent(env={"PC1_32G_MAX_CONCURRENT": "1"}))
    harness.submit("blocker", 1, PC1)
    await harness.settle()
    harness.submit("cc", 2, PC1)
    harness.submit("deal", 3, PC1, priority=1024)
    harness.submit("fin", 4, TaskType.FINALIZE, selector=TaskSelector(), priority=-5, hold=False)
    await harness.settle()
    # Finalize needs nothing and beats any priority; of the PC1s the deal sector comes first.
    assert harness.tasks["fin"].result == "fred"
    await harness.finish("blocker")
    assert harness.running() == {"deal"}
    await harness.finish("deal")
    assert harness.running() == {"cc"}
    await harness.finish("cc")
    assert harness.sched.worker_stats()[fred.worker_id].task_counts == {}


async def test_cancelled_requests_leave_the_queue(harness: Harness) -> None:
    for number in range(500):
        harness.submit(f"q{number}", number, PC1, hold=False)
    await harness.settle()
    assert len(harness.sched.snapshot().diag().requests) == 500
    for number in range(0, 500, 2):
        harness.tasks[f"q{number}"].cancel()
    await harness.settle()
    diag = harness.sched.snapshot().diag()
    assert [int(req.sector.id.number) for req, _ in diag.requests] == list(range(1, 500, 2))
    assert len(harness.sched.snapshot().queued) == 250  # compacted, not just hidden

    await harness.worker("fred", {PC1}, decent(cpus=1000, mem_physical=1 << 50))
    await harness.settle()
    assert all(harness.tasks[f"q{n}"].result == "fred" for n in range(1, 500, 2))
    assert not any(harness.tasks[f"q{n}"].worked_on for n in range(0, 500, 2))


async def test_cancelling_a_running_task_frees_its_resources(harness: Harness) -> None:
    fred = await harness.worker("fred", {PC1}, decent(env={"PC1_MAX_CONCURRENT": "1"}))
    first = harness.submit("first", 1, PC1)
    harness.submit("second", 2, PC1)
    await harness.settle()
    assert harness.running() == {"first"}
    first.cancel()
    await harness.settle()
    assert first.cancelled and first.done.is_set()
    assert harness.running() == {"second"}
    counts = harness.sched.worker_stats()[fred.worker_id].task_counts
    assert counts == {"8:seal/v0/precommit/1": 1}
    await harness.finish("second")


async def test_prepare_and_work_errors_reach_the_caller_unchanged(harness: Harness) -> None:
    await harness.worker("fred", {TaskType.COMMIT_2}, decent(env={"C2_MAX_CONCURRENT": "1"}))

    class Boom(Exception):
        pass

    async def bad_prepare(handle: WorkerHandle) -> None:
        raise Boom("fetch failed")

    async def bad_work(handle: WorkerHandle) -> None:
        raise Boom("c2 failed")

    sector = SectorRef(SectorID(MINER, SectorNumber(1)), PROOF_32G)
    with pytest.raises(Boom, match="fetch failed"):
        await harness.sched.schedule(
            sector, TaskType.COMMIT_2, TaskSelector(), PrepareAction(bad_prepare), bad_work
        )
    with pytest.raises(Boom, match="c2 failed"):
        await harness.sched.schedule(sector, TaskType.COMMIT_2, TaskSelector(), None, bad_work)
    # Both freed their slot (MaxConcurrent 1): a third runs.
    task = harness.submit("third", 2, TaskType.COMMIT_2, selector=TaskSelector(), hold=False)
    await harness.settle()
    assert task.result == "fred"


# -- workers going away ---------------------------------------------------------------------------


async def test_worker_closing_mid_task(harness: Harness) -> None:
    one_core = decent(cpus=1)
    a = await harness.worker("a", {PC1}, one_core)
    running = harness.submit("running", 1, PC1, proof=PROOF_2K)
    prepared = harness.submit("prepared", 2, PC1, proof=PROOF_2K)
    queued = harness.submit("queued", 3, PC1, proof=PROOF_2K)
    await harness.settle()
    assert harness.running() == {"running"}
    assert prepared.prepared_on == ["a"] and not prepared.worked_on  # waits for a's only core

    await harness.sched.drop_worker(a.worker_id)
    await harness.settle()
    # The running task fails (its work may have half-run on 'a'); the others go back to the queue.
    assert isinstance(running.error, WorkerClosed) and isinstance(running.error, Temporary)
    expected = f"worker '{a.worker_id}' (host 'a') went away while running seal/v0/precommit/1"
    assert expected in str(running.error)
    assert not prepared.done.is_set() and not queued.done.is_set()
    assert len(harness.sched.snapshot().diag().requests) == 2

    await harness.worker("b", {PC1}, decent(cpus=2))
    await harness.settle()
    assert harness.running() == {"prepared", "queued"}
    assert prepared.prepared_on == ["a", "b"] and prepared.worked_on == ["b"]
    await harness.finish("prepared", "queued")
    assert prepared.result == "b" and queued.result == "b"


async def test_disabled_worker_gets_nothing_new(harness: Harness) -> None:
    fred = await harness.worker("fred", {PC1})
    harness.submit("before", 1, PC1)
    await harness.settle()
    await harness.sched.add_worker(replace(fred, enabled=False))
    harness.submit("after", 2, PC1)
    await harness.settle()
    assert harness.running() == {"before"}  # keeps running where it is
    [(_, [refusal])] = harness.sched.snapshot().diag().requests
    assert refusal.cause.value == "worker-disabled"
    assert not harness.sched.worker_stats()[fred.worker_id].enabled
    await harness.sched.add_worker(fred)
    await harness.settle()
    assert harness.running() == {"before", "after"}
    await harness.finish("before", "after")


# -- closing ------------------------------------------------------------------------------------


async def test_aclose_fails_queued_and_running_requests() -> None:
    async with trio.open_nursery() as nursery:
        h = Harness(nursery)
        await nursery.start(h.sched.run)
        await h.worker("fred", {PC1}, decent(env={"PC1_MAX_CONCURRENT": "1"}))
        running = h.submit("running", 1, PC1)
        queued = h.submit("queued", 2, PC1)
        await h.settle()
        with trio.fail_after(5):
            await h.sched.aclose()
        await h.settle()
        assert isinstance(running.error, SchedClosed) and isinstance(queued.error, SchedClosed)
        assert str(running.error) == "scheduler is closing"
        late = h.submit("late", 3, PC1)
        await h.settle()
        assert isinstance(late.error, SchedClosed)
        await h.sched.aclose()  # idempotent


# -- concurrency limits from env vars -------------------------------------------------------------


@pytest.mark.parametrize("env", ["PC1_2K_MAX_CONCURRENT", "PC1_MAX_CONCURRENT"])
async def test_max_concurrent_from_env(harness: Harness, env: str) -> None:
    fred = await harness.worker("fred", {PC1}, decent(env={env: "2"}))
    for number in range(1, 6):
        harness.submit(f"t{number}", number, PC1, proof=PROOF_2K)
    await harness.settle()
    # 32 cores would fit 32 of these 2 KiB PC1s: the env var holds them to two.
    assert harness.running() == {"t1", "t2"}
    assert harness.sched.worker_stats()[fred.worker_id].task_counts == {"5:seal/v0/precommit/1": 2}
    diag = harness.sched.snapshot().diag()
    assert [int(req.sector.id.number) for req, _ in diag.requests] == [3, 4, 5]
    refusal = diag.requests[0][1][0]
    assert refusal.cause.value == "max-concurrent"
    assert refusal.reason == "2 PC1 tasks already on the worker, limit 2 (PC1_2K_MAX_CONCURRENT)"
    for done, expect in [("t1", {"t2", "t3"}), ("t2", {"t3", "t4"}), ("t3", {"t4", "t5"})]:
        await harness.finish(done)
        assert harness.running() == expect
    await harness.finish("t4", "t5")


async def test_sized_env_var_wins_over_unsized(harness: Harness) -> None:
    await harness.worker("fred", {PC1}, decent(env={"PC1_MAX_CONCURRENT": "1", "PC1_2K_MAX_CONCURRENT": "3"}))
    for number in range(1, 5):
        harness.submit(f"t{number}", number, PC1, proof=PROOF_2K)
    await harness.settle()
    assert harness.running() == {"t1", "t2", "t3"}
    await harness.finish("t1", "t2", "t3", "t4")


async def test_fetch_limit_holds_prepare_steps_not_work(harness: Harness) -> None:
    # GET_MAX_CONCURRENT=1: one sector's files are fetched at a time (lotus#9407: not enforced in
    # Lotus then); the work of a fetched sector runs beside the next fetch.
    await harness.worker("fred", {PC1}, decent(env={"GET_MAX_CONCURRENT": "1"}))
    first = harness.submit("first", 1, PC1, proof=PROOF_2K, prep_type=TaskType.FETCH, hold_prepare=True)
    second = harness.submit("second", 2, PC1, proof=PROOF_2K, prep_type=TaskType.FETCH, hold_prepare=True)
    await harness.settle()
    assert first.preparing.is_set() and not second.preparing.is_set()
    [(_, [refusal])] = harness.sched.snapshot().diag().requests
    assert refusal.reason == "1 GET tasks already on the worker, limit 1 (GET_2K_MAX_CONCURRENT)"
    first.finish_prepare()
    await harness.settle()
    assert harness.running() == {"first"} and second.preparing.is_set()
    second.finish_prepare()
    await harness.settle()
    assert harness.running() == {"first", "second"}
    await harness.finish("first", "second")
