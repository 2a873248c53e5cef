"""``pylotus client commP`` as a real process, against go-fil-commp-hashhash's published lines
(reference/proofs.md §2.5: payload bytes, padded piece size, piece CID)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli

pytestmark = pytest.mark.integration

CC_LINES = [
    (96, 128, "baga6ea4seaqhwcjhi4krhl3ht6dewnwevkpxbepxy7p7onwgz65t52typbsysby"),
    (127, 128, "baga6ea4seaqmfldjtozgne6adk7eve2vdxte7vzlivae7nzsbrawobo546zkijq"),
    (254, 256, "baga6ea4seaqkixbzz75uys2pcjbrbdilgjhmum72qm4xphrwav2iyel5oat4aka"),
    (1017, 2048, "baga6ea4seaqf3n5ob5qonkwnxfcbjzftsagbnrjfzualqvzhcylz46b7sgz6wmi"),
    (1024, 2048, "baga6ea4seaqdlpnhgsndrgjeu4p46hahlsr4lybg6du4d56ooppdpxhcofxeuoi"),
]


@pytest.mark.parametrize("size,padded,cid", CC_LINES)
def test_commp_prints_lotus_lines(tmp_path: Path, size: int, padded: int, cid: str) -> None:
    payload = tmp_path / "payload"
    payload.write_bytes(b"\xcc" * size)
    out = run_cli("pylotus", "client", "commP", str(payload))
    assert out.returncode == 0, out.stderr
    human = {128: "128 B", 256: "256 B", 2048: "2 KiB"}[padded]
    assert out.stdout == f"CID:  {cid}\nPiece size:  {human}\nRaw piece size:  {padded}\n"


def test_biggest_cat(tmp_path: Path) -> None:
    text = b"i am the biggest cat, what do you think about that"
    payload = tmp_path / "cat"
    payload.write_bytes(text + bytes(127 - len(text)))
    out = run_cli("pylotus", "client", "commP", str(payload))
    assert (
        out.stdout.splitlines()[0] == "CID:  baga6ea4seaqozp3abki6vgdf7ztbipcycmxfyt2o64cpuyvdkczsjxsg7bqmioi"
    )


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    missing = run_cli("pylotus", "client", "commP", str(tmp_path / "nope"))
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"Error: cannot read '{tmp_path / 'nope'}'")
    directory = run_cli("pylotus", "client", "commP", str(tmp_path))
    assert directory.returncode != 0 and "Traceback" not in directory.stderr
    small = tmp_path / "small"
    small.write_bytes(b"x" * 64)
    tiny = run_cli("pylotus", "client", "commP", str(small))
    assert tiny.returncode == 1
    assert "65" in tiny.stderr and "Traceback" not in tiny.stderr
    usage = run_cli("pylotus", "client", "commP")
    assert usage.returncode == 2 and "Missing argument '<inputPath>'" in usage.stderr
