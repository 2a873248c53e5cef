"""``pylotus-bench commp``: flags and the table, on a tiny size (CliRunner: parsing and output only)."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from pylotus.bench import cli
from pylotus.bench.commp import parse_openssl_speed

# `openssl speed -multi 2 -seconds 2 sha256` on the development machine (OpenSSL 3.0.19): no header.
MULTI_OUTPUT = """\
Forked child 0
Got: +F:6:sha256:135401648.00:409151552.00:976219648.00:1481873408.00:1718345728.00:1749614592.00 from 0
version: 3.0.19
sha256          252906.26k   799525.44k  1841229.95k  2925245.44k  3453079.55k  3501449.22k
"""
# Single-process output has a header naming the block sizes.
SINGLE_OUTPUT = """\
The 'numbers' are in 1000s of bytes per second processed.
type             16 bytes     64 bytes    256 bytes   1024 bytes   8192 bytes  16384 bytes
sha256          134209.22k   395150.21k   980820.22k  1496193.02k  1741611.01k  1783513.09k
"""
# With -bytes 64 and -multi: one figure.
BYTES64_OUTPUT = "sha256          823716.10k\n"


@pytest.mark.parametrize(
    "output,rate_64",
    [(MULTI_OUTPUT, 799525.44e3), (SINGLE_OUTPUT, 395150.21e3), (BYTES64_OUTPUT, 823716.10e3)],
)
def test_parse_openssl_speed(output: str, rate_64: float) -> None:
    # One 64-byte hash per 32 padded bytes; 127 payload bytes per 128 padded.
    assert parse_openssl_speed(output) == pytest.approx(rate_64 / 64 * 32 * 127 / 128)


def test_parse_refuses_other_output() -> None:
    with pytest.raises(ValueError, match="no 64-byte sha256 figure"):
        parse_openssl_speed("md5  1.0k\n")


def test_tiny_run_prints_the_table() -> None:
    out = CliRunner().invoke(cli, ["commp", "--size", "1MiB", "--workers", "2", "--limit-seconds", "1"])
    assert out.exit_code == 0, out.output
    header = next(line for line in out.output.splitlines() if "seconds" in line)
    assert header.split() == ["size", "mode", "seconds", "MB/s", "of", "limit"]
    rows = [line for line in out.output.splitlines() if line.strip().startswith("1 MiB")]
    assert [row.split()[2:4] for row in rows] == [["1", "proc"], ["2", "procs"]]
    if shutil.which("openssl"):
        assert "limit, 2 cores" in out.output and all(row.endswith("%") for row in rows)


def test_bad_size_is_a_usage_error() -> None:
    out = CliRunner().invoke(cli, ["commp", "--size", "lots"])
    assert out.exit_code == 2
    assert "Invalid value for '--size'" in out.output
