"""Faults and recoveries of the miner actor: DeclareFaults (10), DeclareFaultsRecovered (11), what a
Window PoSt proves and recovers, and the deadline's end run by cron.

Counterparts: builtin-actors ``actors/miner/src/lib.rs`` (``declare_faults``,
``declare_faults_recovered``, ``handle_proving_deadline``), ``deadline_state.rs`` /
``partition_state.rs`` (``record_faults``, ``declare_faults_recovered``, ``record_proven_sectors``,
``record_missed_post``) and ``state.rs`` (``cleanup_expired_pre_commits``).

The rules, as builtin-actors (the devnet keeps no fee, penalty or debt):

* **Missed PoSt**: at the last epoch of a deadline (``Close - 1``, after that epoch's messages), every
  partition of the deadline with no PoSt in this proving period loses its live sectors to faults:
  each sector not yet faulty becomes faulty and its power is taken from the miner's claim and the
  network total; a recovery declared for the partition fails (the sector stays faulty).  The
  deadline's PoSt submissions are then cleared for its next period.  A newly detected fault pays no
  penalty in builtin-actors; the continued-fault fee on sectors that stay faulty is not charged.
* **Declared faults** (``DeclareFaults``) are faulty at once and lose their power at once.
* **Recovery** takes two steps: ``DeclareFaultsRecovered`` marks faulty sectors *recovering* (power
  unchanged), and the next Window PoSt of their partition proves them with the others; only then
  are they no longer faulty and their power comes back.  A declaration (fault or recovery) for a
  deadline must come before that deadline's fault cutoff (``Open - FaultDeclarationCutoff``) of
  its next instance that has not closed, or it is refused as late.
* **Expired pre-commits**: a pre-commit not proven by ``PreCommitEpoch + MaxProveCommitDuration``
  is removed, and its deposit burnt (sent to f099), by the first deadline cron after a further
  ``ExpiredPreCommitCleanUpDelay``, as builtin-actors' clean-up queue does.
* A PoSt proves the non-faulty and the recovering sectors of its partitions; a faulty sector not
  declared recovering is replaced in the challenged set by the first provable one (builtin-actors
  ``load_for_proof``, as Lotus's ``wdpost`` substitutes it when proving).  Skipped faults in the
  PoSt params are not read.

Faults never expire into terminations here (builtin-actors ``FaultMaxAge``, 42 days), and
sectors do not expire: the devnet has no termination yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final, final

from . import dagcbor
from .actor_power import PowerState
from .bigint import TokenAmount
from .bitfield import decode_rle
from .errors import InvalidCbor
from .exitcode import ExitCode
from .miner_state import (
    MinerState,
    SectorOnChain,
    deadline_index,
    period_start,
    require_controller,
    store_miner,
)
from .policy import (
    EXPIRED_PRE_COMMIT_CLEAN_UP_DELAY,
    FAULT_DECLARATION_CUTOFF,
    MAX_PROVE_COMMIT_DURATION,
    WPOST_CHALLENGE_WINDOW,
    WPOST_PERIOD_DEADLINES,
    WPOST_PROVING_PERIOD,
)
from .runtime import ActorExit, Invocation
from .state import BURNT_FUNDS_ID, StateTree

__all__ = [
    "ADDRESSED_SECTORS_MAX",
    "DECLARATIONS_MAX",
    "declare_faults",
    "declare_faults_recovered",
    "handle_proving_deadline",
    "record_proven",
    "sectors_to_prove",
]

log = logging.getLogger(__name__)

DECLARATIONS_MAX: Final = 3000  # policy DECLARATIONS_MAX (= ADDRESSED_PARTITIONS_MAX)
ADDRESSED_SECTORS_MAX: Final = 25_000  # policy ADDRESSED_SECTORS_MAX


@final
@dataclass(frozen=True, slots=True)
class _Declaration:
    deadline: int
    partition: int
    sectors: frozenset[int]


def _declarations(params: bytes, name: str) -> list[_Declaration]:
    """``[[[Deadline, Partition, Sectors (RLE+)]...]]``: Lotus's Declare{Faults,FaultsRecovered}Params."""
    value: Any = dagcbor.decode(params)
    try:
        (entries,) = value
        out = []
        total = 0
        for deadline, partition, raw in entries:
            if not isinstance(deadline, int) or not isinstance(partition, int) or not isinstance(raw, bytes):
                raise TypeError("Deadline and Partition must be integers and Sectors a bitfield")
            sectors = decode_rle(raw, limit=ADDRESSED_SECTORS_MAX - total)
            total += len(sectors)
            out.append(_Declaration(deadline, partition, frozenset(sectors)))
    except (TypeError, ValueError) as exc:
        raise InvalidCbor(f"{name} params do not decode: {exc}") from exc
    if len(out) > DECLARATIONS_MAX:
        raise ActorExit(
            ExitCode.ERR_ILLEGAL_ARGUMENT, f"too many declarations: {len(out)} > {DECLARATIONS_MAX}"
        )
    return out


def _check_declaration(state: MinerState, decl: _Declaration, epoch: int) -> set[int]:
    """builtin-actors' checks of one declaration; returns the partition's sectors."""
    bad = ExitCode.ERR_ILLEGAL_ARGUMENT
    if not 0 <= decl.deadline < WPOST_PERIOD_DEADLINES:
        raise ActorExit(bad, f"invalid deadline {decl.deadline}, must be < {WPOST_PERIOD_DEADLINES}")
    # the deadline's next instance that has not closed (DeadlineInfo.next_not_elapsed)
    open_ = period_start(state.proving_period_offset, epoch) + decl.deadline * WPOST_CHALLENGE_WINDOW
    if epoch >= open_ + WPOST_CHALLENGE_WINDOW:
        open_ += WPOST_PROVING_PERIOD
    cutoff = open_ - FAULT_DECLARATION_CUTOFF
    if epoch >= cutoff:
        raise ActorExit(
            bad,
            f"late fault or recovery declaration for deadline {decl.deadline} at epoch {epoch}: "
            f"its fault cutoff was {cutoff}",
        )
    partitions = state.deadlines.get(decl.deadline, [])
    if not 0 <= decl.partition < len(partitions):
        raise ActorExit(ExitCode.ERR_NOT_FOUND, f"no partition {decl.partition} in deadline {decl.deadline}")
    members = set(partitions[decl.partition])
    stray = sorted(decl.sectors - members)
    if stray:
        raise ActorExit(
            bad,
            f"sectors {stray[:5]} are not in partition {decl.partition} of deadline {decl.deadline}",
        )
    return members


def _update_power(tree: StateTree, miner_id: int, state: MinerState, sectors: int) -> None:
    if sectors:
        power = PowerState.load(tree)
        delta = sectors * state.info.sector_size
        power.add(miner_id, delta, delta)
        power.store(tree)


def declare_faults(inv: Invocation, params: bytes) -> bytes:
    """Method 10, ``DeclareFaults``: params ``[[[Deadline, Partition, Sectors]...]]``; the sectors
    are faulty at once and lose their power (recoveries among them are withdrawn)."""
    decls = _declarations(params, "DeclareFaults")
    chain = inv.require_chain()
    state = MinerState.from_head(inv.tree.actors[inv.receiver].head)
    require_controller(state, inv.caller, inv.receiver)
    new_faults: set[int] = set()
    for decl in decls:
        _check_declaration(state, decl, chain.epoch)
        new_faults |= decl.sectors - state.faults
        state.recoveries -= decl.sectors
    state.faults |= new_faults
    store_miner(inv.tree, inv.receiver, state)
    _update_power(inv.tree, inv.receiver, state, -len(new_faults))
    return b""


def declare_faults_recovered(inv: Invocation, params: bytes) -> bytes:
    """Method 11, ``DeclareFaultsRecovered``: params ``[[[Deadline, Partition, Sectors]...]]``; the
    faulty ones among the sectors become recovering until their partition's next PoSt."""
    decls = _declarations(params, "DeclareFaultsRecovered")
    chain = inv.require_chain()
    state = MinerState.from_head(inv.tree.actors[inv.receiver].head)
    require_controller(state, inv.caller, inv.receiver)
    for decl in decls:
        _check_declaration(state, decl, chain.epoch)
        state.recoveries |= decl.sectors & state.faults
    store_miner(inv.tree, inv.receiver, state)
    return b""


def sectors_to_prove(state: MinerState, numbers: list[int]) -> list[SectorOnChain] | None:
    """The challenged sectors of a PoSt over sectors ``numbers`` (sorted), or ``None`` when none of
    them is provable; faulty, non-recovering sectors are replaced by the first provable one."""
    ignored = state.faults - state.recoveries
    good = [n for n in numbers if n not in ignored]
    if not good:
        return None
    return [state.sectors[good[0] if n in ignored else n] for n in numbers]


def record_proven(tree: StateTree, miner_id: int, state: MinerState, numbers: list[int]) -> None:
    """After a valid PoSt over ``numbers``: recovering sectors among them are recovered, and get
    their power back.  Stores ``state``."""
    recovered = set(numbers) & state.recoveries
    state.faults -= recovered
    state.recoveries -= recovered
    store_miner(tree, miner_id, state)
    _update_power(tree, miner_id, state, len(recovered))
    if recovered:
        log.info("sectors recovered miner=t0%d sectors=%s", miner_id, sorted(recovered))


def _burn_expired_precommits(tree: StateTree, miner_id: int, state: MinerState, epoch: int) -> None:
    due = MAX_PROVE_COMMIT_DURATION + EXPIRED_PRE_COMMIT_CLEAN_UP_DELAY
    expired = [n for n, pc in state.precommits.items() if pc.precommit_epoch + due <= epoch]
    if not expired:
        return
    burnt = sum((state.precommits.pop(n).deposit for n in expired), TokenAmount(0))
    miner = tree.actors[miner_id]
    tree.update(miner_id, balance=miner.balance - burnt)
    sink = tree.actors[BURNT_FUNDS_ID]
    tree.update(BURNT_FUNDS_ID, balance=sink.balance + burnt)
    log.info("expired pre-commits removed miner=t0%d sectors=%s burnt=%s", miner_id, expired, burnt)


def handle_proving_deadline(tree: StateTree, miner_id: int, epoch: int) -> None:
    """The end of the deadline whose last epoch is ``epoch`` for miner ``miner_id`` (builtin-actors
    ``handle_proving_deadline``; rules in the module docstring)."""
    state = MinerState.from_head(tree.actors[miner_id].head)
    _burn_expired_precommits(tree, miner_id, state, epoch)
    deadline = deadline_index(state.proving_period_offset, epoch)
    start = period_start(state.proving_period_offset, epoch)
    proven = state.proven_partitions(deadline, start)
    new_faults: set[int] = set()
    for index, partition in enumerate(state.deadlines.get(deadline, [])):
        if index in proven:
            continue
        members = set(partition)
        new_faults |= members - state.faults
        state.recoveries -= members
    state.faults |= new_faults
    state.proven.pop(deadline, None)
    store_miner(tree, miner_id, state)
    _update_power(tree, miner_id, state, -len(new_faults))
    if new_faults:
        log.warning(
            "missed window post: sectors faulty miner=t0%d deadline=%d sectors=%s",
            miner_id,
            deadline,
            sorted(new_faults),
        )
