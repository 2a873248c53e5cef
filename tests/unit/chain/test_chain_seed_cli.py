"""``pylotus-seed`` parsing only (CliRunner): Lotus's flag names and defaults, and bad flags refused
with exit 2 before anything is written.  Behaviour runs as a real process in
tests/integration/test_seed_cli.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pylotus.chain.seed_cli import cli


def test_pre_seal_help_lists_lotus_flags_and_defaults() -> None:
    out = CliRunner().invoke(cli, ["pre-seal", "--help"], terminal_width=200)
    assert out.exit_code == 0
    for flag, default in [
        ("--miner-addr", "t01000"),
        ("--sector-size", "2KiB"),
        ("--ticket-preimage", "lotus is fire"),
        ("--num-sectors", "1"),
        ("--sector-offset", "0"),
        ("--network-version", "16"),
    ]:
        assert flag in out.output and f"[default: {default}" in out.output
    assert "--key" in out.output and "--fake-sectors" in out.output
    root = CliRunner().invoke(cli, ["--help"])
    assert "--sector-dir" in root.output and "~/.genesis-sectors" in root.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["--sector-size", "3KiB"], "Invalid value for '--sector-size'"),
        (["--sector-size", "32GiB"], "pylotus pre-seals real sectors of 2 KiB, 8 MiB, 512 MiB only"),
        (["--miner-addr", "t1d2xrzcslx7xlbbylc5c3d5lvandqw4iwl6epxba"], "is not a miner ID address"),
        (["--miner-addr", "x01000"], "is not a miner ID address"),
        (["--num-sectors", "0"], "0 is not in the range x>=1"),
        (["--sector-offset", "-1"], "Invalid value for '--sector-offset'"),
        (["--fake-sectors"], "pylotus seals every pre-sealed sector for real"),
        (["--key", "/nonexistent/key"], "does not exist"),
        (["--network-version", "-1"], "Invalid value for '--network-version'"),
    ],
)
def test_bad_pre_seal_flags_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    sectors = tmp_path / "sectors"
    out = CliRunner().invoke(cli, ["--sector-dir", str(sectors), "pre-seal", *args])
    assert out.exit_code == 2, out.output
    assert message in out.output
    assert not sectors.exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["genesis", "new"], "Missing argument 'FILE'"),
        (["genesis", "add-miner", "t.json"], "Missing argument 'PRESEAL.json'"),
        (["genesis", "new", "t.json", "--timestamp", "yesterday"], "is not an RFC 3339 time"),
        (["genesis", "new", "t.json", "--timestamp", "2025-02-27T15:04:05"], "is not an RFC 3339 time"),
        (["genesis", "add-miner", "t.json", "p.json", "--balance", "-5"], "Invalid value for '--balance'"),
    ],
)
def test_bad_genesis_arguments_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    args = [str(tmp_path / arg) if arg.endswith(".json") else arg for arg in args]
    out = CliRunner().invoke(cli, args, terminal_width=200)
    assert out.exit_code == 2, out.output
    assert message in out.output
    assert list(tmp_path.iterdir()) == []


def test_genesis_new_takes_lotus_flags(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    args = ["genesis", "new", str(path), "--network-name", "devnet", "--timestamp", "2025-02-27T15:04:05Z"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    text = path.read_text()
    assert '"NetworkName": "devnet"' in text and '"Timestamp": 1740668645' in text
