"""The miner CLI's pure layouts: Go durations and Lotus's EpochTime, the sectors list."""

from __future__ import annotations

from pylotus.miner.format import format_sectors_list, go_duration, go_tabwrite
from pylotus.miner.proving_cli import epoch_time


def test_go_duration_and_epoch_time() -> None:
    assert [go_duration(s) for s in (0, 7, 420, 10380)] == ["0s", "7s", "7m0s", "2h53m0s"]
    assert epoch_time(500, 454, 30) == "454 (23m0s ago)"
    assert epoch_time(500, 514, 30) == "514 (in 7m0s)"
    assert epoch_time(500, 500, 30) == "500 (now)"


def test_sectors_list_is_a_go_tabwriter_table() -> None:
    def status(n: int, state: str, deals: list[int]) -> dict[str, object]:
        return {"SectorID": n, "State": state, "Deals": deals, "Ticket": {"Epoch": 0}, "Seed": {"Epoch": 12}}

    out = format_sectors_list([status(10, "PreCommit1", []), status(2, "Proving", [7])], {2}, {2})
    assert out.splitlines() == [
        "2: Proving     sSet: YES active: YES tktH: 0 seedH: 12 deals: [7]  toUpgrade:false",
        "10: PreCommit1 sSet: NO  active: NO  tktH: 0 seedH: 12 deals: []   toUpgrade:false",
    ]
    assert go_tabwrite([["a", "b"]], min_width=8, padding=1) == "a       b\n"
