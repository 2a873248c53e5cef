"""``pylotus devnet``'s flags are checked before anything starts (the run itself is
tests/integration/test_devnet_e2e.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pylotus.devnet.cli import cli


@pytest.mark.parametrize(
    "args,message",
    [
        (["--sector-size", "3KiB"], "unsupported sector size"),
        (["--workers", "-1"], "-1"),
        (["--block-delay", "0s"], "must be positive"),
        (["--block-delay", "soon"], "soon"),
    ],
)
def test_bad_flags_are_refused_with_one_line_and_nothing_made(
    tmp_path: Path, args: list[str], message: str
) -> None:
    home = tmp_path / "home"
    out = CliRunner().invoke(cli, ["devnet", "--home", str(home), *args])
    assert out.exit_code == 2 and message in out.output
    assert not home.exists()
