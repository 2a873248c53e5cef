"""``pylotus-bench sealing``: the report a user reads, its JSON, and refused flags."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pylotus.bench import cli

CC_COMM_R = "bagboea4b5abcbrshxgmmpaucffwp2elaofbcrvb7hmcu3653o4lsw2arlor4hn3c"


def test_2kib_report_has_every_phase_and_the_lotus_bench_commr(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["sealing", "--sector-size", "2KiB", "--parent-cache", str(tmp_path)])
    assert out.exit_code == 0, out.output
    phases = [line.split()[1] for line in out.output.splitlines() if line.startswith("seal: ")]
    assert phases == [
        "AddPiece",
        "PreCommit1",
        "PreCommit2",
        "Commit1",
        "Commit2",
        "Verify",
        "Unseal",
        "WindowPoSt",
        "VerifyWindowPoSt",
        "WinningPoSt",
        "VerifyWinningPoSt",
    ]
    assert f"CommR: {CC_COMM_R}" in out.output
    assert "peak RSS" in out.output


def test_json_with_a_data_file_and_other_inputs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_bytes(b"pylotus" * 100)
    args = [
        "sealing",
        "--data",
        str(data),
        "--miner-addr",
        "t01234",
        "--sector-number",
        "7",
        "--ticket",
        "ab" * 32,
        "--seed",
        "cd" * 32,
        "--parent-cache",
        str(tmp_path / "pc"),
        "--skip-post",
        "--json",
    ]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["Proof"] == "StackedDrg2KiBV1_1" and result["UnsealMatches"] is True
    assert result["CommD"].startswith("baga6ea4seaq") and result["CommR"] != CC_COMM_R
    assert [p["name"] for p in result["Phases"]][-1] == "Unseal"


def test_bad_flags_are_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    for args, message in [
        (["--ticket", "00"], "must be 32 bytes"),
        (["--sector-size", "3KiB"], "Invalid value for '--sector-size'"),
        (["--miner-addr", "f3abc"], "Invalid value for '--miner-addr'"),
        (["--data", str(tmp_path / "nope")], "neither 'zero' nor a readable file"),
    ]:
        out = runner.invoke(cli, ["sealing", *args])
        assert out.exit_code == 2, out.output
        assert message in out.output
