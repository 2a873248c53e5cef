"""CommP of a file: reference = in-process stream = parallel processes, progress, refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pylotus.proofs import (
    PayloadTooSmall,
    commp_from_bytes,
    commp_from_file,
    commp_reference,
)
from pylotus.proofs.commp import READ_SIZE

MIB = 1 << 20


@pytest.fixture(scope="module")
def payload_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    # 3 read blocks and a ragged tail: three whole segments and a last one that zero-fills.
    data = os.urandom(3 * READ_SIZE + 12345)
    path = tmp_path_factory.mktemp("commp") / "payload.bin"
    path.write_bytes(data)
    return path, data


def test_stream_and_parallel_paths_agree(payload_file: tuple[Path, bytes]) -> None:
    path, data = payload_file
    expected = commp_from_bytes(data)
    assert expected.padded_size == 4 * MIB
    assert commp_from_file(path, workers=1) == expected
    assert commp_from_file(path, workers=2, parallel_min_bytes=0) == expected


def test_parallel_progress_reaches_the_size(payload_file: tuple[Path, bytes]) -> None:
    path, data = payload_file
    seen: list[int] = []
    commp_from_file(path, workers=2, parallel_min_bytes=0, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == len(data)
    assert len(seen) == 4  # one call per segment


@pytest.mark.parametrize("size", [65, 127 * 5 + 1, 2 * READ_SIZE // 3])
def test_reference_equals_file_path(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "small.bin"
    path.write_bytes(data)
    result = commp_from_file(path)
    if size < 4096:  # the bit-by-bit reference is slow
        assert result == commp_reference(data)
    assert result == commp_from_bytes(data)
    assert result.payload_size == size


def test_small_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tiny.bin"
    path.write_bytes(b"x" * 64)
    with pytest.raises(PayloadTooSmall, match="got '64' bytes"):
        commp_from_file(path, workers=2, parallel_min_bytes=0)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        commp_from_file(tmp_path / "absent.bin")
