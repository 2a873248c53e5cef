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

Miner and power state (``StateMiner*``, ``StateSector*``) reads the actors of
:mod:`pylotus.chain.actor_power` and :mod:`pylotus.chain.actor_miner`; randomness
(``ChainGetRandomnessFrom{Tickets,Beacon}``, v0 params ``[tsk, pers, round, entropy]``) is drawn as
:mod:`pylotus.chain.randomness` documents, from the head's chain.
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import AsyncIterator, Callable
from typing import Final, final

from multiformats import CID

from pylotus.abi import Address, AddressProtocol, JsonValue, RegisteredSealProof
from pylotus.jsonrpc import MethodSpec, RpcClient, make_table
from pylotus.jsonrpc.codec import ADDRESS, BIGINT, BOOL, BYTES, CID_CODEC, JSON, STRING, ListOf
from pylotus.repo import KeyInfo, KeystoreError

from .actor_power import miner_power_json
from .bigint import TokenAmount
from .crypto import KEY_TYPE_SECP256K1
from .errors import ActorNotFound, InvalidMessage, SectorNotFound
from .miner_state import deadline_info, load_miner, period_start
from .node import ChainNode
from .policy import WPOST_PERIOD_DEADLINES, initial_pledge, pre_commit_deposit
from .randomness import ChainRandomness
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

    # randomness
    def _randomness(self) -> ChainRandomness:
        return self._node.randomness()

    async def chain_get_randomness_from_tickets(
        self, tsk: JsonValue, pers: JsonValue, round_: JsonValue, entropy: bytes
    ) -> bytes:
        return self._randomness().from_tickets(_int(pers, "pers"), _int(round_, "round"), entropy)

    async def chain_get_randomness_from_beacon(
        self, tsk: JsonValue, pers: JsonValue, round_: JsonValue, entropy: bytes
    ) -> bytes:
        return self._randomness().from_beacon(_int(pers, "pers"), _int(round_, "round"), entropy)

    # miners and power
    async def state_miner_info(self, miner: Address, tsk: JsonValue) -> JsonValue:
        return load_miner(self._node.state, miner)[2].info.to_json()

    async def state_miner_power(self, miner: Address, tsk: JsonValue) -> JsonValue:
        return miner_power_json(self._node.state, miner)

    async def state_miner_sectors(self, miner: Address, filter_: JsonValue, tsk: JsonValue) -> JsonValue:
        sectors = load_miner(self._node.state, miner)[2].sectors
        wanted = None if filter_ is None else _bitfield(filter_)
        return [s.to_json() for n, s in sorted(sectors.items()) if wanted is None or wanted(n)]

    async def state_miner_active_sectors(self, miner: Address, tsk: JsonValue) -> JsonValue:
        sectors = load_miner(self._node.state, miner)[2].sectors
        return [s.to_json() for _, s in sorted(sectors.items())]

    async def state_sector_get_info(self, miner: Address, number: JsonValue, tsk: JsonValue) -> JsonValue:
        sector = load_miner(self._node.state, miner)[2].sectors.get(_int(number, "sector number"))
        return None if sector is None else sector.to_json()

    async def state_sector_pre_commit_info(
        self, miner: Address, number: JsonValue, tsk: JsonValue
    ) -> JsonValue:
        precommit = load_miner(self._node.state, miner)[2].precommits.get(_int(number, "sector number"))
        if precommit is None:
            raise SectorNotFound(f"precommit info for sector '{number}' of miner '{miner}' does not exist")
        return precommit.to_json()

    async def state_miner_pre_commit_deposit_for_power(
        self, miner: Address, info: JsonValue, tsk: JsonValue
    ) -> int:
        load_miner(self._node.state, miner)
        return pre_commit_deposit(_seal_proof(info).sector_size).atto

    async def state_miner_initial_pledge_collateral(
        self, miner: Address, info: JsonValue, tsk: JsonValue
    ) -> int:
        load_miner(self._node.state, miner)
        return initial_pledge(_seal_proof(info).sector_size).atto

    async def state_miner_available_balance(self, miner: Address, tsk: JsonValue) -> int:
        _, actor, state = load_miner(self._node.state, miner)
        return state.available(actor.balance).atto

    async def state_miner_proving_deadline(self, miner: Address, tsk: JsonValue) -> JsonValue:
        state = load_miner(self._node.state, miner)[2]
        return deadline_info(state.proving_period_offset, self._node.head.height)

    async def state_miner_deadlines(self, miner: Address, tsk: JsonValue) -> JsonValue:
        state = load_miner(self._node.state, miner)[2]
        start = period_start(state.proving_period_offset, self._node.head.height)
        deadlines: list[JsonValue] = []
        for index in range(WPOST_PERIOD_DEADLINES):
            proven_start, done = state.proven.get(index, (start, set()))
            submitted = done if proven_start == start else set()
            deadlines.append(
                {"PostSubmissions": _runs(submitted), "DisputableProofCount": 0, "DailyFee": "0"}
            )
        return deadlines

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
    """Membership in a Lotus JSON bitfield (run lengths, alternately unset and set, from 0).

    The set runs are kept as intervals, never expanded: a filter of ``[0, 2^62]`` costs one interval,
    not a set of 2^62 numbers (which would stall the node).
    """
    runs = value if isinstance(value, list) else None
    if runs is None or not all(
        isinstance(r, int) and not isinstance(r, bool) and 0 <= r < 2**64 for r in runs
    ):
        raise InvalidMessage(f"a bitfield must be a list of run lengths, not {value!r:.200}")
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for index, run in enumerate(int(r) for r in runs):  # type: ignore[arg-type]  # checked ints
        if index % 2 and run:
            starts.append(position)
            ends.append(position + run)
        position += run

    def contains(number: int) -> bool:
        slot = bisect.bisect_right(starts, number) - 1
        return slot >= 0 and number < ends[slot]

    return contains


def _runs(members: set[int]) -> JsonValue:
    """A Lotus JSON bitfield (run lengths, alternately unset and set, from 0) of ``members``."""
    runs: list[int] = []
    position = 0
    for bit in sorted(members):
        if runs and bit == position:  # extends the set run that ended at ``position``
            runs[-1] += 1
        else:
            runs += [bit - position, 1]
        position = bit + 1
    out: list[JsonValue] = [*runs] if runs else [0]
    return out


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
