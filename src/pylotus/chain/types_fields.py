"""Readers and checks of Go-typed fields, shared by the chain types (messages, receipts, later blocks).

Counterparts: the checks cbor-gen generates into Lotus ``chain/types/cbor_gen.go`` (``wrong type for
uint64 field``, ``cbor input had wrong number of fields``, ``byte array too large``) and Go
``encoding/json``'s rules for the same fields (a missing or ``null`` number is zero, a number where a
string belongs is refused, ``[]byte`` is standard base64).

Every reader raises :class:`~pylotus.chain.errors.InvalidMessage` whose text starts with
``invalid <what> cbor:`` or ``invalid <what> json:`` and names the field with Lotus's key
(``'GasLimit'``), so a refusal says which object, which encoding and which field.  Nothing here is
public outside ``chain/``: the types modules re-export what callers need.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

from pylotus.abi import Address, InvalidAddress, JsonObject

from . import dagcbor
from .bigint import TokenAmount
from .errors import InvalidAmount, InvalidCbor, InvalidMessage

__all__ = [
    "BYTE_ARRAY_MAX_LEN",
    "INT64_MAX",
    "INT64_MIN",
    "UINT64_MAX",
    "cbor_address",
    "cbor_amount",
    "cbor_array",
    "cbor_bytes",
    "cbor_int64",
    "cbor_uint64",
    "check_bytes",
    "check_int",
    "decode",
    "described",
    "json_address",
    "json_amount",
    "json_bytes",
    "json_int",
    "json_object",
    "require_type",
]

BYTE_ARRAY_MAX_LEN: Final = 2 << 20
"""Longest byte field cbor-gen encodes or decodes, 2 MiB (``cbg.ByteArrayMaxLen``)."""

UINT64_MAX: Final = 2**64 - 1
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1


def _kind(obj: object) -> str:
    # "MessageReceipt" -> "message receipt", for messages that start lower case.
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type(obj).__name__).lower()


def described(value: object) -> str:
    """``repr(value)`` cut to 100 characters, for a message about a value of the wrong type."""
    text = repr(value)
    return text[:97] + "..." if len(text) > 100 else text


# -- construction checks (dataclass __post_init__) ----------------------------------------------------


def require_type(obj: object, name: str, kind: type) -> None:
    """Raise ``TypeError`` (misuse: decoders check types first) unless ``obj.name`` is a ``kind``."""
    value = getattr(obj, name)
    if not isinstance(value, kind):
        raise TypeError(f"{type(obj).__name__}.{name} must be a {kind.__name__}, got {described(value)}")


def check_int(obj: object, name: str, low: int, high: int, go_type: str) -> None:
    """Check that the frozen dataclass field ``obj.name`` is an ``int`` in ``low..high``.

    Raises:
        TypeError: not an ``int`` (``bool`` included).
        InvalidMessage: out of the Go type's range.
    """
    value = getattr(obj, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{type(obj).__name__}.{name} must be an int, got {described(value)}")
    if not low <= value <= high:
        raise InvalidMessage(f"{_kind(obj)} '{name}' is out of {go_type} range: {value}")
    object.__setattr__(obj, name, int(value))


def check_bytes(obj: object, name: str) -> None:
    """Check that ``obj.name`` is bytes-like and at most 2 MiB, and store it as ``bytes``.

    Raises:
        TypeError: not bytes-like.
        InvalidMessage: longer than :data:`BYTE_ARRAY_MAX_LEN`, which cbor-gen would not encode.
    """
    value = getattr(obj, name)
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{type(obj).__name__}.{name} must be bytes, got {described(value)}")
    if len(value) > BYTE_ARRAY_MAX_LEN:
        raise InvalidMessage(f"{_kind(obj)} '{name}': byte array too large ({len(value)})")
    object.__setattr__(obj, name, bytes(value))


# -- CBOR ---------------------------------------------------------------------------------------------


def decode(data: bytes, what: str) -> dagcbor.IpldValue:
    """:func:`dagcbor.decode`, its refusal as ``invalid <what> cbor: …``."""
    try:
        return dagcbor.decode(data)
    except InvalidCbor as exc:
        raise InvalidMessage(f"invalid {what} cbor: {exc}") from exc


def cbor_array(value: dagcbor.IpldValue, lengths: tuple[int, ...], what: str) -> list[dagcbor.IpldValue]:
    """``value`` if it is a list of one of ``lengths`` elements (a struct in cbor-gen's tuple form)."""
    if not isinstance(value, list):
        raise InvalidMessage(f"invalid {what} cbor: cbor input should be of type array")
    if len(value) not in lengths:
        want = " or ".join(str(length) for length in lengths)
        raise InvalidMessage(
            f"invalid {what} cbor: cbor input had wrong number of fields (got {len(value)}, want {want})"
        )
    return value


def cbor_uint64(value: dagcbor.IpldValue, what: str, key: str) -> int:
    """A uint64 field: CBOR major type 0 only."""
    if type(value) is not int or value < 0:
        raise InvalidMessage(f"invalid {what} cbor: '{key}': wrong type for uint64 field")
    return value


def cbor_int64(value: dagcbor.IpldValue, what: str, key: str) -> int:
    """An int64 field: CBOR major type 0 or 1, within int64."""
    if type(value) is not int:
        raise InvalidMessage(f"invalid {what} cbor: '{key}': wrong type for int64 field")
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidMessage(f"invalid {what} cbor: '{key}': int64 overflow ({value})")
    return value


def cbor_bytes(value: dagcbor.IpldValue, what: str, key: str) -> bytes:
    """A ``[]byte`` field: a byte string of at most 2 MiB."""
    if not isinstance(value, bytes):
        raise InvalidMessage(f"invalid {what} cbor: '{key}': expected byte array")
    if len(value) > BYTE_ARRAY_MAX_LEN:
        raise InvalidMessage(f"invalid {what} cbor: '{key}': byte array too large ({len(value)})")
    return value


def cbor_address(value: dagcbor.IpldValue, what: str, key: str) -> Address:
    """An ``address.Address`` field: its byte form in a byte string."""
    if not isinstance(value, bytes):
        raise InvalidMessage(f"invalid {what} cbor: '{key}': address must be a byte string")
    try:
        return Address.from_bytes(value)
    except InvalidAddress as exc:
        raise InvalidMessage(f"invalid {what} cbor: '{key}': {exc}") from exc


def cbor_amount(value: dagcbor.IpldValue, what: str, key: str) -> TokenAmount:
    """A ``big.Int`` field: its byte form in a byte string."""
    if not isinstance(value, bytes):
        raise InvalidMessage(
            f"invalid {what} cbor: '{key}': cbor input for fil big int was not a byte string"
        )
    try:
        return TokenAmount.from_bytes(value)
    except InvalidAmount as exc:
        raise InvalidMessage(f"invalid {what} cbor: '{key}': {exc}") from exc


# -- JSON ---------------------------------------------------------------------------------------------


def json_object(value: object, what: str) -> JsonObject:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise InvalidMessage(f"invalid {what} json: want an object, got {described(value)}")
    return value


def json_int(obj: JsonObject, what: str, key: str, low: int, high: int, go_type: str) -> int:
    """An integer field; missing or ``null`` is 0, as Go leaves the zero value."""
    value = obj.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMessage(
            f"invalid {what} json: '{key}': cannot unmarshal {described(value)} into {go_type}"
        )
    if not low <= value <= high:
        raise InvalidMessage(f"invalid {what} json: '{key}': number {value} overflows {go_type}")
    return value


def json_amount(obj: JsonObject, what: str, key: str) -> TokenAmount:
    """A ``big.Int`` field, a decimal string; missing is 0 (Lotus writes nil as ``"0"``)."""
    if key not in obj:
        return TokenAmount(0)
    try:
        return TokenAmount.from_json(obj[key])
    except InvalidAmount as exc:
        raise InvalidMessage(f"invalid {what} json: '{key}': {exc}") from exc


def json_address(obj: JsonObject, what: str, key: str) -> Address:
    """A required address field, ``"t01000"``; there is no undefined address to default to."""
    value = obj.get(key)
    if value is None:
        raise InvalidMessage(f"invalid {what} json: '{key}' address is missing")
    try:
        return Address.from_json(value)
    except InvalidAddress as exc:
        raise InvalidMessage(f"invalid {what} json: '{key}': {exc}") from exc


def json_bytes(obj: JsonObject, what: str, key: str) -> bytes:
    """A ``[]byte`` field, standard base64; missing or ``null`` is empty."""
    value = obj.get(key)
    if value is None:
        return b""
    if not isinstance(value, str):
        raise InvalidMessage(f"invalid {what} json: '{key}': want a base64 string, got {described(value)}")
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise InvalidMessage(f"invalid {what} json: '{key}': illegal base64 data: {exc}") from exc
    if len(raw) > BYTE_ARRAY_MAX_LEN:
        raise InvalidMessage(f"invalid {what} json: '{key}': byte array too large ({len(raw)})")
    return raw
