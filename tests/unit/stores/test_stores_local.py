"""LocalStore on real directories: open + declare, storage.json, reservations, allocation, heartbeats."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import trio
import trio.testing

from pylotus.abi import ActorID, SectorFileType, SectorID, SectorNumber
from pylotus.stores import (
    HEARTBEAT_INTERVAL,
    SEAL_OVERHEAD,
    Decl,
    HealthReport,
    InvalidStoragePath,
    LocalStore,
    MemIndex,
    NoSpace,
    PathType,
    SectorNotFound,
    StorageID,
    StorageIOError,
    StorageNotFound,
    StoresError,
)

FT = SectorFileType
S1 = SectorID(ActorID(1000), SectorNumber(1))
S2 = SectorID(ActorID(1000), SectorNumber(2))
MIB = 1 << 20


class MemoryConfig:
    """storage.json kept in memory (the repo's LockedRepo in the daemons)."""

    def __init__(self, paths: list[str] | None = None) -> None:
        self.paths = list(paths or [])

    def storage_config(self) -> list[str]:
        return list(self.paths)

    def set_storage_config(self, paths: list[str]) -> None:
        self.paths = list(paths)


def make_path(
    root: Path, sid: str, *, seal: bool = True, store: bool = False, weight: int = 10, limit: int = 0
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    meta = {"ID": sid, "Weight": weight, "CanSeal": seal, "CanStore": store, "MaxStorage": limit}
    (root / "sectorstore.json").write_text(json.dumps(meta))
    return root


async def test_open_declares_sector_files_and_reports_what_it_skips(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = make_path(tmp_path / "good", "good", store=True)
    (good / "sealed").mkdir()
    (good / "sealed" / "s-t01000-1").write_bytes(b"x")
    (good / "sealed" / "notes.txt").write_bytes(b"operator junk")
    (good / "cache" / "s-t01000-1").mkdir(parents=True)
    (good / "unsealed" / "fetching").mkdir(parents=True)
    (good / "unsealed" / "fetching" / "s-t01000-2").write_bytes(b"half a download")
    broken = make_path(tmp_path / "broken", "broken")
    (broken / "sectorstore.json").write_text("{not json")
    index = MemIndex()
    config = MemoryConfig([str(broken), str(tmp_path / "missing"), str(good)])
    local = LocalStore(index, config)

    with caplog.at_level(logging.WARNING):
        failures = await local.open(["http://127.0.0.1:1/remote"])

    assert [type(f) for f in failures] == [InvalidStoragePath, InvalidStoragePath]
    assert "malformed" in str(failures[0]) and "has no sectorstore.json" in str(failures[1])
    assert local.local_paths() == {"good": str(good)}
    assert await index.storage_list() == {"good": [Decl(S1, FT.SEALED | FT.CACHE)]}
    assert [f.primary for f in await index.storage_find_sector(S1, FT.SEALED, 0, False)] == [True]  # CanStore
    assert str(good / "sealed" / "notes.txt") in caplog.text
    assert not (good / "unsealed" / "fetching" / "s-t01000-2").exists()  # a dead download is cleared
    info = await index.storage_info(StorageID("good"))
    assert info.urls == ("http://127.0.0.1:1/remote",)


async def test_a_file_where_fetching_should_be_skips_only_that_path(tmp_path: Path) -> None:
    bad = make_path(tmp_path / "bad", "bad")
    (bad / "sealed").mkdir()
    (bad / "sealed" / "fetching").write_text("not a directory")
    good = make_path(tmp_path / "good", "good")
    local = LocalStore(MemIndex(), MemoryConfig([str(bad), str(good)]))

    failures = await local.open(["http://127.0.0.1:1/remote"])

    assert [type(f) for f in failures] == [StorageIOError]
    assert f"cannot list unfinished downloads in '{bad / 'sealed' / 'fetching'}'" in str(failures[0])
    assert local.local_paths() == {"good": str(good)}


async def test_add_local_persists_and_refuses_bad_paths_without_a_trace(tmp_path: Path) -> None:
    config = MemoryConfig()
    local = LocalStore(MemIndex(), config)
    await local.open([])
    path = make_path(tmp_path / "p", "p")
    assert await local.add_local(str(path)) == "p"
    assert config.paths == [str(path)]
    for d in ("unsealed", "sealed", "cache"):
        assert (path / d).is_dir()

    with pytest.raises(InvalidStoragePath, match="already opened"):
        await local.add_local(str(make_path(tmp_path / "same-id", "p")))
    with pytest.raises(InvalidStoragePath, match="must be absolute"):
        await local.add_local("relative/path")
    with pytest.raises(InvalidStoragePath, match="has no sectorstore.json"):
        await local.add_local(str(tmp_path))
    assert config.paths == [str(path)]
    assert not (tmp_path / "sealed").exists()


async def test_reservations_are_one_step_so_two_tasks_cannot_share_the_last_space(tmp_path: Path) -> None:
    # MaxStorage makes a small path on any disk: 6 MiB, one 4 MiB sealed file fits, two do not.
    path = make_path(tmp_path / "p", "p", limit=6 * MIB)
    local = LocalStore(MemIndex(), MemoryConfig([str(path)]))
    await local.open([])
    ids = {FT.SEALED: StorageID("p")}
    outcomes: list[str] = []
    done = trio.Event()

    async def task(sector: SectorID) -> None:
        try:
            async with local.reserve(sector, 4 * MIB, FT.SEALED, ids, SEAL_OVERHEAD):
                outcomes.append("reserved")
                await done.wait()
        except NoSpace as exc:
            outcomes.append(str(exc))
            done.set()

    with trio.fail_after(10):  # both reserving would leave both waiting: fail, do not hang
        async with trio.open_nursery() as nursery:
            nursery.start_soon(task, S1)
            nursery.start_soon(task, S2)
    refused = [o for o in outcomes if o != "reserved"]
    assert outcomes.count("reserved") == 1 and len(refused) == 1
    assert refused[0].startswith(f"can't reserve {4 * MIB} bytes in '{path}' (id:p), only ")
    assert (await local.fs_stat(StorageID("p"))).reserved == 0  # released when the block ended


async def test_the_index_sees_a_released_reservation_at_once(tmp_path: Path) -> None:
    path = make_path(tmp_path / "p", "p", limit=6 * MIB)
    index = MemIndex()
    local = LocalStore(index, MemoryConfig([str(path)]))
    await local.open([])
    ids = {FT.SEALED: StorageID("p")}

    async with local.reserve(S1, 4 * MIB, FT.SEALED, ids, SEAL_OVERHEAD):
        with pytest.raises(NoSpace, match="p: .* bytes available"):
            await index.storage_best_alloc(FT.SEALED, 4 * MIB, PathType.SEALING)
    # No heartbeat in between: the release itself reached the index.
    assert [i.id for i in await index.storage_best_alloc(FT.SEALED, 4 * MIB, PathType.SEALING)] == ["p"]

    with trio.CancelScope() as scope:
        async with local.reserve(S1, 4 * MIB, FT.SEALED, ids, SEAL_OVERHEAD):
            scope.cancel()
            await trio.sleep_forever()
    assert [i.id for i in await index.storage_best_alloc(FT.SEALED, 4 * MIB, PathType.SEALING)] == ["p"]


async def test_reserved_space_shrinks_as_the_file_is_written(tmp_path: Path) -> None:
    path = make_path(tmp_path / "p", "p")
    local = LocalStore(MemIndex(), MemoryConfig([str(path)]))
    await local.open([])
    before = await local.fs_stat(StorageID("p"))
    async with local.reserve(S1, 8 * MIB, FT.SEALED, {FT.SEALED: StorageID("p")}, SEAL_OVERHEAD):
        assert (await local.fs_stat(StorageID("p"))).reserved == 8 * MIB
        (path / "sealed" / "s-t01000-1").write_bytes(b"\x01" * 3 * MIB)
        during = await local.fs_stat(StorageID("p"))
        assert during.reserved == 5 * MIB
        assert during.available <= during.fs_available - 5 * MIB
    assert (await local.fs_stat(StorageID("p"))).reserved == 0
    assert before.capacity > 0
    with pytest.raises(StorageNotFound):
        await local.fs_stat(StorageID("nope"))


async def test_acquire_finds_local_copies_and_allocates_on_the_best_local_path(tmp_path: Path) -> None:
    index = MemIndex()
    light = make_path(tmp_path / "light", "light", weight=1)
    heavy = make_path(tmp_path / "heavy", "heavy", weight=100)
    store = make_path(tmp_path / "store", "store", seal=False, store=True)
    (store / "sealed").mkdir()
    (store / "sealed" / "s-t01000-1").write_bytes(b"x")
    local = LocalStore(index, MemoryConfig([str(light), str(heavy), str(store)]))
    await local.open([])

    got = await local.acquire_sector(S1, 2048, FT.SEALED, FT.CACHE, PathType.SEALING)
    assert got.paths == {FT.SEALED: store / "sealed" / "s-t01000-1", FT.CACHE: heavy / "cache" / "s-t01000-1"}
    assert got.ids == {FT.SEALED: "store", FT.CACHE: "heavy"}
    missing = await local.acquire_sector(S2, 2048, FT.SEALED, FT.NONE, PathType.SEALING)
    assert missing.paths == {}
    with pytest.raises(StoresError, match="can't both find and allocate"):
        await local.acquire_sector(S1, 2048, FT.SEALED, FT.SEALED, PathType.SEALING)


async def test_remove_deletes_the_file_and_its_declaration(tmp_path: Path) -> None:
    index = MemIndex()
    path = make_path(tmp_path / "p", "p")
    (path / "cache" / "s-t01000-1").mkdir(parents=True)
    (path / "cache" / "s-t01000-1" / "p_aux").write_bytes(b"x")
    local = LocalStore(index, MemoryConfig([str(path)]))
    await local.open([])
    assert await local.remove(S1, FT.CACHE) == 1
    assert not (path / "cache" / "s-t01000-1").exists()
    assert await index.storage_find_sector(S1, FT.CACHE, 0, False) == []
    with pytest.raises(SectorNotFound):
        await local.remove(S1, FT.CACHE)
    with pytest.raises(StoresError, match="delete expects one file type"):
        await local.remove(S1, FT.CACHE | FT.SEALED)


class ReportingIndex:
    """A MemIndex that also hands every health report to the test, so it can wait for beats."""

    def __init__(self) -> None:
        self.inner = MemIndex()
        self.beats_in, self.beats = trio.open_memory_channel[tuple[str, str | None]](16)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def storage_report_health(self, storage_id: StorageID, report: HealthReport) -> None:
        await self.inner.storage_report_health(storage_id, report)
        await self.beats_in.send((storage_id, report.err))


async def test_heartbeats_keep_a_path_usable_and_report_a_failing_one(
    tmp_path: Path, mock_clock: trio.testing.MockClock
) -> None:
    index = ReportingIndex()
    ok = make_path(tmp_path / "ok", "ok")
    doomed = make_path(tmp_path / "doomed", "doomed")
    local = LocalStore(index, MemoryConfig([str(ok), str(doomed)]))  # type: ignore[arg-type]  # a SectorIndex
    await local.open([])
    async with trio.open_nursery() as nursery:
        await nursery.start(local.run_health_reports)
        for _ in range(6):  # 60 s: past the 50 s threshold, only the beats keep the paths usable
            await trio.testing.wait_all_tasks_blocked()  # the loop is asleep, not about to sleep
            mock_clock.jump(HEARTBEAT_INTERVAL)
            assert sorted([await index.beats.receive(), await index.beats.receive()]) == [
                ("doomed", None),
                ("ok", None),
            ]
        usable = await index.inner.storage_best_alloc(FT.SEALED, 2048, PathType.SEALING)
        assert {b.id for b in usable} == {"ok", "doomed"}

        shutil.rmtree(doomed)  # the disk went away: statfs fails and the beat carries the error
        await trio.testing.wait_all_tasks_blocked()
        mock_clock.jump(HEARTBEAT_INTERVAL)
        beats = dict([await index.beats.receive(), await index.beats.receive()])
        assert beats["ok"] is None and "cannot stat filesystem" in str(beats["doomed"])
        usable = await index.inner.storage_best_alloc(FT.SEALED, 2048, PathType.SEALING)
        assert [b.id for b in usable] == ["ok"]
        nursery.cancel_scope.cancel()
