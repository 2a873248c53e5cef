"""The FullNode API the devnet node serves so far: chain, mpool, state lookups, sync, wallet.

Counterparts: Lotus ``api/api_full.go`` (names, ``perm:`` tags) and ``node/impl/full/{chain,mpool,
state,sync,wallet}.go``; shapes from reference/api-examples.md §3.  The v0 signatures are served:
``StateWaitMsg(cid, confidence)``, ``StateSearchMsg(cid)``.

Complex values travel as the :data:`~pylotus.jsonrpc.JSON` codec and are built and parsed here by
the chain types' own ``to_json``/``from_json``, so a malformed message is refused with the chain's
error (``InvalidMessage``), which the RPC server turns into Lotus's error code 1.  Tipset keys
(``tsk``) are accepted and ignored: every state query reads the head, as a devnet client asks;
``StateWaitMsg``'s confidence is ignored too (a devnet has no reorgs).  ``WalletSetDefault``,
``MpoolGetNonce`` and ``StateGetActor`` are served as well, for the CLI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final, final

from multiformats import CID

from pylotus.abi import Address, AddressProtocol, JsonValue
from pylotus.jsonrpc import MethodSpec, RpcClient, make_table
from pylotus.jsonrpc.codec import ADDRESS, BIGINT, BOOL, BYTES, CID_CODEC, JSON, STRING, ListOf

from .bigint import TokenAmount
from .crypto import KEY_TYPE_SECP256K1
from .errors import ActorNotFound, InvalidMessage
from .node import ChainNode
from .types import Message, SignedMessage

__all__ = ["FULLNODE_TABLE", "FullNodeApi", "FullNodeClient"]

_INT: Final = JSON  # plain JSON numbers (heights, confidence, network version)

FULLNODE_TABLE: Final = make_table(
    MethodSpec("ChainHead", "read", (), JSON),
    MethodSpec("ChainGetGenesis", "read", (), JSON),
    MethodSpec("ChainGetTipSetByHeight", "read", (_INT, JSON), JSON),
    MethodSpec("ChainNotify", "read", (), JSON, channel=True),
    MethodSpec("MpoolPush", "write", (JSON,), CID_CODEC),
    MethodSpec("MpoolPushMessage", "sign", (JSON, JSON), JSON),
    MethodSpec("MpoolPending", "read", (JSON,), JSON),
    MethodSpec("MpoolGetNonce", "read", (ADDRESS,), _INT),
    MethodSpec("StateWaitMsg", "read", (CID_CODEC, _INT), JSON),
    MethodSpec("StateSearchMsg", "read", (CID_CODEC,), JSON),
    MethodSpec("StateLookupID", "read", (ADDRESS, JSON), ADDRESS),
    MethodSpec("StateAccountKey", "read", (ADDRESS, JSON), ADDRESS),
    MethodSpec("StateGetActor", "read", (ADDRESS, JSON), JSON),
    MethodSpec("StateNetworkVersion", "read", (JSON,), _INT),
    MethodSpec("SyncState", "read", (), JSON),
    MethodSpec("WalletHas", "write", (ADDRESS,), BOOL),
    MethodSpec("WalletList", "write", (), ListOf(ADDRESS)),
    MethodSpec("WalletNew", "write", (STRING,), ADDRESS),
    MethodSpec("WalletDefaultAddress", "write", (), ADDRESS),
    MethodSpec("WalletSetDefault", "write", (ADDRESS,), None),
    MethodSpec("WalletBalance", "read", (ADDRESS,), BIGINT),
    MethodSpec("WalletSign", "sign", (ADDRESS, BYTES), JSON),
)

_SYNC_STAGE_COMPLETE: Final = 4  # Lotus api.StageSyncComplete


@final
class FullNodeApi:
    """Serves :data:`FULLNODE_TABLE` from a :class:`~pylotus.chain.node.ChainNode`."""

    def __init__(self, node: ChainNode) -> None:
        self._node = node

    # chain
    async def chain_head(self) -> JsonValue:
        return self._node.head.to_json()

    async def chain_get_genesis(self) -> JsonValue:
        return self._node.tipset_at(0).to_json()

    async def chain_get_tip_set_by_height(self, height: JsonValue, tsk: JsonValue) -> JsonValue:
        return self._node.tipset_at(_height(height)).to_json()

    async def chain_notify(self) -> AsyncIterator[JsonValue]:
        return self._notify()

    async def _notify(self) -> AsyncIterator[JsonValue]:
        async for kind, tipset in self._node.head_changes():
            yield [{"Type": kind, "Val": tipset.to_json()}]

    # mpool
    async def mpool_push(self, signed: JsonValue) -> CID:
        return self._node.push(SignedMessage.from_json(signed))

    async def mpool_push_message(self, message: JsonValue, spec: JsonValue) -> JsonValue:
        max_fee = TokenAmount(0)
        if isinstance(spec, dict) and spec.get("MaxFee") is not None:
            max_fee = TokenAmount.from_json(spec["MaxFee"])
        elif spec is not None and not isinstance(spec, dict):
            raise InvalidMessage("MpoolPushMessage spec must be an object or null")
        return self._node.push_message(Message.from_json(message), max_fee).to_json()

    async def mpool_pending(self, tsk: JsonValue) -> JsonValue:
        return [m.to_json() for m in self._node.mpool.pending()]

    async def mpool_get_nonce(self, address: Address) -> JsonValue:
        return self._node.mpool.next_nonce(address, self._node.state)

    # state
    async def state_wait_msg(self, cid: CID, confidence: JsonValue) -> JsonValue:
        return (await self._node.wait_message(cid)).to_json()

    async def state_search_msg(self, cid: CID) -> JsonValue:
        lookup = self._node.search_message(cid)
        return None if lookup is None else lookup.to_json()

    async def state_lookup_id(self, address: Address, tsk: JsonValue) -> Address:
        actor_id = self._node.state.lookup_id(address)
        if actor_id is None:
            raise ActorNotFound(f"resolution lookup failed ('{address}'): actor not found")
        return Address.new_id(actor_id)

    async def state_account_key(self, address: Address, tsk: JsonValue) -> Address:
        return self._node.state.account_key(address)

    async def state_get_actor(self, address: Address, tsk: JsonValue) -> JsonValue:
        _, actor = self._node.state.require_actor(address)
        return actor.to_json()

    async def state_network_version(self, tsk: JsonValue) -> JsonValue:
        return self._node.network_version

    async def sync_state(self) -> JsonValue:
        head = self._node.head.to_json()
        worker: JsonValue = {
            "WorkerID": 0,
            "Base": head,
            "Target": head,
            "Stage": _SYNC_STAGE_COMPLETE,
            "Height": self._node.head.height,
            "Start": "0001-01-01T00:00:00Z",
            "End": "0001-01-01T00:00:00Z",
            "Message": "",
        }
        return {"ActiveSyncs": [worker], "VMApplied": 0}

    # wallet
    async def wallet_has(self, address: Address) -> bool:
        return self._node.wallet.has(address)

    async def wallet_list(self) -> list[Address]:
        return self._node.wallet.list()

    async def wallet_new(self, key_type: str) -> Address:
        return self._node.wallet.new(key_type or KEY_TYPE_SECP256K1)

    async def wallet_default_address(self) -> Address:
        return self._node.wallet.default()

    async def wallet_set_default(self, address: Address) -> None:
        self._node.wallet.set_default(address)

    async def wallet_balance(self, address: Address) -> int:
        return self._node.state.balance(address).atto

    async def wallet_sign(self, address: Address, data: bytes) -> JsonValue:
        return self._node.wallet.sign(self._key(address), data).to_json()

    def _key(self, address: Address) -> Address:
        if address.protocol is AddressProtocol.ID:
            return self._node.state.account_key(address)
        return address


def _height(value: JsonValue) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidMessage(f"height must be a non-negative integer, not {value!r}")
    return value


class FullNodeClient(RpcClient):
    """Typed client for :data:`FULLNODE_TABLE`, used by the ``pylotus`` CLI."""

    TABLE = FULLNODE_TABLE

    async def chain_head(self) -> JsonValue:
        return await self.call("ChainHead")  # type: ignore[return-value]

    async def mpool_push_message(self, message: Message) -> SignedMessage:
        raw = await self.call("MpoolPushMessage", message.to_json(), None)
        return SignedMessage.from_json(raw)  # type: ignore[arg-type]

    async def mpool_pending(self) -> JsonValue:
        return await self.call("MpoolPending", None)  # type: ignore[return-value]

    async def state_wait_msg(self, cid: CID, confidence: int = 0) -> JsonValue:
        return await self.call("StateWaitMsg", cid, confidence)  # type: ignore[return-value]

    async def state_get_actor(self, address: Address) -> JsonValue:
        return await self.call("StateGetActor", address, None)  # type: ignore[return-value]

    async def sync_state(self) -> JsonValue:
        return await self.call("SyncState")  # type: ignore[return-value]

    async def wallet_list(self) -> list[Address]:
        return await self.call("WalletList")  # type: ignore[return-value]

    async def wallet_new(self, key_type: str) -> Address:
        return await self.call("WalletNew", key_type)  # type: ignore[return-value]

    async def wallet_default_address(self) -> Address:
        return await self.call("WalletDefaultAddress")  # type: ignore[return-value]

    async def wallet_set_default(self, address: Address) -> None:
        await self.call("WalletSetDefault", address)

    async def wallet_balance(self, address: Address) -> int:
        return await self.call("WalletBalance", address)  # type: ignore[return-value]
