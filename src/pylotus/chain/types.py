"""Chain messages: the unsigned ``Message``, the ``SignedMessage`` the mpool takes, their CIDs and
signatures, in Lotus's CBOR and JSON.

Counterparts: Lotus ``chain/types/message.go``, ``signedmessage.go``, ``cbor_gen.go`` (the field order
and the decoder's refusals), ``chain/messagesigner/messagesigner.go`` (what is signed) and
``lib/sigs`` (how); reference/api-examples.md §4, whose vectors ``tests/unit/chain/test_chain_types.py``
replays.  Receipts are in :mod:`pylotus.chain.types_receipt`.

Rules of the file:

* A ``Message`` is CBOR ``[Version, To, From, Nonce, Value, GasLimit, GasFeeCap, GasPremium, Method,
  Params]``: addresses as their byte form, amounts as big-integer bytes, ``GasLimit`` an int64,
  ``Params`` a byte string (empty, ``0x40``, when there are none).  Its CID is that block's CID
  (:func:`~pylotus.chain.dagcbor.block_cid`).
* A ``SignedMessage`` is CBOR ``[Message, Signature]``; its CID is the unsigned message's CID for a BLS
  signature, else the CID of the signed CBOR.  The signature is over the unsigned message's CID bytes.
* Every value here is valid on construction (ranges of Go's uint64/int64 fields, the 2 MiB limit
  cbor-gen puts on byte fields), so encoding never fails and a decoded value re-encodes to the same
  bytes.  Whether a message may go on chain (Version 0, gas limits, funds) is the mpool's question,
  not this file's.
* JSON follows Go's ``encoding/json``: keys in struct order plus the computed ``"CID"``; on input a
  missing number is zero, ``"Params": null`` is empty, ``"CID"`` and unknown keys are ignored; keys
  are matched exactly (Go also matches them case-insensitively).  Empty ``Params`` are written
  ``null``, as Lotus writes a message it read from the chain.

Decoding failures are :class:`~pylotus.chain.errors.InvalidMessage` naming the field, with
cbor-gen's words (``cbor input had wrong number of fields``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Final, final

from multiformats import CID

from pylotus.abi import DEFAULT_NETWORK, Address, AddressProtocol, JsonObject, JsonValue, Network, cid_to_json
from pylotus.repo import KeyInfo

from . import dagcbor
from .bigint import TokenAmount
from .crypto import Signature, SigType, key_address, sign, verify
from .errors import InvalidKey, InvalidMessage, InvalidSignature
from .types_fields import (
    BYTE_ARRAY_MAX_LEN,
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    cbor_address,
    cbor_amount,
    cbor_array,
    cbor_bytes,
    cbor_int64,
    cbor_uint64,
    check_bytes,
    check_int,
    decode,
    json_address,
    json_amount,
    json_bytes,
    json_int,
    json_object,
    require_type,
)

__all__ = [
    "BYTE_ARRAY_MAX_LEN",
    "MESSAGE_VERSION",
    "Message",
    "SignedMessage",
    "sign_message",
    "verify_signed",
]

MESSAGE_VERSION: Final = 0
"""The only message version the chain accepts (Lotus ``types.MessageVersion``)."""

_MESSAGE_FIELDS: Final = (10,)
_SIGNED_FIELDS: Final = (2,)
_ZERO: Final = TokenAmount(0)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """An unsigned chain message (Lotus ``types.Message``); fields in Lotus's order.

    ``from_`` is Lotus's ``From`` (``from`` is a Python keyword).  Amounts are attoFIL.

    Raises:
        InvalidMessage: on construction, a number outside its Go type's range or ``params`` over 2 MiB.
        TypeError: a field of the wrong type (a programming error; decoders check types first).
    """

    version: int = MESSAGE_VERSION
    to: Address
    from_: Address
    nonce: int = 0
    value: TokenAmount = _ZERO
    gas_limit: int = 0
    gas_fee_cap: TokenAmount = _ZERO
    gas_premium: TokenAmount = _ZERO
    method: int = 0
    params: bytes = b""
    _cid: CID | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("to", "from_"):
            require_type(self, name, Address)
        for name in ("value", "gas_fee_cap", "gas_premium"):
            require_type(self, name, TokenAmount)
        for name in ("version", "nonce", "method"):
            check_int(self, name, 0, UINT64_MAX, "uint64")
        check_int(self, "gas_limit", INT64_MIN, INT64_MAX, "int64")
        check_bytes(self, "params")

    # -- CBOR and CID ---------------------------------------------------------------------------------

    def to_ipld(self) -> list[dagcbor.IpldValue]:
        """The 10-element list this message encodes as (for objects that embed messages)."""
        return [
            self.version,
            self.to.to_bytes(),
            self.from_.to_bytes(),
            self.nonce,
            self.value.to_bytes(),
            self.gas_limit,
            self.gas_fee_cap.to_bytes(),
            self.gas_premium.to_bytes(),
            self.method,
            self.params,
        ]

    @classmethod
    def from_ipld(cls, value: dagcbor.IpldValue) -> Message:
        """Read the list :meth:`to_ipld` makes, with cbor-gen's type checks.

        Raises:
            InvalidMessage: not a 10-element list, or a field of the wrong CBOR type or range.
        """
        what = "message"
        fields = cbor_array(value, _MESSAGE_FIELDS, what)
        return cls(
            version=cbor_uint64(fields[0], what, "Version"),
            to=cbor_address(fields[1], what, "To"),
            from_=cbor_address(fields[2], what, "From"),
            nonce=cbor_uint64(fields[3], what, "Nonce"),
            value=cbor_amount(fields[4], what, "Value"),
            gas_limit=cbor_int64(fields[5], what, "GasLimit"),
            gas_fee_cap=cbor_amount(fields[6], what, "GasFeeCap"),
            gas_premium=cbor_amount(fields[7], what, "GasPremium"),
            method=cbor_uint64(fields[8], what, "Method"),
            params=cbor_bytes(fields[9], what, "Params"),
        )

    def to_cbor(self) -> bytes:
        """The DAG-CBOR bytes (Lotus ``Message.Serialize``)."""
        return dagcbor.encode(self.to_ipld())

    @classmethod
    def from_cbor(cls, data: bytes) -> Message:
        """Decode exactly one message from ``data`` (Lotus ``DecodeMessage``, without its version check).

        Raises:
            InvalidMessage: not canonical DAG-CBOR, or not a message (see :meth:`from_ipld`).
        """
        return cls.from_ipld(decode(data, "message"))

    def cid(self) -> CID:
        """The message's CID: CIDv1 dag-cbor blake2b-256 of :meth:`to_cbor` (computed once)."""
        if self._cid is None:
            object.__setattr__(self, "_cid", dagcbor.block_cid(self.to_cbor()))
        assert self._cid is not None
        return self._cid

    # -- JSON -----------------------------------------------------------------------------------------

    def to_json(self, network: Network = DEFAULT_NETWORK) -> JsonObject:
        """Lotus's JSON, keys in struct order and the computed ``"CID"``; addresses on ``network``."""
        return {
            "Version": self.version,
            "To": self.to.to_string(network),
            "From": self.from_.to_string(network),
            "Nonce": self.nonce,
            "Value": self.value.to_json(),
            "GasLimit": self.gas_limit,
            "GasFeeCap": self.gas_fee_cap.to_json(),
            "GasPremium": self.gas_premium.to_json(),
            "Method": self.method,
            "Params": base64.b64encode(self.params).decode("ascii") if self.params else None,
            "CID": cid_to_json(self.cid()),
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> Message:
        """Read Lotus's JSON (see the file's rules for missing keys, ``null`` and ``"CID"``).

        Raises:
            InvalidMessage: not an object, ``To``/``From`` missing or invalid, or a field of the wrong
                JSON type or range.
        """
        what = "message"
        obj = json_object(value, what)
        return cls(
            version=json_int(obj, what, "Version", 0, UINT64_MAX, "uint64"),
            to=json_address(obj, what, "To"),
            from_=json_address(obj, what, "From"),
            nonce=json_int(obj, what, "Nonce", 0, UINT64_MAX, "uint64"),
            value=json_amount(obj, what, "Value"),
            gas_limit=json_int(obj, what, "GasLimit", INT64_MIN, INT64_MAX, "int64"),
            gas_fee_cap=json_amount(obj, what, "GasFeeCap"),
            gas_premium=json_amount(obj, what, "GasPremium"),
            method=json_int(obj, what, "Method", 0, UINT64_MAX, "uint64"),
            params=json_bytes(obj, what, "Params"),
        )

    # -- gas ------------------------------------------------------------------------------------------

    def required_funds(self) -> TokenAmount:
        """The most gas can cost: ``GasFeeCap × GasLimit`` (Lotus ``RequiredFunds``)."""
        return self.gas_fee_cap * self.gas_limit

    def effective_gas_premium(self, base_fee: TokenAmount) -> TokenAmount:
        """The premium the block's miner earns: ``GasPremium`` capped at ``GasFeeCap − BaseFee``, not
        below 0 (Lotus ``EffectiveGasPremium``)."""
        available = max(self.gas_fee_cap - base_fee, _ZERO)
        return min(self.gas_premium, available)


@final
@dataclass(frozen=True, slots=True)
class SignedMessage:
    """A message and its sender's signature (Lotus ``types.SignedMessage``).

    Build one with :func:`sign_message`; check one with :func:`verify_signed`.  Construction does not
    verify: a node decodes first, then verifies, and says which of the two failed.
    """

    message: Message
    signature: Signature
    _cid: CID | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_type(self, "message", Message)
        require_type(self, "signature", Signature)

    def to_ipld(self) -> list[dagcbor.IpldValue]:
        """The 2-element list ``[message, signature bytes]`` this encodes as."""
        return [self.message.to_ipld(), self.signature.to_bytes()]

    @classmethod
    def from_ipld(cls, value: dagcbor.IpldValue) -> SignedMessage:
        """Read the list :meth:`to_ipld` makes.

        Raises:
            InvalidMessage: not a 2-element list, a bad message, or a signature go-state-types refuses
                (empty, over 200 bytes, unknown type byte).
        """
        fields = cbor_array(value, _SIGNED_FIELDS, "signed message")
        message = Message.from_ipld(fields[0])
        raw = fields[1]
        if not isinstance(raw, bytes):
            raise InvalidMessage("invalid signed message cbor: 'Signature': not a byte string")
        try:
            signature = Signature.from_bytes(raw)
        except InvalidSignature as exc:
            raise InvalidMessage(f"invalid signed message cbor: 'Signature': {exc}") from exc
        return cls(message, signature)

    def to_cbor(self) -> bytes:
        """The DAG-CBOR bytes (Lotus ``SignedMessage.Serialize``)."""
        return dagcbor.encode(self.to_ipld())

    @classmethod
    def from_cbor(cls, data: bytes) -> SignedMessage:
        """Decode exactly one signed message (Lotus ``DecodeSignedMessage``).

        Raises:
            InvalidMessage: not canonical DAG-CBOR, or not a signed message (see :meth:`from_ipld`).
        """
        return cls.from_ipld(decode(data, "signed message"))

    def cid(self) -> CID:
        """The unsigned message's CID for BLS, else the CID of :meth:`to_cbor` (Lotus ``Cid``)."""
        if self._cid is None:
            if self.signature.type is SigType.BLS:
                cid = self.message.cid()
            else:
                cid = dagcbor.block_cid(self.to_cbor())
            object.__setattr__(self, "_cid", cid)
        assert self._cid is not None
        return self._cid

    def to_json(self, network: Network = DEFAULT_NETWORK) -> JsonObject:
        """Lotus's JSON: ``{"Message": …, "Signature": {"Type", "Data"}, "CID": …}``."""
        return {
            "Message": self.message.to_json(network),
            "Signature": self.signature.to_json(),
            "CID": cid_to_json(self.cid()),
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> SignedMessage:
        """Read Lotus's JSON; ``"CID"`` (here and in ``"Message"``) is ignored.

        Raises:
            InvalidMessage: not an object, a bad ``Message``, or a ``Signature`` that is missing, not
                ``{"Type", "Data"}``, or of an unknown type (Go's zero value, type 0, included).
        """
        obj = json_object(value, "signed message")
        if obj.get("Message") is None:
            raise InvalidMessage("invalid signed message json: 'Message' is missing")
        message = Message.from_json(obj["Message"])
        try:
            signature = Signature.from_json(obj.get("Signature"))
        except InvalidSignature as exc:
            raise InvalidMessage(f"invalid signed message json: 'Signature': {exc}") from exc
        return cls(message, signature)


def sign_message(key_info: KeyInfo, message: Message) -> SignedMessage:
    """Sign ``message`` with ``key_info``: a signature over its CID bytes (Lotus ``messagesigner``).

    Args:
        key_info: the sender's key.  When ``message.from_`` is a key address it must be this key's; an
            ID address (``t01000``) cannot be checked here: the caller resolved it to this key.
        message: the message; its nonce and gas are final, since they are what is signed.

    Raises:
        UnsupportedKeyType: a ``bls`` or other key pylotus cannot sign with.
        InvalidKey: a malformed key, or a key that is not the one of ``message.from_``.
    """
    if message.from_.protocol is not AddressProtocol.ID:
        signer = key_address(key_info)
        if signer != message.from_:
            raise InvalidKey(f"key of '{signer}' cannot sign a message from '{message.from_}'")
    return SignedMessage(message, sign(key_info, bytes(message.cid())))


def verify_signed(signed: SignedMessage, *, signer: Address | None = None) -> None:
    """Check that the signature is the sender's over the message's CID; return quietly if so.

    Args:
        signed: the signed message.
        signer: the sender's key address (``t1…``), needed when ``From`` is an ID address: the node
            resolves it from state (Lotus ``ResolveToDeterministicAddress``).  Defaults to ``From``.

    Raises:
        InvalidSignature: an ID sender without ``signer``, a BLS or other unsupported signature type,
            a malformed signature, or one that recovers to another address (``signature did not
            match``).
    """
    address = signer if signer is not None else signed.message.from_
    verify(signed.signature, bytes(signed.message.cid()), address)
