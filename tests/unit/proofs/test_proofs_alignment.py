"""Piece alignment in a sector: rust-fil-proofs' tables (reference/proofs.md §1.3)."""

from __future__ import annotations

import pytest

from pylotus.proofs import (
    PieceAlignment,
    get_piece_alignment,
    get_piece_start_byte,
    sum_piece_bytes_with_alignment,
)


@pytest.mark.parametrize(
    "written,piece,left,right",
    # RFP filecoin-proofs tests/pieces.rs test_get_piece_alignment, every row.
    [
        (0, 0, 0, 127),
        (0, 127, 0, 0),
        (0, 254, 0, 0),
        (0, 508, 0, 0),
        (0, 1016, 0, 0),
        (127, 127, 0, 0),
        (127, 254, 127, 0),
        (127, 508, 381, 0),
        (100, 100, 27, 27),
        (200, 200, 54, 54),
        (300, 300, 208, 208),
    ],
)
def test_get_piece_alignment(written: int, piece: int, left: int, right: int) -> None:
    assert get_piece_alignment(written, piece) == PieceAlignment(left, right)  # type: ignore[arg-type]


def test_get_piece_start_byte() -> None:
    # RFP pieces.rs test_get_piece_start_byte: pieces 31, 32, 33 start at 0, 127, 254.
    pieces = [31, 32, 33]
    assert [get_piece_start_byte(pieces[:i], pieces[i]) for i in range(3)] == [0, 127, 254]


def test_sum_with_alignment() -> None:
    # A(127) then B(508): B waits for offset 508, so 381 filler bytes, then B ends at 1016.
    assert sum_piece_bytes_with_alignment([127, 508]) == 1016
    assert sum_piece_bytes_with_alignment([]) == 0
    assert get_piece_alignment(0, 508).total(508) == 508
