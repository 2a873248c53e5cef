"""What runs at the end of an epoch, after the block's messages: the block reward, then cron.

Counterparts: Lotus ``chain/consensus/filcns/compute_state.go`` (``ApplyBlocks``: each block's
messages, then its reward as an implicit ``AwardBlockReward`` message, then one cron ``EpochTick``
per epoch), the cron actor's ``EpochTick`` → power's ``OnEpochTickEnd`` → each enrolled miner's
``OnDeferredCronEvent`` → ``handle_proving_deadline``.

pylotus calls the handlers directly, as its actors call each other (see :mod:`pylotus.chain.vm`):
no cron actor, no event queue.  Every miner the power actor knows is enrolled for the last epoch of
each of its deadlines, as a miner that has ever had sectors is in builtin-actors; the power actor's
claims (ID order) stand for its cron queue.  Like Lotus's implicit messages, none of this can be
refused, and an actor bug here is logged and skipped for that miner rather than stopping the chain.
"""

from __future__ import annotations

import functools
import logging

from multiformats import CID

from .actor_power import PowerState
from .actor_reward import award_block_reward
from .miner_faults import handle_proving_deadline
from .miner_state import MinerState, deadline_closes_at
from .state import StateTree

__all__ = ["end_epoch", "run_cron"]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4096)
def _proving_offset(head: CID) -> int:
    """A miner's proving-period offset, decoded once per head: cron asks for every miner at every
    epoch, and a head changes only when the miner's state does (the offset never changes)."""
    return MinerState.from_head(head).proving_period_offset


def run_cron(tree: StateTree, epoch: int) -> None:
    """Cron at the end of ``epoch``: each miner whose deadline ends at ``epoch`` handles it."""
    for miner_id in sorted(PowerState.load(tree).claims):
        offset = _proving_offset(tree.actors[miner_id].head)
        if not deadline_closes_at(offset, epoch):
            continue
        before = tree.copy()
        try:
            handle_proving_deadline(tree, miner_id, epoch)
        except Exception:  # an actor bug must not stop the chain; this miner's cron is skipped
            tree.actors, tree.addresses, tree.next_id = before.actors, before.addresses, before.next_id
            log.exception("deadline cron failed miner=t0%d epoch=%d: skipped", miner_id, epoch)


def end_epoch(tree: StateTree, epoch: int, winner: int | None) -> None:
    """After the block of ``epoch``'s messages: its reward to ``winner`` (if any), then cron."""
    if winner is not None:
        paid = award_block_reward(tree, winner)
        log.debug("block reward miner=t0%d epoch=%d paid=%s", winner, epoch, paid)
    run_cron(tree, epoch)
