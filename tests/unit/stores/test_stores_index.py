"""MemIndex: attach, declare, find weights and fetch candidates, best-alloc ordering, heartbeats."""

from __future__ import annotations

import pytest
import trio

from pylotus.abi import ActorID, SectorFileType, SectorID, SectorNumber
from pylotus.stores import (
    SKIPPED_HEARTBEAT_THRESH,
    Decl,
    FsStat,
    HealthReport,
    MemIndex,
    NoSpace,
    PathType,
    StorageID,
    StorageInfo,
    StorageNotFound,
)

FT = SectorFileType
S1 = SectorID(ActorID(1000), SectorNumber(1))
S2 = SectorID(ActorID(1000), SectorNumber(2))
GIB = 1 << 30
SSIZE = 2048


def info(sid: str, *, weight: int = 10, seal: bool = True, store: bool = True, port: int = 1) -> StorageInfo:
    return StorageInfo(StorageID(sid), (f"http://127.0.0.1:{port}/remote",), weight, seal, store)


def stat(available: int, capacity: int = 100 * GIB) -> FsStat:
    return FsStat(capacity=capacity, available=available)


async def make(*stores: tuple[StorageInfo, FsStat]) -> MemIndex:
    index = MemIndex()
    for si, st in stores:
        await index.storage_attach(si, st)
    return index


async def test_find_weights_count_the_types_each_path_holds() -> None:
    index = await make((info("a", weight=10), stat(GIB)), (info("b", weight=30, port=2), stat(GIB)))
    await index.storage_declare_sector(StorageID("a"), S1, FT.SEALED | FT.CACHE, True)
    await index.storage_declare_sector(StorageID("b"), S1, FT.SEALED, False)

    found = await index.storage_find_sector(S1, FT.SEALED | FT.CACHE, SSIZE, False)
    assert [(f.id, f.weight, f.primary) for f in found] == [("b", 30, False), ("a", 20, True)]
    assert found[1].urls == ("http://127.0.0.1:1/remote/%3Cunknown%206%3E/s-t01000-1",)

    sealed = await index.storage_find_sector(S1, FT.SEALED, SSIZE, False)
    assert {f.id: f.urls for f in sealed} == {
        "a": ("http://127.0.0.1:1/remote/sealed/s-t01000-1",),
        "b": ("http://127.0.0.1:2/remote/sealed/s-t01000-1",),
    }
    assert await index.storage_find_sector(S2, FT.SEALED, SSIZE, False) == []


async def test_allow_fetch_adds_healthy_seal_paths_with_room_at_weight_zero() -> None:
    need = 141 * SSIZE // 10  # cache seal overhead (storiface FSOverheadSeal)
    index = await make(
        (info("holder"), stat(GIB)),
        (info("roomy", port=2), stat(need)),
        (info("full", port=3), stat(need - 1)),
        (info("store-only", seal=False, port=4), stat(GIB)),
        (info("broken", port=5), stat(GIB)),
    )
    await index.storage_declare_sector(StorageID("holder"), S1, FT.CACHE, True)
    await index.storage_report_health(
        StorageID("broken"), HealthReport(stat(GIB), err="stat: input/output error")
    )

    found = await index.storage_find_sector(S1, FT.CACHE, SSIZE, True)
    assert [(f.id, f.weight, f.primary) for f in found] == [("holder", 10, True), ("roomy", 0, False)]
    assert found[1].urls == ("http://127.0.0.1:2/remote/cache/s-t01000-1",)
    without = await index.storage_find_sector(S1, FT.CACHE, SSIZE, False)
    assert [f.id for f in without] == ["holder"]


async def test_best_alloc_filters_by_use_space_and_health_and_orders_by_available_times_weight() -> None:
    index = await make(
        (info("small-heavy", weight=100), stat(2 * GIB)),
        (info("big-light", weight=1, port=2), stat(50 * GIB)),
        (info("mid", weight=10, port=3), stat(10 * GIB)),
        (info("store-only", seal=False, port=4), stat(90 * GIB)),
        (info("tiny", weight=1000, port=5), stat(SSIZE - 1)),
        (info("ill", weight=1000, port=6), stat(90 * GIB)),
    )
    await index.storage_report_health(StorageID("ill"), HealthReport(stat(90 * GIB), err="disk gone"))

    best = await index.storage_best_alloc(FT.SEALED, SSIZE, PathType.SEALING)
    # 2 GiB × 100 = 200 > 10 GiB × 10 = 100 > 50 GiB × 1 = 50
    assert [b.id for b in best] == ["small-heavy", "mid", "big-light"]

    stored = await index.storage_best_alloc(FT.SEALED, SSIZE, PathType.STORAGE)
    assert [b.id for b in stored][0] == "store-only"  # 90 GiB × 10 beats every other CanStore path

    # Sealing needs 14.1 sector sizes for a cache; storing a finalized one 1.4 (pylotus keeps all of
    # tree_r_last).
    roomy = await make((info("p"), stat(2 * SSIZE)))
    with pytest.raises(NoSpace, match="no good path found.*'cache'.*4096 bytes available, 28876 needed"):
        await roomy.storage_best_alloc(FT.CACHE, SSIZE, PathType.SEALING)
    assert [b.id for b in await roomy.storage_best_alloc(FT.CACHE, SSIZE, PathType.STORAGE)] == ["p"]


async def test_no_paths_at_all_says_so() -> None:
    with pytest.raises(NoSpace, match="no storage paths attached"):
        await MemIndex().storage_best_alloc(FT.SEALED, SSIZE, PathType.SEALING)


async def test_silent_path_is_skipped_after_50s_and_back_after_a_report(autojump_clock: object) -> None:
    index = await make((info("a"), stat(GIB)), (info("b", port=2), stat(GIB)))
    await index.storage_declare_sector(StorageID("a"), S1, FT.SEALED, True)
    await trio.sleep(SKIPPED_HEARTBEAT_THRESH - 1)
    await index.storage_report_health(StorageID("b"), HealthReport(stat(GIB)))
    await trio.sleep(2)  # a: 51 s silent; b: 2 s

    assert [b.id for b in await index.storage_best_alloc(FT.SEALED, SSIZE, PathType.SEALING)] == ["b"]
    fetch = await index.storage_find_sector(S2, FT.SEALED, SSIZE, True)
    assert [f.id for f in fetch] == ["b"]
    # The copy a silent path holds is still reported: the file is where it is.
    assert [f.id for f in await index.storage_find_sector(S1, FT.SEALED, SSIZE, False)] == ["a"]

    await index.storage_report_health(StorageID("a"), HealthReport(stat(GIB)))
    assert {b.id for b in await index.storage_best_alloc(FT.SEALED, SSIZE, PathType.SEALING)} == {"a", "b"}


async def test_redeclare_never_duplicates_and_only_upgrades_to_primary() -> None:
    index = await make((info("a"), stat(GIB)))
    a = StorageID("a")
    await index.storage_declare_sector(a, S1, FT.SEALED, False)
    await index.storage_declare_sector(a, S1, FT.SEALED, False)
    assert [(f.weight, f.primary) for f in await index.storage_find_sector(S1, FT.SEALED, 0, False)] == [
        (10, False)
    ]
    await index.storage_declare_sector(a, S1, FT.SEALED, True)
    await index.storage_declare_sector(a, S1, FT.SEALED, False)
    assert [(f.weight, f.primary) for f in await index.storage_find_sector(S1, FT.SEALED, 0, False)] == [
        (10, True)
    ]


async def test_drop_removes_every_type_asked_and_list_ors_types_per_sector() -> None:
    index = await make((info("a"), stat(GIB)), (info("empty", port=2), stat(GIB)))
    a = StorageID("a")
    await index.storage_declare_sector(a, S1, FT.UNSEALED | FT.SEALED | FT.CACHE, True)
    await index.storage_declare_sector(a, S2, FT.SEALED, True)
    assert await index.storage_list() == {
        "a": [Decl(S1, FT.UNSEALED | FT.SEALED | FT.CACHE), Decl(S2, FT.SEALED)],
        "empty": [],
    }
    await index.storage_drop_sector(a, S1, FT.UNSEALED | FT.CACHE)
    assert await index.storage_list() == {"a": [Decl(S1, FT.SEALED), Decl(S2, FT.SEALED)], "empty": []}
    assert await index.storage_find_sector(S1, FT.CACHE, 0, False) == []


async def test_reattach_merges_urls_and_replaces_flags() -> None:
    index = await make((info("a", weight=10, port=1), stat(GIB)))
    await index.storage_attach(
        StorageInfo(StorageID("a"), ("http://127.0.0.1:2/remote",), 5, False, True), stat(GIB)
    )
    got = await index.storage_info(StorageID("a"))
    assert got.urls == ("http://127.0.0.1:1/remote", "http://127.0.0.1:2/remote")
    assert (got.weight, got.can_seal, got.can_store) == (5, False, True)


async def test_unknown_storage_is_refused_with_lotus_wording() -> None:
    index = MemIndex()
    with pytest.raises(StorageNotFound, match="^sector store not found: 'x'$"):
        await index.storage_info(StorageID("x"))
    with pytest.raises(StorageNotFound, match="^health report for unknown storage: 'x'$"):
        await index.storage_report_health(StorageID("x"), HealthReport(stat(0)))
    with pytest.raises(StorageNotFound):
        await index.storage_declare_sector(StorageID("x"), S1, FT.SEALED, True)
