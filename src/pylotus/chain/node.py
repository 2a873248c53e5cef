"""The devnet chain node: head, state, mpool and wallet, and the block producer that moves them.

Counterparts: Lotus ``chain/store`` (head changes, ``SubHeadChanges``), ``chain/stmgr`` (state at a
tipset, ``SearchForMessage``, ``WaitForMessage``), ``miner/miner.go`` (``mineOne``: take messages from
the pool, make a block) and ``node/impl/full/mpool.go`` (``MpoolPushMessage``: nonce, gas, sign).

Rules of the file:

* One task moves the chain: :meth:`ChainNode.run` makes one tipset per block delay.  API calls read
  ``head``/``state`` between two blocks and never see half of one, since trio switches tasks only at
  ``await`` and :meth:`produce` has none.
* Persist, then announce: :meth:`produce` writes the tipset, its state, messages and receipts in one
  synced batch (:class:`~pylotus.chain.store.ChainStore`) before it becomes the head.
* A block's end is Lotus's: its messages, then its reward to the elected miner, then cron
  (:mod:`pylotus.chain.cron`, :mod:`pylotus.chain.actor_reward`), all at the block's epoch.
* State "at a tipset" is the state after that tipset's messages and cron, the state the head's
  queries read too (Lotus reads a tipset's *parent* state root, which is the same state one
  tipset later): :meth:`ChainNode.state_at`.
* Waiters for a new head (``StateWaitMsg``, ``ChainNotify``) wait on :attr:`_head_changed`, an
  event set and replaced at each new head: no subscriber list to leak, no buffer to overflow, and a
  slow subscriber skips heads rather than stalling the producer (it is told the newest head, as a
  Lotus subscriber that fell behind is told a revert/apply pair).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Final, final

import trio
from multiformats import CID

from pylotus.abi import Address, AddressProtocol, JsonObject, cid_to_json
from pylotus.repo import Datastore, Namespace

from . import dagcbor
from .actor_reward import elect_miner
from .bigint import TokenAmount
from .cron import end_epoch
from .errors import MessageRejected, TipSetNotFound
from .genesis import Genesis, make_genesis
from .genesis_template import Template
from .mpool import MIN_GAS_FEE_CAP, Mpool
from .randomness import ChainRandomness, ticket_vrf_proof
from .state import SYSTEM_ID, StateTree
from .store import ChainStore, StoredTipSet
from .tipset import BlockHeader, TipSet
from .types import Message, SignedMessage
from .types_receipt import MessageReceipt
from .vm import SEND_BASE, ChainContext, apply_message, on_chain_gas
from .wallet import Wallet

__all__ = ["DEFAULT_GAS_FEE_CAP", "DEFAULT_GAS_PREMIUM", "ChainNode", "MsgLookup"]

log = logging.getLogger(__name__)

BASE_FEE: Final = MIN_GAS_FEE_CAP  # fixed: no base-fee adjustment on a devnet with no congestion
DEFAULT_GAS_FEE_CAP: Final = TokenAmount(100_000)  # attoFIL per gas, pylotus's MpoolPushMessage default
DEFAULT_GAS_PREMIUM: Final = TokenAmount(50_000)  # attoFIL per gas
GAS_LIMIT_OVERESTIMATION: Final = 1.25  # Lotus build.GasLimitOverestimation
_NETWORK_VERSION_KEY: Final = "/meta/network-version"


@final
@dataclass(frozen=True, slots=True)
class MsgLookup:
    """Where a message was executed and its receipt (Lotus ``api.MsgLookup``).

    ``TipSet``/``Height`` name the tipset that *executed* the message, as Lotus's
    ``StateSearchMsg`` does (``tipsetExecutedMessage``): the child of the tipset that included it,
    whose ``ParentMessageReceipts`` holds the receipt.  pylotus computes the result when it makes
    the including tipset, but reports the message only once that child exists.
    """

    message: CID
    receipt: MessageReceipt
    tipset: TipSet

    def to_json(self) -> JsonObject:
        return {
            "Message": cid_to_json(self.message),
            "Receipt": self.receipt.to_json(),
            "ReturnDec": None,
            "TipSet": [cid_to_json(c) for c in self.tipset.key()],
            "Height": self.tipset.height,
        }


@final
class ChainNode:
    """The node's chain; build it with :meth:`open`."""

    def __init__(
        self, store: ChainStore, datastore: Datastore | Namespace, wallet: Wallet, head: StoredTipSet
    ) -> None:
        self.store = store
        self.wallet = wallet
        self.mpool = Mpool()
        self._ds = datastore
        self._head = head
        self._head_changed = trio.Event()
        self._heights: dict[CID, int] = {}  # chains made before the block index: keys walked to
        self._missing: set[CID] = set()  # and keys such a walk did not find
        genesis = store.tipset(0)
        self._indexed = genesis is not None and store.height_of(genesis.key()[0]) is not None
        raw = datastore.get(_NETWORK_VERSION_KEY)
        self.network_version = int(raw) if raw is not None else 0

    @classmethod
    def open(cls, datastore: Datastore | Namespace, wallet: Wallet, template: Template | None) -> ChainNode:
        """The chain in ``datastore``, continued from its head, or a new one from genesis.

        A template given to a repo that already has a chain is ignored (with a log line), as Lotus
        ignores ``--genesis`` once the chain exists.
        """
        store = ChainStore(datastore)
        height = store.head_height()
        if height is not None:
            if template is not None:
                log.warning("chain exists at height=%d: the genesis template is ignored", height)
            tipset = store.tipset(height)
            if tipset is None:
                raise TipSetNotFound(f"head tipset {height} missing from the chain store")
            # The head's messages and receipts too: the next header commits to its receipts.
            head = StoredTipSet(
                tipset, store.state(height), tuple(store.messages(height)), tuple(store.receipts(height))
            )
            log.info("chain loaded height=%d head=%s", height, tipset.key()[0])
        else:
            genesis = make_genesis(template, wallet, now=int(time.time()))
            head = _genesis_tipset(genesis)
            datastore.put(_NETWORK_VERSION_KEY, str(genesis.network_version).encode())
            store.put_tipset(head)
            log.info("genesis created head=%s", head.tipset.key()[0])
        return cls(store, datastore, wallet, head)

    # -- reading -------------------------------------------------------------------------------------

    @property
    def head(self) -> TipSet:
        return self._head.tipset

    @property
    def state(self) -> StateTree:
        """The state after the head's messages (what the next block builds on)."""
        return self._head.state

    def tipset_at(self, height: int) -> TipSet:
        if height < 0 or height > self.head.height:
            raise TipSetNotFound(f"looking for tipset with height greater than start point: {height}")
        tipset = self.store.tipset(height)
        if tipset is None:
            raise TipSetNotFound(f"no tipset at height {height}")
        return tipset

    def tipset_by_key(self, key: list[CID]) -> TipSet:
        """The tipset with ``key`` (Lotus ``ChainGetTipSet``); raises :class:`TipSetNotFound`.

        One read of the store's block index (``/tsk/<cid>``, written with the tipset); a chain
        made before the index existed falls back to walking back from the head, once per key.
        """
        if len(key) == 1:
            height = self._heights.get(key[0])
            if height is None:
                height = self.store.height_of(key[0])
            if height is None and not self._indexed and key[0] not in self._missing:
                height = self._walk_for(key[0])
            if height is not None and height <= self.head.height:
                tipset = self.tipset_at(height)
                if tipset.key() == key:
                    return tipset
        raise TipSetNotFound(f"loading tipset {[str(c) for c in key]}: not found")

    def _walk_for(self, block: CID) -> int | None:
        for height in range(self.head.height, -1, -1):
            found = self.tipset_at(height).key()[0]
            if found == block:
                self._heights[block] = height
                return height
        self._missing.add(block)  # bounded by the calls made: one walk per unknown key
        if len(self._missing) > 1024:
            self._missing.clear()
        return None

    def state_at(self, tipset: TipSet) -> StateTree:
        """The state after ``tipset``'s messages and cron (see the module docstring)."""
        if tipset.height == self.head.height:
            return self.state
        return self.store.state(tipset.height)

    def randomness(self, up_to: int | None = None) -> ChainRandomness:
        """Ticket and beacon randomness up to the head, or up to height ``up_to``
        (:mod:`pylotus.chain.randomness`)."""

        def ticket_at(epoch: int) -> bytes:
            block = self.tipset_at(epoch).block
            return ticket_vrf_proof(block.parents[0] if block.parents else None, epoch)

        return ChainRandomness(self.head.height if up_to is None else up_to, ticket_at)

    def search_message(self, cid: CID) -> MsgLookup | None:
        """Where ``cid`` was executed (Lotus ``StateSearchMsg``), or ``None`` if not yet: the tipset
        after the one that included it (see :class:`MsgLookup`)."""
        found = self.store.find_message(cid)
        if found is None:
            return None
        height, index = found
        if self.head.height <= height:
            return None
        return MsgLookup(cid, self.store.receipts(height)[index], self.tipset_at(height + 1))

    async def wait_message(self, cid: CID) -> MsgLookup:
        """Wait until ``cid`` is executed (Lotus ``StateWaitMsg`` with confidence 0)."""
        while True:
            lookup = self.search_message(cid)
            if lookup is not None:
                return lookup
            await self._head_changed.wait()

    async def head_changes(self) -> AsyncIterator[tuple[str, TipSet]]:
        """``("current", head)``, then ``("apply", new head)`` for each new head, forever."""
        seen = self.head
        yield "current", seen
        while True:
            await self._head_changed.wait()
            if self.head.height != seen.height:
                seen = self.head
                yield "apply", seen

    # -- messages ------------------------------------------------------------------------------------

    def push(self, signed: SignedMessage) -> CID:
        """Add a signed message to the pool (Lotus ``MpoolPush``); raises :class:`MessageRejected`."""
        cid = self.mpool.add(signed, self.state)
        log.info("message added cid=%s from=%s nonce=%d", cid, signed.message.from_, signed.message.nonce)
        return cid

    def push_message(self, message: Message, max_fee: TokenAmount) -> SignedMessage:
        """Fill nonce and gas, sign with the wallet, add to the pool (Lotus ``MpoolPushMessage``)."""
        key = self._signer(message.from_)
        fee_cap = message.gas_fee_cap if message.gas_fee_cap.atto else DEFAULT_GAS_FEE_CAP
        premium = message.gas_premium if message.gas_premium.atto else DEFAULT_GAS_PREMIUM
        draft = replace(message, nonce=self.mpool.next_nonce(message.from_, self.state), gas_limit=1 << 40)
        gas_limit = message.gas_limit or int(
            (on_chain_gas(self.wallet.sign_message(draft, signer=key)) + SEND_BASE) * GAS_LIMIT_OVERESTIMATION
        )
        if max_fee.atto and (fee_cap * gas_limit).atto > max_fee.atto:
            fee_cap = max_fee // gas_limit
        final_message = replace(
            draft, gas_limit=gas_limit, gas_fee_cap=fee_cap, gas_premium=min(premium, fee_cap)
        )
        signed = self.wallet.sign_message(final_message, signer=key)
        self.push(signed)
        return signed

    def _signer(self, sender: Address) -> Address:
        if sender.protocol is AddressProtocol.ID:
            return self.state.account_key(sender)
        return sender

    # -- production ----------------------------------------------------------------------------------

    def produce(self, now: int) -> TipSet:
        """Make, persist and announce the next tipset with the pool's messages.

        Its miner is elected from the parent state (:func:`~pylotus.chain.actor_reward.elect_miner`,
        f00 while no miner has power); after the messages it is paid the block reward and cron runs.
        """
        parent = self._head
        height = parent.tipset.height + 1
        tree = parent.state.copy()
        winner = elect_miner(parent.state, ticket_vrf_proof(parent.tipset.key()[0], height), height)
        chain = ChainContext(height, self.randomness())
        messages: list[SignedMessage] = []
        receipts: list[MessageReceipt] = []
        for signed in self.mpool.pending():
            try:
                receipts.append(apply_message(tree, signed, chain))
            except MessageRejected as exc:
                log.warning("message dropped cid=%s reason=%s", signed.cid(), exc)
                self.mpool.drop_refused(signed, tree)
                continue
            messages.append(signed)
        end_epoch(tree, height, winner)
        header = BlockHeader(
            miner=Address.new_id(SYSTEM_ID if winner is None else winner),
            parents=tuple(parent.tipset.key()),
            height=height,
            parent_state_root=parent.state.root(),
            parent_message_receipts=_root([r.to_cbor() for r in parent.receipts]),
            messages=_root([m.cid() for m in messages]),
            timestamp=now,
            parent_base_fee=BASE_FEE,
        )
        stored = StoredTipSet(TipSet(header), tree, tuple(messages), tuple(receipts))
        self.store.put_tipset(stored)
        self._head = stored
        self.mpool.prune(tree)
        self._head_changed.set()
        self._head_changed = trio.Event()
        log.debug("new head height=%d messages=%d", header.height, len(messages))
        return stored.tipset

    async def run(
        self, block_delay: float, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Make a tipset every ``block_delay`` seconds until cancelled.

        Cancellation: a tipset is either fully persisted and announced or not made at all.
        """
        task_status.started()
        next_at = trio.current_time() + block_delay
        while True:
            await trio.sleep_until(next_at)
            next_at += block_delay
            self.produce(int(time.time()))


def _root(items: list[dagcbor.IpldValue]) -> CID:
    return dagcbor.block_cid(dagcbor.encode(items))


def _genesis_tipset(genesis: Genesis) -> StoredTipSet:
    empty = _root([])
    header = BlockHeader(
        miner=Address.new_id(SYSTEM_ID),
        parents=(),
        height=0,
        parent_state_root=genesis.state.root(),
        parent_message_receipts=empty,
        messages=empty,
        timestamp=genesis.timestamp,
        parent_base_fee=BASE_FEE,
    )
    return StoredTipSet(TipSet(header), genesis.state, (), ())
