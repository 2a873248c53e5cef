"""The reward actor (f02), the devnet's block election, and the reward a block pays its miner.

Counterparts: builtin-actors ``actors/reward`` (``AwardBlockReward``: the reward actor pays the
block's miner through the miner's ``ApplyRewards``), Lotus ``chain/consensus/filcns`` (each block's
reward is an implicit message after the block's messages, before cron) and Lotus's election
(``IsRoundWinner``: a miner wins in proportion to its share of the network's power).

Devnet simplifications, each a choice:

* **Election**: exactly one block an epoch.  Its miner is drawn from the miners with raw power in
  the parent state, weighted by raw power: ``draw = DrawRandomness(ticket,
  ElectionProofProduction=2, epoch, b"")`` read as a big-endian integer, modulo the total raw
  power, falls into the miners' cumulative power in ID order.  The ticket is the block's own
  (:func:`pylotus.chain.randomness.ticket_vrf_proof`), so the draw is fixed by the chain and
  nobody knows it before the parent exists.  Faulty sectors have no power and so win nothing.  With
  no power anywhere the block is made by f00 and pays no reward.  Lotus's consensus minimum
  (``HasMinPower``) is not required, as Lotus's own rule lets any miner with power mine while too
  few miners reach it.
* **Reward**: a fixed :data:`~pylotus.chain.policy.BLOCK_REWARD` a block, paid from f02's balance
  (never more than it holds) into the miner actor's balance, **all of it available at once**.
  builtin-actors locks 75 % of each reward in vesting funds released over 180 days; the devnet
  has no vesting table, so ``StateMinerAvailableBalance`` grows by the whole reward.  Gas is still
  all burnt (no miner tip).
* **f02 at genesis**: the reward actor holds Lotus's ``InitialRewardBalance`` (the 1.1 billion FIL
  storage-mining allocation).  A chain whose genesis predates f02 gets it created by the first block
  that needs it (:func:`ensure_reward_actor`); that block's state then holds the allocation.
"""

from __future__ import annotations

import logging
from typing import Final

from .actor_power import PowerState
from .bigint import TokenAmount
from .policy import BLOCK_REWARD
from .randomness import DomainSeparationTag, draw_randomness
from .state import EMPTY_HEAD, Actor, StateTree, actor_code

__all__ = [
    "INITIAL_REWARD_BALANCE",
    "REWARD_CODE",
    "REWARD_ID",
    "award_block_reward",
    "elect_miner",
    "ensure_reward_actor",
    "reward_actor",
]

log = logging.getLogger(__name__)

REWARD_ID: Final = 2  # builtin.RewardActorAddr
REWARD_CODE: Final = actor_code("reward")
INITIAL_REWARD_BALANCE: Final = TokenAmount.from_fil(1_100_000_000)  # Lotus build.InitialRewardBalance


def reward_actor(balance: TokenAmount = INITIAL_REWARD_BALANCE) -> Actor:
    """The reward actor as genesis creates it."""
    return Actor(REWARD_CODE, EMPTY_HEAD, 0, balance)


def ensure_reward_actor(tree: StateTree) -> None:
    """Create f02 in ``tree`` if its genesis had none (see the module docstring)."""
    if REWARD_ID not in tree.actors:
        tree.actors[REWARD_ID] = reward_actor()
        log.info("reward actor created balance=%s", INITIAL_REWARD_BALANCE)


def elect_miner(tree: StateTree, ticket: bytes, epoch: int) -> int | None:
    """The ID of the miner that makes the block of ``epoch`` with ``ticket``, or ``None`` when no
    miner has power in ``tree`` (see the module docstring)."""
    claims = sorted((m, raw) for m, (raw, _) in PowerState.load(tree).claims.items() if raw > 0)
    total = sum(raw for _, raw in claims)
    if not total:
        return None
    draw = draw_randomness(ticket, DomainSeparationTag.ELECTION_PROOF_PRODUCTION, epoch, b"")
    point = int.from_bytes(draw, "big") % total
    for miner_id, raw in claims:
        if point < raw:
            return miner_id
        point -= raw
    raise AssertionError("the draw is below the total power")


def award_block_reward(tree: StateTree, miner_id: int) -> TokenAmount:
    """Pay the block reward from f02 to miner ``miner_id``; returns what was paid."""
    ensure_reward_actor(tree)
    reward = tree.actors[REWARD_ID]
    paid = min(BLOCK_REWARD, reward.balance)
    if paid.atto <= 0:
        return TokenAmount(0)
    tree.update(REWARD_ID, balance=reward.balance - paid)
    miner = tree.actors[miner_id]
    tree.update(miner_id, balance=miner.balance + paid)
    return paid
