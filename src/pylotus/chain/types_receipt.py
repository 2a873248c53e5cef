"""Message receipts: what executing a message left behind, in Lotus's CBOR and JSON.

Counterparts: Lotus ``chain/types/message_receipt.go`` and ``message_receipt_cbor.go`` (the two
versions and their CBOR), go-state-types ``exitcode`` (:mod:`pylotus.chain.exitcode`).

A receipt is ``[ExitCode, Return, GasUsed]`` (version 0, before FIP-0049) or ``[ExitCode, Return,
GasUsed, EventsRoot]`` (version 1, network version 18 and later; ``EventsRoot`` a CID or ``null``).
The version is not on the wire but in the arity, and in JSON not at all: the JSON is always
``{"ExitCode", "Return", "GasUsed", "EventsRoot"}``, so :meth:`MessageReceipt.from_json` gives
version 1 when ``EventsRoot`` is set and version 0 otherwise.  The pylotus devnet runs at network
version 16 (:data:`~pylotus.abi.DEVNET_NETWORK_VERSION`) and writes version 0.  Unlike Lotus, a
version 0 receipt with an events root is refused rather than silently encoded without it.
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass
from typing import Final, final

from multiformats import CID

from pylotus.abi import InvalidCid, JsonObject, JsonValue, cid_from_json, cid_to_json

from . import dagcbor
from .errors import InvalidMessage
from .types_fields import (
    INT64_MAX,
    INT64_MIN,
    cbor_array,
    cbor_bytes,
    cbor_int64,
    check_bytes,
    check_int,
    decode,
    json_bytes,
    json_int,
    json_object,
)

__all__ = ["MessageReceipt", "ReceiptVersion"]

_WHAT: Final = "receipt"


class ReceiptVersion(enum.IntEnum):
    """Lotus ``MessageReceiptVersion``: which CBOR layout a receipt has."""

    V0 = 0  # 3 fields, pre FIP-0049
    V1 = 1  # 4 fields, with the events root


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceipt:
    """The outcome of one message (Lotus ``types.MessageReceipt``).

    ``exit_code`` is an int64: an :class:`~pylotus.chain.exitcode.ExitCode` or an actor's own code.
    ``return_value`` is Lotus's ``Return`` (CBOR bytes of the method's return value, often empty).

    Raises:
        InvalidMessage: on construction, a number outside int64, ``return_value`` over 2 MiB, or an
            events root on a version 0 receipt.
    """

    exit_code: int
    return_value: bytes = b""
    gas_used: int = 0
    events_root: CID | None = None
    version: ReceiptVersion = ReceiptVersion.V0

    def __post_init__(self) -> None:
        check_int(self, "exit_code", INT64_MIN, INT64_MAX, "int64")
        check_int(self, "gas_used", INT64_MIN, INT64_MAX, "int64")
        check_bytes(self, "return_value")
        object.__setattr__(self, "version", ReceiptVersion(self.version))
        if self.events_root is not None:
            if not isinstance(self.events_root, CID):
                raise TypeError(f"MessageReceipt.events_root must be a CID or None, got {self.events_root!r}")
            if self.version is ReceiptVersion.V0:
                raise InvalidMessage("a version 0 receipt cannot carry an events root; use version 1")

    # -- CBOR -----------------------------------------------------------------------------------------

    def to_ipld(self) -> list[dagcbor.IpldValue]:
        """The 3- (version 0) or 4-element (version 1) list this receipt encodes as."""
        fields: list[dagcbor.IpldValue] = [self.exit_code, self.return_value, self.gas_used]
        if self.version is ReceiptVersion.V1:
            fields.append(self.events_root)
        return fields

    @classmethod
    def from_ipld(cls, value: dagcbor.IpldValue) -> MessageReceipt:
        """Read the list :meth:`to_ipld` makes; its length gives the version.

        Raises:
            InvalidMessage: not a 3- or 4-element list, or a field of the wrong type.
        """
        fields = cbor_array(value, (3, 4), _WHAT)
        events_root = fields[3] if len(fields) == 4 else None
        if events_root is not None and not isinstance(events_root, CID):
            raise InvalidMessage(f"invalid {_WHAT} cbor: 'EventsRoot': want a cid or null")
        return cls(
            exit_code=cbor_int64(fields[0], _WHAT, "ExitCode"),
            return_value=cbor_bytes(fields[1], _WHAT, "Return"),
            gas_used=cbor_int64(fields[2], _WHAT, "GasUsed"),
            events_root=events_root,
            version=ReceiptVersion.V1 if len(fields) == 4 else ReceiptVersion.V0,
        )

    def to_cbor(self) -> bytes:
        """The DAG-CBOR bytes."""
        return dagcbor.encode(self.to_ipld())

    @classmethod
    def from_cbor(cls, data: bytes) -> MessageReceipt:
        """Decode exactly one receipt.

        Raises:
            InvalidMessage: not canonical DAG-CBOR, or not a receipt (see :meth:`from_ipld`).
        """
        return cls.from_ipld(decode(data, _WHAT))

    # -- JSON -----------------------------------------------------------------------------------------

    def to_json(self) -> JsonObject:
        """Lotus's JSON: ``{"ExitCode", "Return", "GasUsed", "EventsRoot"}``; empty ``Return`` is ``null``."""
        return {
            "ExitCode": self.exit_code,
            "Return": base64.b64encode(self.return_value).decode("ascii") if self.return_value else None,
            "GasUsed": self.gas_used,
            "EventsRoot": cid_to_json(self.events_root) if self.events_root is not None else None,
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> MessageReceipt:
        """Read Lotus's JSON; missing numbers are 0, missing or ``null`` ``Return``/``EventsRoot`` empty.

        Raises:
            InvalidMessage: not an object, or a field of the wrong JSON type, range or form.
        """
        obj = json_object(value, _WHAT)
        raw_root = obj.get("EventsRoot")
        try:
            events_root = None if raw_root is None else cid_from_json(raw_root)
        except InvalidCid as exc:
            raise InvalidMessage(f"invalid {_WHAT} json: 'EventsRoot': {exc}") from exc
        return cls(
            exit_code=json_int(obj, _WHAT, "ExitCode", INT64_MIN, INT64_MAX, "int64"),
            return_value=json_bytes(obj, _WHAT, "Return"),
            gas_used=json_int(obj, _WHAT, "GasUsed", INT64_MIN, INT64_MAX, "int64"),
            events_root=events_root,
            version=ReceiptVersion.V0 if events_root is None else ReceiptVersion.V1,
        )

    @property
    def is_success(self) -> bool:
        """Whether the exit code is 0 (go-state-types ``ExitCode.IsSuccess``)."""
        return self.exit_code == 0
