"""Genesis state of the devnet: from a genesis template, or a default one with a funded wallet key.

Counterpart: Lotus ``chain/gen/genesis/genesis.go`` (``MakeInitialStateTree``: system, init, burnt
funds, then the template's accounts from ID 100) and ``lotus daemon --genesis-template``.

What is taken from a template (``pylotus-seed genesis new/add-miner``, Lotus's JSON): account
actors with their balances (``Meta.Owner``), ``NetworkVersion`` and ``Timestamp``.  Multisig actors
and miners are skipped with a log line until the multisig, power and miner actors exist.

Without a template the node makes :data:`DEFAULT_BALANCE` for a new secp256k1 key, put in the node
wallet and made its default, so ``pylotus send`` works on a fresh devnet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, final

from pylotus.abi import Address, InvalidAddress

from .bigint import TokenAmount
from .errors import InvalidGenesisFile
from .genesis_template import ACCOUNT_ACTOR, DEVNET_NETWORK_VERSION, Template
from .state import (
    BURNT_FUNDS_ID,
    EMPTY_HEAD,
    INIT_CODE,
    INIT_ID,
    SYSTEM_CODE,
    SYSTEM_ID,
    Actor,
    StateTree,
    actor_code,
)
from .wallet import Wallet

__all__ = ["DEFAULT_BALANCE", "DEFAULT_NETWORK_VERSION", "Genesis", "make_genesis"]

log = logging.getLogger(__name__)

DEFAULT_BALANCE: Final = TokenAmount.from_fil(1_000_000)  # pylotus devnet default, enough for any test
DEFAULT_NETWORK_VERSION: Final = DEVNET_NETWORK_VERSION  # what pylotus-seed genesis new writes


@final
@dataclass(frozen=True, slots=True)
class Genesis:
    """The genesis state and the facts the node serves about it."""

    state: StateTree
    network_version: int
    timestamp: int


def _singletons() -> StateTree:
    tree = StateTree()
    zero = TokenAmount(0)
    tree.actors[SYSTEM_ID] = Actor(SYSTEM_CODE, EMPTY_HEAD, 0, zero)
    tree.actors[INIT_ID] = Actor(INIT_CODE, EMPTY_HEAD, 0, zero)
    tree.actors[BURNT_FUNDS_ID] = Actor(actor_code("account"), EMPTY_HEAD, 0, zero)
    return tree


def make_genesis(template: Template | None, wallet: Wallet, *, now: int) -> Genesis:
    """The genesis of a new chain.

    Args:
        template: a genesis template, or ``None`` for the default devnet.
        wallet: the node wallet; without a template it receives the funded key as its default.
        now: the Unix time to stamp when the template has none.

    Raises:
        InvalidGenesisFile: an account without a key ``Owner``, or twice the same owner.
    """
    tree = _singletons()
    if template is None:
        key = wallet.new()
        wallet.set_default(key)
        tree.create_account(key, DEFAULT_BALANCE)
        log.info("default devnet genesis funded=%s balance=%s", key, DEFAULT_BALANCE)
        return Genesis(tree, DEFAULT_NETWORK_VERSION, now)
    for actor in template.accounts:
        if actor.type != ACCOUNT_ACTOR:
            log.warning("genesis actor skipped type=%s: only accounts are created so far", actor.type)
            continue
        owner = _owner(actor.meta)
        if tree.lookup_id(owner) is not None:
            raise InvalidGenesisFile(f"genesis account '{owner}' appears twice")
        tree.create_account(owner, TokenAmount(actor.balance))
    for miner in template.miners:
        log.warning("genesis miner skipped miner=%s: the miner actor does not exist yet (issue #7)", miner.id)
    return Genesis(tree, template.network_version, template.timestamp or now)


def _owner(meta: object) -> Address:
    owner = meta.get("Owner") if isinstance(meta, dict) else None
    if not isinstance(owner, str):
        raise InvalidGenesisFile(f"genesis account meta {meta!r} has no 'Owner' address")
    try:
        return Address.from_string(owner)
    except InvalidAddress as exc:
        raise InvalidGenesisFile(f"genesis account owner '{owner}' is not an address: {exc}") from exc
