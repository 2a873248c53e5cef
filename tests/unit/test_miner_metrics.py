"""``/debug/metrics``: Lotus's metric names read live from a real Scheduler and MemIndex.

Each test scrapes, changes the state, and scrapes again: a value that did not follow the state,
a misspelt name or label, fails.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from pylotus.abi import ActorID, RegisteredSealProof, SectorID, SectorNumber
from pylotus.jsonrpc import ApiApp, JwtAuth, RpcServer
from pylotus.miner.metrics import CONTENT_TYPE, METRICS_PATH, MetricsHandler, MinerMetrics
from pylotus.sched import (
    Scheduler,
    TaskSelector,
    TaskType,
    WorkerHandle,
    WorkerID,
    WorkerInfo,
    WorkerResources,
)
from pylotus.stores import FsStat, HealthReport, MemIndex, SectorRef, StorageID, StorageInfo

GIB = 1 << 30
TIB = 1 << 40
Message = MutableMapping[str, Any]


@dataclass(frozen=True)
class FakeWorker:
    """A :class:`WorkerHandle` (data only, as the manager keeps it)."""

    worker_id: WorkerID
    info: WorkerInfo
    task_types: frozenset[TaskType]
    paths: frozenset[StorageID]
    enabled: bool = True


def worker(name: str, *, enabled: bool = True) -> FakeWorker:
    resources = WorkerResources(mem_physical=128 * GIB, mem_swap=0, cpus=32)
    return FakeWorker(
        WorkerID(uuid.uuid4()),
        WorkerInfo(name, resources, ignore_resources=True),
        frozenset({TaskType.PRE_COMMIT_1}),
        frozenset(),
        enabled,
    )


@dataclass
class Miner:
    sched: Scheduler
    index: MemIndex
    states: dict[str, int]
    metrics: MinerMetrics

    def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of a render, by (name, sorted labels)."""
        text = self.metrics.render().decode()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }


@pytest.fixture
async def miner() -> AsyncIterator[Miner]:
    sched = Scheduler()
    index = MemIndex()
    states: dict[str, int] = {}
    async with trio.open_nursery() as nursery:
        await nursery.start(sched.run)
        yield Miner(sched, index, states, MinerMetrics(sched, index, lambda: states))
        await sched.aclose()
        nursery.cancel_scope.cancel()


def path_labels(storage_id: str, *, store: bool, seal: bool) -> tuple[tuple[str, str], ...]:
    labels = {"storage_id": storage_id, "path_storage": str(store).lower(), "path_seal": str(seal).lower()}
    return tuple(sorted(labels.items()))


async def test_sector_state_counts_follow_the_callable(miner: Miner) -> None:
    miner.states.update({"Proving": 2, "PreCommit1": 1})
    before = miner.scrape()
    assert before[("lotus_sealing_states", (("sector_state", "Proving"),))] == 2
    assert before[("lotus_sealing_states", (("sector_state", "PreCommit1"),))] == 1
    miner.states.update({"Proving": 3, "PreCommit1": 0})
    after = miner.scrape()
    assert after[("lotus_sealing_states", (("sector_state", "Proving"),))] == 3
    assert after[("lotus_sealing_states", (("sector_state", "PreCommit1"),))] == 0


async def test_storage_paths_report_the_last_health_report(miner: Miner) -> None:
    seal = StorageInfo(StorageID("seal-1"), (), 10, can_seal=True, can_store=False)
    store = StorageInfo(StorageID("store-1"), (), 10, can_seal=False, can_store=True, max_storage=TIB)
    empty = StorageInfo(StorageID("empty"), (), 10, can_seal=True, can_store=True)
    await miner.index.storage_attach(seal, FsStat(capacity=TIB, available=TIB // 2, reserved=GIB))
    await miner.index.storage_attach(
        store, FsStat(capacity=4 * TIB, available=TIB, fs_available=3 * TIB, max=TIB, used=TIB // 4)
    )
    await miner.index.storage_attach(empty, FsStat(capacity=0, available=0))
    seal_labels = path_labels("seal-1", store=False, seal=True)
    store_labels = path_labels("store-1", store=True, seal=False)

    got = miner.scrape()
    assert got[("lotus_storage_path_capacity_bytes", seal_labels)] == TIB
    assert got[("lotus_storage_path_available_bytes", seal_labels)] == TIB // 2
    assert got[("lotus_storage_path_reserved_bytes", seal_labels)] == GIB
    assert got[("lotus_storage_path_available_frac", seal_labels)] == 0.5
    assert got[("lotus_storage_path_fs_available_bytes", store_labels)] == 3 * TIB
    assert got[("lotus_storage_path_limit_max_bytes", store_labels)] == TIB
    assert got[("lotus_storage_path_limit_used_frac", store_labels)] == 0.25
    assert ("lotus_storage_path_limit_max_bytes", seal_labels) not in got  # no limit set
    assert not any(dict(labels).get("storage_id") == "empty" for _, labels in got)  # no capacity

    report = HealthReport(FsStat(capacity=TIB, available=TIB // 8, reserved=2 * GIB))
    await miner.index.storage_report_health(StorageID("seal-1"), report)
    got = miner.scrape()
    assert got[("lotus_storage_path_available_bytes", seal_labels)] == TIB // 8
    assert got[("lotus_storage_path_reserved_bytes", seal_labels)] == 2 * GIB


async def test_workers_count_and_enabled(miner: Miner) -> None:
    assert miner.scrape()[("pylotus_sched_workers", ())] == 0
    fred = worker("fred")
    await miner.sched.add_worker(fred)
    await miner.sched.add_worker(worker("bob", enabled=False))
    got = miner.scrape()
    assert got[("pylotus_sched_workers", ())] == 2
    fred_labels = (("worker_hostname", "fred"), ("worker_id", str(fred.worker_id)))
    assert got[("pylotus_sched_worker_enabled", fred_labels)] == 1
    assert sorted(v for (name, _), v in got.items() if name == "pylotus_sched_worker_enabled") == [0, 1]

    await miner.sched.drop_worker(fred.worker_id)
    got = miner.scrape()
    assert got[("pylotus_sched_workers", ())] == 1
    assert ("pylotus_sched_worker_enabled", fred_labels) not in got


async def test_worker_calls_and_sched_cycles_are_counted(miner: Miner) -> None:
    call = (("task_type", TaskType.PRE_COMMIT_1.value), ("worker_hostname", "fred"))
    before = miner.scrape()
    assert ("lotus_sealing_worker_calls_started", call) not in before
    assert before[("lotus_sched_assigner_cycle_ms_count", ())] == 0
    await miner.sched.add_worker(worker("fred"))
    release = trio.Event()
    running = trio.Event()

    async def work(handle: WorkerHandle) -> str:
        running.set()
        await release.wait()
        return handle.info.hostname

    sector = SectorRef(SectorID(ActorID(1000), SectorNumber(1)), RegisteredSealProof.STACKED_DRG_2KIB_V1_1)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(miner.sched.schedule, sector, TaskType.PRE_COMMIT_1, TaskSelector(), None, work)
        with trio.fail_after(5):
            await running.wait()
        during = miner.scrape()
        assert during[("lotus_sealing_worker_calls_started", call)] == 1
        assert ("lotus_sealing_worker_calls_returned_count", call) not in during
        release.set()

    after = miner.scrape()
    assert after[("lotus_sealing_worker_calls_started", call)] == 1
    assert after[("lotus_sealing_worker_calls_returned_count", call)] == 1
    assert after[("lotus_sealing_worker_calls_returned_ms_count", call)] == 1
    assert (
        after[("lotus_sealing_worker_calls_returned_ms_bucket", tuple(sorted((*call, ("le", "+Inf")))))] == 1
    )
    assert after[("lotus_sched_assigner_cycle_ms_count", ())] >= 1
    assert after[("lotus_sched_assigner_cycle_open_window_sum", ())] >= 1  # fred was open
    assert after[("lotus_sched_assigner_cycle_task_queue_entry_sum", ())] >= 1
    assert after[("pylotus_sched_queue_size", ())] == 0


async def test_names_are_lotus_names(miner: Miner) -> None:
    text = miner.metrics.render().decode()
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert families["lotus_sealing_states"] == "gauge"
    assert families["lotus_sealing_worker_calls_started"] == "unknown"  # not "..._total"
    assert families["lotus_sealing_worker_calls_returned_ms"] == "histogram"
    assert families["lotus_sched_assigner_cycle_ms"] == "histogram"
    assert "lotus_sealing_worker_calls_started_total" not in text


# -- the route ------------------------------------------------------------------------------------


class Response:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def request(app: ApiApp, method: str, path: str, token: bytes | None = None) -> Response:
    headers = [] if token is None else [(b"authorization", b"Bearer " + token)]
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "headers": headers}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    response = Response()
    with trio.fail_after(5):
        await app(scope, receive, response.send)
    return response


async def test_route_serves_get_without_a_token_and_refuses_other_methods(miner: Miner) -> None:
    auth = JwtAuth(b"s" * 32)
    app = ApiApp(RpcServer(), auth, routes={METRICS_PATH: MetricsHandler(miner.metrics)})
    miner.states["Proving"] = 7

    anonymous = await request(app, "GET", METRICS_PATH)
    assert anonymous.status == 200
    assert anonymous.headers["content-type"] == CONTENT_TYPE
    assert b'lotus_sealing_states{sector_state="Proving"} 7.0' in anonymous.body

    admin = await request(app, "GET", METRICS_PATH, auth.new_token(["admin"]))
    assert admin.status == 200

    post = await request(app, "POST", METRICS_PATH)
    assert post.status == 405
    assert post.body == b"405 method not allowed: use GET\n"
    assert post.headers["allow"] == "GET"
