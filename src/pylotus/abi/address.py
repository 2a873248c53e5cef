"""Filecoin addresses: ``t01000``, ``t1…``, ``t2…``, ``t3…``, as strings and as bytes.

Counterpart: ``filecoin-project/go-address`` ``address.go`` and ``constants.go`` (the Filecoin spec's
address section), whose test vectors ``tests/unit/abi/test_abi_address.py`` replays.

An address is a protocol and a payload:

====  ==========  =============================================  ================================
 id   protocol    payload                                        string after ``t``/``f`` + digit
====  ==========  =============================================  ================================
 0    ID          uvarint of the actor id (< 2^63)               the id in decimal
 1    secp256k1   blake2b-160 of the 65-byte uncompressed key    base32(payload ‖ checksum)
 2    actor       blake2b-160 of the actor's creation data       base32(payload ‖ checksum)
 3    BLS         the 48-byte public key                         base32(payload ‖ checksum)
====  ==========  =============================================  ================================

base32 is RFC 4648's alphabet in lower case without padding; the checksum is the 4-byte blake2b of
``protocol byte ‖ payload``.  The byte form (CBOR, ``Address.Bytes()``, message signing) is
``protocol byte ‖ payload`` and carries no network: ``t`` and ``f`` spell the same bytes.

Rules of the file:

* Every :class:`Address` is valid: the constructor checks the payload, so code holding one never
  re-validates.  There is no "undefined" address (go-address's ``Undef``/``<empty>``); absence is
  ``None``.
* Parsing follows go-address's refusals (network, protocol, length, base32, checksum, payload length,
  ids ≥ 2^63) and is stricter in two places: upper-case and non-canonical base32 are refused, so each
  address has exactly one string per network.  Protocol 4 (delegated, ``f4``/FEVM) is not supported.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import re
from dataclasses import dataclass
from typing import Final, Literal, final

from .errors import InvalidAddress, described, quoted
from .json_types import JsonValue

__all__ = ["DEFAULT_NETWORK", "Address", "AddressProtocol", "Network"]

Network = Literal["t", "f"]
"""The one-letter network prefix: ``t`` for testnets and devnets, ``f`` for mainnet."""

DEFAULT_NETWORK: Final[Network] = "t"
"""What ``str(address)`` prints.  pylotus runs devnets, and Lotus devnet builds print ``t``."""


class AddressProtocol(enum.IntEnum):
    """The first byte of an address (go-address ``Protocol``)."""

    ID = 0
    SECP256K1 = 1
    ACTOR = 2
    BLS = 3


# go-address constants.go.
_PAYLOAD_HASH_BYTES: Final = 20  # PayloadHashLength: blake2b-160
_CHECKSUM_BYTES: Final = 4  # ChecksumHashLength
_BLS_PUBLIC_KEY_BYTES: Final = 48  # BlsPublicKeyBytes
_MAX_STRING_LENGTH: Final = 2 + 84  # MaxAddressStringLength: prefix, protocol, BLS payload+checksum
_MAX_ID_DIGITS: Final = 20  # len(str(2^64-1)); go-address checks this before parsing
_MAX_ID: Final = 2**63 - 1  # go-address: "IDs must be less than 2^63"
_SECP256K1_PUBLIC_KEY_BYTES: Final = 65  # 0x04 ‖ x ‖ y

_BASE32_RE: Final = re.compile(r"[a-z2-7]*", re.ASCII)
_DECIMAL_RE: Final = re.compile(r"[0-9]+", re.ASCII)


def _blake2b(data: bytes, size: int) -> bytes:
    return hashlib.blake2b(data, digest_size=size).digest()


def _checksum(protocol: int, payload: bytes) -> bytes:
    return _blake2b(bytes([protocol]) + payload, _CHECKSUM_BYTES)


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_id(payload: bytes) -> int:
    """Decode an ID payload: one minimal uvarint, nothing after it, below 2^63 (go-varint rules).

    Raises:
        ValueError: with the reason, for the caller to put in its message.
    """
    value = 0
    for index, byte in enumerate(payload):
        value |= (byte & 0x7F) << (7 * index)
        if byte & 0x80:
            continue
        if index + 1 != len(payload):
            raise ValueError("id payload has bytes after its varint")
        if byte == 0 and index > 0:
            raise ValueError("id varint is not minimally encoded")
        if value > _MAX_ID:
            raise ValueError("id must be less than 2^63")
        return value
    raise ValueError("id payload is empty" if not payload else "id varint is truncated")


def _check_payload(protocol: AddressProtocol, payload: bytes) -> None:
    """Raise ValueError (with the reason) unless ``payload`` is valid for ``protocol``."""
    if protocol is AddressProtocol.ID:
        _read_id(payload)
        return
    want = _BLS_PUBLIC_KEY_BYTES if protocol is AddressProtocol.BLS else _PAYLOAD_HASH_BYTES
    if len(payload) != want:
        raise ValueError(f"invalid payload length {len(payload)}, want {want}")


@final
@dataclass(frozen=True, slots=True)
class Address:
    """A Filecoin address: ``protocol`` and ``payload`` (the byte form minus its first byte).

    Build one with :meth:`from_string`, :meth:`from_bytes` or a ``new_*`` constructor; compare and hash
    it as a value.  ``str(a)`` is the ``t`` form, :meth:`to_string` picks the network.

    Raises:
        InvalidAddress: on construction, if ``payload`` does not fit ``protocol``.
    """

    protocol: AddressProtocol
    payload: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.payload, bytes):  # a bytearray would make the value unhashable
            object.__setattr__(self, "payload", bytes(self.payload))
        try:
            protocol = AddressProtocol(self.protocol)
        except ValueError:
            raise InvalidAddress(f"unknown address protocol {quoted(str(self.protocol))}") from None
        try:
            _check_payload(protocol, self.payload)
        except ValueError as exc:
            raise InvalidAddress(
                f"invalid address payload {quoted(self.payload)} for protocol {int(protocol)}: {exc}"
            ) from None
        object.__setattr__(self, "protocol", protocol)

    # -- constructors ---------------------------------------------------------------------------

    @classmethod
    def new_id(cls, actor_id: int) -> Address:
        """``t0<actor_id>`` (go-address ``NewIDAddress``).

        Raises:
            InvalidAddress: ``actor_id`` is negative or not below 2^63.
        """
        if isinstance(actor_id, bool) or not isinstance(actor_id, int) or not 0 <= actor_id <= _MAX_ID:
            raise InvalidAddress(f"invalid id {described(actor_id)}: ids must be in 0..2^63-1")
        return cls(AddressProtocol.ID, _uvarint(actor_id))

    @classmethod
    def new_secp256k1(cls, public_key: bytes) -> Address:
        """The ``t1`` address of an uncompressed secp256k1 public key (``0x04 ‖ x ‖ y``, 65 bytes).

        Lotus always hashes the uncompressed form (``lib/sigs/secp``); a 33-byte compressed key would
        give a different, unusable address, so it is refused rather than hashed.
        """
        if len(public_key) != _SECP256K1_PUBLIC_KEY_BYTES or public_key[0] != 0x04:
            raise InvalidAddress(
                f"invalid secp256k1 public key {quoted(public_key)}: want 65 bytes starting 04"
            )
        return cls(AddressProtocol.SECP256K1, _blake2b(public_key, _PAYLOAD_HASH_BYTES))

    @classmethod
    def new_actor(cls, data: bytes) -> Address:
        """The ``t2`` address derived from ``data`` by blake2b-160 (go-address ``NewActorAddress``)."""
        return cls(AddressProtocol.ACTOR, _blake2b(data, _PAYLOAD_HASH_BYTES))

    @classmethod
    def new_bls(cls, public_key: bytes) -> Address:
        """The ``t3`` address of a 48-byte BLS public key (the key is the payload)."""
        if len(public_key) != _BLS_PUBLIC_KEY_BYTES:
            raise InvalidAddress(f"invalid bls public key {quoted(public_key)}: want 48 bytes")
        return cls(AddressProtocol.BLS, bytes(public_key))

    @classmethod
    def from_bytes(cls, data: bytes) -> Address:
        """Read the byte form, ``protocol ‖ payload`` (go-address ``NewFromBytes``).

        Raises:
            InvalidAddress: empty, unknown protocol, or a payload that does not fit the protocol.
        """
        data = bytes(data)
        if len(data) < 2:
            raise InvalidAddress(f"invalid address bytes {quoted(data)}: too short")
        try:
            protocol = AddressProtocol(data[0])
        except ValueError:
            raise InvalidAddress(
                f"invalid address bytes {quoted(data)}: unknown protocol {data[0]}"
            ) from None
        try:
            _check_payload(protocol, data[1:])
        except ValueError as exc:
            raise InvalidAddress(f"invalid address bytes {quoted(data)}: {exc}") from None
        return cls(protocol, bytes(data[1:]))

    @classmethod
    def from_string(cls, text: str) -> Address:
        """Parse ``t…``/``f…`` (go-address ``NewFromString``); the network letter is not kept.

        Raises:
            InvalidAddress: ``invalid address '<text>': <reason>``, the reason one of: bad length,
                unknown network, unknown protocol, bad id, bad base32, bad checksum, bad payload length.
        """
        try:
            return cls._decode(text)
        except ValueError as exc:
            raise InvalidAddress(f"invalid address {quoted(text)}: {exc}") from None

    @classmethod
    def _decode(cls, text: str) -> Address:
        if not 3 <= len(text) <= _MAX_STRING_LENGTH:
            raise ValueError(f"invalid length {len(text)}")
        if text[0] not in ("t", "f"):
            raise ValueError("unknown network, want 't' or 'f'")
        if text[1] not in "0123":
            raise ValueError(f"unknown protocol {quoted(text[1])}")
        protocol = AddressProtocol(int(text[1]))
        raw = text[2:]
        if protocol is AddressProtocol.ID:
            if len(raw) > _MAX_ID_DIGITS or not _DECIMAL_RE.fullmatch(raw):
                raise ValueError("id is not a decimal number")
            actor_id = int(raw)
            if actor_id > _MAX_ID:
                raise ValueError("id must be less than 2^63")
            return cls(protocol, _uvarint(actor_id))
        decoded = _base32_decode(raw)
        payload, checksum = decoded[:-_CHECKSUM_BYTES], decoded[-_CHECKSUM_BYTES:]
        # go-address checks the hash length before the checksum for 1 and 2, after it for 3.
        if protocol is not AddressProtocol.BLS:
            _check_payload(protocol, payload)
        if _checksum(protocol, payload) != checksum:
            raise ValueError("bad checksum")
        _check_payload(protocol, payload)
        return cls(protocol, payload)

    @classmethod
    def from_json(cls, value: JsonValue) -> Address:
        """Read the Lotus wire form, a JSON string (``"From": "t01000"``)."""
        if not isinstance(value, str):
            raise InvalidAddress(f"address must be a json string, got {described(value)}")
        return cls.from_string(value)

    # -- views ------------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The byte form, ``protocol ‖ payload`` (go-address ``Bytes``), as CBOR and signing use."""
        return bytes([self.protocol]) + self.payload

    def to_string(self, network: Network = DEFAULT_NETWORK) -> str:
        """The string form on ``network``: ``to_string("f")`` is the mainnet spelling."""
        if network not in ("t", "f"):
            raise ValueError(f"unknown network {network!r}, want 't' or 'f'")
        if self.protocol is AddressProtocol.ID:
            return f"{network}0{_read_id(self.payload)}"
        body = self.payload + _checksum(self.protocol, self.payload)
        encoded = base64.b32encode(body).decode("ascii").rstrip("=").lower()
        return f"{network}{int(self.protocol)}{encoded}"

    def to_json(self) -> str:
        """The Lotus wire form: the string on the default network."""
        return self.to_string()

    def id(self) -> int:
        """The actor id of an ID address: ``Address.from_string("t01000").id() == 1000``.

        Raises:
            InvalidAddress: this is not an ID address (go-address ``IDFromAddress`` wording).
        """
        if self.protocol is not AddressProtocol.ID:
            raise InvalidAddress(f"cannot get id from non id address {quoted(str(self))}")
        return _read_id(self.payload)

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"Address({str(self)!r})"


def _base32_decode(raw: str) -> bytes:
    """Decode go-address's base32 (lower case, unpadded), refusing anything with a second spelling.

    Raises:
        ValueError: a character outside ``a-z2-7``, an impossible length, non-zero pad bits, or too
            short to hold a checksum.
    """
    if not _BASE32_RE.fullmatch(raw):
        bad = next(ch for ch in raw if not ("a" <= ch <= "z" or "2" <= ch <= "7"))
        raise ValueError(f"invalid base32 character {quoted(bad)}")
    try:
        decoded = base64.b32decode(raw.upper() + "=" * (-len(raw) % 8))
    except binascii.Error:
        raise ValueError(f"invalid base32 length {len(raw)}") from None
    # Trailing pad bits must be zero, or two strings would name one address.
    if base64.b32encode(decoded).decode("ascii").rstrip("=").lower() != raw:
        raise ValueError("non-canonical base32")
    if len(decoded) <= _CHECKSUM_BYTES:
        raise ValueError("too short to hold a payload and checksum")
    return decoded
