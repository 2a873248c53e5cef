"""Selectors against a real sector index: which workers ``ok`` accepts, which ``cmp`` prefers."""

from __future__ import annotations

import uuid

import pytest

from pylotus.abi import ActorID, SectorFileType, SectorID, SectorNumber
from pylotus.abi import RegisteredSealProof as P
from pylotus.sched import (
    AllocSelector,
    ExistingSelector,
    PassCache,
    SchedWorker,
    TaskSelector,
    TaskType,
    WorkerID,
    WorkerInfo,
    WorkerResources,
)
from pylotus.stores import FsStat, MemIndex, PathType, SectorIndex, StorageID, StorageInfo

FT = SectorFileType
GIB, TIB = 1 << 30, 1 << 40
PROOF = P.STACKED_DRG_2KIB_V1_1
SECTOR = SectorID(ActorID(1000), SectorNumber(8))
PC1, PC2, C2 = TaskType.PRE_COMMIT_1, TaskType.PRE_COMMIT_2, TaskType.COMMIT_2


ALL = frozenset({PC1, PC2, C2})


def worker(name: str, paths: set[str], tasks: frozenset[TaskType] = ALL, util: float = 0.0) -> SchedWorker:
    info = WorkerInfo(name, WorkerResources(128 * GIB, 0, 32))
    return SchedWorker(WorkerID(uuid.uuid4()), info, tasks, frozenset(map(StorageID, paths)), util)


async def index_with(*paths: tuple[str, int]) -> MemIndex:
    index = MemIndex()
    for path, free in paths:
        await index.storage_attach(StorageInfo(StorageID(path), (), 10, True, False), FsStat(TIB, free))
    return index


class CountingIndex:
    """A SectorIndex that counts the lookups selectors make."""

    def __init__(self, inner: MemIndex) -> None:
        self.inner = inner
        self.calls = 0

    def __getattr__(self, name: str) -> object:
        self.calls += 1
        return getattr(self.inner, name)


async def test_alloc_accepts_workers_with_a_path_that_has_room() -> None:
    index = await index_with(("roomy", TIB), ("full", 0))
    sel = AllocSelector(index, FT.CACHE | FT.SEALED, PathType.SEALING)
    cache = PassCache()
    assert await sel.ok(PC1, PROOF, worker("a", {"roomy"}), cache)
    refused = worker("b", {"full"})
    assert not await sel.ok(PC1, PROOF, refused, cache)
    assert sel.explain(refused) == (
        "none of the worker's paths can take new sealed|cache files for sealing (paths that can: 'roomy')"
    )
    assert not await sel.ok(PC2, PROOF, worker("c", {"roomy"}, frozenset({PC1})), cache)  # task type first


async def test_alloc_explains_no_space_anywhere() -> None:
    sel = AllocSelector(await index_with(("full", 0)), FT.CACHE, PathType.SEALING)
    w = worker("a", {"full"})
    assert not await sel.ok(PC1, PROOF, w, PassCache())
    assert sel.explain(w).startswith("no good path found for ['cache'] (sealing): full: 0 bytes available")


async def test_index_is_asked_once_per_pass_whatever_the_number_of_workers() -> None:
    counting = CountingIndex(await index_with(("roomy", TIB)))
    index: SectorIndex = counting  # type: ignore[assignment]  # a counting proxy
    alloc = AllocSelector(index, FT.CACHE, PathType.SEALING)
    existing = ExistingSelector(index, SECTOR, FT.CACHE, allow_fetch=True)
    cache = PassCache()
    for n in range(50):
        await alloc.ok(PC1, PROOF, worker(f"w{n}", {"roomy"}), cache)
        await existing.ok(PC2, PROOF, worker(f"w{n}", {"roomy"}), cache)
    assert counting.calls == 2
    await alloc.ok(PC1, PROOF, worker("next-pass", {"roomy"}), PassCache())
    assert counting.calls == 3


async def test_existing_prefers_the_worker_holding_the_files() -> None:
    index = await index_with(("has", TIB), ("empty", TIB))
    await index.storage_declare_sector(StorageID("has"), SECTOR, FT.CACHE | FT.SEALED, False)
    holder, fetcher, stranger = worker("h", {"has"}, util=0.9), worker("f", {"empty"}), worker("s", {"other"})
    no_fetch = ExistingSelector(index, SECTOR, FT.CACHE | FT.SEALED, allow_fetch=False)
    cache = PassCache()
    assert await no_fetch.ok(PC2, PROOF, holder, cache)
    assert not await no_fetch.ok(PC2, PROOF, fetcher, cache)
    assert (
        no_fetch.explain(fetcher)
        == "no path of the worker holds sealed|cache of sector 's-t01000-8' (held by 'has')"
    )
    fetch = ExistingSelector(index, SECTOR, FT.CACHE | FT.SEALED, allow_fetch=True)
    assert await fetch.ok(PC2, PROOF, holder, cache) and await fetch.ok(PC2, PROOF, fetcher, cache)
    assert not await fetch.ok(PC2, PROOF, stranger, cache)
    # The holder wins although it is busier: moving a sector costs more than waiting for a core.
    assert fetch.cmp(PC2, holder, fetcher) and not fetch.cmp(PC2, fetcher, holder)
    missing = ExistingSelector(index, SectorID(ActorID(1000), SectorNumber(9)), FT.SEALED, allow_fetch=False)
    assert not await missing.ok(PC2, PROOF, holder, cache)
    assert missing.explain(holder) == "no path holds sealed of sector 's-t01000-9'"


@pytest.mark.parametrize("selector", ["alloc", "existing", "task"])
def test_selector_keys_separate_what_must_not_share_answers(selector: str) -> None:
    index = MemIndex()
    make = {
        "alloc": lambda ft: AllocSelector(index, ft, PathType.SEALING),
        "existing": lambda ft: ExistingSelector(index, SECTOR, ft, allow_fetch=False),
        "task": lambda ft: TaskSelector(),
    }[selector]
    assert make(FT.CACHE).key == make(FT.CACHE).key
    if selector != "task":
        assert make(FT.CACHE).key != make(FT.SEALED).key
    assert (
        ExistingSelector(index, SECTOR, FT.CACHE, allow_fetch=True).key
        != ExistingSelector(index, SECTOR, FT.CACHE, allow_fetch=False).key
    )


async def test_task_selector_prefers_workers_that_can_do_less() -> None:
    sel = TaskSelector()
    specialist, generalist = worker("c2", set(), frozenset({C2}), util=0.5), worker("all", set())
    assert await sel.ok(C2, PROOF, specialist, PassCache())
    assert not await sel.ok(PC1, PROOF, specialist, PassCache())
    assert sel.cmp(C2, specialist, generalist) and not sel.cmp(C2, generalist, specialist)
    idle = worker("idle", set(), frozenset({C2}), util=0.1)
    assert sel.cmp(C2, idle, specialist)  # same task count: lower utilisation
