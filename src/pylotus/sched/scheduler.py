"""The scheduler: one trio task that owns the request queue and every worker's resource pools.

Counterpart: Lotus S0 ``sched.go`` ``runSched`` (the channel scheduler: ``newWorkers``,
``workerClosing``, ``schedule``, ``workerFree``, ``closing``) with what later Lotus and its users
added: session-UUID workers, ``MaxConcurrent``, per-worker resource tables, a diag that answers
while the scheduler is busy; reference/lotus-miner.md §4.4-4.5, anchors.md §2.5 and §3.1.

Rules of the file:

* **One owner.**  Only :meth:`Scheduler.run`'s loop reads or writes the queue, the workers'
  pools and assignments.  Everyone else sends it a message on one of its memory channels
  (``new_workers``, ``worker_closing``, ``schedule``, ``worker_free``, ``closing``, ``diag``) and
  pokes a one-slot ``wakeup`` channel; trio has no ``select``, so the loop waits on the wake-up and
  then drains every channel with ``receive_nowait`` (which takes from a parked sender even at
  buffer 0), the way Lotus drains its channels before each ``trySched``.  Pokes coalesce.
* **The loop never runs a task.**  Each assignment runs ``prepare`` then ``work`` in a task of the
  scheduler's own nursery, which reports back on ``worker_free`` when the prepare step is done and
  when it ends; resources move preparing → active and are freed by the loop on those messages.
* **Requests wait.**  A request no worker can take now stays queued; it fails at once only if the
  caller passed ``wait_for_worker=False`` and no connected worker could ever take it.
* **Passes are incremental.**  Resources only shrink during a pass and grow only when a worker
  frees some or joins, so a request already matched against every worker is later tried only on
  workers whose capacity grew since (``_dirty``); new and requeued requests are tried on all, and
  every :data:`FULL_PASS_INTERVAL` (and on ``sched_diag(force_sched=True)``) all are re-tried on
  all, for what the loop cannot see change (free space in a storage path).
* **Status never waits.**  :meth:`Scheduler.snapshot` is built on demand when the loop is between
  steps, and is the one taken at the start of the pass while a pass runs.
* **A worker that goes away**: its tasks that had not started their work go back in the queue and
  run elsewhere; a task whose work had started fails with :class:`~.errors.WorkerClosed`
  (``Temporary``): only the caller knows whether redoing it is safe.

The module stays whole past 600 lines on purpose: the messages, the pass and the task runner all
touch the loop-owned state, and keeping them in one file keeps the one-owner rule checkable by
reading one file.  Per-worker bookkeeping (pools, phases) is in :mod:`.worker_state`.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar, cast

import trio

from ..abi import sector_name
from ..stores import HEARTBEAT_INTERVAL, SectorRef
from .diag import Refusal, SchedDiag, SchedSnapshot, Verdict, capacity_refusal, summarize
from .errors import NoCapableWorker, SchedClosed, WorkerClosed
from .pools import RefusalCause
from .queue import RequestQueue
from .request import DEFAULT_SCHED_PRIORITY, PrepareAction, WorkerRequest
from .selectors import SELECTOR_TIMEOUT, PassCache, WorkerSelector
from .stats import SchedStats
from .task_types import TaskType
from .worker_handle import WorkerHandle
from .worker_info import WorkerID, WorkerJob, WorkerStats
from .worker_state import Assignment, Phase, WorkerState

__all__ = ["FULL_PASS_INTERVAL", "Scheduler"]

log = logging.getLogger(__name__)

FULL_PASS_INTERVAL: Final = HEARTBEAT_INTERVAL
"""Every queued request is matched against every worker at least this often (seconds): Lotus
re-runs ``trySched`` on each worker heartbeat (``stores.HeartbeatInterval``, 10 s)."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Prepared:
    """On ``worker_free``: the assignment's prepare step is done; it waits for active resources."""

    assignment: Assignment


@dataclass(frozen=True, slots=True)
class _Released:
    """On ``worker_free``: the assignment's task ended, whatever the outcome."""

    assignment: Assignment


class _Group:
    """The workers that may take one group's requests in this pass, best first (a heap).

    Ranked by the ``cmp`` of the selector that found them, the group's first request's, whose
    ``ok`` calls filled whatever ``cmp`` consults (``ExistingSelector``'s holders).
    """

    __slots__ = ("selector", "task", "heap")

    def __init__(self, selector: WorkerSelector, task: TaskType) -> None:
        self.selector = selector
        self.task = task
        self.heap: list[_Candidate] = []

    def candidate(self, ws: WorkerState) -> _Candidate:
        return _Candidate(ws, self)


class _Candidate:
    """A worker in a group's heap, as it was when ranked (``version`` tells if it changed since)."""

    __slots__ = ("view", "version", "_group")

    def __init__(self, ws: WorkerState, group: _Group) -> None:
        self.view = ws.view()
        self.version = ws.version
        self._group = group

    def __lt__(self, other: _Candidate) -> bool:
        return self._group.selector.cmp(self._group.task, self.view, other.view)


@dataclass
class _Pass:
    """What one scheduling pass remembers: lookups, selector answers, each group's candidates.

    A *group* is the requests with equal ``group_key`` (selector key, task type, proof, prepare
    type) and the same set of workers to try: within a pass they get the same answer from every
    worker, so the candidates are found once and kept in a heap for the whole group.
    """

    cache: PassCache = field(default_factory=PassCache)
    ok: dict[tuple[Hashable, WorkerID], bool] = field(default_factory=dict)
    verdicts: dict[Hashable, dict[WorkerID, Verdict]] = field(default_factory=dict)
    groups: dict[tuple[Hashable, bool], _Group] = field(default_factory=dict)


class Scheduler:
    """Assigns tasks to workers by task type, resources and where the data is (Lotus ``Scheduler``).

    Usage::

        sched = Scheduler()
        async with trio.open_nursery() as nursery:
            await nursery.start(sched.run)
            await sched.add_worker(handle)
            result = await sched.schedule(sector, TaskType.PRE_COMMIT_1, selector, prepare, work)
            ...
            await sched.aclose()
    """

    def __init__(self) -> None:
        # The loop keeps every receive end; buffer 0 (the senders park until the loop drains
        # them) except the coalescing pokes, one slot each, and `closing`, one slot so that
        # aclose() never blocks.
        self._wakeup_send, self._wakeup_recv = trio.open_memory_channel[None](1)
        self._compact_send, self._compact_recv = trio.open_memory_channel[None](1)
        self._new_workers_send, self._new_workers_recv = trio.open_memory_channel[WorkerHandle](0)
        self._worker_closing_send, self._worker_closing_recv = trio.open_memory_channel[WorkerID](0)
        self._schedule_send, self._schedule_recv = trio.open_memory_channel[WorkerRequest](0)
        self._worker_free_send, self._worker_free_recv = trio.open_memory_channel[_Prepared | _Released](0)
        self._closing_send, self._closing_recv = trio.open_memory_channel[None](1)
        self._diag_send, self._diag_recv = trio.open_memory_channel[trio.MemorySendChannel[SchedSnapshot]](0)
        # Owned by the loop.
        self._queue = RequestQueue()
        self._workers: dict[WorkerID, WorkerState] = {}
        self._dirty: set[WorkerID] = set()
        self._has_fresh = False
        self._full = False
        self._recheck = False
        self._epoch = 0  # bumped when the set of workers changes (for wait_for_worker=False)
        self._verdicts: dict[Hashable, dict[WorkerID, Verdict]] = {}
        self._key_refs: Counter[Hashable] = Counter()
        self._pass_snapshot: SchedSnapshot | None = None
        self._tasks: trio.Nursery | None = None
        self._pass_scope: trio.CancelScope | None = None
        self._state: Literal["new", "running", "closed"] = "new"
        self._closed = trio.Event()
        # Counters for /debug/metrics (pylotus.miner.metrics): written by the loop and its
        # assignment tasks only, read by anyone; they never steer scheduling.
        self.stats = SchedStats()

    # -- running --------------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run the scheduling loop until :meth:`aclose` or cancellation.

        Signals ``started`` once the loop accepts messages.  Tasks assigned to workers run in a
        nursery this call owns.

        *Cancellation*: every queued and running request fails with :class:`SchedClosed`; the
        running tasks are cancelled.
        """
        if self._state != "new":
            raise RuntimeError("Scheduler.run() can only be called once")
        self._state = "running"
        try:
            async with trio.open_nursery() as tasks:
                self._tasks = tasks
                task_status.started()
                try:
                    await self._loop()
                finally:
                    self._shutdown()
                    tasks.cancel_scope.cancel()
        finally:
            self._state = "closed"
            self._closed.set()

    async def aclose(self) -> None:
        """Stop the loop (Lotus ``Close``): queued and running requests fail with ``SchedClosed``.

        Returns once :meth:`run` has returned.  Idempotent.
        """
        if self._state == "new":
            self._state = "closed"
            self._shutdown()
            self._closed.set()
        if self._state == "closed":
            return
        try:
            self._closing_send.send_nowait(None)
        except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
            pass  # already asked
        self._poke()
        if self._pass_scope is not None:
            self._pass_scope.cancel()  # our own pass: a slow selector must not delay closing
        await self._closed.wait()

    # -- what others call -----------------------------------------------------------------------

    async def add_worker(self, handle: WorkerHandle) -> None:
        """Hand a connected worker to the scheduler (Lotus ``newWorkers``).

        Announcing a worker already known (same ``worker_id``) refreshes what the scheduler knows
        of it: enabled flag, task types, paths, resources.

        Raises:
            SchedClosed: the scheduler is closing.
        """
        await self._submit(self._new_workers_send, handle)

    async def drop_worker(self, worker_id: WorkerID) -> None:
        """The worker went away (Lotus ``workerClosing``): unstarted tasks are requeued, running
        ones fail with :class:`WorkerClosed`.  Unknown IDs are ignored.

        Raises:
            SchedClosed: the scheduler is closing.
        """
        await self._submit(self._worker_closing_send, worker_id)

    async def schedule(
        self,
        sector: SectorRef,
        task_type: TaskType,
        selector: WorkerSelector,
        prepare: PrepareAction | None,
        work: Callable[[WorkerHandle], Awaitable[R]],
        *,
        priority: int = DEFAULT_SCHED_PRIORITY,
        wait_for_worker: bool = True,
    ) -> R:
        """Run ``work`` for ``sector`` on the best worker ``selector`` accepts (Lotus ``Schedule``).

        The request waits in the queue until a worker can take it; then ``prepare.action`` (if
        any) and ``work`` are called with that worker's handle, and ``work``'s result is returned.

        Args:
            sector: the sector and its proof type (which picks the resource spec).
            task_type: what the work is.
            selector: which workers may run it, and which is best.
            prepare: run first, on the chosen worker, while the task holds preparing resources.
            work: the task itself; its return value is returned.
            priority: larger runs first among tasks of the same class (Lotus ``WithPriority``).
            wait_for_worker: if false, fail with :class:`NoCapableWorker` when no connected worker
                could ever take the request (rather than waiting for one to connect).

        Raises:
            SchedClosed: the scheduler closed before the task finished.
            NoCapableWorker: see ``wait_for_worker``.
            WorkerClosed: the worker went away while the work ran.
            Exception: whatever ``prepare.action`` or ``work`` raised, unchanged.

        *Cancellation*: a queued request leaves the queue; a running one has its task cancelled
        and its resources freed.
        """
        req = WorkerRequest(
            sector,
            task_type,
            selector,
            prepare,
            work,
            priority=priority,
            wait_for_worker=wait_for_worker,
        )
        await self._submit(self._schedule_send, req)
        try:
            return cast(R, await req.wait())  # the result of `work`
        finally:
            if not req.done:
                req.abandon()
                self._poke(self._compact_send)

    def snapshot(self) -> SchedSnapshot:
        """The scheduler's state now, or at the start of the running pass; never waits."""
        if self._pass_snapshot is not None:
            return self._pass_snapshot
        return self._build_snapshot()

    async def sched_diag(self, *, force_sched: bool = False) -> SchedDiag:
        """``SealingSchedDiag``: queued requests and why each worker refuses each of them.

        Args:
            force_sched: first run a full scheduling pass and answer from its result (Lotus
                ``--force-sched``); this waits for the loop, so give it a deadline.

        Raises:
            SchedClosed: ``force_sched`` while the scheduler is closing.
        """
        if not force_sched:
            return self.snapshot().diag()
        reply_send, reply_recv = trio.open_memory_channel[SchedSnapshot](1)
        async with reply_recv:
            await self._submit(self._diag_send, reply_send)
            try:
                snap = await reply_recv.receive()
            except trio.EndOfChannel as exc:
                raise SchedClosed("scheduler is closing") from exc
        return snap.diag()

    def worker_stats(self) -> dict[WorkerID, WorkerStats]:
        """``WorkerStats``: each worker's info and what its running tasks use; never waits."""
        return {w.worker_id: w.stats() for w in self.snapshot().workers}

    def worker_jobs(self) -> dict[WorkerID, list[WorkerJob]]:
        """``WorkerJobs``: the tasks on each worker, running (0), prepared (1), preparing (2)."""
        return {w.worker_id: list(w.jobs) for w in self.snapshot().workers}

    # -- the loop -------------------------------------------------------------------------------

    def _poke(self, channel: trio.MemorySendChannel[None] | None = None) -> None:
        """Wake the loop (and, with ``channel``, leave it a note on that one-slot channel)."""
        for slot in (channel, self._wakeup_send):
            if slot is None:
                continue
            try:
                slot.send_nowait(None)
            except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                pass  # a wake-up is pending already, or the loop is gone

    async def _submit(self, channel: trio.MemorySendChannel[T], message: T) -> None:
        if self._state == "closed":
            raise SchedClosed("scheduler is closing")
        self._poke()
        try:
            await channel.send(message)  # parks until the loop drains it
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise SchedClosed("scheduler is closing") from exc

    async def _loop(self) -> None:
        next_full = trio.current_time() + FULL_PASS_INTERVAL
        while True:
            with trio.move_on_at(next_full):
                await self._wakeup_recv.receive()
            if trio.current_time() >= next_full:  # due even on a busy loop that never idles
                self._full = True
                next_full = trio.current_time() + FULL_PASS_INTERVAL
            try:
                self._closing_recv.receive_nowait()
                return
            except trio.WouldBlock:
                pass
            replies = self._drain()
            try:
                with trio.CancelScope() as self._pass_scope:
                    await self._schedule_pass()
                self._pass_scope = None
                if replies:
                    snap = self._build_snapshot()
                    for reply in replies:
                        reply.send_nowait(snap)
            finally:
                for reply in replies:
                    reply.close()  # unanswered: the caller gets SchedClosed

    def _drain(self) -> list[trio.MemorySendChannel[SchedSnapshot]]:
        """Handle every message waiting on every channel; return the diag requests."""
        for handle in _drain(self._new_workers_recv):
            self._add_worker(handle)
        for worker_id in _drain(self._worker_closing_recv):
            self._drop_worker(worker_id)
        for event in _drain(self._worker_free_recv):
            if isinstance(event, _Prepared):
                self._on_prepared(event.assignment)
            else:
                self._on_released(event.assignment)
        for req in _drain(self._schedule_recv):
            self._enqueue(req)
        if list(_drain(self._compact_recv)):
            for req in self._queue.compact(lambda r: r.abandoned or r.done):
                self._left_queue(req)
        replies = list(_drain(self._diag_recv))
        if replies:
            self._full = True
        return replies

    # -- workers --------------------------------------------------------------------------------

    def _add_worker(self, handle: WorkerHandle) -> None:
        ws = self._workers.get(handle.worker_id)
        if ws is None:
            ws = self._workers[handle.worker_id] = WorkerState(handle)
            log.info("new worker worker=%s host=%s", ws.worker_id, ws.info.hostname)
        else:
            ws.refresh(handle)
            log.info(
                "worker updated worker=%s host=%s enabled=%s", ws.worker_id, ws.info.hostname, ws.enabled
            )
        self._dirty.add(ws.worker_id)
        self._epoch += 1

    def _drop_worker(self, worker_id: WorkerID) -> None:
        ws = self._workers.pop(worker_id, None)
        if ws is None:
            return
        self._dirty.discard(worker_id)
        self._epoch += 1
        self._recheck = True  # wait_for_worker=False requests may have lost their last hope
        requeued = failed = 0
        for a in ws.detach_all():
            req = a.request
            if a.phase is Phase.RUNNING:
                name = sector_name(req.sector.id)
                error = WorkerClosed(
                    f"worker '{worker_id}' (host '{ws.info.hostname}') went away while running "
                    f"{req.task_type.value} for sector '{name}'; schedule it again"
                )
                failed += req.finish(error=error)
            elif not (req.abandoned or req.done):
                self._enqueue(req)
                requeued += 1
        # Copy, never edit in place: snapshots share the inner maps.
        self._verdicts = {
            key: {wid: v for wid, v in verdicts.items() if wid != worker_id}
            for key, verdicts in self._verdicts.items()
        }
        log.info(
            "worker dropped worker=%s host=%s requeued=%d failed=%d",
            worker_id,
            ws.info.hostname,
            requeued,
            failed,
        )

    # -- requests -------------------------------------------------------------------------------

    def _enqueue(self, req: WorkerRequest) -> None:
        if req.abandoned or req.done:
            return
        req.fresh = True
        self._queue.push(req)
        self._key_refs[req.selector_key] += 1
        self._has_fresh = True

    def _left_queue(self, req: WorkerRequest) -> None:
        key = req.selector_key
        self._key_refs[key] -= 1
        if self._key_refs[key] <= 0:
            del self._key_refs[key]
            self._verdicts.pop(key, None)

    # -- the pass -------------------------------------------------------------------------------

    async def _schedule_pass(self) -> None:
        if not (self._full or self._dirty or self._has_fresh or self._recheck) or not len(self._queue):
            self._dirty.clear()
            self._full = self._recheck = False
            return
        self._pass_snapshot = self._build_snapshot()
        ctx = _Pass()
        requests = self._queue.take_sorted()
        pass_started = time.perf_counter()  # wall clock: a pass's cost, also under MockClock
        keep: list[WorkerRequest] = []
        i = 0
        try:
            for i, req in enumerate(requests):  # noqa: B007  # i is read in finally
                if req.abandoned or req.done:
                    self._left_queue(req)
                elif await self._place(req, ctx):
                    self._left_queue(req)
                elif await self._give_up(req, ctx):
                    self._left_queue(req)
                else:
                    req.fresh = False
                    keep.append(req)
            i = len(requests)
        finally:
            self._queue.restore(keep + requests[i:])
            for key, verdicts in ctx.verdicts.items():
                if key in self._key_refs:
                    self._verdicts[key] = {**self._verdicts.get(key, {}), **verdicts}
            self._pass_snapshot = None
            self.stats.record_cycle(
                time.perf_counter() - pass_started,
                queue_entries=len(requests),
                open_windows=sum(1 for ws in self._workers.values() if ws.enabled),
            )
        self._dirty.clear()
        self._full = self._has_fresh = self._recheck = False

    async def _place(self, req: WorkerRequest, ctx: _Pass) -> bool:
        """Assign ``req`` to the best worker that fits and accepts it, if any."""
        everyone = self._full or req.fresh
        group = ctx.groups.get((req.group_key, everyone))
        if group is None:
            pool = self._workers.values() if everyone else [self._workers[w] for w in self._dirty]
            group = ctx.groups[(req.group_key, everyone)] = await self._candidates(req, pool, ctx)
        heap = group.heap
        while heap:
            top = heap[0]
            ws = self._workers[top.view.worker_id]
            if top.version != ws.version:  # assigned something since it was ranked: re-rank it
                heapq.heapreplace(heap, group.candidate(ws))
            elif ws.refuses(req) is not None:
                heapq.heappop(heap)  # full for this group until the next pass
            else:
                self._assign(req, ws)
                heapq.heapreplace(heap, group.candidate(ws))
                return True
        return False

    async def _candidates(self, req: WorkerRequest, pool: Iterable[WorkerState], ctx: _Pass) -> _Group:
        """The workers of ``pool`` that can take ``req`` now and that its selector accepts."""
        group = _Group(req.selector, req.task_type)
        for ws in list(pool):
            if not ws.enabled or req.task_type not in ws.task_types:
                continue
            if ws.refuses(req) is not None:
                continue  # cheap checks first, as Lotus does before Sel.Ok
            if await self._selector_ok(req, ws, ctx):
                group.heap.append(group.candidate(ws))
        heapq.heapify(group.heap)
        return group

    async def _selector_ok(self, req: WorkerRequest, ws: WorkerState, ctx: _Pass) -> bool:
        key = (req.selector_key, ws.worker_id)
        known = ctx.ok.get(key)
        if known is not None:
            return known
        view = ws.view()
        reason = ""
        try:
            with trio.fail_after(SELECTOR_TIMEOUT):
                ok = await req.selector.ok(req.task_type, req.sector.proof_type, view, ctx.cache)
            if not ok:
                reason = req.selector.explain(view)
        except trio.TooSlowError:
            ok, reason = False, f"no answer within {SELECTOR_TIMEOUT:g}s"
            log.warning("selector timed out worker=%s request=%s", ws.worker_id, req)
        except Exception as exc:  # a selector's failure refuses one worker; it must not stop the loop
            ok, reason = False, f"selector failed: {exc}"
            log.warning("selector failed worker=%s request=%s", ws.worker_id, req, exc_info=True)
        ctx.ok[key] = ok
        ctx.verdicts.setdefault(req.selector_key, {})[ws.worker_id] = Verdict(ok, reason)
        return ok

    async def _give_up(self, req: WorkerRequest, ctx: _Pass) -> bool:
        """For ``wait_for_worker=False``: fail ``req`` if no connected worker could ever take it."""
        if req.wait_for_worker or req.checked_epoch == self._epoch:
            return False
        req.checked_epoch = self._epoch
        refusals: list[Refusal] = []
        for ws in self._workers.values():
            refused = capacity_refusal(req, ws.snapshot())
            if refused is None:
                if await self._selector_ok(req, ws, ctx):
                    return False  # this one could, once it has room
                verdict = ctx.verdicts[req.selector_key][ws.worker_id]
                reason = f"selector refused: {verdict.reason}"
                refused = Refusal(ws.worker_id, ws.info.hostname, RefusalCause.SELECTOR, reason)
            refusals.append(refused)
        why = summarize(refusals) if refusals else "no workers connected"
        name = sector_name(req.sector.id)
        req.finish(
            error=NoCapableWorker(f"no worker can run {req.task_type.value} for sector '{name}': {why}")
        )
        return True

    # -- assignments ----------------------------------------------------------------------------

    def _assign(self, req: WorkerRequest, ws: WorkerState) -> None:
        a = ws.start(req)
        assert self._tasks is not None
        self._tasks.start_soon(self._run_assignment, ws.handle, a, name=f"sched {req!r}")
        log.debug("assigned request=%s worker=%s host=%s", req, ws.worker_id, ws.info.hostname)

    def _on_prepared(self, a: Assignment) -> None:
        ws = a.worker
        if self._workers.get(ws.worker_id) is ws and ws.prepared(a):
            self._dirty.add(ws.worker_id)

    def _on_released(self, a: Assignment) -> None:
        ws = a.worker
        if self._workers.get(ws.worker_id) is ws:
            ws.release(a)
            self._dirty.add(ws.worker_id)

    async def _run_assignment(self, handle: WorkerHandle, a: Assignment) -> None:
        """Run one assignment's prepare and work (Lotus ``assignWorker``'s goroutine).

        Reports on ``worker_free`` when prepared and when done, whatever the outcome; the
        request's cancel scope covers only the calls, so the final report is sent even after the
        caller gave up or the worker went away.
        """
        req = a.request
        with a.cancel_scope:
            try:
                if req.prepare is not None:
                    await req.prepare.action(handle)
            except Exception as exc:
                self._settle(a, error=exc)
            else:
                if await self._report(_Prepared(a)):
                    await a.granted.wait()
                    call = (req.task_type.value, a.worker.info.hostname)
                    self.stats.call_started(*call)
                    call_started = time.perf_counter()
                    try:
                        result = await req.work(handle)
                    except Exception as exc:
                        self.stats.call_returned(*call, time.perf_counter() - call_started)
                        self._settle(a, error=exc)
                    else:
                        self.stats.call_returned(*call, time.perf_counter() - call_started)
                        self._settle(a, result=result)
        await self._report(_Released(a))

    @staticmethod
    def _settle(a: Assignment, *, result: object = None, error: Exception | None = None) -> None:
        if not a.detached:
            if error is not None:
                log.debug("task failed request=%s err=%s", a.request, error)
            a.request.finish(result=result, error=error)

    async def _report(self, event: _Prepared | _Released) -> bool:
        self._poke()
        try:
            await self._worker_free_send.send(event)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return False  # the loop is gone; there is nothing left to free
        return True

    # -- snapshots and shutdown -----------------------------------------------------------------

    def _build_snapshot(self) -> SchedSnapshot:
        return SchedSnapshot(
            queued=tuple(self._queue),
            workers=tuple(ws.snapshot() for ws in self._workers.values()),
            verdicts=dict(self._verdicts),
        )

    def _shutdown(self) -> None:
        """Fail every request, detach every task, close every channel. Synchronous: safe when cancelled."""
        for req in self._queue.take_sorted():
            req.finish(error=SchedClosed("scheduler is closing"))
        for ws in self._workers.values():
            for a in ws.assignments.values():
                a.detached = True
                a.cancel_scope.cancel()
                a.request.finish(error=SchedClosed("scheduler is closing"))
        self._workers.clear()
        for channel in (
            self._wakeup_recv,
            self._compact_recv,
            self._new_workers_recv,
            self._worker_closing_recv,
            self._schedule_recv,
            self._worker_free_recv,
            self._closing_recv,
            self._diag_recv,
        ):
            channel.close()


def _drain(channel: trio.MemoryReceiveChannel[T]) -> Iterable[T]:
    """Every message ``channel`` has now, parked senders included; never waits."""
    while True:
        try:
            yield channel.receive_nowait()
        except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
            return
