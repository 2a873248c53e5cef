"""The VM: apply one signed message to a state tree and return its receipt.

Counterparts: Lotus ``chain/vm/vm.go`` (``ApplyMessage``: the checks before anything is charged,
then gas, nonce, transfer, invoke), ``chain/vm/invoker.go`` (dispatch by code CID and method number)
and ``chain/vm/gas.go`` / ``price_list.go`` (the gas numbers below).

Two kinds of failure, as Lotus:

* **Refused** (:class:`~pylotus.chain.errors.MessageRejected`, nothing changes): bad signature,
  unknown or non-account sender, nonce not the sender's, gas limit below the on-chain cost, balance
  below ``Value + GasLimit × GasFeeCap``.  Lotus treats a block carrying such a message as invalid;
  pylotus's producer drops the message from the pool instead.
* **Failed on chain** (a receipt with a non-zero exit code): the nonce is used and gas is paid, but
  the transfer and the method's effects are undone: unknown method (``SysErrInvalidMethod``), a
  receiver that cannot be created (``SysErrInvalidReceiver``), malformed params
  (``ErrSerialization``), out of gas (``SysErrOutOfGas``).

**Gas model** (pylotus's simplification, documented here and nowhere else): a message uses
``ON_CHAIN_BASE + ON_CHAIN_PER_BYTE × len(signed CBOR)`` (Lotus's calico price list:
``OnChainMessageComputeBase`` 38863, 1300 gas a stored byte) plus ``SEND_BASE`` 29233 for the
invocation; actor methods charge nothing more yet.  The sender pays ``GasUsed × GasFeeCap``, all
burnt to f099; Lotus's base-fee/premium split, the miner tip and the over-estimation burn are out of
scope until block rewards exist.  Out of gas charges the whole ``GasLimit × GasFeeCap``.

**Dispatch**: :data:`ACTOR_METHODS` maps a code CID to ``{method number: handler}``; method 0
(Send) is the VM's own for every actor.  The power, miner and market actors plug in by adding their
code CID's table; a handler gets an :class:`Invocation` and the params, returns the return bytes or
raises :class:`ActorExit` with an exit code; its reason is logged (INFO) with the message CID, since a
receipt carries only the code, as Lotus's.  The power and miner tables live in
:mod:`pylotus.chain.actor_power` and :mod:`pylotus.chain.actor_miner`; they call each other
directly, not through internal messages (Lotus's ``rt.Send``), which is equivalent while no call
between them can fail half-way.

**Chain context**: methods that need the epoch or randomness (PreCommitSector, ProveCommitSector)
read :attr:`Invocation.chain`, given to :func:`apply_message` by the block producer; without one
they fail with ``ErrIllegalState``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from multiformats import CID

from pylotus.abi import Address, AddressProtocol

from . import dagcbor
from .actor_market import MARKET_METHODS
from .actor_miner import MINER_METHODS
from .actor_power import POWER_CODE, POWER_METHODS
from .bigint import TokenAmount
from .errors import InvalidCbor, InvalidSignature, MessageRejected
from .exitcode import ExitCode
from .market_state import MARKET_CODE
from .miner_state import MINER_CODE
from .runtime import ActorExit, ChainContext, Handler, Invocation
from .state import ACCOUNT_CODE, BURNT_FUNDS_ID, StateTree
from .types import MESSAGE_VERSION, Message, SignedMessage, verify_signed
from .types_receipt import MessageReceipt

__all__ = [
    "ACTOR_METHODS",
    "ON_CHAIN_BASE",
    "ON_CHAIN_PER_BYTE",
    "SEND_BASE",
    "ActorExit",
    "ChainContext",
    "Invocation",
    "apply_message",
    "check_message",
    "on_chain_gas",
]

log = logging.getLogger(__name__)

ON_CHAIN_BASE: Final = 38863  # Lotus price list (calico): OnChainMessageComputeBase
ON_CHAIN_PER_BYTE: Final = 1300  # Lotus price list: OnChainMessageStoragePerByte × StorageGasMulti
SEND_BASE: Final = 29233  # Lotus price list: SendBase


def on_chain_gas(signed: SignedMessage) -> int:
    """Gas for carrying ``signed`` on chain, the floor of any ``GasLimit`` (Lotus ``OnChainMessage``)."""
    return ON_CHAIN_BASE + ON_CHAIN_PER_BYTE * len(signed.to_cbor())


def _account_pubkey_address(inv: Invocation, params: bytes) -> bytes:
    """Account method 2, ``PubkeyAddress``: no params, returns the key address as CBOR bytes."""
    if params:
        raise ActorExit(ExitCode.ERR_SERIALIZATION, "PubkeyAddress takes no params")
    key = inv.tree.account_key(Address.new_id(inv.receiver))
    return dagcbor.encode(key.to_bytes())


ACTOR_METHODS: Final[Mapping[CID, Mapping[int, Handler]]] = {
    ACCOUNT_CODE: {2: _account_pubkey_address},
    POWER_CODE: POWER_METHODS,
    MINER_CODE: MINER_METHODS,
    MARKET_CODE: MARKET_METHODS,
}
"""Method handlers by code CID and method number (0, Send, is the VM's for every actor)."""


def check_message(tree: StateTree, signed: SignedMessage) -> tuple[int, int]:
    """The checks before anything is charged; returns ``(sender ID, gas on chain)``.

    Raises:
        MessageRejected: the message cannot be applied to ``tree``; the message says why.
    """
    msg = signed.message
    if msg.version != MESSAGE_VERSION:
        raise MessageRejected(f"message version {msg.version} is not {MESSAGE_VERSION}")
    sender_id = tree.lookup_id(msg.from_)
    if sender_id is None:
        raise MessageRejected(f"sender '{msg.from_}' not found in the state tree")
    sender = tree.actors[sender_id]
    if sender.code != ACCOUNT_CODE:
        raise MessageRejected(f"sender '{msg.from_}' is not an account actor")
    _check_fields(msg)
    try:
        verify_signed(signed, signer=tree.account_key(Address.new_id(sender_id)))
    except InvalidSignature as exc:
        raise MessageRejected(f"signature verification failed: {exc}") from exc
    gas = on_chain_gas(signed)
    if msg.gas_limit < gas:
        raise MessageRejected(
            f"'GasLimit' field cannot be less than the cost of storing a message on chain "
            f"{msg.gas_limit} < {gas}"
        )
    if msg.nonce != sender.nonce:
        raise MessageRejected(f"actor nonce invalid: msg:{msg.nonce} != state:{sender.nonce}")
    needed = msg.value + msg.required_funds()
    if sender.balance.atto < needed.atto:
        raise MessageRejected(
            f"not enough funds to execute transaction: '{msg.from_}' has {sender.balance}, needs {needed}"
        )
    return sender_id, gas


TOTAL_FILECOIN: Final = TokenAmount.from_fil(2_000_000_000)
"""build.FilBase: no value may exceed the total supply (Lotus ``ValidForBlockInclusion``)."""

BLOCK_GAS_LIMIT: Final = 10_000_000_000
"""build.BlockGasLimit: no message may ask for more gas than a block holds."""


def _check_fields(msg: Message) -> None:
    """Lotus ``Message.ValidForBlockInclusion``'s field checks, with its wording."""
    if msg.value.atto < 0:
        raise MessageRejected("'Value' field cannot be negative")
    if msg.value.atto > TOTAL_FILECOIN.atto:
        raise MessageRejected("'Value' field cannot be greater than total filecoin supply")
    if msg.gas_fee_cap.atto < 0:
        raise MessageRejected("'GasFeeCap' field cannot be negative")
    if msg.gas_premium.atto < 0:
        raise MessageRejected("'GasPremium' field cannot be negative")
    if msg.gas_premium.atto > msg.gas_fee_cap.atto:
        raise MessageRejected("'GasFeeCap' less than 'GasPremium'")
    if msg.gas_limit > BLOCK_GAS_LIMIT:
        raise MessageRejected("'GasLimit' field cannot be greater than a block's gas limit")


def apply_message(
    tree: StateTree, signed: SignedMessage, chain: ChainContext | None = None
) -> MessageReceipt:
    """Apply ``signed`` to ``tree`` in place and return its receipt.

    ``chain`` is the epoch and randomness of the block being made (see the module docstring).

    Raises:
        MessageRejected: refused before any change (see the module docstring); ``tree`` is untouched.
    """
    sender_id, gas = check_message(tree, signed)
    msg = signed.message
    gas_used = gas + SEND_BASE
    if msg.gas_limit < gas_used:
        _charge(tree, sender_id, msg.gas_limit, msg.gas_fee_cap)
        return MessageReceipt(exit_code=ExitCode.SYS_ERR_OUT_OF_GAS, gas_used=msg.gas_limit)
    _charge(tree, sender_id, gas_used, msg.gas_fee_cap)
    before = tree.copy()  # the point every failed invocation returns to: gas paid, nonce used
    try:
        ret = _invoke(tree, sender_id, signed, chain)
    except ActorExit as exc:
        tree.actors, tree.addresses, tree.next_id = before.actors, before.addresses, before.next_id
        log.info("message failed cid=%s exit=%d reason=%s", signed.cid(), exc.exit_code, exc)
        return MessageReceipt(exit_code=exc.exit_code, gas_used=gas_used)
    except Exception:  # an actor bug must fail its message, never stop the chain
        tree.actors, tree.addresses, tree.next_id = before.actors, before.addresses, before.next_id
        log.exception("actor failed unexpectedly cid=%s: the message fails, the chain goes on", signed.cid())
        return MessageReceipt(exit_code=ExitCode.SYS_ERR_ILLEGAL_INSTRUCTION, gas_used=gas_used)
    return MessageReceipt(exit_code=ExitCode.OK, return_value=ret, gas_used=gas_used)


def _charge(tree: StateTree, sender_id: int, gas: int, fee_cap: TokenAmount) -> None:
    sender = tree.actors[sender_id]
    fee = fee_cap * gas
    tree.update(sender_id, nonce=sender.nonce + 1, balance=sender.balance - fee)
    burnt = tree.actors[BURNT_FUNDS_ID]
    tree.update(BURNT_FUNDS_ID, balance=burnt.balance + fee)


def _invoke(tree: StateTree, sender_id: int, signed: SignedMessage, chain: ChainContext | None) -> bytes:
    msg = signed.message
    receiver_id = tree.lookup_id(msg.to)
    if receiver_id is None:
        if msg.to.protocol is not AddressProtocol.SECP256K1:
            raise ActorExit(ExitCode.SYS_ERR_INVALID_RECEIVER, f"actor '{msg.to}' not found")
        receiver_id = tree.create_account(msg.to)
    receiver = tree.actors[receiver_id]
    handler = ACTOR_METHODS.get(receiver.code, {}).get(msg.method)
    if msg.method != 0 and handler is None:
        raise ActorExit(ExitCode.SYS_ERR_INVALID_METHOD, f"no method {msg.method} on '{msg.to}'")
    if msg.value.atto:
        sender = tree.actors[sender_id]
        tree.update(sender_id, balance=sender.balance - msg.value)
        receiver = tree.actors[receiver_id]
        tree.update(receiver_id, balance=receiver.balance + msg.value)
    if handler is None:  # method 0, Send: the transfer is all
        return b""
    try:
        return handler(Invocation(tree, sender_id, receiver_id, msg.value, chain), msg.params)
    except InvalidCbor as exc:
        raise ActorExit(ExitCode.ERR_SERIALIZATION, str(exc)) from exc
