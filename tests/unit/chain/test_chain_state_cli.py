"""``pylotus state power|miner-info``: Lotus's layouts from API JSON, and argument parsing."""

from __future__ import annotations

from click.testing import CliRunner

from pylotus.chain.cli import cli
from pylotus.chain.node_cli import format_miner_info, format_power

POWER = {
    "MinerPower": {"RawBytePower": "2048", "QualityAdjPower": "2048"},
    "TotalPower": {"RawBytePower": "6144", "QualityAdjPower": "6144"},
    "HasMinPower": True,
}


def test_power_line_is_lotus_state_power() -> None:
    assert format_power(POWER) == "2048(2 KiB) / 6144(6 KiB) ~= 33.3333%\n"
    zero = {"MinerPower": {"QualityAdjPower": "0"}, "TotalPower": {"QualityAdjPower": "0"}}
    assert format_power(zero) == "0(0 B) / 0(0 B) ~= 0.0000%\n"


def test_miner_info_layout() -> None:
    info = {
        "Owner": "t0100",
        "Worker": "t0100",
        "ControlAddresses": [],
        "Beneficiary": "t0100",
        "PeerId": "12D3KooW",
        "Multiaddrs": [],
        "ConsensusFaultElapsed": -1,
        "SectorSize": 2048,
    }
    text = format_miner_info(info, POWER, {"PeriodStart": 17})
    assert text.splitlines() == [
        "Owner:\tt0100",
        "Worker:\tt0100",
        "Beneficiary:\tt0100",
        "PeerID:\t12D3KooW",
        "Multiaddrs:\t",
        "Consensus Fault End:\t-1",
        "SectorSize:\t2 KiB (2048)",
        "Byte Power:   2 KiB / 6 KiB (33.3333%)",
        "Actual Power: 2 KiB / 6 KiB (33.3333%)",
        "",
        "Proving Period Start:\t17",
    ]


def test_state_commands_need_a_miner_address() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["state", "power"]).exit_code == 2
    bad = runner.invoke(cli, ["state", "miner-info", "nope"])
    assert bad.exit_code == 2 and "Invalid value" in bad.output
