"""The sector state machine: Packing → … → Proving, every transition persisted before its effect.

Counterparts: Lotus ``storage/pipeline/fsm.go`` (planners), ``states_sealing.go`` (``handlePacking``
… ``handleFinalizeSector``), ``states_failed.go`` (failure states, ``failedCooldown``) and
``checks.go`` (the on-chain checks that make a resumed sector skip what already happened);
reference/lotus-miner.md §6.2–6.3.

How a sector moves: one trio task per sector (:meth:`Pipeline._drive`) reads the record, runs the
handler of its state, and writes the record again with the handler's event (new state, changed
fields, one log entry ``event;sealing.<Event>``), synced, before it looks at the next state.
A handler's side effects are therefore either finished and recorded, or redone after a crash;
each handler is written so that redoing it is safe:

* sealing calls go through the :class:`~pylotus.sched.Manager` (its call tracker collects a
  result a worker delivered while the miner was down);
* PreCommit1 writes its ticket into the record first, so a redo seals with the same ticket;
* PreCommitting and SubmitCommit first ask the chain whether their message already landed
  (``StateSectorPreCommitInfo``, ``StateSectorGetInfo``) and skip ahead if so; a message pushed
  just before a crash and found unlanded is sent again, and the second copy fails harmlessly
  on chain once the first lands.

A failure (an exception from a handler) moves the sector to the failure state of its step with
``LastErr`` and one more ``Retries``; after :attr:`PipelineConfig.failed_cooldown` (Lotus: one
minute after the last log entry) the failure state's planner retries from the right step.

Chain access is the FullNode API (any :class:`~pylotus.jsonrpc.RpcClient` serving its tables):
``ChainHead``, ``ChainGetRandomnessFromTickets``/``FromBeacon``, ``StateSectorPreCommitInfo``,
``StateSectorGetInfo``, ``StateMinerPreCommitDepositForPower``,
``StateMinerInitialPledgeCollateral``, ``MpoolPushMessage`` and ``StateWaitMsg``.

Devnet values: the ticket is drawn ``SealRandomnessLookback`` (``ChainFinality``, 900) epochs
behind the head, but never before genesis; the seed at ``PreCommitEpoch +
PreCommitChallengeDelay`` (10 on the devnet, :mod:`pylotus.chain.policy`) once the head has
reached it; the expiration is ``head + MaxProveCommitDuration + MinSectorExpiration`` plus a day
of slack for the message to land.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, final

import trio
from multiformats import CID

from ..abi import PaddedPieceSize, SectorID, SectorNumber, UnpaddedPieceSize, cid_to_json
from ..chain import dagcbor
from ..chain.errors import InvalidCbor
from ..chain.policy import (
    CHAIN_FINALITY,
    EPOCHS_IN_DAY,
    MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK,
    MAX_PROVE_COMMIT_DURATION,
    MIN_SECTOR_EXPIRATION,
    PRE_COMMIT_CHALLENGE_DELAY,
)
from ..chain.randomness import DomainSeparationTag
from ..errors import PylotusError
from ..proofs import PieceInfo, SectorCids
from ..sched import Manager
from ..stores import SectorRef
from .chain_calls import MinerChain
from .sealing import Sealing, event_message
from .sector_info import SectorInfo, SectorPiece, SectorState
from .sector_store import SectorNotFound

__all__ = ["Pipeline", "PipelineConfig", "StepFailed"]

log = logging.getLogger(__name__)

METHOD_PRE_COMMIT_SECTOR: Final = 6
METHOD_PROVE_COMMIT_SECTOR: Final = 7
SEAL_RANDOMNESS_LOOKBACK: Final = CHAIN_FINALITY  # Lotus policy.SealRandomnessLookback
EXPIRATION_SLACK: Final = EPOCHS_IN_DAY
TICKET_LANDING_MARGIN: Final = 20  # epochs a PreCommitSector may take to land


class StepFailed(PylotusError):
    """A step's outcome that sends the sector to its failure state (the reason is kept in LastErr)."""


@dataclass(frozen=True)
class PipelineConfig:
    failed_cooldown: float = 60.0  # seconds; Lotus minRetryTime
    poll_interval: float = 1.0  # seconds between head polls while waiting for an epoch
    message_timeout: float = 600.0  # seconds StateWaitMsg may take


@dataclass(frozen=True)
class Step:
    """A handler's outcome: the event, its JSON fields, and the record's new state and fields."""

    state: SectorState
    event: str
    fields: dict[str, object] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)


# the failure state of each step, and the event that puts a sector there
_FAILURES: Final[dict[SectorState, tuple[SectorState, str]]] = {
    SectorState.PACKING: (SectorState.PACKING_FAILED, "SectorPackingFailed"),
    SectorState.PRE_COMMIT1: (SectorState.SEAL_PRE_COMMIT1_FAILED, "SectorSealPreCommit1Failed"),
    SectorState.PRE_COMMIT2: (SectorState.SEAL_PRE_COMMIT2_FAILED, "SectorSealPreCommit2Failed"),
    SectorState.PRE_COMMITTING: (SectorState.PRE_COMMIT_FAILED, "SectorChainPreCommitFailed"),
    SectorState.PRE_COMMIT_WAIT: (SectorState.PRE_COMMIT_FAILED, "SectorChainPreCommitFailed"),
    SectorState.WAIT_SEED: (SectorState.PRE_COMMIT_FAILED, "SectorChainPreCommitFailed"),
    SectorState.COMMITTING: (SectorState.COMPUTE_PROOF_FAILED, "SectorComputeProofFailed"),
    SectorState.SUBMIT_COMMIT: (SectorState.COMMIT_FAILED, "SectorCommitFailed"),
    SectorState.COMMIT_WAIT: (SectorState.COMMIT_FAILED, "SectorCommitFailed"),
    SectorState.FINALIZE_SECTOR: (SectorState.FINALIZE_FAILED, "SectorFinalizeFailed"),
    SectorState.REMOVING: (SectorState.REMOVE_FAILED, "SectorRemoveFailed"),
}


@final
class Pipeline:
    """Drives every sector of :class:`~.sealing.Sealing` through its states."""

    def __init__(
        self,
        sealing: Sealing,
        manager: Manager,
        chain: MinerChain,
        sector_size: int,
        config: PipelineConfig | None = None,
    ) -> None:
        self._sealing = sealing
        self._manager = manager
        self._chain = chain
        self._sector_size = sector_size
        self._config = config or PipelineConfig()
        self._scopes: dict[int, trio.CancelScope] = {}
        self._restart: set[int] = set()
        self._nursery: trio.Nursery | None = None
        self._handlers: dict[SectorState, Callable[[SectorInfo], Awaitable[Step]]] = {
            SectorState.PACKING: self._packing,
            SectorState.PRE_COMMIT1: self._pre_commit1,
            SectorState.PRE_COMMIT2: self._pre_commit2,
            SectorState.PRE_COMMITTING: self._pre_committing,
            SectorState.PRE_COMMIT_WAIT: self._pre_commit_wait,
            SectorState.WAIT_SEED: self._wait_seed,
            SectorState.COMMITTING: self._committing,
            SectorState.SUBMIT_COMMIT: self._submit_commit,
            SectorState.COMMIT_WAIT: self._commit_wait,
            SectorState.FINALIZE_SECTOR: self._finalize,
            SectorState.PACKING_FAILED: self._retry_to(SectorState.PACKING, "SectorRetryPacking"),
            SectorState.SEAL_PRE_COMMIT1_FAILED: self._retry_to(
                SectorState.PRE_COMMIT1, "SectorRetrySealPreCommit1"
            ),
            SectorState.SEAL_PRE_COMMIT2_FAILED: self._retry_pre_commit2,
            SectorState.PRE_COMMIT_FAILED: self._retry_pre_commit,
            SectorState.COMPUTE_PROOF_FAILED: self._retry_to(
                SectorState.COMMITTING, "SectorRetryComputeProof"
            ),
            SectorState.COMMIT_FAILED: self._retry_commit,
            SectorState.REMOVING: self._removing,
            SectorState.REMOVE_FAILED: self._retry_to(SectorState.REMOVING, "SectorRemove"),
            SectorState.FINALIZE_FAILED: self._retry_to(SectorState.FINALIZE_SECTOR, "SectorRetryFinalize"),
        }

    # -- running ----------------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Resume every sector that has work left, then take new ones as they are pledged."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            self._sealing.on_change = self.kick
            resumed = []
            for number in self._sealing.sectors.numbers():
                info = self._record(number)
                if info is not None and info.state in self._handlers:
                    resumed.append(number)
            for number in resumed:
                self.kick(number)
            if resumed:
                log.info("resuming sectors %s", resumed)
            task_status.started()
            try:
                await trio.sleep_forever()
            finally:
                self._sealing.on_change = lambda number: None

    def kick(self, number: int) -> None:
        """The record of ``number`` changed (pledged, forced): (re)start its task."""
        if self._nursery is None:
            return
        scope = self._scopes.get(number)
        if scope is not None:
            self._restart.add(number)
            scope.cancel()
            return
        self._scopes[number] = trio.CancelScope()
        self._nursery.start_soon(self._drive, number)

    async def _drive(self, number: int) -> None:
        scope = self._scopes[number]
        try:
            with scope:
                while True:
                    info = self._record(number)
                    handler = None if info is None else self._handlers.get(info.state)
                    if info is None or handler is None:
                        return
                    try:
                        step = await handler(info)
                    except Exception as exc:  # noqa: BLE001 - one sector's failure must not stop the others
                        if not isinstance(exc, (PylotusError, OSError)):
                            log.exception("sector %d: unexpected error in %s", number, info.state)
                        step = self._failure(info, exc)
                    # the handler may have persisted a part of its work (the ticket): apply to that
                    current = self._record(number)
                    if current is None:
                        return
                    if current.state is not info.state:  # moved meanwhile (forced, removed): drop the step
                        log.info("sector %d: %s left behind; now %s", number, step.event, current.state)
                        continue
                    self._sealing.sectors.put(self._apply(current, step))
                    log.info("sector %d: %s -> %s (%s)", number, info.state, step.state, step.event)
        finally:
            del self._scopes[number]
            if number in self._restart:
                self._restart.discard(number)
                self.kick(number)

    def _record(self, number: int) -> SectorInfo | None:
        """The sector's record; ``None`` (logged) if it is missing or damaged: that sector stops."""
        try:
            return self._sealing.sectors.get(number)
        except (SectorNotFound, InvalidCbor) as exc:
            log.error(
                "sector %d: record unreadable (%s); it is not processed "
                "(fix it with 'pylotus-miner sectors update-state' or remove it)",
                number,
                exc,
            )
            return None

    def _apply(self, info: SectorInfo, step: Step, *, trace: str = "") -> SectorInfo:
        updated = info.evolve(state=step.state, **step.changes)
        return updated.logged(f"event;sealing.{step.event}", event_message(**step.fields), trace=trace)

    def _failure(self, info: SectorInfo, exc: Exception) -> Step:
        """The failure state of ``info``'s step; in a failure state (or Removing) an error keeps
        the state (Lotus's SectorFatalError), so the next cooldown retries."""
        reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PylotusError) else str(exc)
        log.warning("sector %d failed in %s: %s", info.sector_number, info.state, reason)
        state, event = _FAILURES.get(info.state, (info.state, "SectorFatalError"))
        return Step(state, event, {"error": reason}, {"last_err": reason, "retries": info.retries + 1})

    # -- helpers ----------------------------------------------------------------------------------

    def _ref(self, info: SectorInfo) -> SectorRef:
        return SectorRef(SectorID(self._sealing.miner, SectorNumber(info.sector_number)), info.sector_type)

    def _pieces(self, info: SectorInfo) -> list[PieceInfo]:
        return [PieceInfo(p.size, p.piece_cid) for p in info.pieces]

    async def _wait(self, cid: CID) -> dict[str, Any]:
        receipt: dict[str, Any] = (await self._chain.wait(cid, self._config.message_timeout))["Receipt"]
        return receipt

    async def _cooldown(self, info: SectorInfo) -> None:
        last = info.log[-1].timestamp if info.log else 0
        await trio.sleep(max(0.0, last + self._config.failed_cooldown - time.time()))

    # -- the sealing steps --------------------------------------------------------------------------

    async def _packing(self, info: SectorInfo) -> Step:
        ref = self._ref(info)
        if info.pieces:
            return Step(SectorState.PRE_COMMIT1, "SectorPacked", {"FillerPieces": []})
        await self._manager.release_unsealed(ref)  # a half-written file of an attempt before a crash
        size = UnpaddedPieceSize(PaddedPieceSize(self._sector_size).unpadded())
        piece = await self._manager.add_piece(ref, [], size, None)
        fields: dict[str, object] = {"FillerPieces": [piece.to_json()]}
        return Step(
            SectorState.PRE_COMMIT1,
            "SectorPacked",
            fields,
            {"pieces": (SectorPiece(piece.size, piece.piece_cid),)},
        )

    async def _pre_commit1(self, info: SectorInfo) -> Step:
        if not info.ticket_value:
            info = await self._get_ticket(info)
        pc1 = await self._manager.seal_pre_commit1(self._ref(info), info.ticket_value, self._pieces(info))
        return Step(SectorState.PRE_COMMIT2, "SectorPreCommit1", {}, {"pre_commit1_out": pc1})

    async def _get_ticket(self, info: SectorInfo) -> SectorInfo:
        """Draw the ticket and persist it before sealing with it (Lotus HEAD's GetTicket)."""
        on_chain = await self._chain.precommit(info.sector_number)
        if on_chain is not None:  # reuse the epoch the chain already holds (Lotus getTicket)
            epoch = int(on_chain["Info"]["SealRandEpoch"])
        else:
            epoch = max(await self._chain.height() - SEAL_RANDOMNESS_LOOKBACK, 0)
        ticket = await self._chain.ticket_randomness(DomainSeparationTag.SEAL_RANDOMNESS, epoch)
        step = Step(
            SectorState.PRE_COMMIT1,
            "SectorTicket",
            {"TicketEpoch": epoch, "TicketValue": ticket.hex()},
            {"ticket_value": ticket, "ticket_epoch": epoch},
        )
        updated = self._apply(info, step)
        self._sealing.sectors.put(updated)
        return updated

    async def _pre_commit2(self, info: SectorInfo) -> Step:
        cids: SectorCids = await self._manager.seal_pre_commit2(self._ref(info), info.pre_commit1_out)
        fields = {"Sealed": str(cids.sealed), "Unsealed": str(cids.unsealed)}
        changes = {"comm_d": cids.unsealed, "comm_r": cids.sealed}
        return Step(SectorState.PRE_COMMITTING, "SectorPreCommit2", fields, changes)

    async def _pre_committing(self, info: SectorInfo) -> Step:
        if await self._chain.precommit(info.sector_number) is not None:
            return Step(SectorState.WAIT_SEED, "SectorPreCommitLanded", {"Found": "on chain"})
        if info.comm_r is None or info.comm_d is None:
            raise StepFailed("sector has no CommR/CommD; PreCommit2 did not finish")
        height = await self._chain.height()
        if _ticket_expired(info, height):
            return _new_ticket(info, height)
        expiration = height + MAX_PROVE_COMMIT_DURATION + MIN_SECTOR_EXPIRATION + EXPIRATION_SLACK
        pc_info: dict[str, object] = {
            "SealProof": int(info.sector_type),
            "SectorNumber": info.sector_number,
            "SealedCID": cid_to_json(info.comm_r),
            "SealRandEpoch": info.ticket_epoch,
            "DealIDs": info.deal_ids(),
            "Expiration": expiration,
        }
        miner = self._chain.miner
        deposit = int(str(await self._chain.call("StateMinerPreCommitDepositForPower", miner, pc_info, None)))
        params = dagcbor.encode(
            [
                int(info.sector_type),
                info.sector_number,
                info.comm_r,
                info.ticket_epoch,
                list(info.deal_ids()),
                expiration,
                False,
                0,
                0,
                0,
                info.comm_d,
            ]
        )
        cid = await self._chain.push(METHOD_PRE_COMMIT_SECTOR, params, deposit)
        fields = {"Message": str(cid), "PreCommitDeposit": str(deposit), "Expiration": expiration}
        changes = {"pre_commit_message": cid, "pre_commit_deposit": deposit}
        return Step(SectorState.PRE_COMMIT_WAIT, "SectorPreCommitted", fields, changes)

    async def _pre_commit_wait(self, info: SectorInfo) -> Step:
        if info.pre_commit_message is None:
            return Step(SectorState.PRE_COMMITTING, "SectorRetryPreCommit", {})
        receipt = await self._wait(info.pre_commit_message)
        if receipt["ExitCode"] != 0:
            raise StepFailed(
                f"precommit message {info.pre_commit_message} failed: exit {receipt['ExitCode']}"
            )
        return Step(SectorState.WAIT_SEED, "SectorPreCommitLanded", {"Message": str(info.pre_commit_message)})

    async def _wait_seed(self, info: SectorInfo) -> Step:
        on_chain = await self._chain.precommit(info.sector_number)
        if on_chain is None:
            if await self._chain.sector(info.sector_number) is not None:
                return Step(SectorState.FINALIZE_SECTOR, "SectorProving", {"Found": "active on chain"})
            raise StepFailed("precommit not found on chain")
        seed_epoch = int(on_chain["PreCommitEpoch"]) + PRE_COMMIT_CHALLENGE_DELAY
        while await self._chain.height() < seed_epoch:
            await trio.sleep(self._config.poll_interval)
        tag = DomainSeparationTag.INTERACTIVE_SEAL_CHALLENGE_SEED
        seed = await self._chain.beacon_randomness(tag, seed_epoch)
        fields = {"SeedEpoch": seed_epoch, "SeedValue": seed.hex()}
        return Step(
            SectorState.COMMITTING, "SectorSeedReady", fields, {"seed_value": seed, "seed_epoch": seed_epoch}
        )

    async def _committing(self, info: SectorInfo) -> Step:
        if info.comm_r is None or info.comm_d is None:
            raise StepFailed("sector has no CommR/CommD")
        ref = self._ref(info)
        cids = SectorCids(info.comm_d, info.comm_r)
        c1 = await self._manager.seal_commit1(
            ref, info.ticket_value, info.seed_value, self._pieces(info), cids
        )
        proof = await self._manager.seal_commit2(ref, c1)
        return Step(
            SectorState.SUBMIT_COMMIT, "SectorCommitted", {"ProofLength": len(proof)}, {"proof": proof}
        )

    async def _submit_commit(self, info: SectorInfo) -> Step:
        if await self._chain.sector(info.sector_number) is not None:
            return Step(SectorState.FINALIZE_SECTOR, "SectorProving", {"Found": "active on chain"})
        on_chain = await self._chain.precommit(info.sector_number)
        if on_chain is None:
            raise StepFailed("precommit not found on chain")
        pledge = int(
            str(
                await self._chain.call(
                    "StateMinerInitialPledgeCollateral", self._chain.miner, on_chain["Info"], None
                )
            )
        )
        collateral = max(pledge - int(on_chain["PreCommitDeposit"]), 0)
        params = dagcbor.encode([info.sector_number, info.proof])
        cid = await self._chain.push(METHOD_PROVE_COMMIT_SECTOR, params, collateral)
        fields = {"Message": str(cid), "Collateral": str(collateral)}
        return Step(SectorState.COMMIT_WAIT, "SectorCommitSubmitted", fields, {"commit_message": cid})

    async def _commit_wait(self, info: SectorInfo) -> Step:
        if info.commit_message is None:
            return Step(SectorState.SUBMIT_COMMIT, "SectorRetrySubmitCommit", {})
        receipt = await self._wait(info.commit_message)
        if receipt["ExitCode"] != 0:
            raise StepFailed(f"commit message {info.commit_message} failed: exit {receipt['ExitCode']}")
        if await self._chain.sector(info.sector_number) is None:
            raise StepFailed("sector not found on chain after its commit message landed")
        return Step(SectorState.FINALIZE_SECTOR, "SectorProving", {"Message": str(info.commit_message)})

    async def _finalize(self, info: SectorInfo) -> Step:
        await self._manager.finalize_sector(self._ref(info))
        return Step(SectorState.PROVING, "SectorFinalized", {})

    async def _removing(self, info: SectorInfo) -> Step:
        """``SectorRemove``: the sector's files go everywhere they are; then Removed."""
        await self._manager.remove(self._ref(info))
        return Step(SectorState.REMOVED, "SectorRemoved", {})

    # -- failure states ------------------------------------------------------------------------------

    def _retry_to(self, state: SectorState, event: str) -> Callable[[SectorInfo], Awaitable[Step]]:
        async def retry(info: SectorInfo) -> Step:
            await self._cooldown(info)
            return Step(state, event, {})

        return retry

    async def _retry_pre_commit2(self, info: SectorInfo) -> Step:
        await self._cooldown(info)
        if info.pre_commit2_fails >= 1:  # twice: the layers may be bad, start from PC1 (Lotus)
            return Step(SectorState.PRE_COMMIT1, "SectorRetrySealPreCommit1", {}, {"pre_commit2_fails": 0})
        return Step(
            SectorState.PRE_COMMIT2,
            "SectorRetrySealPreCommit2",
            {},
            {"pre_commit2_fails": info.pre_commit2_fails + 1},
        )

    async def _retry_pre_commit(self, info: SectorInfo) -> Step:
        await self._cooldown(info)
        if await self._chain.precommit(info.sector_number) is not None:
            return Step(SectorState.WAIT_SEED, "SectorPreCommitLanded", {"Found": "on chain"})
        if await self._chain.sector(info.sector_number) is not None:
            return Step(SectorState.FINALIZE_SECTOR, "SectorProving", {"Found": "active on chain"})
        height = await self._chain.height()
        if _ticket_expired(info, height):
            return _new_ticket(info, height)
        return Step(SectorState.PRE_COMMITTING, "SectorRetryPreCommit", {}, {"pre_commit_message": None})

    async def _retry_commit(self, info: SectorInfo) -> Step:
        await self._cooldown(info)
        if await self._chain.sector(info.sector_number) is not None:
            return Step(SectorState.FINALIZE_SECTOR, "SectorProving", {"Found": "active on chain"})
        if await self._chain.precommit(info.sector_number) is None:
            return Step(SectorState.PRE_COMMITTING, "SectorRetryPreCommit", {}, {"pre_commit_message": None})
        # the proof may be what the chain refused: compute it again
        return Step(
            SectorState.COMMITTING, "SectorRetryComputeProof", {}, {"commit_message": None, "proof": b""}
        )


def _ticket_expired(info: SectorInfo, height: int) -> bool:
    """Whether a PreCommitSector sent now would be refused for a ticket too old (Lotus
    ``checkPrecommit``'s ErrExpiredTicket), with a few epochs for the message to land."""
    return (
        bool(info.ticket_value)
        and height + TICKET_LANDING_MARGIN > info.ticket_epoch + MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK
    )


def _new_ticket(info: SectorInfo, height: int) -> Step:
    """Back to PreCommit1 with a fresh ticket: the sealed replica depends on the ticket."""
    changes: dict[str, Any] = {
        "ticket_value": b"",
        "ticket_epoch": 0,
        "pre_commit1_out": b"",
        "comm_d": None,
        "comm_r": None,
        "pre_commit_message": None,
    }
    fields = {"TicketEpoch": info.ticket_epoch, "Height": height}
    return Step(SectorState.PRE_COMMIT1, "SectorTicketExpired", fields, changes)
