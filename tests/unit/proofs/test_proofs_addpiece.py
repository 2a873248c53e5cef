"""AddPiece: layout in the unsealed file, returned PieceInfo, refusals that change nothing, memory."""

from __future__ import annotations

import io
import os
import tracemalloc
from pathlib import Path

import pytest

from pylotus.abi import InvalidPieceSize, UnpaddedPieceSize
from pylotus.proofs import (
    PieceDoesNotFit,
    ShortRead,
    add_piece,
    commp_from_bytes,
    generate_unsealed_cid,
    pad,
)

KIB, MIB = 1 << 10, 1 << 20
U = UnpaddedPieceSize


def test_two_pieces_with_alignment_filler(tmp_path: Path) -> None:
    unsealed = tmp_path / "s-t01000-1"
    first = os.urandom(127)
    second = os.urandom(508)
    info1 = add_piece(unsealed, [], U(127), io.BytesIO(first), 2 * KIB)
    info2 = add_piece(unsealed, [U(127)], U(508), io.BytesIO(second), 2 * KIB)
    assert (int(info1.size), int(info2.size)) == (128, 512)
    assert info1.piece_cid == commp_from_bytes(first).cid
    assert info2.piece_cid == commp_from_bytes(second).cid
    content = unsealed.read_bytes()
    # The 508-byte piece starts at unpadded 508 = padded 512: 381 filler bytes (384 padded) of zeros.
    assert len(content) == 1024
    assert content[:128] == pad(first)
    assert content[128:512] == bytes(384)
    assert content[512:] == pad(second)
    # The sector's CommD over these pieces equals the CommP of the file's unpadded bytes, zero-filled.
    sector_data = first + bytes(381) + second + bytes(2032 - 1016)
    assert generate_unsealed_cid(2 * KIB, [info1, info2]) == commp_from_bytes(sector_data).cid


def test_pledge_of_a_2kib_sector_is_the_zero_commitment(tmp_path: Path) -> None:
    unsealed = tmp_path / "unsealed"
    info = add_piece(unsealed, [], U(2032), None, 2 * KIB)
    assert info.to_json() == {
        "Size": 2048,
        "PieceCID": {"/": "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy"},
    }
    assert unsealed.read_bytes() == bytes(2048)


def test_pledge_over_existing_content_writes_zeros(tmp_path: Path) -> None:
    unsealed = tmp_path / "unsealed"
    unsealed.write_bytes(b"\xee" * 2048)  # e.g. left over from an earlier attempt
    add_piece(unsealed, [], U(2032), None, 2 * KIB)
    assert unsealed.read_bytes() == bytes(2048)


def test_piece_that_does_not_fit_leaves_the_file_unchanged(tmp_path: Path) -> None:
    unsealed = tmp_path / "unsealed"
    add_piece(unsealed, [], U(127), io.BytesIO(os.urandom(127)), 2 * KIB)
    before = unsealed.read_bytes()
    refused = "piece of '2032' bytes does not fit after '127' bytes .* and '1905' bytes of alignment"
    with pytest.raises(PieceDoesNotFit, match=refused):
        add_piece(unsealed, [U(127)], U(2032), io.BytesIO(os.urandom(2032)), 2 * KIB)
    assert unsealed.read_bytes() == before
    # 127 + 889 filler + 1016 is exactly the sector's 2032 unpadded bytes: that one fits.
    add_piece(unsealed, [U(127)], U(1016), io.BytesIO(os.urandom(1016)), 2 * KIB)
    assert len(unsealed.read_bytes()) == 2048


def test_short_source_leaves_the_file_unchanged(tmp_path: Path) -> None:
    unsealed = tmp_path / "unsealed"
    add_piece(unsealed, [], U(254), io.BytesIO(os.urandom(254)), 2 * KIB)
    before = unsealed.read_bytes()
    with pytest.raises(ShortRead, match="ended after '300' of '508' bytes"):
        add_piece(unsealed, [U(254)], U(508), io.BytesIO(os.urandom(300)), 2 * KIB)
    assert unsealed.read_bytes() == before


def test_short_source_over_existing_content_restores_it(tmp_path: Path) -> None:
    unsealed = tmp_path / "unsealed"
    original = os.urandom(2048)
    unsealed.write_bytes(original)
    with pytest.raises(ShortRead):
        add_piece(unsealed, [], U(1016), io.BytesIO(os.urandom(1000)), 2 * KIB)
    assert unsealed.read_bytes() == original


def test_failed_first_piece_leaves_no_file(tmp_path: Path) -> None:
    unsealed = tmp_path / "unsealed"
    with pytest.raises(ShortRead):
        add_piece(unsealed, [], U(127), io.BytesIO(b"short"), 2 * KIB)
    assert not unsealed.exists()


def test_bad_piece_size_is_refused_before_touching_the_file(tmp_path: Path) -> None:
    unsealed = tmp_path / "unsealed"
    with pytest.raises(InvalidPieceSize, match="power of 2 multiple of 127"):
        add_piece(unsealed, [], U(200), io.BytesIO(bytes(200)), 2 * KIB)
    assert not unsealed.exists()


def test_large_pledge_does_not_hold_the_piece_in_memory(tmp_path: Path) -> None:
    unsealed = tmp_path / "unsealed"
    tracemalloc.start()
    try:
        info = add_piece(unsealed, [], U(8 * MIB // 128 * 127), None, 8 * MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * MIB
    assert str(info.piece_cid) == "baga6ea4seaqgl4u6lwmnerwdrm4iz7ag3mpwwaqtapc2fciabpooqmvjypweeha"
    assert unsealed.stat().st_size == 8 * MIB
    with open(unsealed, "rb") as f:
        assert f.read(1 * MIB) == bytes(1 * MIB)  # it reads as zeros (a sparse hole here)
