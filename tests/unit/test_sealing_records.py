"""Sector records, the sector-number counter and the pledge front door, over a real LevelDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pylotus.abi import PaddedPieceSize, RegisteredSealProof, commd_to_cid
from pylotus.chain import dagcbor
from pylotus.chain.errors import InvalidCbor
from pylotus.repo import Datastore
from pylotus.sealing.sealing import Sealing, SealingError
from pylotus.sealing.sector_info import DealInfo, SectorInfo, SectorPiece, SectorState
from pylotus.sealing.sector_store import NEXT_ID_KEY, SectorStore

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1


@pytest.fixture
def datastore(tmp_path: Path) -> Iterator[Datastore]:
    with Datastore(tmp_path / "metadata") as ds:
        yield ds


def test_record_round_trips_with_lotus_field_names(datastore: Datastore) -> None:
    store = SectorStore(datastore)
    comm_d = commd_to_cid(bytes(32))
    info = SectorInfo(
        state=SectorState.PROVING,
        sector_number=7,
        sector_type=PROOF,
        pieces=(SectorPiece(PaddedPieceSize(2048), comm_d, DealInfo(3, 0, 100)),),
        comm_d=comm_d,
        ticket_value=b"\x01" * 32,
        ticket_epoch=12,
    ).logged("event;sealing.SectorImported", "{}", now=1000)
    store.put(info)
    assert store.get(7) == info
    raw = datastore.get("/sectors/7")
    assert raw is not None
    value = dagcbor.decode(raw)
    assert isinstance(value, dict) and value["State"] == "Proving" and value["SectorNumber"] == 7
    assert value["Pieces"][0]["DealInfo"]["DealID"] == 3  # type: ignore[index,call-overload]
    status = info.to_status_json()
    assert status["Deals"] == [3] and status["Ticket"] == {
        "Value": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        "Epoch": 12,
    }
    assert status["Log"] == [
        {"Kind": "event;sealing.SectorImported", "Timestamp": 1000, "Trace": "", "Message": "{}"}
    ]


def test_a_damaged_record_is_reported(datastore: Datastore) -> None:
    datastore.put("/sectors/1", dagcbor.encode({"State": "NoSuchState", "SectorNumber": 1, "SectorType": 5}))
    with pytest.raises(InvalidCbor, match="sector record does not decode"):
        SectorStore(datastore).get(1)


def test_counter_follows_go_storedcounter(datastore: Datastore) -> None:
    store = SectorStore(datastore)
    assert store.next_number() == 0  # absent key: 0
    assert store.next_number() == 1
    store.set_last_number(9)  # pre-seal import stores the highest pre-sealed number
    assert store.next_number() == 10
    assert datastore.get(NEXT_ID_KEY) == bytes([10])  # uvarint


def test_pledge_persists_packing_and_honours_max_sealing(datastore: Datastore) -> None:
    changed: list[int] = []
    sealing = Sealing(SectorStore(datastore), 1000, PROOF, max_sealing=2)  # type: ignore[arg-type]
    sealing.on_change = changed.append
    first = sealing.pledge()
    second = sealing.pledge()
    assert (int(first.number), int(second.number)) == (0, 1) and changed == [0, 1]
    assert sealing.get(0).state is SectorState.PACKING
    assert sealing.get(0).log[0].kind == "event;sealing.SectorStartCC"
    with pytest.raises(SealingError, match=r"too many sectors sealing \(curSealing: 2, max: 2\)"):
        sealing.pledge()
    assert SectorStore(datastore).numbers() == [0, 1]  # the refused pledge wrote nothing


def test_force_state_and_remove(datastore: Datastore) -> None:
    sealing = Sealing(SectorStore(datastore), 1000, PROOF)  # type: ignore[arg-type]
    sealing.pledge()
    with pytest.raises(SealingError, match="unknown sector state 'Sideways'"):
        sealing.force_state(0, "Sideways")
    sealing.force_state(0, "Proving")
    assert sealing.get(0).state is SectorState.PROVING
    sealing.start_remove(0)  # the state machine takes it from Removing (tests/integration)
    assert sealing.get(0).state is SectorState.REMOVING
    with pytest.raises(SealingError, match="already Removing"):
        sealing.start_remove(0)
    assert [e.kind.split(".")[-1] for e in sealing.get(0).log] == [
        "SectorStartCC",
        "SectorForceState",
        "SectorRemove",
    ]
    with pytest.raises(SealingError, match="sector 5 not found"):
        sealing.get(5)
