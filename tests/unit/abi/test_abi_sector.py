"""SectorID, sector file names and file types against Lotus storiface (reference/lotus-miner.md §2.2)."""

from __future__ import annotations

import json

import pytest

from pylotus.abi import (
    ActorID,
    InvalidFileType,
    InvalidSectorId,
    InvalidSectorName,
    SectorFileType,
    SectorID,
    SectorNumber,
    parse_sector_name,
    sector_name,
)
from pylotus.abi.json_types import JsonValue


def _sid(miner: int, number: int) -> SectorID:
    return SectorID(ActorID(miner), SectorNumber(number))


@pytest.mark.parametrize(
    ("miner", "number", "name"),
    [
        (1000, 1, "s-t01000-1"),
        (1000, 0, "s-t01000-0"),
        (0, 0, "s-t00-0"),
        (1938223, 123456, "s-t01938223-123456"),
        (2**63 - 1, 2**63 - 1, "s-t09223372036854775807-9223372036854775807"),
    ],
)
def test_sector_name_round_trip(miner: int, number: int, name: str) -> None:
    sid = _sid(miner, number)
    assert sector_name(sid) == name
    assert str(sid) == name
    assert parse_sector_name(name) == sid


@pytest.mark.parametrize(
    "name",
    [
        "",
        "xyz",
        "s-t01000-x",
        "s-t01000-",
        "s-t0-1",
        "s-t01000",
        "s-f01000-1",
        "s-t1000-1",
        "s-t01000-1.tmp",
        "s-t01000-1 ",
        " s-t01000-1",
        "s-t01000-1\n",
        "xs-t01000-1",
        "s-t01000--1",
        "s-t01000-+1",
        "s-t01000-01",  # leading zero: a second name for sector 1
        "s-t001000-1",
        "s-t01000-1-2",
        "s-t0\u0661\u0660\u0660\u0660-1",  # non-ASCII digits
        "s-t09223372036854775808-1",  # miner ≥ 2^63
        "s-t01000-9223372036854775808",
    ],
)
def test_parse_sector_name_refuses(name: str) -> None:
    with pytest.raises(InvalidSectorName) as info:
        parse_sector_name(name)
    assert str(info.value).startswith("parse sector id '")


def test_parse_sector_name_message_is_lotus_wording() -> None:
    with pytest.raises(InvalidSectorName) as info:
        parse_sector_name("xyz")
    assert str(info.value) == "parse sector id 'xyz'"


def test_sector_id_json() -> None:
    sid = _sid(1000, 1)
    assert sid.to_json() == {"Miner": 1000, "Number": 1}
    assert json.dumps(sid.to_json()) == '{"Miner": 1000, "Number": 1}'
    assert SectorID.from_json({"Miner": 1000, "Number": 1}) == sid
    assert SectorID.from_json(json.loads('{"Number": 7, "Miner": 0}')) == _sid(0, 7)


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [1000, 1],
        "s-t01000-1",
        {},
        {"Miner": 1000},
        {"miner": 1000, "number": 1},
        {"Miner": 1000, "Number": 1, "Extra": 0},
        {"Miner": -1, "Number": 1},
        {"Miner": 1000, "Number": -1},
        {"Miner": "1000", "Number": 1},
        {"Miner": 1000, "Number": 1.0},
        {"Miner": True, "Number": 1},
        {"Miner": None, "Number": 1},
        {"Miner": 2**63, "Number": 1},
    ],
)
def test_sector_id_from_json_refuses(obj: JsonValue) -> None:
    with pytest.raises(InvalidSectorId):
        SectorID.from_json(obj)


def test_sector_id_constructor_validates() -> None:
    with pytest.raises(InvalidSectorId):
        _sid(-1, 0)
    with pytest.raises(InvalidSectorId):
        SectorID(ActorID(1000), "1")  # type: ignore[arg-type]  # misuse on purpose


def test_sector_id_is_an_ordered_value() -> None:
    a = _sid(1000, 2)
    b = _sid(1000, 10)
    c = _sid(1001, 0)
    assert sorted([c, b, a]) == [a, b, c]
    assert {a: 1}[_sid(1000, 2)] == 1
    with pytest.raises(AttributeError):
        a.number = SectorNumber(3)  # type: ignore[misc]  # frozen on purpose


def test_file_type_values_are_lotus_bits() -> None:
    assert SectorFileType.NONE == 0
    assert SectorFileType.UNSEALED == 1
    assert SectorFileType.SEALED == 2
    assert SectorFileType.CACHE == 4
    assert SectorFileType.all_types() == (
        SectorFileType.UNSEALED,
        SectorFileType.SEALED,
        SectorFileType.CACHE,
    )


@pytest.mark.parametrize(("kind", "name"), [(1, "unsealed"), (2, "sealed"), (4, "cache")])
def test_file_type_names(kind: int, name: str) -> None:
    ft = SectorFileType(kind)
    assert str(ft) == name
    assert f"{ft}" == name
    assert f"/remote/{ft}/s-t01000-1" == f"/remote/{name}/s-t01000-1"
    assert SectorFileType.parse(name) == kind
    assert ft.names_list() == [name]


def test_file_type_masks() -> None:
    both = SectorFileType.SEALED | SectorFileType.CACHE
    assert both == 6
    assert both.names_list() == ["sealed", "cache"]
    assert SectorFileType(7).names_list() == ["unsealed", "sealed", "cache"]
    assert SectorFileType.NONE.names_list() == []
    assert SectorFileType.CACHE in both
    assert SectorFileType.UNSEALED not in both
    # Lotus FileType.String() of a mask.
    assert str(SectorFileType(3)) == "<unknown 3>"
    assert json.dumps({"SectorFileType": SectorFileType(3)}) == '{"SectorFileType": 3}'


@pytest.mark.parametrize("name", ["", "Sealed", "SEALED", "update", "unsealed,sealed", "none", "3"])
def test_file_type_parse_refuses(name: str) -> None:
    with pytest.raises(InvalidFileType) as info:
        SectorFileType.parse(name)
    assert str(info.value) == f"unknown sector file type '{name}'"
