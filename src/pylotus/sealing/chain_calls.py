"""The FullNode calls the sealing pipeline and the PoSt scheduler make, for one miner.

Counterpart: Lotus ``storage/pipeline/api.go`` / ``storage/ctladdr`` (the miner's view of the node:
head, randomness with the miner's address as entropy, messages from the worker address).
"""

from __future__ import annotations

import base64
from typing import Any, Protocol, final

from multiformats import CID

from ..abi import Address, cid_from_json
from ..chain import dagcbor
from ..chain.bigint import TokenAmount
from ..chain.randomness import DomainSeparationTag
from ..chain.types import Message
from ..errors import PylotusError

__all__ = ["ChainClient", "MinerChain", "push_message", "wait_message"]


class ChainClient(Protocol):
    """What the miner needs of a FullNode API client (:class:`~pylotus.jsonrpc.RpcClient`)."""

    async def call(self, name: str, *args: object, timeout: float | None = None) -> object: ...


@final
class MinerChain:
    """Chain reads and messages on behalf of miner ``miner``, sent from ``worker``."""

    def __init__(self, node: ChainClient, miner: Address, worker: Address) -> None:
        self.node = node
        self.miner = miner
        self.worker = worker
        self.entropy = dagcbor.encode(miner.to_bytes())  # rt.Receiver().MarshalCBOR

    async def call(self, name: str, *args: object, timeout: float | None = None) -> Any:
        return await self.node.call(name, *args, timeout=timeout)

    async def height(self) -> int:
        head: Any = await self.node.call("ChainHead")
        return int(head["Height"])

    async def ticket_randomness(
        self, tag: DomainSeparationTag, epoch: int, entropy: bytes | None = None
    ) -> bytes:
        return await self._draw("ChainGetRandomnessFromTickets", tag, epoch, entropy)

    async def beacon_randomness(
        self, tag: DomainSeparationTag, epoch: int, entropy: bytes | None = None
    ) -> bytes:
        return await self._draw("ChainGetRandomnessFromBeacon", tag, epoch, entropy)

    async def _draw(self, method: str, tag: DomainSeparationTag, epoch: int, entropy: bytes | None) -> bytes:
        raw: Any = await self.node.call(
            method, None, int(tag), epoch, self.entropy if entropy is None else entropy
        )
        return raw if isinstance(raw, bytes) else base64.b64decode(raw)

    async def precommit(self, number: int) -> dict[str, Any] | None:
        """``StateSectorPreCommitInfo``, or ``None`` when the chain has no such pre-commit."""
        try:
            found: Any = await self.node.call("StateSectorPreCommitInfo", self.miner, number, None)
        except PylotusError as exc:
            if "does not exist" in str(exc) or "not found" in str(exc):
                return None
            raise
        return found if isinstance(found, dict) else None

    async def sector(self, number: int) -> dict[str, Any] | None:
        """``StateSectorGetInfo``: the active sector, or ``None``."""
        found: Any = await self.node.call("StateSectorGetInfo", self.miner, number, None)
        return found if isinstance(found, dict) else None

    async def push(self, method: int, params: bytes, value: int = 0) -> CID:
        """Send ``method`` to the miner actor from the worker; the node signs and fills gas."""
        message = Message(
            to=self.miner, from_=self.worker, value=TokenAmount(value), method=method, params=params
        )
        return await push_message(self.node, message)

    async def wait(self, cid: CID, timeout: float) -> dict[str, Any]:
        return await wait_message(self.node, cid, timeout)


async def push_message(node: ChainClient, message: Message) -> CID:
    """``MpoolPushMessage``: the node fills nonce and gas and signs; the signed message's CID."""
    signed: Any = await node.call("MpoolPushMessage", message.to_json(), None)
    return cid_from_json(signed["CID"])


async def wait_message(node: ChainClient, cid: CID, timeout: float) -> dict[str, Any]:
    """``StateWaitMsg``: the lookup (``Receipt``, ``Height``) once the message executed."""
    lookup: Any = await node.call("StateWaitMsg", cid, 1, timeout=timeout)
    return dict(lookup)
