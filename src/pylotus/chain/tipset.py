"""Block headers and tipsets of the devnet chain, in Lotus's JSON shapes.

Counterparts: Lotus ``chain/types/blockheader.go`` and ``tipset.go``; the JSON is reference
api-examples.md §3 ``ChainHead``.  The devnet makes one block per epoch, so a tipset is one block.

The header's CBOR is pylotus's own (the fields below, in this order), so block CIDs are not Lotus's;
there is no election, ticket VRF, beacon or signature yet: those JSON members are written with
deterministic placeholders (``Ticket.VRFProof`` = blake2b-256 of parent CID and height) or ``null``.

Semantics kept from Lotus: ``ParentStateRoot`` is the state *before* this block's messages, and
``ParentMessageReceipts`` the receipts of the parent's messages; the state after a block's
messages is the next block's ``ParentStateRoot``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, final

from multiformats import CID

from pylotus.abi import Address, JsonObject, cid_to_json

from . import dagcbor
from .bigint import TokenAmount

__all__ = ["BlockHeader", "TipSet"]


@final
@dataclass(frozen=True, slots=True)
class BlockHeader:
    """One block: who made it, where it sits, and the roots it commits to."""

    miner: Address
    parents: tuple[CID, ...]
    height: int
    parent_state_root: CID
    parent_message_receipts: CID
    messages: CID
    timestamp: int
    parent_base_fee: TokenAmount

    def to_cbor(self) -> bytes:
        return dagcbor.encode(
            [
                self.miner.to_bytes(),
                list(self.parents),
                self.height,
                self.parent_state_root,
                self.parent_message_receipts,
                self.messages,
                self.timestamp,
                self.parent_base_fee.to_bytes(),
            ]
        )

    @classmethod
    def from_cbor(cls, data: bytes) -> BlockHeader:
        value: Any = dagcbor.decode(data)  # a wrong shape raises TypeError/ValueError, as the store expects
        miner, parents, height, root, receipts, messages, timestamp, fee = value
        return cls(
            Address.from_bytes(miner),
            tuple(parents),
            height,
            root,
            receipts,
            messages,
            timestamp,
            TokenAmount.from_bytes(fee),
        )

    def cid(self) -> CID:
        return dagcbor.block_cid(self.to_cbor())

    def to_json(self) -> JsonObject:
        parent = bytes(self.parents[0]) if self.parents else b""
        ticket = hashlib.blake2b(parent + self.height.to_bytes(8, "big"), digest_size=32).digest()
        return {
            "Miner": str(self.miner),
            "Ticket": {"VRFProof": base64.b64encode(ticket).decode()},
            "ElectionProof": None,
            "BeaconEntries": [],
            "WinPoStProof": [],
            "Parents": [cid_to_json(c) for c in self.parents],
            "ParentWeight": str(self.height),
            "Height": self.height,
            "ParentStateRoot": cid_to_json(self.parent_state_root),
            "ParentMessageReceipts": cid_to_json(self.parent_message_receipts),
            "Messages": cid_to_json(self.messages),
            "BLSAggregate": None,
            "Timestamp": self.timestamp,
            "BlockSig": None,
            "ForkSignaling": 0,
            "ParentBaseFee": self.parent_base_fee.to_json(),
        }


@final
@dataclass(frozen=True, slots=True)
class TipSet:
    """A tipset of one block (Lotus ``types.TipSet``)."""

    block: BlockHeader

    @property
    def height(self) -> int:
        return self.block.height

    def key(self) -> list[CID]:
        """The tipset key: its block CIDs (Lotus ``TipSetKey``)."""
        return [self.block.cid()]

    def to_json(self) -> JsonObject:
        return {
            "Cids": [cid_to_json(c) for c in self.key()],
            "Blocks": [self.block.to_json()],
            "Height": self.height,
        }
