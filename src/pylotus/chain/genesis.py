"""Genesis state of the devnet: from a genesis template, or a default one with a funded wallet key.

Counterpart: Lotus ``chain/gen/genesis/genesis.go`` (``MakeInitialStateTree``: system, init, burnt
funds, then the template's accounts from ID 100) and ``lotus daemon --genesis-template``.

What is taken from a template (``pylotus-seed genesis new/add-miner``, Lotus's JSON): account
actors with their balances (``Meta.Owner``), ``NetworkVersion`` and ``Timestamp``; and each miner
(``genesis add-miner``) as a miner actor at its ID (``t01000`` on), owned and worked by its owner's
account (created if the template has none), its ``PowerBalance`` as balance, with every pre-sealed
sector active at height 0 and counted in its power (Lotus ``SetupStorageMiners``).  Pre-sealed
sectors lock no pledge and expire at their deal's ``EndEpoch``.  Multisig actors are skipped with a
log line until the multisig actor exists.

Pre-seal deals go into the market actor (f05) as Lotus's genesis publishes and activates them: each
sector's deal is a published proposal (client and provider as ID addresses; the client's account is
created if the template has none), active with ``SectorNumber`` and ``SectorStartEpoch`` 0, and the
sector's ``DealIDs`` name it; deal IDs count from 0 in template order.  Where pylotus differs: the
manifest's deal is kept as it is (Lotus forces ``VerifiedDeal`` and moves ``EndEpoch`` to the
sectors' common expiration; pylotus has no verified registry, and the sector already expires at the
deal's end), and no signature is checked (Lotus fakes them at genesis too).  Funds are minted into
the market actor, as ``PowerBalance`` is into the miner: the miner's ``MarketBalance`` becomes its
escrow (Lotus sends it from the worker), and whatever a deal would lock (``lotus-seed`` deals are
free, so usually nothing) is escrowed and locked for its client and provider.

The power actor (f04) and the market actor (f05) are in every genesis, empty when there is no template.

Without a template the node makes :data:`DEFAULT_BALANCE` for a new secp256k1 key, put in the node
wallet and made its default, so ``pylotus send`` works on a fresh devnet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, final

from multiformats import multibase

from pylotus.abi import (
    DEVNET_NETWORK_VERSION,
    Address,
    AddressProtocol,
    InvalidAddress,
    seal_proof_type_from_sector_size,
    window_post_proof_for,
)

from .actor_miner import activate_sector
from .actor_power import POWER_ID, new_miner, power_actor
from .actor_reward import REWARD_ID, reward_actor
from .bigint import TokenAmount
from .errors import InvalidGenesisFile
from .genesis_template import ACCOUNT_ACTOR, Miner, PreSeal, Template
from .market_state import MARKET_ID, DealProposal, DealState, MarketState, market_actor
from .miner_state import MinerState, SectorOnChain
from .state import (
    BURNT_FUNDS_ID,
    EMPTY_HEAD,
    FIRST_MINER_ID,
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
    tree.actors[POWER_ID] = power_actor()
    tree.actors[MARKET_ID] = market_actor()
    tree.actors[REWARD_ID] = reward_actor()
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
    # every key a miner needs gets its account first, from the account IDs: created later, an
    # account would take the ID after a miner's (t01001), which the next genesis miner needs
    for miner in template.miners:
        for key in (miner.owner, miner.worker, *(p.deal.client for p in miner.sectors)):
            if key.protocol is not AddressProtocol.ID and tree.lookup_id(key) is None:
                tree.create_account(key)
    for miner in template.miners:
        _add_miner(tree, miner, template.network_version)
    return Genesis(tree, template.network_version, template.timestamp or now)


def _add_miner(tree: StateTree, miner: Miner, network_version: int) -> None:
    miner_id = FIRST_MINER_ID if miner.id is None else miner.id.id()
    if miner_id in tree.actors:
        raise InvalidGenesisFile(f"genesis miner id 't0{miner_id}' is already in use")
    owner = tree.lookup_id(miner.owner)
    owner = tree.create_account(miner.owner) if owner is None else owner
    worker = tree.lookup_id(miner.worker)
    worker = tree.create_account(miner.worker) if worker is None else worker
    seal_proof = (
        miner.sectors[0].proof_type if miner.sectors else seal_proof_type_from_sector_size(miner.sector_size)
    )
    try:
        peer = multibase.decode("z" + miner.peer_id) if miner.peer_id else b""
    except (KeyError, ValueError) as exc:
        raise InvalidGenesisFile(f"genesis miner peer id '{miner.peer_id}' is not base58: {exc}") from exc
    new_miner(
        tree,
        owner=owner,
        worker=worker,
        post_proof=window_post_proof_for(seal_proof, network_version),
        peer_id=peer,
        multiaddrs=(),
        epoch=0,
        miner_id=miner_id,
        balance=TokenAmount(miner.power_balance),
    )
    _fund_escrow(tree, miner_id, TokenAmount(miner.market_balance))
    for preseal in miner.sectors:
        state = MinerState.from_head(tree.actors[miner_id].head)
        if preseal.sector_id in state.allocated or preseal.proof_type != seal_proof:
            raise InvalidGenesisFile(
                f"genesis miner 't0{miner_id}' sector '{preseal.sector_id}' is a duplicate or of another type"
            )
        deal_id = _add_deal(tree, miner_id, preseal)
        sector = SectorOnChain(
            preseal.sector_id,
            preseal.proof_type,
            preseal.comm_r,
            (deal_id,),
            0,
            preseal.deal.end_epoch,
            TokenAmount(0),
        )
        activate_sector(tree, miner_id, state, sector)
    log.info("genesis miner created miner=t0%d sectors=%d", miner_id, len(miner.sectors))


def _fund_escrow(tree: StateTree, actor_id: int, amount: TokenAmount) -> None:
    """Mint ``amount`` into the market actor as ``actor_id``'s escrow."""
    if not amount:
        return
    market = MarketState.load(tree)
    market.add_escrow(actor_id, amount)
    market.store(tree)
    tree.update(MARKET_ID, balance=tree.actors[MARKET_ID].balance + amount)


def _add_deal(tree: StateTree, miner_id: int, preseal: PreSeal) -> int:
    """Publish and activate a pre-seal's deal in the market (see the module docstring); its deal ID."""
    deal = preseal.deal
    if tree.lookup_id(deal.provider) != miner_id:
        raise InvalidGenesisFile(
            f"genesis miner 't0{miner_id}' sector '{preseal.sector_id}' has a deal for provider "
            f"'{deal.provider}'"
        )
    client = tree.lookup_id(deal.client)
    if client is None:
        try:
            client = tree.create_account(deal.client)
        except ValueError as exc:
            raise InvalidGenesisFile(f"genesis deal client '{deal.client}' is not an actor: {exc}") from exc
    proposal = DealProposal(
        piece_cid=deal.piece_cid,
        piece_size=deal.piece_size,
        verified_deal=deal.verified_deal,
        client=Address.new_id(client),
        provider=Address.new_id(miner_id),
        label=deal.label,
        start_epoch=deal.start_epoch,
        end_epoch=deal.end_epoch,
        storage_price_per_epoch=TokenAmount(deal.storage_price_per_epoch),
        provider_collateral=TokenAmount(deal.provider_collateral),
        client_collateral=TokenAmount(deal.client_collateral),
    )
    if min(proposal.client_balance_requirement().atto, proposal.provider_collateral.atto) < 0:
        raise InvalidGenesisFile(
            f"genesis miner 't0{miner_id}' sector '{preseal.sector_id}' has a deal with a negative amount"
        )
    _fund_escrow(tree, client, proposal.client_balance_requirement())
    _fund_escrow(tree, miner_id, proposal.provider_collateral)
    market = MarketState.load(tree)
    deal_id = market.publish(proposal)  # locks what it escrowed just above
    market.states[deal_id] = DealState(preseal.sector_id, 0)
    market.store(tree)
    return deal_id


def _owner(meta: object) -> Address:
    owner = meta.get("Owner") if isinstance(meta, dict) else None
    if not isinstance(owner, str):
        raise InvalidGenesisFile(f"genesis account meta {meta!r} has no 'Owner' address")
    try:
        return Address.from_string(owner)
    except InvalidAddress as exc:
        raise InvalidGenesisFile(f"genesis account owner '{owner}' is not an address: {exc}") from exc
