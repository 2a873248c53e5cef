"""Filecoin keys and signatures: secp256k1 keys, recoverable signatures, and their wire forms.

Counterparts: Lotus ``lib/sigs/secp/init.go`` (sign and verify), ``lib/sigs/sigs.go`` (dispatch by
type and its refusals), ``chain/wallet/key/key.go`` (key → public key → address),
``chain/types/keystore.go`` (``KeyInfo`` types), go-state-types ``crypto/signature.go``
(``Signature``, its CBOR and binary forms) and filecoin-project/go-crypto (the secp256k1 primitives).

What is signed and how, as Lotus:

* a secp256k1 private key is 32 bytes (a scalar in ``1..n-1``); its public key is the 65-byte
  uncompressed point ``04 ‖ x ‖ y`` and its address ``t1…`` = blake2b-160 of that point;
* ``sign(key, message)`` signs ``blake2b-256(message)`` (for a chain message, the message is its CID
  bytes) with ECDSA and returns 65 bytes ``r ‖ s ‖ v``, ``v`` the recovery id (0 or 1).  Nonces are
  RFC 6979 and ``s`` is low, as libsecp256k1 makes them: the same key and message always give the
  same signature, byte for byte what Lotus produced until 2024 (go-crypto then moved to a library
  that adds entropy to the nonce; its signatures still verify here and ours there);
* ``verify(signature, message, address)`` recovers the public key from the signature and compares
  its address with the claimed one: there is no public key to pass, the address is the identity.

Stricter than Lotus in one place: a signature with a high ``s`` (the malleated twin of a valid one) is
refused.  No honest signer makes one (libsecp256k1 and go-crypto both normalise ``s``), and accepting
both twins would give one message two signed-message CIDs.

BLS (``SigType.BLS``, ``t3`` addresses, ``"bls"`` keys) is **not supported**: keys of that type are
refused by :class:`~pylotus.chain.errors.UnsupportedKeyType`, BLS signatures by
:class:`~pylotus.chain.errors.InvalidSignature`, each naming the type.  The sound Python BLS12-381
implementation available (py_ecc, pure Python) needs seconds per pairing, too slow for a node that
verifies every message; bindings to blst would do, but none is both well kept and widely used.  So
pylotus keys, including the pre-seal owner key Lotus makes BLS, are secp256k1.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
from dataclasses import dataclass, field
from typing import Final, final

import coincurve

from pylotus.abi import Address, AddressProtocol, JsonObject, JsonValue
from pylotus.repo import KeyInfo

from .errors import InvalidKey, InvalidSignature, UnsupportedKeyType

__all__ = [
    "KEY_TYPE_BLS",
    "KEY_TYPE_SECP256K1",
    "SIGNATURE_MAX_LENGTH",
    "SigType",
    "Signature",
    "key_address",
    "new_secp256k1_key",
    "public_key",
    "sign",
    "verify",
]

KEY_TYPE_SECP256K1: Final = "secp256k1"
"""``KeyInfo.type`` of a secp256k1 key (Lotus ``types.KTSecp256k1``)."""

KEY_TYPE_BLS: Final = "bls"
"""``KeyInfo.type`` of a BLS key (Lotus ``types.KTBLS``); recognised only to be refused by name."""

SIGNATURE_MAX_LENGTH: Final = 200
"""Longest signature byte form (type byte included) go-state-types decodes (``SignatureMaxLength``)."""

_PRIVATE_KEY_BYTES: Final = 32  # go-crypto PrivateKeyBytes
_SECP_SIGNATURE_BYTES: Final = 65  # r ‖ s ‖ v
_DIGEST_BYTES: Final = 32  # blake2b-256
_SECP256K1_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_CBOR_MAJOR_BYTES: Final = 0x40  # major type 2 (byte string) in the top three bits


class SigType(enum.IntEnum):
    """A signature's type byte (go-state-types ``crypto.SigType``).

    ``DELEGATED`` (3, FEVM's FIP-0055) is decoded so that a message carrying one is refused as
    *unsupported* rather than as garbage; pylotus verifies only ``SECP256K1``.
    """

    SECP256K1 = 1
    BLS = 2
    DELEGATED = 3


@final
@dataclass(frozen=True, slots=True)
class Signature:
    """A signature and its type (go-state-types ``crypto.Signature``).

    Wire forms: JSON ``{"Type": 1, "Data": "<base64>"}``, binary ``type ‖ data`` (:meth:`to_bytes`,
    the content of the CBOR byte string) and CBOR (:meth:`to_cbor`).  ``data`` is left out of ``repr``
    only for brevity: a signature is not a secret.
    """

    type: SigType
    data: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes):
            object.__setattr__(self, "data", bytes(self.data))
        object.__setattr__(self, "type", _sig_type(self.type))
        if len(self.data) + 1 > SIGNATURE_MAX_LENGTH:
            raise InvalidSignature(
                f"signature of {len(self.data)} bytes is longer than the {SIGNATURE_MAX_LENGTH - 1} allowed"
            )

    # -- JSON ---------------------------------------------------------------------------------------

    def to_json(self) -> JsonObject:
        """Lotus's JSON: ``{"Type": 1, "Data": "<standard base64>"}``."""
        return {"Type": int(self.type), "Data": base64.b64encode(self.data).decode("ascii")}

    @classmethod
    def from_json(cls, value: JsonValue) -> Signature:
        """Read Lotus's JSON form (``"Data": null`` is an empty signature, as Go writes a nil slice).

        Raises:
            InvalidSignature: not an object with an integer ``Type`` and base64 ``Data``, or an unknown type.
        """
        if not isinstance(value, dict):
            raise InvalidSignature("signature must be a json object with 'Type' and 'Data'")
        sig_type, data = value.get("Type"), value.get("Data")
        if isinstance(sig_type, bool) or not isinstance(sig_type, int):
            raise InvalidSignature(f"signature 'Type' must be an integer, got {sig_type!r:.40}")
        if data is None:
            raw = b""
        elif isinstance(data, str):
            try:
                raw = base64.b64decode(data, validate=True)
            except binascii.Error as exc:
                raise InvalidSignature(f"signature 'Data' is not base64: {exc}") from None
        else:
            raise InvalidSignature("signature 'Data' must be a base64 string")
        return cls(_sig_type(sig_type), raw)

    # -- binary and CBOR ----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The binary form, ``type byte ‖ data`` (go-state-types ``MarshalBinary``)."""
        return bytes([self.type]) + self.data

    @classmethod
    def from_bytes(cls, raw: bytes) -> Signature:
        """Read the binary form.

        Raises:
            InvalidSignature: empty, longer than :data:`SIGNATURE_MAX_LENGTH`, or an unknown type byte.
        """
        if not raw:
            raise InvalidSignature("invalid signature bytes of length 0")
        if len(raw) > SIGNATURE_MAX_LENGTH:
            raise InvalidSignature(f"invalid signature bytes, too long ({len(raw)})")
        return cls(_sig_type(raw[0]), bytes(raw[1:]))

    def to_cbor(self) -> bytes:
        """The CBOR encoding: a byte string holding :meth:`to_bytes` (go-state-types ``MarshalCBOR``)."""
        body = self.to_bytes()
        return _cbor_bytes_header(len(body)) + body

    @classmethod
    def from_cbor(cls, raw: bytes) -> Signature:
        """Decode exactly one CBOR byte string holding a signature (``UnmarshalCBOR``), nothing after it.

        Raises:
            InvalidSignature: not a byte string, truncated, trailing bytes, or a bad signature inside.
        """
        length, offset = _read_cbor_bytes_header(raw)
        if length > SIGNATURE_MAX_LENGTH:
            raise InvalidSignature("signature cbor: string too long")
        if len(raw) != offset + length:
            raise InvalidSignature(
                f"signature cbor: header says {length} bytes, {len(raw) - offset} follow it"
            )
        return cls.from_bytes(raw[offset:])


def _sig_type(value: int) -> SigType:
    try:
        return SigType(value)
    except ValueError:
        raise InvalidSignature(f"invalid signature type '{value}'") from None


def _cbor_bytes_header(length: int) -> bytes:
    # RFC 8949 §3: lengths below 24 live in the initial byte, then 1-, 2-, 4-byte arguments.
    if length < 24:
        return bytes([_CBOR_MAJOR_BYTES | length])
    for marker, width in ((24, 1), (25, 2), (26, 4)):
        if length < 1 << (8 * width):
            return bytes([_CBOR_MAJOR_BYTES | marker]) + length.to_bytes(width, "big")
    raise ValueError(f"byte string of {length} bytes is too long for this encoder")


def _read_cbor_bytes_header(raw: bytes) -> tuple[int, int]:
    """``(length, header size)`` of the byte string ``raw`` starts with."""
    if not raw:
        raise InvalidSignature("signature cbor is empty")
    if raw[0] >> 5 != _CBOR_MAJOR_BYTES >> 5:
        raise InvalidSignature("signature cbor: not a byte string")
    info = raw[0] & 0x1F
    if info < 24:
        return info, 1
    width = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if width is None or len(raw) < 1 + width:
        raise InvalidSignature("signature cbor: bad byte string header")
    return int.from_bytes(raw[1 : 1 + width], "big"), 1 + width


# -- keys ---------------------------------------------------------------------------------------------


def new_secp256k1_key() -> KeyInfo:
    """A fresh secp256k1 key from the OS's secure random source (go-crypto ``GenerateKey``)."""
    return KeyInfo(type=KEY_TYPE_SECP256K1, private_key=coincurve.PrivateKey().secret)


def _private_key(key_info: KeyInfo) -> coincurve.PrivateKey:
    """The libsecp256k1 key of ``key_info``.

    Raises:
        UnsupportedKeyType: not a ``secp256k1`` key.
        InvalidKey: not 32 bytes, or not a scalar in ``1..n-1``.
    """
    if key_info.type != KEY_TYPE_SECP256K1:
        raise UnsupportedKeyType(
            f"key type '{key_info.type}' is not supported: "
            f"pylotus signs with '{KEY_TYPE_SECP256K1}' keys only"
        )
    secret = key_info.private_key
    if len(secret) != _PRIVATE_KEY_BYTES:
        raise InvalidKey(f"secp256k1 private key must be {_PRIVATE_KEY_BYTES} bytes, got {len(secret)}")
    if not 0 < int.from_bytes(secret, "big") < _SECP256K1_ORDER:
        raise InvalidKey("secp256k1 private key is out of range: it must be in 1..n-1")
    return coincurve.PrivateKey(secret)


def public_key(key_info: KeyInfo) -> bytes:
    """The 65-byte uncompressed public key ``04 ‖ x ‖ y`` (go-crypto ``PublicKey``).

    Raises:
        UnsupportedKeyType, InvalidKey: as :func:`sign`.
    """
    return _private_key(key_info).public_key.format(compressed=False)


def key_address(key_info: KeyInfo) -> Address:
    """The ``t1…`` address of ``key_info`` (Lotus ``key.NewKey``).

    Raises:
        UnsupportedKeyType, InvalidKey: as :func:`sign`.
    """
    return Address.new_secp256k1(public_key(key_info))


def _digest(message: bytes) -> bytes:
    return hashlib.blake2b(message, digest_size=_DIGEST_BYTES).digest()


def sign(key_info: KeyInfo, message: bytes) -> Signature:
    """Sign ``message`` as Lotus's ``lib/sigs/secp``: ECDSA over ``blake2b-256(message)``.

    Args:
        key_info: a ``secp256k1`` key.
        message: the bytes to sign; for a chain message, its CID bytes.

    Returns:
        A ``SECP256K1`` signature of 65 bytes ``r ‖ s ‖ v``; deterministic (RFC 6979), low ``s``.

    Raises:
        UnsupportedKeyType: a ``bls`` or other non-secp256k1 key.
        InvalidKey: a secp256k1 key that is not a valid scalar.
    """
    data = _private_key(key_info).sign_recoverable(_digest(message), hasher=None)
    return Signature(SigType.SECP256K1, data)


def verify(signature: Signature, message: bytes, address: Address) -> None:
    """Check that ``address`` signed ``message``; return quietly if so (Lotus ``sigs.Verify``).

    The public key is recovered from the signature and its address compared with ``address``.

    Raises:
        InvalidSignature: the reason is one of: ``address`` is an ID address (resolve it to its key
            address first, as Lotus requires), an unsupported signature type, a type that does not
            match the address, a malformed or high-``s`` signature, or a key that is not the address's
            (``signature did not match``: wrong message, key or address, or a tampered signature).
    """
    if address.protocol is AddressProtocol.ID:
        raise InvalidSignature(
            f"must resolve ID addresses before using them to verify a signature (got '{address}')"
        )
    if signature.type is not SigType.SECP256K1:
        raise InvalidSignature(f"cannot verify signature of unsupported type '{signature.type.name.lower()}'")
    if address.protocol is not AddressProtocol.SECP256K1:
        raise InvalidSignature(f"secp256k1 signature cannot be from non-secp256k1 address '{address}'")
    data = signature.data
    if len(data) != _SECP_SIGNATURE_BYTES:
        raise InvalidSignature(f"secp256k1 signature must be {_SECP_SIGNATURE_BYTES} bytes, got {len(data)}")
    r, s, v = int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big"), data[64]
    if v > 3:
        raise InvalidSignature(f"secp256k1 signature has invalid recovery id '{v}'")
    if not (0 < r < _SECP256K1_ORDER and 0 < s < _SECP256K1_ORDER):
        raise InvalidSignature("secp256k1 signature has r or s out of range")
    if s > _SECP256K1_ORDER // 2:
        raise InvalidSignature("secp256k1 signature is malleable (high s); sign the message again")
    try:
        recovered = coincurve.PublicKey.from_signature_and_message(data, _digest(message), hasher=None)
    except ValueError as exc:
        raise InvalidSignature(f"cannot recover a public key from the signature: {exc}") from None
    signer = Address.new_secp256k1(recovered.format(compressed=False))
    if signer != address:
        raise InvalidSignature(f"signature did not match address '{address}': it recovers to '{signer}'")
