"""Padded and unpadded piece sizes against go-state-types abi/piece.go."""

from __future__ import annotations

import json

import pytest

from pylotus.abi import InvalidPieceSize, PaddedPieceSize, UnpaddedPieceSize


@pytest.mark.parametrize(
    ("unpadded", "padded"),
    [
        (127, 128),
        (254, 256),
        (508, 512),
        (1016, 1024),
        (2032, 2048),
        (8323072, 8388608),
        (532676608, 536870912),
        (34091302912, 34359738368),
        (68182605824, 68719476736),
    ],
)
def test_conversions_both_ways(unpadded: int, padded: int) -> None:
    assert UnpaddedPieceSize(unpadded).padded() == padded
    assert PaddedPieceSize(padded).unpadded() == unpadded
    assert type(UnpaddedPieceSize(unpadded).padded()) is PaddedPieceSize
    assert type(PaddedPieceSize(padded).unpadded()) is UnpaddedPieceSize
    UnpaddedPieceSize(unpadded).validate()
    PaddedPieceSize(padded).validate()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "minimum piece size is 127 bytes, got '0'"),
        (126, "minimum piece size is 127 bytes, got '126'"),
        (128, "unpadded piece size must be a power of 2 multiple of 127, got '128'"),
        (2048, "unpadded piece size must be a power of 2 multiple of 127, got '2048'"),
        (381, "unpadded piece size must be a power of 2 multiple of 127, got '381'"),  # 3·127
        (2000, "unpadded piece size must be a power of 2 multiple of 127, got '2000'"),
    ],
)
def test_unpadded_validate_refuses(value: int, message: str) -> None:
    with pytest.raises(InvalidPieceSize) as info:
        UnpaddedPieceSize(value).validate()
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "minimum padded piece size is 128 bytes, got '0'"),
        (64, "minimum padded piece size is 128 bytes, got '64'"),
        (127, "minimum padded piece size is 128 bytes, got '127'"),
        (129, "padded piece size must be a power of 2, got '129'"),
        (2032, "padded piece size must be a power of 2, got '2032'"),
        (3072, "padded piece size must be a power of 2, got '3072'"),
    ],
)
def test_padded_validate_refuses(value: int, message: str) -> None:
    with pytest.raises(InvalidPieceSize) as info:
        PaddedPieceSize(value).validate()
    assert str(info.value) == message


def test_negative_and_oversized_refused_on_construction() -> None:
    with pytest.raises(InvalidPieceSize):
        UnpaddedPieceSize(-127)
    with pytest.raises(InvalidPieceSize):
        PaddedPieceSize(-1)
    with pytest.raises(InvalidPieceSize):
        PaddedPieceSize(2**64)


def test_non_int_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        PaddedPieceSize("2048")  # type: ignore[arg-type]  # misuse on purpose
    with pytest.raises(TypeError):
        UnpaddedPieceSize(True)


def test_behaves_as_a_json_number() -> None:
    assert json.dumps({"Size": PaddedPieceSize(2048)}) == '{"Size": 2048}'
    assert repr(PaddedPieceSize(2048)) == "PaddedPieceSize(2048)"
    assert repr(UnpaddedPieceSize(2032)) == "UnpaddedPieceSize(2032)"
    # Arithmetic leaves the piece-size type: a sum of pieces is not a piece.
    assert type(PaddedPieceSize(128) + PaddedPieceSize(128)) is int
