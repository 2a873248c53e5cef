"""Lotus JSON conventions: what each codec accepts, refuses, and writes."""

from __future__ import annotations

import pytest

from pylotus.jsonrpc.codec import (
    ADDRESS,
    BIGINT,
    BOOL,
    BYTES,
    CID_CODEC,
    INT64,
    STRING,
    UINT64,
    ListOf,
    Nullable,
)
from pylotus.jsonrpc.errors import CodecError

COMMD = "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy"


def test_bytes_are_padded_standard_base64_like_go() -> None:
    assert BYTES.encode(b"\x00\x01\xfe\xff") == "AAH+/w=="
    assert BYTES.decode("AAH+/w==") == b"\x00\x01\xfe\xff"
    assert BYTES.decode(None) == b""


@pytest.mark.parametrize("bad", ["AAH-_w==", "not base64!", "AAH", 12, [1]])
def test_bytes_refuse_url_alphabet_garbage_and_non_strings(bad: object) -> None:
    with pytest.raises(CodecError):
        BYTES.decode(bad)  # type: ignore[arg-type]


def test_big_ints_are_decimal_strings() -> None:
    assert BIGINT.encode(10**30) == "1000000000000000000000000000000"
    assert BIGINT.decode("-42") == -42
    for bad in ["1e3", "", "0x10", 5, None, " 1"]:
        with pytest.raises(CodecError):
            BIGINT.decode(bad)  # type: ignore[arg-type]


def test_integers_are_range_checked_like_go() -> None:
    assert UINT64.decode(2**64 - 1) == 2**64 - 1
    with pytest.raises(CodecError, match="uint64"):
        UINT64.decode(-1)
    with pytest.raises(CodecError, match="cannot unmarshal string into Go value of type int64"):
        INT64.decode("5")
    with pytest.raises(CodecError):
        INT64.decode(True)  # a JSON bool is not a number in Go
    with pytest.raises(CodecError):
        INT64.decode(3.0)  # Go refuses 3.0 for an int64


def test_bool_and_string_refuse_other_types() -> None:
    assert BOOL.decode(False) is False
    with pytest.raises(CodecError):
        BOOL.decode(0)
    with pytest.raises(CodecError, match="cannot unmarshal number into Go value of type string"):
        STRING.decode(1)


def test_cids_are_slash_objects() -> None:
    cid = CID_CODEC.decode({"/": COMMD})
    assert str(cid) == COMMD
    assert CID_CODEC.encode(cid) == {"/": COMMD}
    for bad in [COMMD, {"/": "bafy-not-a-cid"}, {"/": COMMD, "x": 1}, {"cid": COMMD}, None]:
        with pytest.raises(CodecError):
            CID_CODEC.decode(bad)  # type: ignore[arg-type]


def test_addresses_are_strings_and_invalid_ones_are_refused_with_a_reason() -> None:
    addr = ADDRESS.decode("t01000")
    assert ADDRESS.encode(addr) == "t01000"
    with pytest.raises(CodecError, match="t0x"):
        ADDRESS.decode("t0x")


def test_nil_slices_decode_to_empty_lists_and_pointers_to_none() -> None:
    strings = ListOf(STRING)
    assert strings.name == "[]string"
    assert strings.decode(None) == []
    assert strings.decode(["a", "b"]) == ["a", "b"]
    with pytest.raises(CodecError):
        strings.decode(["a", 1])
    maybe = Nullable(UINT64)
    assert maybe.decode(None) is None
    assert maybe.encode(None) is None
    assert maybe.decode(7) == 7
