"""The `storage list`, `storage find` and `storage list sectors` layouts, byte for byte."""

from __future__ import annotations

import pytest

from pylotus.abi import ActorID, SectorFileType, SectorID, SectorNumber
from pylotus.stores import Decl, FsStat, SectorStorageInfo, StorageID, StorageInfo
from pylotus.stores.storage_format import (
    SectorFileRow,
    StoreListing,
    format_find,
    format_go_duration,
    format_sector_files,
    format_storage_list,
)

FT = SectorFileType
GIB = 1 << 30
S1 = SectorID(ActorID(1000), SectorNumber(1))
S2 = SectorID(ActorID(1000), SectorNumber(2))


def listing(
    sid: str, stat: FsStat | None, *, seal: bool, store: bool, local: str | None, **kw: object
) -> StoreListing:
    info = StorageInfo(StorageID(sid), (f"http://10.0.0.{len(sid)}:2345/remote",), 10, seal, store)
    return StoreListing(
        info=info,
        decls=kw.get("decls", []),  # type: ignore[arg-type]  # test helper
        stat=stat,
        stat_error=kw.get("error"),  # type: ignore[arg-type]  # test helper
        latency=kw.get("latency", 0.0),  # type: ignore[arg-type]  # test helper
        local_path=local,
    )


def test_storage_list_layout_with_usage_bar_counts_use_and_urls() -> None:
    local = listing(
        "aaaa",
        FsStat(capacity=100 * GIB, available=40 * GIB, reserved=10 * GIB, fs_available=50 * GIB),
        seal=True,
        store=True,
        local="/data/seal",
        decls=[Decl(S1, FT.SEALED | FT.CACHE), Decl(S2, FT.UNSEALED)],
    )
    remote = listing(
        "bb",
        FsStat(capacity=50 * GIB, available=50 * GIB, fs_available=50 * GIB),
        seal=False,
        store=True,
        local=None,
        latency=0.00123,
    )
    readonly = listing(
        "c",
        FsStat(capacity=10 * GIB, available=1 * GIB, fs_available=1 * GIB),
        seal=False,
        store=False,
        local="/ro",
    )
    failed = listing("d", None, seal=True, store=False, local=None, error="fsstat: path not found: 'd'")
    out = format_storage_list([failed, readonly, remote, local])
    assert out == (
        "aaaa:\n"
        f"\t[{'#' * 20}{'*' * 5}{' ' * 25}] 50 GiB/100 GiB 50%\n"  # FSAvailable, as Lotus
        "\tUnsealed: 1; Sealed: 1; Caches: 1; Reserved: 10 GiB\n"
        "\tWeight: 10; Use: Seal Store\n"
        "\tLocal: /data/seal\n"
        "\tURL: http://10.0.0.4:2345/remote\n"
        "\n"
        "bb:\n"
        f"\t[{' ' * 50}] 0 B/50 GiB 0%\n"
        "\tUnsealed: 0; Sealed: 0; Caches: 0; Reserved: 0 B\n"
        "\tWeight: 10; Use: Store\n"
        "\tURL: http://10.0.0.2:2345/remote (latency: 1.2ms)\n"
        "\n"
        "c:\n"
        f"\t[{'#' * 45}{' ' * 5}] 9 GiB/10 GiB 90%\n"
        "\tUnsealed: 0; Sealed: 0; Caches: 0; Reserved: 0 B\n"
        "\tUse: ReadOnly\n"
        "\tLocal: /ro\n"
        "\tURL: http://10.0.0.1:2345/remote\n"
        "\n"
        "d:\n"
        "\tError: fsstat: path not found: 'd'\n"
    )


def test_storage_list_colours_only_when_asked() -> None:
    full = listing("a", FsStat(capacity=100, available=1, fs_available=1), seal=True, store=False, local="/p")
    plain = format_storage_list([full])
    coloured = format_storage_list([full], color=True)
    assert "\x1b[" not in plain and "\x1b[31m" in coloured  # red above 98 %
    assert "Use: Seal \n" in plain


def test_storage_list_limit_bar_for_max_storage() -> None:
    stat = FsStat(
        capacity=100 * GIB, available=2 * GIB, reserved=0, fs_available=60 * GIB, max=10 * GIB, used=8 * GIB
    )
    out = format_storage_list([listing("a", stat, seal=True, store=True, local="/p")])
    assert f"\t[{'#' * 40}{' ' * 10}] 8 GiB/10 GiB 80% (limit)\n" in out
    # The filesystem bar shows the filesystem (FSAvailable), not the capped Available (Lotus).
    assert f"\t[{'#' * 20}{' ' * 30}] 40 GiB/100 GiB 40% (filesystem)\n" in out


def test_find_layout_groups_types_per_path_and_prints_both_flags() -> None:
    a = SectorStorageInfo(StorageID("a"), ("http://h:1/remote/unsealed/s-t01000-1",), 10, True, False, False)
    a_sealed = SectorStorageInfo(
        StorageID("a"), ("http://h:1/remote/sealed/s-t01000-1",), 10, True, False, False
    )
    b = SectorStorageInfo(StorageID("b"), ("http://h:2/remote/sealed/s-t01000-1",), 10, False, True, True)
    out = format_find({FT.UNSEALED: [a], FT.SEALED: [b, a_sealed], FT.CACHE: [b]}, {StorageID("a"): "/seal"})
    assert out == (
        "In a (Unsealed, Sealed)\n"
        "\tSealing: true; Storage: false\n"
        "\tLocal (/seal)\n"
        "\tURL: http://h:1/remote/unsealed/s-t01000-1\n"
        "In b (Sealed, Cache)\n"
        "\tSealing: false; Storage: true\n"
        "\tRemote\n"
        "\tURL: http://h:2/remote/sealed/s-t01000-1\n"
    )
    assert format_find({}, {}) == ""


def test_sector_files_table_puts_store_paths_first_and_marks_primary_truly() -> None:
    seal = SectorStorageInfo(
        StorageID("seal-1"), ("http://h:1/remote/cache/s-t01000-2",), 10, True, False, False
    )
    store = SectorStorageInfo(StorageID("st"), ("http://h:2/remote/sealed/s-t01000-1",), 10, True, True, True)
    rows = [
        SectorFileRow(StorageID("seal-1"), SectorNumber(2), FT.CACHE, seal),
        SectorFileRow(StorageID("st"), SectorNumber(1), FT.SEALED, store),
    ]
    assert format_sector_files(rows) == (
        "Storage  Sector  Type    Primary  Path use    URLs\n"
        "st       1       sealed  primary  seal store  http://h:2/remote/sealed/s-t01000-1\n"
        "seal-1   2       cache            seal        http://h:1/remote/cache/s-t01000-2\n"
    )
    assert format_sector_files([]) == ""


@pytest.mark.parametrize(
    "seconds,text",
    [
        (0.0, "0s"),
        (0.00005, "0s"),
        (0.00012, "100µs"),
        (0.00123, "1.2ms"),
        (0.25, "250ms"),
        (1.5, "1.5s"),
        (61.25, "1m1.25s"),
    ],
)
def test_latency_is_go_duration_truncated_to_100us(seconds: float, text: str) -> None:
    assert format_go_duration(seconds) == text
