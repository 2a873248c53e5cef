"""Message receipts (both CBOR versions, Lotus JSON) and the exit codes they carry.

Sources: Lotus ``chain/types/message_receipt_test.go`` (the receipt ``0, 00010204, 42`` and its events
root CID, in both versions), reference/api-examples.md §3 ``StateWaitMsg`` (the receipt's JSON keys),
go-state-types ``exitcode/reserved.go``, ``common.go``, ``names.go`` (numbers and names).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID

from pylotus.chain.dagcbor import block_cid
from pylotus.chain.errors import InvalidMessage
from pylotus.chain.exitcode import (
    FIRST_ACTOR_ERROR_CODE,
    FIRST_ACTOR_SPECIFIC_EXIT_CODE,
    ExitCode,
    exit_code_name,
)
from pylotus.chain.types_receipt import MessageReceipt, ReceiptVersion

EVENTS_ROOT = CID.decode("bafy2bzacecu7n7wbtogznrtuuvf73dsz7wasgyneqasksdblxupnyovmtwxxu")


def test_version_0_receipt_is_three_fields() -> None:
    receipt = MessageReceipt(exit_code=0, return_value=bytes([0, 1, 2, 4]), gas_used=42)
    assert receipt.to_cbor().hex() == "83004400010204182a"
    assert MessageReceipt.from_cbor(receipt.to_cbor()) == receipt


def test_version_1_receipt_carries_the_events_root_or_null() -> None:
    receipt = MessageReceipt(
        exit_code=0,
        return_value=bytes([0, 1, 2, 4]),
        gas_used=42,
        events_root=EVENTS_ROOT,
        version=ReceiptVersion.V1,
    )
    assert receipt.to_cbor().hex() == "84004400010204182ad82a5827" + "00" + bytes(EVENTS_ROOT).hex()
    assert MessageReceipt.from_cbor(receipt.to_cbor()) == receipt
    empty = MessageReceipt(exit_code=7, gas_used=5, version=ReceiptVersion.V1)
    assert empty.to_cbor().hex() == "840740" + "05" + "f6"
    assert MessageReceipt.from_cbor(empty.to_cbor()) == empty


def test_negative_exit_codes_and_gas_are_int64() -> None:
    receipt = MessageReceipt(exit_code=-1, gas_used=-(2**63))
    assert receipt.to_cbor().hex() == "8320403b7fffffffffffffff"
    assert MessageReceipt.from_cbor(receipt.to_cbor()) == receipt


def test_receipt_json_has_lotus_keys() -> None:
    receipt = MessageReceipt(
        exit_code=ExitCode.ERR_FORBIDDEN,
        return_value=b"byte array",
        gas_used=9,
        events_root=EVENTS_ROOT,
        version=ReceiptVersion.V1,
    )
    wire = receipt.to_json()
    assert list(wire) == ["ExitCode", "Return", "GasUsed", "EventsRoot"]  # StateWaitMsg's Receipt
    assert wire == {
        "ExitCode": 18,
        "Return": "Ynl0ZSBhcnJheQ==",
        "GasUsed": 9,
        "EventsRoot": {"/": str(EVENTS_ROOT)},
    }
    assert json.dumps(wire["ExitCode"]) == "18"  # a plain number, not an enum name
    assert MessageReceipt.from_json(wire) == receipt
    plain = MessageReceipt(exit_code=0)
    assert plain.to_json() == {"ExitCode": 0, "Return": None, "GasUsed": 0, "EventsRoot": None}
    assert MessageReceipt.from_json(plain.to_json()) == plain
    assert MessageReceipt.from_json({}) == plain  # Go's zero values


@pytest.mark.parametrize(
    ("hex_cbor", "reason"),
    [
        ("820000", r"wrong number of fields \(got 2, want 3 or 4\)"),
        ("a0", "should be of type array"),
        ("83f44000", "'ExitCode': wrong type for int64 field"),
        ("83000000", "'Return': expected byte array"),
        ("830040f6", "'GasUsed': wrong type for int64 field"),
        ("8400400001", "'EventsRoot': want a cid or null"),
        ("830040", "invalid receipt cbor: invalid cbor"),
    ],
)
def test_receipt_cbor_refusals(hex_cbor: str, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        MessageReceipt.from_cbor(bytes.fromhex(hex_cbor))


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ({"ExitCode": "0"}, "'ExitCode': cannot unmarshal '0' into int64"),
        ({"GasUsed": 2**63}, "'GasUsed': number 9223372036854775808 overflows int64"),
        ({"Return": 5}, "'Return': want a base64 string"),
        ({"EventsRoot": "bafy"}, "'EventsRoot': cid must be a json object"),
        ([], "invalid receipt json: want an object"),
    ],
)
def test_receipt_json_refusals(wire: object, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        MessageReceipt.from_json(wire)  # type: ignore[arg-type]


def test_receipt_construction_checks() -> None:
    with pytest.raises(InvalidMessage, match="version 0 receipt cannot carry an events root"):
        MessageReceipt(exit_code=0, events_root=EVENTS_ROOT)
    with pytest.raises(InvalidMessage, match="'exit_code' is out of int64 range"):
        MessageReceipt(exit_code=2**63)
    with pytest.raises(TypeError, match="events_root must be a CID"):
        MessageReceipt(exit_code=0, events_root="bafy", version=1)  # type: ignore[arg-type]
    assert MessageReceipt(exit_code=ExitCode.OK).is_success
    assert not MessageReceipt(exit_code=ExitCode.SYS_ERR_OUT_OF_GAS).is_success
    assert type(MessageReceipt(exit_code=ExitCode.OK).exit_code) is int


@given(
    st.integers(-(2**63), 2**63 - 1),
    st.binary(max_size=100),
    st.integers(-(2**63), 2**63 - 1),
    st.none() | st.builds(block_cid, st.binary(max_size=8)),
    st.booleans(),
)
def test_receipt_round_trips(exit_code: int, ret: bytes, gas: int, root: CID | None, v1: bool) -> None:
    version = ReceiptVersion.V1 if v1 or root is not None else ReceiptVersion.V0
    receipt = MessageReceipt(
        exit_code=exit_code, return_value=ret, gas_used=gas, events_root=root, version=version
    )
    assert MessageReceipt.from_cbor(receipt.to_cbor()) == receipt
    from_json = MessageReceipt.from_json(json.loads(json.dumps(receipt.to_json())))
    assert from_json.to_json() == receipt.to_json()


# -- exit codes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "name"),
    [
        (ExitCode.OK, 0, "Ok(0)"),
        (ExitCode.SYS_ERR_SENDER_INVALID, 1, "SysErrSenderInvalid(1)"),
        (ExitCode.SYS_ERR_SENDER_STATE_INVALID, 2, "SysErrSenderStateInvalid(2)"),
        (ExitCode.SYS_ERR_INVALID_METHOD, 3, "SysErrReserved1(3)"),  # names.go keeps the reserved name
        (ExitCode.SYS_ERR_ILLEGAL_INSTRUCTION, 4, "SysErrIllegalInstruction(4)"),
        (ExitCode.SYS_ERR_INVALID_RECEIVER, 5, "SysErrInvalidReceiver(5)"),
        (ExitCode.SYS_ERR_INSUFFICIENT_FUNDS, 6, "SysErrInsufficientFunds(6)"),
        (ExitCode.SYS_ERR_OUT_OF_GAS, 7, "SysErrOutOfGas(7)"),
        (ExitCode.SYS_ERR_FORBIDDEN, 8, "SysErrReserved2(8)"),
        (ExitCode.SYS_ERR_ILLEGAL_EXIT_CODE, 9, "SysErrIllegalExitCode(9)"),
        (ExitCode.SYS_ERR_FATAL, 10, "SysFatal(10)"),
        (ExitCode.SYS_ERR_MISSING_RETURN, 11, "SysErrMissingReturn(11)"),
        (ExitCode.ERR_ILLEGAL_ARGUMENT, 16, "ErrIllegalArgument(16)"),
        (ExitCode.ERR_NOT_FOUND, 17, "ErrNotFound(17)"),
        (ExitCode.ERR_FORBIDDEN, 18, "ErrForbidden(18)"),
        (ExitCode.ERR_INSUFFICIENT_FUNDS, 19, "ErrInsufficientFunds(19)"),
        (ExitCode.ERR_ILLEGAL_STATE, 20, "ErrIllegalState(20)"),
        (ExitCode.ERR_SERIALIZATION, 21, "ErrSerialization(21)"),
        (ExitCode.ERR_UNHANDLED_MESSAGE, 22, "ErrUnhandledMessage(22)"),
        (ExitCode.ERR_UNSPECIFIED, 23, "ErrUnspecified(23)"),
        (ExitCode.ERR_ASSERTION_FAILED, 24, "ErrAssertionFailed(24)"),
        (ExitCode.ERR_READ_ONLY, 25, "ErrReadOnly(25)"),
        (ExitCode.ERR_NOT_PAYABLE, 26, "ErrNotPayable(26)"),
    ],
)
def test_exit_codes_have_go_state_types_numbers_and_names(code: ExitCode, value: int, name: str) -> None:
    assert code == value
    assert str(code) == name
    assert exit_code_name(value) == name


def test_actor_specific_codes_print_as_numbers() -> None:
    assert int(ExitCode.ERR_ILLEGAL_ARGUMENT) == FIRST_ACTOR_ERROR_CODE
    assert FIRST_ACTOR_SPECIFIC_EXIT_CODE == 32
    assert exit_code_name(33) == "33"
    assert exit_code_name(-1) == "-1"
    assert ExitCode(3).name == "SYS_ERR_RESERVED_1"  # SYS_ERR_INVALID_METHOD is its alias
