"""What the actor tests share: a chain context from a ticket function, and one signed message
applied to a state tree as the block producer applies it."""

from __future__ import annotations

from collections.abc import Callable

from pylotus.abi import Address
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.crypto import key_address
from pylotus.chain.randomness import ChainRandomness
from pylotus.chain.state import StateTree
from pylotus.chain.types import Message, sign_message
from pylotus.chain.types_receipt import MessageReceipt
from pylotus.chain.vm import ChainContext, apply_message
from pylotus.repo import KeyInfo


def chain_at(epoch: int, ticket_at: Callable[[int], bytes]) -> ChainContext:
    """The context of a block at ``epoch`` on a chain whose tickets ``ticket_at`` gives."""
    return ChainContext(epoch, ChainRandomness(epoch - 1, ticket_at))


def apply_signed(
    tree: StateTree,
    key: KeyInfo,
    nonce: int,
    to: Address,
    method: int,
    params: bytes,
    value: TokenAmount,
    chain: ChainContext,
) -> MessageReceipt:
    """Sign a message from ``key``'s address with generous gas and apply it to ``tree``."""
    message = Message(
        to=to,
        from_=key_address(key),
        nonce=nonce,
        value=value,
        gas_limit=100_000_000,
        gas_fee_cap=TokenAmount(100),
        gas_premium=TokenAmount(1),
        method=method,
        params=params,
    )
    return apply_message(tree, sign_message(key, message), chain)
