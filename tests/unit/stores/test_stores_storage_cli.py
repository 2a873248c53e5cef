"""`storage …` and `find` parsing and refusals (CliRunner: no server; behaviour is in integration)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pylotus.miner.cli import cli

NO_API = {"MINER_API_INFO": None, "STORAGE_API_INFO": None}


def run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--miner-repo", str(tmp_path / "no-miner"), *args], env=NO_API)


def test_storage_group_lists_its_commands(tmp_path: Path) -> None:
    out = run(tmp_path, "storage", "--help")
    assert out.exit_code == 0
    for name in ("attach", "list", "find"):
        assert f"  {name} " in out.output
    assert "sectors" in run(tmp_path, "storage", "list", "--help").output


@pytest.mark.parametrize(
    "args,message",
    [
        (["storage", "attach"], "must specify storage path to attach"),
        (["storage", "attach", "--init", "{p}"], "must specify at least one of --store or --seal"),
        (["storage", "attach", "--init", "--seal", "--max-storage", "10XB", "{p}"], "parsing max-storage"),
        (["storage", "attach", "--weight", "-1", "{p}"], "Invalid value for '--weight'"),
        (["storage", "find", "x1"], "'x1' is not a sector number"),
        (["find", "-1"], "No such option '-1'"),
        (["find"], "Missing argument 'SECTOR'"),
        (["storage", "list", "--colour"], "Did you mean one of: '--color'"),
    ],
)
def test_bad_input_is_a_usage_error_that_creates_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    target = tmp_path / "new-path"
    out = run(tmp_path, *[a.replace("{p}", str(target)) for a in args])
    assert out.exit_code == 2, out.output
    assert message in out.output
    assert not target.exists()


def test_without_a_miner_attach_init_fails_before_touching_the_disk(tmp_path: Path) -> None:
    target = tmp_path / "new-path"
    out = run(tmp_path, "storage", "attach", "--init", "--seal", str(target))
    assert out.exit_code == 1
    assert "Error: could not find the API: MINER_API_INFO is not set" in out.output
    assert "Traceback" not in out.output
    assert not target.exists()


@pytest.mark.parametrize("args", [["storage", "list"], ["storage", "list", "sectors"], ["find", "1"]])
def test_without_a_miner_every_command_says_where_it_looked(tmp_path: Path, args: list[str]) -> None:
    out = run(tmp_path, *args)
    assert out.exit_code == 1
    assert f"repo at '{tmp_path / 'no-miner'}' has no 'api' file; is the pylotus-miner running?" in out.output
