"""The FullNode API the devnet node serves so far: chain, mpool, state lookups, sync, wallet.

Counterparts: Lotus ``api/api_full.go`` (names, ``perm:`` tags) and ``node/impl/full/{chain,mpool,
state,sync,wallet}.go``; shapes from reference/api-examples.md §3.  The v0 signatures are served:
``StateWaitMsg(cid, confidence)``, ``StateSearchMsg(cid)``.

Complex values travel as the :data:`~pylotus.jsonrpc.JSON` codec and are built and parsed here by
the chain types' own ``to_json``/``from_json``, so a malformed message is refused with the chain's
error (``InvalidMessage``), which the RPC server turns into Lotus's error code 1.

**Tipset keys** (``tsk``): ``null`` or ``[]`` is the head; any other key must name a tipset of the
chain (else Lotus's ``loading tipset …: not found``) and the query reads the state stored for it
(:meth:`~pylotus.chain.node.ChainNode.state_at`), draws randomness no later than it, and looks
heights up no later than it.  ``MpoolPending`` ignores its key (the pool is the head's), and
``StateWaitMsg``'s confidence is ignored (a devnet has no reorgs).

``NetAddrsListen`` answers with the node's libp2p identity: the Ed25519 key the repo keeps as
``libp2p-host`` (:mod:`pylotus.repo.hostkey`, created on first start, so the ID is stable across
restarts) and no addresses, since the devnet node runs no libp2p host.  ``WalletSetDefault``,
``MpoolGetNonce`` and ``StateGetActor`` are served as well, for the CLI.

Miner and power state (``StateMiner*``, ``StateSector*``) reads the actors of
:mod:`pylotus.chain.actor_power` and :mod:`pylotus.chain.actor_miner`; randomness
(``ChainGetRandomnessFrom{Tickets,Beacon}``, v0 params ``[tsk, pers, round, entropy]``) is drawn as
:mod:`pylotus.chain.randomness` documents, from the head's chain.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Final, final

from multiformats import CID

from pylotus.abi import Address, AddressProtocol, InvalidCid, JsonValue, RegisteredSealProof, cid_from_json
from pylotus.jsonrpc import MethodSpec, RpcClient, make_table
from pylotus.jsonrpc.codec import ADDRESS, BIGINT, BOOL, BYTES, CID_CODEC, JSON, STRING, ListOf
from pylotus.repo import KeyInfo, KeystoreError, peer_id_text

from .actor_power import miner_power_json
from .bigint import TokenAmount
from .bitfield import json_contains
from .bitfield import json_runs as _runs
from .crypto import KEY_TYPE_SECP256K1
from .errors import ActorNotFound, InvalidMessage, SectorNotFound
from .miner_state import MinerState, deadline_info, load_miner, period_start
from .node import ChainNode
from .policy import WPOST_PERIOD_DEADLINES, initial_pledge, pre_commit_deposit
from .randomness import ChainRandomness
from .state import StateTree
from .tipset import TipSet
from .types import Message, SignedMessage

__all__ = ["FULLNODE_TABLE", "FullNodeApi", "FullNodeClient", "tipset_for"]

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
    MethodSpec("ChainGetRandomnessFromTickets", "read", (JSON, _INT, _INT, BYTES), BYTES),
    MethodSpec("ChainGetRandomnessFromBeacon", "read", (JSON, _INT, _INT, BYTES), BYTES),
    MethodSpec("StateMinerInfo", "read", (ADDRESS, JSON), JSON),
    MethodSpec("StateMinerPower", "read", (ADDRESS, JSON), JSON),
    MethodSpec("StateMinerSectors", "read", (ADDRESS, JSON, JSON), JSON),
    MethodSpec("StateMinerActiveSectors", "read", (ADDRESS, JSON), JSON),
    MethodSpec("StateSectorGetInfo", "read", (ADDRESS, _INT, JSON), JSON),
    MethodSpec("StateSectorPreCommitInfo", "read", (ADDRESS, _INT, JSON), JSON),
    MethodSpec("StateMinerPreCommitDepositForPower", "read", (ADDRESS, JSON, JSON), BIGINT),
    MethodSpec("StateMinerInitialPledgeCollateral", "read", (ADDRESS, JSON, JSON), BIGINT),
    MethodSpec("StateMinerAvailableBalance", "read", (ADDRESS, JSON), BIGINT),
    MethodSpec("StateMinerProvingDeadline", "read", (ADDRESS, JSON), JSON),
    MethodSpec("StateMinerDeadlines", "read", (ADDRESS, JSON), JSON),
    MethodSpec("StateMinerPartitions", "read", (ADDRESS, _INT, JSON), JSON),
    MethodSpec("StateMinerFaults", "read", (ADDRESS, JSON), JSON),
    MethodSpec("StateMinerRecoveries", "read", (ADDRESS, JSON), JSON),
    MethodSpec("NetAddrsListen", "read", (), JSON),
    MethodSpec("SyncState", "read", (), JSON),
    MethodSpec("WalletHas", "write", (ADDRESS,), BOOL),
    MethodSpec("WalletList", "write", (), ListOf(ADDRESS)),
    MethodSpec("WalletNew", "write", (STRING,), ADDRESS),
    MethodSpec("WalletDefaultAddress", "write", (), ADDRESS),
    MethodSpec("WalletSetDefault", "write", (ADDRESS,), None),
    MethodSpec("WalletBalance", "read", (ADDRESS,), BIGINT),
    MethodSpec("WalletSign", "sign", (ADDRESS, BYTES), JSON),
    MethodSpec("WalletExport", "admin", (ADDRESS,), JSON),
    MethodSpec("WalletImport", "admin", (JSON,), ADDRESS),
)

_SYNC_STAGE_COMPLETE: Final = 4  # Lotus api.StageSyncComplete


@final
class FullNodeApi:
    """Serves :data:`FULLNODE_TABLE` from a :class:`~pylotus.chain.node.ChainNode`."""

    def __init__(self, node: ChainNode, *, host_peer: bytes = b"") -> None:
        """``host_peer``: the node's libp2p peer ID (multihash bytes), for ``NetAddrsListen``."""
        self._node = node
        self._host_peer = host_peer

    def _tipset(self, tsk: JsonValue) -> TipSet:
        return tipset_for(self._node, tsk)

    def _state(self, tsk: JsonValue) -> StateTree:
        return self._node.state_at(self._tipset(tsk))

    def _miner(self, miner: Address, tsk: JsonValue) -> MinerState:
        return load_miner(self._state(tsk), miner)[2]

    # chain
    async def chain_head(self) -> JsonValue:
        return self._node.head.to_json()

    async def chain_get_genesis(self) -> JsonValue:
        return self._node.tipset_at(0).to_json()

    async def chain_get_tip_set_by_height(self, height: JsonValue, tsk: JsonValue) -> JsonValue:
        wanted, end = _height(height), self._tipset(tsk)
        if wanted > end.height:
            raise InvalidMessage(f"looking for tipset with height greater than start point: {wanted}")
        return self._node.tipset_at(wanted).to_json()

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
        actor_id = self._state(tsk).lookup_id(address)
        if actor_id is None:
            raise ActorNotFound(f"resolution lookup failed ('{address}'): actor not found")
        return Address.new_id(actor_id)

    async def state_account_key(self, address: Address, tsk: JsonValue) -> Address:
        return self._state(tsk).account_key(address)

    async def state_get_actor(self, address: Address, tsk: JsonValue) -> JsonValue:
        _, actor = self._state(tsk).require_actor(address)
        return actor.to_json()

    async def state_network_version(self, tsk: JsonValue) -> JsonValue:
        self._tipset(tsk)
        return self._node.network_version

    # randomness
    def _randomness(self, tsk: JsonValue) -> ChainRandomness:
        return self._node.randomness(self._tipset(tsk).height)

    async def chain_get_randomness_from_tickets(
        self, tsk: JsonValue, pers: JsonValue, round_: JsonValue, entropy: bytes
    ) -> bytes:
        return self._randomness(tsk).from_tickets(_int(pers, "pers"), _int(round_, "round"), entropy)

    async def chain_get_randomness_from_beacon(
        self, tsk: JsonValue, pers: JsonValue, round_: JsonValue, entropy: bytes
    ) -> bytes:
        return self._randomness(tsk).from_beacon(_int(pers, "pers"), _int(round_, "round"), entropy)

    # miners and power
    async def state_miner_info(self, miner: Address, tsk: JsonValue) -> JsonValue:
        return self._miner(miner, tsk).info.to_json()

    async def state_miner_power(self, miner: Address, tsk: JsonValue) -> JsonValue:
        return miner_power_json(self._state(tsk), miner)

    async def state_miner_sectors(self, miner: Address, filter_: JsonValue, tsk: JsonValue) -> JsonValue:
        sectors = self._miner(miner, tsk).sectors
        wanted = None if filter_ is None else _bitfield(filter_)
        return [s.to_json() for n, s in sorted(sectors.items()) if wanted is None or wanted(n)]

    async def state_miner_active_sectors(self, miner: Address, tsk: JsonValue) -> JsonValue:
        state = self._miner(miner, tsk)
        active = state.active()
        return [s.to_json() for n, s in sorted(state.sectors.items()) if n in active]

    async def state_sector_get_info(self, miner: Address, number: JsonValue, tsk: JsonValue) -> JsonValue:
        sector = self._miner(miner, tsk).sectors.get(_int(number, "sector number"))
        return None if sector is None else sector.to_json()

    async def state_sector_pre_commit_info(
        self, miner: Address, number: JsonValue, tsk: JsonValue
    ) -> JsonValue:
        precommit = self._miner(miner, tsk).precommits.get(_int(number, "sector number"))
        if precommit is None:
            raise SectorNotFound(f"precommit info for sector '{number}' of miner '{miner}' does not exist")
        return precommit.to_json()

    async def state_miner_pre_commit_deposit_for_power(
        self, miner: Address, info: JsonValue, tsk: JsonValue
    ) -> int:
        self._miner(miner, tsk)
        return pre_commit_deposit(_seal_proof(info).sector_size).atto

    async def state_miner_initial_pledge_collateral(
        self, miner: Address, info: JsonValue, tsk: JsonValue
    ) -> int:
        self._miner(miner, tsk)
        return initial_pledge(_seal_proof(info).sector_size).atto

    async def state_miner_available_balance(self, miner: Address, tsk: JsonValue) -> int:
        _, actor, state = load_miner(self._state(tsk), miner)
        return state.available(actor.balance).atto

    async def state_miner_proving_deadline(self, miner: Address, tsk: JsonValue) -> JsonValue:
        tipset = self._tipset(tsk)
        state = load_miner(self._node.state_at(tipset), miner)[2]
        return deadline_info(state.proving_period_offset, tipset.height)

    async def state_miner_deadlines(self, miner: Address, tsk: JsonValue) -> JsonValue:
        """Lotus ``[]api.Deadline``: each deadline's PoSt submissions in the current period."""
        tipset = self._tipset(tsk)
        state = load_miner(self._node.state_at(tipset), miner)[2]
        start = period_start(state.proving_period_offset, tipset.height)
        return [
            {
                "PostSubmissions": _runs(state.proven_partitions(index, start)),
                "DisputableProofCount": 0,
                "DailyFee": "0",
            }
            for index in range(WPOST_PERIOD_DEADLINES)
        ]

    async def state_miner_partitions(self, miner: Address, deadline: JsonValue, tsk: JsonValue) -> JsonValue:
        """Lotus ``[]api.Partition`` of deadline ``deadline``."""
        index = _int(deadline, "deadline index")
        if not 0 <= index < WPOST_PERIOD_DEADLINES:
            raise InvalidMessage(f"invalid deadline index {index}, must be < {WPOST_PERIOD_DEADLINES}")
        state = self._miner(miner, tsk)
        return [state.partition_json(sectors) for sectors in state.deadlines.get(index, [])]

    async def state_miner_faults(self, miner: Address, tsk: JsonValue) -> JsonValue:
        return _runs(self._miner(miner, tsk).faults)

    async def state_miner_recoveries(self, miner: Address, tsk: JsonValue) -> JsonValue:
        return _runs(self._miner(miner, tsk).recoveries)

    # net
    async def net_addrs_listen(self) -> JsonValue:
        peer = peer_id_text(self._host_peer) if self._host_peer else ""
        return {"ID": peer, "Addrs": []}

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

    async def wallet_export(self, address: Address) -> JsonValue:
        key = self._node.wallet.export(self._key(address))
        return {"Type": key.type, "PrivateKey": base64.b64encode(key.private_key).decode("ascii")}

    async def wallet_import(self, key_info: JsonValue) -> Address:
        try:
            key = KeyInfo.from_json(json.dumps(key_info))
        except KeystoreError as exc:
            raise InvalidMessage(f"key info: {exc}") from None
        return self._node.wallet.import_key(key)

    def _key(self, address: Address) -> Address:
        if address.protocol is AddressProtocol.ID:
            return self._node.state.account_key(address)
        return address


def tipset_for(node: ChainNode, tsk: JsonValue) -> TipSet:
    """The tipset a ``tsk`` parameter names: the head for ``null``/``[]``.

    Raises:
        InvalidMessage: not a list of CIDs.  TipSetNotFound: no such tipset on this chain.
    """
    if tsk is None or tsk == []:
        return node.head
    if not isinstance(tsk, list):
        raise InvalidMessage(f"a tipset key must be a list of CIDs or null, not {tsk!r:.200}")
    try:
        key = [cid_from_json(c) for c in tsk]
    except InvalidCid as exc:
        raise InvalidMessage(f"tipset key: {exc}") from None
    return node.tipset_by_key(key)


def _height(value: JsonValue) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidMessage(f"height must be a non-negative integer, not {value!r}")
    return value


def _int(value: JsonValue, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidMessage(f"{what} must be an integer, not {value!r}")
    if not -(2**63) <= value < 2**63:
        raise InvalidMessage(f"{what} '{value}' is out of the int64 range")
    return value


def _seal_proof(info: JsonValue) -> RegisteredSealProof:
    proof = info.get("SealProof") if isinstance(info, dict) else None
    try:
        return RegisteredSealProof(_int(proof, "SealProof"))
    except ValueError:
        raise InvalidMessage(f"unknown seal proof type '{proof}'") from None


def _bitfield(value: JsonValue) -> Callable[[int], bool]:
    """Membership in a Lotus JSON bitfield filter; :class:`InvalidMessage` if it is not one."""
    try:
        return json_contains(value)
    except ValueError:
        raise InvalidMessage(f"a bitfield must be a list of run lengths, not {value!r:.200}") from None


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

    async def state_miner_info(self, miner: Address) -> JsonValue:
        return await self.call("StateMinerInfo", miner, None)  # type: ignore[return-value]

    async def state_miner_power(self, miner: Address) -> JsonValue:
        return await self.call("StateMinerPower", miner, None)  # type: ignore[return-value]

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

    async def wallet_export(self, address: Address) -> JsonValue:
        return await self.call("WalletExport", address)

    async def wallet_import(self, key_info: JsonValue) -> Address:
        return await self.call("WalletImport", key_info)  # type: ignore[return-value]
