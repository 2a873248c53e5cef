"""The message pool: signed messages waiting for a block, by sender and nonce.

Counterpart: Lotus ``chain/messagepool/messagepool.go`` (``Add``, ``checkMessage``, ``verifyMsgBeforeAdd``,
``GetNonce``, ``Pending``) and its error values, whose wording the rejections keep:
``message too big``, ``message nonce too low``, ``message with nonce already exists``,
``unfulfilled nonce gap``, ``not enough funds to execute transaction``, ``gas fee cap too low``.

Policy (simpler than Lotus's): no nonce gaps at all (Lotus allows a few for local messages), no
replace-by-fee, no per-sender limit beyond :data:`MAX_PENDING_PER_SENDER`.  The funds check counts
the sender's pending messages too, so a sender cannot queue more than it holds.  The pool is plain
data with no I/O and no trio: the node calls it from its one task and persists nothing of it (a
restarted node has an empty pool, as Lotus's without its local-message datastore).
"""

from __future__ import annotations

from typing import Final, final

from multiformats import CID

from pylotus.abi import Address

from .bigint import TokenAmount
from .errors import MessageRejected
from .state import StateTree
from .types import SignedMessage
from .vm import check_message

__all__ = ["MAX_MESSAGE_SIZE", "MAX_PENDING_PER_SENDER", "MIN_GAS_FEE_CAP", "Mpool"]

MAX_MESSAGE_SIZE: Final = 64 << 10  # bytes of signed CBOR; Lotus messagepool.MaxMessageSize
MAX_PENDING_PER_SENDER: Final = 1000  # Lotus MaxActorPendingMessages
_ZERO: Final = TokenAmount(0)
MIN_GAS_FEE_CAP: Final = TokenAmount(100)  # attoFIL; Lotus build.MinimumBaseFee


@final
class Mpool:
    """Pending messages keyed by sender actor ID, then nonce."""

    def __init__(self) -> None:
        self._pending: dict[int, dict[int, SignedMessage]] = {}

    def add(self, signed: SignedMessage, tree: StateTree) -> CID:
        """Check ``signed`` against ``tree`` and the pool, then keep it; returns its CID.

        Raises:
            MessageRejected: with Lotus's reason; the pool is unchanged.
        """
        msg = signed.message
        if len(signed.to_cbor()) > MAX_MESSAGE_SIZE:
            raise MessageRejected(f"message too big: {len(signed.to_cbor())} > {MAX_MESSAGE_SIZE} bytes")
        if msg.gas_fee_cap.atto < MIN_GAS_FEE_CAP.atto:
            raise MessageRejected(f"gas fee cap too low: {msg.gas_fee_cap.atto} < {MIN_GAS_FEE_CAP.atto}")
        sender_id = tree.lookup_id(msg.from_)
        mine = self._pending.get(sender_id, {}) if sender_id is not None else {}
        state_nonce = tree.actors[sender_id].nonce if sender_id is not None else 0
        if msg.nonce < state_nonce:
            raise MessageRejected(f"message nonce too low: {msg.nonce} < {state_nonce}")
        if msg.nonce in mine:
            raise MessageRejected(f"message with nonce already exists: nonce {msg.nonce} from '{msg.from_}'")
        expected = state_nonce + len(mine)
        if msg.nonce != expected:
            raise MessageRejected(f"unfulfilled nonce gap: nonce {msg.nonce}, expected {expected}")
        if len(mine) >= MAX_PENDING_PER_SENDER:
            raise MessageRejected(f"too many pending messages for actor '{msg.from_}'")
        # Check as the VM will when the pool's earlier messages have been applied.
        staged = tree.copy()
        if sender_id is not None:
            actor = staged.actors[sender_id]
            queued = sum((m.message.value + m.message.required_funds() for m in mine.values()), _ZERO)
            staged.update(sender_id, nonce=expected, balance=actor.balance - queued)
        check_message(staged, signed)
        assert sender_id is not None  # check_message refuses unknown senders
        self._pending.setdefault(sender_id, {})[msg.nonce] = signed
        return signed.cid()

    def next_nonce(self, sender: Address, tree: StateTree) -> int:
        """The nonce the sender's next message needs (Lotus ``MpoolGetNonce``)."""
        sender_id = tree.lookup_id(sender)
        if sender_id is None:
            return 0
        return tree.actors[sender_id].nonce + len(self._pending.get(sender_id, {}))

    def pending(self) -> list[SignedMessage]:
        """Every pending message, by sender ID then nonce."""
        return [m for _, by_nonce in sorted(self._pending.items()) for _, m in sorted(by_nonce.items())]

    def drop_refused(self, signed: SignedMessage, tree: StateTree) -> None:
        """Forget ``signed``, which the VM refused, and the sender's later messages that needed it."""
        sender_id = tree.lookup_id(signed.message.from_)
        if sender_id is None:
            return
        by_nonce = self._pending.get(sender_id, {})
        by_nonce.pop(signed.message.nonce, None)
        # messages behind a refused one can never be applied now: drop them too
        for nonce in [n for n in by_nonce if n > signed.message.nonce]:
            del by_nonce[nonce]
        if not by_nonce:
            self._pending.pop(sender_id, None)

    def prune(self, tree: StateTree) -> None:
        """Drop messages whose nonce the state has passed (after a block)."""
        for sender_id in list(self._pending):
            nonce = tree.actors[sender_id].nonce if sender_id in tree.actors else 0
            kept = {n: m for n, m in self._pending[sender_id].items() if n >= nonce}
            if kept:
                self._pending[sender_id] = kept
            else:
                del self._pending[sender_id]
