"""The Storage* wire shapes (reference/lotus-miner.md §3.3) and the method table."""

from __future__ import annotations

import pytest

from pylotus.abi import ActorID, JsonObject, RegisteredSealProof, SectorFileType, SectorID, SectorNumber
from pylotus.jsonrpc import CodecError
from pylotus.stores import (
    STORAGE_INDEX_TABLE,
    Decl,
    FsStat,
    HealthReport,
    InvalidStorageValue,
    PathType,
    SectorRef,
    SectorStorageInfo,
    StorageID,
    StorageInfo,
    seal_space_use,
    store_space_use,
)
from pylotus.stores.storiface import FILE_TYPE, PATH_TYPE, STORAGE_INFO

FT = SectorFileType
GIB32 = 32 << 30


def test_storage_info_shape_and_lenient_decoding_of_older_and_newer_lotus() -> None:
    si = StorageInfo(StorageID("b1a4"), ("http://127.0.0.1:2345/remote",), 10, True, False)
    assert si.to_json() == {
        "ID": "b1a4",
        "URLs": ["http://127.0.0.1:2345/remote"],
        "Weight": 10,
        "MaxStorage": 0,
        "CanSeal": True,
        "CanStore": False,
    }
    # L05 has no MaxStorage; HEAD adds Groups etc., which are ignored; a nil slice is null.
    l05: JsonObject = {
        "ID": "b1a4",
        "URLs": None,
        "Weight": 10,
        "CanSeal": True,
        "CanStore": True,
        "Groups": ["g"],
    }
    assert StorageInfo.from_json(l05) == StorageInfo(StorageID("b1a4"), (), 10, True, True)
    assert StorageInfo.from_json(si.to_json()) == si


@pytest.mark.parametrize(
    "patch,message",
    [
        ({"URLs": ["ftp://x/remote"]}, "failed to parse url"),
        ({"URLs": ["127.0.0.1:2345"]}, "failed to parse url"),
        ({"Weight": -1}, "out of range"),
        ({"CanSeal": "yes"}, "must be a bool"),
        ({"ID": ""}, "non-empty string"),
    ],
)
def test_malformed_storage_info_is_refused(patch: dict[str, object], message: str) -> None:
    good = StorageInfo(StorageID("a"), ("http://h:1/remote",), 1, True, True).to_json()
    with pytest.raises(InvalidStorageValue, match=message):
        StorageInfo.from_json({**good, **patch})  # type: ignore[dict-item]  # deliberately wrong types
    with pytest.raises(CodecError, match="invalid storiface.StorageInfo"):
        STORAGE_INFO.decode({**good, **patch})  # type: ignore[dict-item]  # same, through the codec


def test_sector_storage_info_fs_stat_and_decl_shapes() -> None:
    ssi = SectorStorageInfo(StorageID("a"), ("http://h:1/remote/sealed/s-t01000-1",), 20, True, True, True)
    assert ssi.to_json() == {
        "ID": "a",
        "URLs": ["http://h:1/remote/sealed/s-t01000-1"],
        "Weight": 20,
        "CanSeal": True,
        "CanStore": True,
        "Primary": True,
    }
    assert SectorStorageInfo.from_json(ssi.to_json()) == ssi
    assert FsStat.from_json({"Capacity": 100, "Available": 40, "Reserved": 5}) == FsStat(100, 40, 5, 40)
    decl = Decl(SectorID(ActorID(1000), SectorNumber(1)), FT.SEALED | FT.CACHE)
    assert decl.to_json() == {"Miner": 1000, "Number": 1, "SectorFileType": 6}
    assert Decl.from_json(decl.to_json()) == decl


@pytest.mark.parametrize(
    "err,expect",
    [(None, None), ("", None), ("stat failed", "stat failed"), ({}, "error reported without a message")],
)
def test_health_report_err_in_every_lotus_spelling(err: object, expect: str | None) -> None:
    report = HealthReport.from_json({"Stat": {"Capacity": 1, "Available": 1, "Reserved": 0}, "Err": err})  # type: ignore[dict-item]
    assert report.err == expect


def test_file_type_codec_refuses_unknown_bits_and_path_type_takes_l05_bools() -> None:
    assert FILE_TYPE.decode(6) == FT.SEALED | FT.CACHE
    for bad in (8, 16, -1, True, "2"):
        with pytest.raises(CodecError, match="unknown sector file type"):
            FILE_TYPE.decode(bad)
    assert PATH_TYPE.decode("sealing") is PathType.SEALING
    assert PATH_TYPE.decode(True) is PathType.SEALING and PATH_TYPE.decode(False) is PathType.STORAGE
    assert PATH_TYPE.encode(PathType.STORAGE) == "storage"
    with pytest.raises(CodecError, match="want one of 'sealing', 'storage'"):
        PATH_TYPE.decode("scratch")


def test_sector_ref_gives_the_sector_size() -> None:
    ref = SectorRef.from_json({"ID": {"Miner": 1000, "Number": 9}, "ProofType": 8})
    assert ref.proof_type is RegisteredSealProof.STACKED_DRG_32GIB_V1_1 and ref.sector_size == GIB32
    assert ref.to_json() == {"ID": {"Miner": 1000, "Number": 9}, "ProofType": 8}
    with pytest.raises(InvalidStorageValue):
        SectorRef.from_json({"ID": {"Miner": 1000, "Number": 9}, "ProofType": 99})


def test_space_use_tables() -> None:
    assert seal_space_use(FT.UNSEALED | FT.SEALED | FT.CACHE, GIB32) == (10 + 10 + 141) * GIB32 // 10
    assert store_space_use(FT.SEALED | FT.CACHE, GIB32) == (10 + 14) * GIB32 // 10
    assert seal_space_use(FT.NONE, GIB32) == 0


def test_method_table_is_lotus_names_arity_and_admin() -> None:
    arity = {name: len(spec.params) for name, spec in STORAGE_INDEX_TABLE.items()}
    assert arity == {
        "StorageList": 0,
        "StorageLocal": 0,
        "StorageStat": 1,
        "StorageAttach": 2,
        "StorageInfo": 1,
        "StorageReportHealth": 2,
        "StorageDeclareSector": 4,
        "StorageDropSector": 3,
        "StorageFindSector": 4,
        "StorageBestAlloc": 3,
        "StorageAddLocal": 1,
    }
    assert {spec.perm for spec in STORAGE_INDEX_TABLE.values()} == {"admin"}
