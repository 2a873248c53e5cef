"""Lotus's JSON conventions, as codecs that turn wire JSON into Python values and back.

Lotus serialises with Go's ``encoding/json``, so the wire format follows Go's rules rather than
Python's (reference/lotus-miner.md §3.1):

* ``[]byte`` is a base64 string (standard alphabet, padded); a nil slice is ``null``;
* ``cid.Cid`` is ``{"/": "bafy…"}``;
* big integers (``TokenAmount``, ``DealWeight``) are decimal strings;
* ``address.Address`` is its string form (``"t01000"``);
* fixed-width integers are JSON numbers and are range-checked like Go's decoder would;
* a nil slice is ``null``, which decodes to an empty list.

A :class:`Codec` names the Go type it stands for (``name``) so that a decoding failure can be
reported like go-jsonrpc does: ``unmarshaling params for 'Filecoin.X' (param: []string): …``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from multiformats import CID

from ..abi import Address, InvalidAddress, InvalidCid, JsonValue, cid_from_json, cid_to_json
from .errors import CodecError

__all__ = [
    "ADDRESS",
    "BIGINT",
    "BOOL",
    "BYTES",
    "CID_CODEC",
    "INT64",
    "JSON",
    "STRING",
    "UINT64",
    "Codec",
    "JsonObject",
    "JsonValue",
    "ListOf",
    "Nullable",
]

T = TypeVar("T")


class Codec(Protocol[T]):
    """Decodes one Go-typed value from JSON and encodes it back."""

    @property
    def name(self) -> str:
        """The Go type this codec stands for, as go-jsonrpc prints it in errors."""
        ...

    def decode(self, value: JsonValue) -> T:
        """Python value of ``value``; raises :class:`CodecError` if the shape is wrong."""
        ...

    def encode(self, value: T) -> JsonValue:
        """Wire JSON of ``value``."""
        ...


def _type_name(value: JsonValue) -> str:
    # Go's decoder says e.g. "cannot unmarshal string into Go value of type int64".
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _mismatch(value: JsonValue, go_type: str) -> CodecError:
    return CodecError(f"json: cannot unmarshal {_type_name(value)} into Go value of type {go_type}")


@dataclass(frozen=True)
class _Int:
    name: str
    low: int
    high: int

    def decode(self, value: JsonValue) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _mismatch(value, self.name)
        if not self.low <= value <= self.high:
            raise CodecError(f"json: cannot unmarshal number {value} into Go value of type {self.name}")
        return value

    def encode(self, value: int) -> JsonValue:
        return int(value)


INT64: Codec[int] = _Int("int64", -(2**63), 2**63 - 1)
UINT64: Codec[int] = _Int("uint64", 0, 2**64 - 1)


@dataclass(frozen=True)
class _Bool:
    name: str = "bool"

    def decode(self, value: JsonValue) -> bool:
        if not isinstance(value, bool):
            raise _mismatch(value, self.name)
        return value

    def encode(self, value: bool) -> JsonValue:
        return bool(value)


BOOL: Codec[bool] = _Bool()


@dataclass(frozen=True)
class _String:
    name: str = "string"

    def decode(self, value: JsonValue) -> str:
        if not isinstance(value, str):
            raise _mismatch(value, self.name)
        return value

    def encode(self, value: str) -> JsonValue:
        return str(value)


STRING: Codec[str] = _String()


@dataclass(frozen=True)
class _Bytes:
    """Go ``[]byte``: standard base64 with padding; ``null`` is an empty slice."""

    name: str = "[]uint8"

    def decode(self, value: JsonValue) -> bytes:
        if value is None:
            return b""
        if not isinstance(value, str):
            raise _mismatch(value, self.name)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CodecError(f"illegal base64 data in '{value[:40]}': {exc}") from exc

    def encode(self, value: bytes) -> JsonValue:
        return base64.b64encode(bytes(value)).decode("ascii")


BYTES: Codec[bytes] = _Bytes()


@dataclass(frozen=True)
class _BigInt:
    """``big.Int`` (TokenAmount, DealWeight): a decimal string, ``"0"`` for zero."""

    name: str = "big.Int"

    def decode(self, value: JsonValue) -> int:
        if isinstance(value, str):
            text = value[1:] if value.startswith("-") else value
            if text.isdigit() and text.isascii():
                return int(value)
            raise CodecError(f"failed to parse big string: '{value[:40]}'")
        raise _mismatch(value, self.name)

    def encode(self, value: int) -> JsonValue:
        return str(int(value))


BIGINT: Codec[int] = _BigInt()


@dataclass(frozen=True)
class _Cid:
    """``cid.Cid``: ``{"/": "<cid string>"}``, printed in base32 as Lotus does (abi's codec)."""

    name: str = "cid.Cid"

    def decode(self, value: JsonValue) -> CID:
        try:
            return cid_from_json(value)
        except InvalidCid as exc:
            raise CodecError(str(exc)) from exc

    def encode(self, value: CID) -> JsonValue:
        return cid_to_json(value)


CID_CODEC: Codec[CID] = _Cid()


@dataclass(frozen=True)
class _Address:
    name: str = "address.Address"

    def decode(self, value: JsonValue) -> Address:
        if not isinstance(value, str):
            raise _mismatch(value, self.name)
        try:
            return Address.from_string(value)
        except InvalidAddress as exc:
            raise CodecError(str(exc)) from exc

    def encode(self, value: Address) -> JsonValue:
        return str(value)


ADDRESS: Codec[Address] = _Address()


@dataclass(frozen=True)
class _Json:
    """Any JSON, passed through untouched (for values whose shape the method checks itself)."""

    name: str = "json.RawMessage"

    def decode(self, value: JsonValue) -> JsonValue:
        return value

    def encode(self, value: JsonValue) -> JsonValue:
        return value


JSON: Codec[JsonValue] = _Json()


@dataclass(frozen=True)
class ListOf(Generic[T]):
    """Go slice of ``item``; ``null`` decodes to ``[]`` and ``[]`` encodes as ``[]``."""

    item: Codec[T]

    @property
    def name(self) -> str:
        return f"[]{self.item.name}"

    def decode(self, value: JsonValue) -> list[T]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise _mismatch(value, self.name)
        return [self.item.decode(v) for v in value]

    def encode(self, value: Sequence[T]) -> JsonValue:
        return [self.item.encode(v) for v in value]


@dataclass(frozen=True)
class Nullable(Generic[T]):
    """A Go pointer: ``null`` is ``None``."""

    item: Codec[T]

    @property
    def name(self) -> str:
        return f"*{self.item.name}"

    def decode(self, value: JsonValue) -> T | None:
        return None if value is None else self.item.decode(value)

    def encode(self, value: T | None) -> JsonValue:
        return None if value is None else self.item.encode(value)


@dataclass(frozen=True)
class JsonObject(Generic[T]):
    """A struct type with its own ``from_json``/``to_json`` (frozen dataclasses of the APIs).

    ``from_json`` raises :class:`pylotus.errors.PylotusError` subclasses on bad input; they are
    turned into :class:`CodecError` here so the server reports a params error.
    """

    name: str
    from_json: Callable[[JsonValue], T]
    to_json: Callable[[T], JsonValue]

    def decode(self, value: JsonValue) -> T:
        from ..errors import PylotusError

        try:
            return self.from_json(value)
        except CodecError:
            raise
        except (PylotusError, KeyError, TypeError, ValueError) as exc:
            raise CodecError(f"invalid {self.name}: {exc}") from exc

    def encode(self, value: T) -> JsonValue:
        return self.to_json(value)
