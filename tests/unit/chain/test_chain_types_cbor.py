"""DAG-CBOR: canonical encoding, CIDs as tag 42, and every non-canonical or foreign form refused.

Expected bytes are RFC 8949 encodings worked by hand (appendix A's examples where it has one); the
tag-42 layout is the IPLD DAG-CBOR spec's (``d8 2a``, a byte string, ``00`` then the CID bytes).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID

from pylotus.chain import dagcbor
from pylotus.chain.errors import InvalidCbor

VECTOR1_CID = "bafy2bzaced5rdpz57e64sc7mdwjn3blicglhpialnrph2dlbufhf6iha63dmc"
VECTOR1_CID_BYTES = "0171a0e40220fb11bf3df93dc90bec1d92dd8568119677a00b6c5e7d0d61a14e5f20e0f6c6c1"


@pytest.mark.parametrize(
    ("value", "hex_cbor"),
    [
        (0, "00"),
        (23, "17"),
        (24, "1818"),
        (1000, "1903e8"),
        (2**64 - 1, "1bffffffffffffffff"),
        (-1, "20"),
        (-(2**64), "3bffffffffffffffff"),
        (b"", "40"),
        (b"hai", "43686169"),
        ("a", "6161"),
        ([], "80"),
        ([1, [2, 3]], "8201820203"),
        ((1, 2), "820102"),
        (None, "f6"),
        (True, "f5"),
        (False, "f4"),
        ({"b": 1, "a": 2, "aa": 3}, "a3616102616201626161" + "03"),  # length-first key order
    ],
)
def test_canonical_encoding(value: dagcbor.IpldValue, hex_cbor: str) -> None:
    assert dagcbor.encode(value).hex() == hex_cbor
    decoded = dagcbor.decode(bytes.fromhex(hex_cbor))
    assert decoded == (list(value) if isinstance(value, tuple) else value)


def test_cid_is_tag_42_around_the_identity_prefixed_bytes() -> None:
    cid = CID.decode(VECTOR1_CID)
    encoded = dagcbor.encode([cid])
    assert encoded.hex() == "81d82a5827" + "00" + VECTOR1_CID_BYTES
    decoded = dagcbor.decode(encoded)
    assert decoded == [cid]
    assert isinstance(decoded, list)
    assert str(decoded[0]) == VECTOR1_CID  # base32, as Lotus prints it


def test_block_cid_is_dag_cbor_blake2b_256() -> None:
    cid = dagcbor.block_cid(bytes.fromhex("8a00420004420000182240187b4200ea4200ea0643686169"))
    assert str(cid) == VECTOR1_CID
    assert bytes(cid).hex() == VECTOR1_CID_BYTES


@pytest.mark.parametrize(
    ("hex_cbor", "reason"),
    [
        ("1801", "not canonical"),  # 1 in a 2-byte header
        ("190001", "not canonical"),
        ("5801ff", "not canonical"),  # a 1-byte string with a 1-byte length
        ("a2616201616102", "not canonical"),  # keys out of order
        ("c24101", "not canonical"),  # bignum tag for 1
        ("c249010000000000000000", "does not fit cbor's 64-bit integers"),  # bignum 2^64
        ("f93c00", "floats are not allowed"),
        ("fb3ff0000000000000", "floats are not allowed"),
        ("f7", "is not allowed in dag-cbor"),  # undefined
        ("e0", "is not allowed in dag-cbor"),  # simple value 0
        ("c074323031332d30332d32315432303a30343a30305a", "is not allowed in dag-cbor"),  # date tag
        ("d9ffff00", "tag '65535' is not allowed in dag-cbor, only 42"),
        ("c600", "tag '6' is not allowed"),
        ("d82a4101", "tag 42 must hold a byte string starting 0x00"),
        ("d82a6161", "tag 42 must hold a byte string starting 0x00"),
        ("d82a420001", "tag 42 holds an invalid cid"),
        ("a10102", "map keys must be strings"),
        ("9f01ff", "indefinite length"),
        ("5f4101ff", "indefinite length"),
        ("a2616101616102", "Duplicate map key"),
        ("62c328", "invalid cbor: error decoding text string"),  # invalid utf-8
        ("", "invalid cbor: premature end of stream"),
        ("8201", "invalid cbor: premature end of stream"),
        ("5b0fffffffffffffff00", "invalid cbor: premature end of stream"),  # a 2^60-byte promise
        ("0000", "1 bytes after the end of the value"),
    ],
)
def test_decode_refusals(hex_cbor: str, reason: str) -> None:
    with pytest.raises(InvalidCbor, match=reason) as caught:
        dagcbor.decode(bytes.fromhex(hex_cbor))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1.5, "cannot encode a value of type float"),
        (2**64, "does not fit cbor's 64-bit integers"),
        (-(2**64) - 1, "does not fit"),
        ({1: 2}, "map keys must be strings, got int"),
        ({"a": {1, 2}}, "cannot encode a value of type set"),
    ],
)
def test_encode_refusals(value: object, reason: str) -> None:
    with pytest.raises(InvalidCbor, match=reason):
        dagcbor.encode(value)  # type: ignore[arg-type]


def test_hostile_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(InvalidCbor):
        dagcbor.decode(b"\x81" * 10_000 + b"\x00")


IPLD = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64 - 1)
    | st.binary(max_size=64)
    | st.text(max_size=16)
    | st.builds(dagcbor.block_cid, st.binary(max_size=8)),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@given(IPLD)
def test_every_value_round_trips_and_encodes_once(value: dagcbor.IpldValue) -> None:
    encoded = dagcbor.encode(value)
    decoded = dagcbor.decode(encoded)
    assert decoded == value
    assert dagcbor.encode(decoded) == encoded
