"""Big integers on the wire and FIL amounts, against go-state-types and Lotus ``types.FIL``.

Sources: Lotus ``chain/types/fil_test.go`` ``TestFilShort`` (its whole table, typed in),
``bigint_test.go`` ``TestBigIntSerializationRoundTrip`` and ``TestFilRoundTrip`` (their values), and
``fil.go``'s ``ParseFIL`` refusals; go-state-types ``big/int.go`` for the byte form (reference/api-examples.md
§4.1: empty for 0, sign byte then big-endian magnitude).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pylotus.chain.bigint import (
    FIL_PRECISION,
    TokenAmount,
    bigint_from_bytes,
    bigint_from_json,
    bigint_to_bytes,
    bigint_to_json,
    parse_fil,
)
from pylotus.chain.errors import ChainError, InvalidAmount

# -- byte and JSON forms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "hex_bytes"),
    [
        (0, ""),
        (1, "0001"),
        (234, "00ea"),
        (100000, "000186a0"),
        (-1, "0101"),
        (-256, "010100"),
        (10**18, "000de0b6b3a7640000"),
    ],
)
def test_bigint_bytes(value: int, hex_bytes: str) -> None:
    assert bigint_to_bytes(value).hex() == hex_bytes
    assert bigint_from_bytes(bytes.fromhex(hex_bytes)) == value


@pytest.mark.parametrize(
    "text", ["0", "1", "10", "-10", "9999", "12345678901234567891234567890123456789012345678901234567890"]
)
def test_bigint_round_trips_as_lotus_test(text: str) -> None:
    value = bigint_from_json(text)
    assert bigint_from_bytes(bigint_to_bytes(value)) == value
    assert bigint_to_json(value) == text


@given(st.integers(-(2 ** (8 * 127)) + 1, 2 ** (8 * 127) - 1))
def test_bigint_bytes_round_trip(value: int) -> None:
    raw = bigint_to_bytes(value)
    assert len(raw) <= 128
    assert bigint_from_bytes(raw) == value
    assert TokenAmount.from_bytes(TokenAmount(value).to_bytes()) == TokenAmount(value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("02ff", "big int prefix should be either 0 or 1, got 2"),
        ("00", "big int bytes '00' are not canonical"),
        ("01", "big int bytes '01' are not canonical"),
        ("000001", "big int bytes '000001' are not canonical"),
        ("00" + "ff" * 128, r"big integer byte array too long \(129 bytes\)"),
    ],
)
def test_bigint_bytes_refusals(raw: str, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=reason):
        bigint_from_bytes(bytes.fromhex(raw))


def test_amounts_too_large_for_the_wire_are_refused() -> None:
    with pytest.raises(InvalidAmount, match=r"big integer byte array too long \(129 bytes\)"):
        bigint_to_bytes(2 ** (8 * 127))
    with pytest.raises(InvalidAmount, match="does not fit 128 bytes"):
        TokenAmount(2 ** (8 * 127))
    assert TokenAmount(2 ** (8 * 127) - 1).to_bytes()[0] == 0


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("-5", -5), ("+5", 5), ("007", 7)])
def test_bigint_json_accepts_what_go_set_string_accepts(text: str, value: int) -> None:
    assert bigint_from_json(text) == value
    assert TokenAmount.from_json(text) == TokenAmount(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (5, "big int must be a json string of decimal digits, got 5"),
        (None, "got None"),
        ("", "failed to parse big string: ''"),
        ("1.5", "failed to parse big string: '1.5'"),
        ("1e3", "failed to parse big string: '1e3'"),
        (" 1", "failed to parse big string: ' 1'"),
        ("0x10", "failed to parse big string: '0x10'"),
        ("١", "failed to parse big string"),  # a non-ASCII digit
    ],
)
def test_bigint_json_refusals(value: object, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=reason):
        bigint_from_json(value)  # type: ignore[arg-type]


# -- TokenAmount -----------------------------------------------------------------------------------------


def test_token_amount_arithmetic_and_order() -> None:
    one = TokenAmount.from_fil(1)
    assert one == TokenAmount(FIL_PRECISION)
    assert one + TokenAmount(5) - TokenAmount(5) == one
    assert TokenAmount(7) * 3 == 3 * TokenAmount(7) == TokenAmount(21)
    assert TokenAmount(7) // 2 == TokenAmount(3)
    assert -TokenAmount(7) == TokenAmount(-7)
    assert abs(TokenAmount(-7)) == TokenAmount(7)
    assert TokenAmount(1) < TokenAmount(2) <= TokenAmount(2)
    assert max(TokenAmount(1), TokenAmount(3)) == TokenAmount(3)
    assert not TokenAmount(0)
    assert TokenAmount(1)
    assert int(TokenAmount(42)) == 42
    assert TokenAmount(42).to_json() == "42"
    assert hash(TokenAmount(42)) == hash(TokenAmount(42))


def test_token_amount_refuses_what_is_not_an_amount() -> None:
    with pytest.raises(InvalidAmount, match="must be an integer of attoFIL, got 1.5"):
        TokenAmount(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount, match="got True"):
        TokenAmount(True)
    with pytest.raises(TypeError):
        TokenAmount(1) + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        TokenAmount(1) * TokenAmount(2)  # type: ignore[operator]
    assert issubclass(InvalidAmount, ChainError)


# -- FIL formatting, as Lotus types.FIL -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("atto", "text"),
    [
        (0, "0 FIL"),
        (FIL_PRECISION, "1 FIL"),
        (FIL_PRECISION // 2, "0.5 FIL"),
        (1000, "0.000000000000001 FIL"),
        (1, "0.000000000000000001 FIL"),
        (-3 * FIL_PRECISION // 2, "-1.5 FIL"),
        (123456 * FIL_PRECISION + 234123445 * 10**9, "123456.234123445 FIL"),
    ],
)
def test_str_is_lotus_fil_string(atto: int, text: str) -> None:
    assert str(TokenAmount(atto)) == text


@pytest.mark.parametrize(
    "text", ["0 FIL", "1 FIL", "1.001 FIL", "100.10001 FIL", "101100 FIL", "5000.01 FIL", "5000 FIL"]
)
def test_fil_round_trip_as_lotus_test(text: str) -> None:
    assert str(parse_fil(text)) == text


# fil_test.go TestFilShort: ParseFIL(fil).Short() == expect.
FIL_SHORT = [
    ("1", "1 FIL"),
    ("1.1", "1.1 FIL"),
    ("12", "12 FIL"),
    ("123", "123 FIL"),
    ("123456", "123456 FIL"),
    ("123.23", "123.23 FIL"),
    ("123456.234", "123456.234 FIL"),
    ("123456.2341234", "123456.234 FIL"),
    ("123456.234123445", "123456.234 FIL"),
    ("0.1", "100 mFIL"),
    ("0.01", "10 mFIL"),
    ("0.001", "1 mFIL"),
    ("0.0001", "100 μFIL"),
    ("0.00001", "10 μFIL"),
    ("0.000001", "1 μFIL"),
    ("0.0000001", "100 nFIL"),
    ("0.00000001", "10 nFIL"),
    ("0.000000001", "1 nFIL"),
    ("0.0000000001", "100 pFIL"),
    ("0.00000000001", "10 pFIL"),
    ("0.000000000001", "1 pFIL"),
    ("0.0000000000001", "100 fFIL"),
    ("0.00000000000001", "10 fFIL"),
    ("0.000000000000001", "1 fFIL"),
    ("0.0000000000000001", "100 aFIL"),
    ("0.00000000000000001", "10 aFIL"),
    ("0.000000000000000001", "1 aFIL"),
    ("0.0000012", "1.2 μFIL"),
    ("0.00000123", "1.23 μFIL"),
    ("0.000001234", "1.234 μFIL"),
    ("0.0000012344", "1.234 μFIL"),
    ("0.00000123444", "1.234 μFIL"),
    ("0.0002212", "221.2 μFIL"),
    ("0.00022123", "221.23 μFIL"),
    ("0.000221234", "221.234 μFIL"),
    ("0.0002212344", "221.234 μFIL"),
    ("0.00022123444", "221.234 μFIL"),
]


@pytest.mark.parametrize(
    ("fil", "expect"), FIL_SHORT + [("-" + fil, "-" + expect) for fil, expect in FIL_SHORT]
)
def test_short_as_lotus_test(fil: str, expect: str) -> None:
    assert parse_fil(fil).short() == expect


def test_short_rounds_half_away_from_zero_and_zero_has_no_unit() -> None:
    assert parse_fil("0.0000012345").short() == "1.235 μFIL"  # big.Rat.FloatString rounding
    assert parse_fil("-0.0000012345").short() == "-1.235 μFIL"
    assert parse_fil("0.9999999").short() == "1000 mFIL"
    assert TokenAmount(0).short() == "0"


def test_nano_and_unitless() -> None:
    assert TokenAmount(1_500_000_000).nano() == "1.5 nFIL"
    assert TokenAmount(1).nano() == "0.000000001 nFIL"
    assert TokenAmount(0).nano() == "0"
    assert TokenAmount(FIL_PRECISION * 3 // 2).unitless() == "1.5"
    assert TokenAmount(0).unitless() == "0"


# -- parsing, as Lotus ParseFIL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "atto"),
    [
        ("1", FIL_PRECISION),
        ("1fil", FIL_PRECISION),
        ("1 FIL", FIL_PRECISION),
        ("1 FIL ", FIL_PRECISION),
        ("0.5 FIL", FIL_PRECISION // 2),
        (".5", FIL_PRECISION // 2),
        ("5.", 5 * FIL_PRECISION),
        ("007", 7 * FIL_PRECISION),
        ("-2", -2 * FIL_PRECISION),
        ("1000 attoFIL", 1000),
        ("1000attofil", 1000),
        ("7 aFIL", 7),
        ("0.000000000000000001", 1),
        ("1 ", FIL_PRECISION),
    ],
)
def test_parse_fil_accepts(text: str, atto: int) -> None:
    assert parse_fil(text) == TokenAmount(atto)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10 milliFIL", "unrecognized suffix: ' milliFIL'; use FIL or attoFIL"),
        ("1e3", "unrecognized suffix: 'e3'"),
        (" 1", "unrecognized suffix: ' 1'"),
        ("+1", "unrecognized suffix: '\\+1'"),
        ("0x10", "unrecognized suffix: 'x10'"),
        ("", "failed to parse '' as a decimal number"),
        ("FIL", "failed to parse '' as a decimal number"),
        (".", "failed to parse '.' as a decimal number"),
        ("1.2.3", "failed to parse '1.2.3' as a decimal number"),
        ("1-2", "failed to parse '1-2' as a decimal number"),
        ("--1", "failed to parse '--1' as a decimal number"),
        ("1" * 51, "string length too large: 51"),
        ("0.0000000000000000001", "invalid FIL value: '0.0000000000000000001'"),
        ("1.5 attoFIL", "invalid attoFIL value: '1.5'"),
    ],
)
def test_parse_fil_refusals(text: str, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=reason) as caught:
        parse_fil(text)
    assert str(caught.value).startswith("invalid amount '")


@given(st.integers(-(10**30), 10**30))
def test_parse_fil_reads_back_both_printed_forms(atto: int) -> None:
    amount = TokenAmount(atto)
    assert parse_fil(str(amount)) == amount
    assert parse_fil(f"{atto} attoFIL") == amount
