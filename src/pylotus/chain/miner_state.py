"""The miner actor's state: info, pre-committed and active sectors, proving period; Lotus JSON.

Counterparts: builtin-actors ``actors/miner/src/state.rs`` and ``types.rs`` (``MinerInfo``,
``SectorPreCommitOnChainInfo``, ``SectorOnChainInfo``), ``deadline_info.rs`` (``DeadlineInfo``),
and Lotus's JSON for ``StateMinerInfo``, ``StateSectorPreCommitInfo``, ``StateSectorGetInfo`` and
``StateMinerProvingDeadline`` (reference/api-examples.md §3).

pylotus keeps one flat value where Lotus keeps HAMTs, AMTs, bitfields and a deadline tree::

    [Info, [PreCommit...], [Sector...], [allocated sector numbers], ProvingPeriodOffset,
     [[Deadline, [[sector numbers of a partition]...]]...], [[Deadline, PeriodStart, [partitions]]...],
     [faulty sector numbers], [recovering sector numbers]]

inlined in the actor head (:mod:`pylotus.chain.actor_state`).  The proving period is kept as
Lotus's offset (``assignProvingPeriodOffset``) and the current deadline derived from it.  An active
sector is assigned to a deadline (the one with the fewest sectors that is neither open nor next,
as Lotus's ``deadlineIsMutable``; ties to the lowest index) and appended to its last partition
until it holds ``WindowPoStPartitionSectors``; the ``proven`` entry records which partitions of a
deadline were proven in which proving period (Lotus's ``PostSubmissions``), and the last two are
the miner's faulty sectors and the faulty ones declared recovering (Lotus keeps both per partition;
a partition's view is its sectors intersected with them).  A head of the older seven-entry layout
decodes with no faults.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, Final, final

from multiformats import CID, multibase

from pylotus.abi import Address, JsonObject, RegisteredPoStProof, RegisteredSealProof, cid_to_json

from . import dagcbor
from .actor_state import decode_head, inline_head
from .bigint import TokenAmount
from .bitfield import json_runs
from .errors import ActorNotFound, InvalidCbor
from .exitcode import ExitCode
from .policy import (
    FAULT_DECLARATION_CUTOFF,
    WPOST_CHALLENGE_LOOKBACK,
    WPOST_CHALLENGE_WINDOW,
    WPOST_PERIOD_DEADLINES,
    WPOST_PROVING_PERIOD,
)
from .runtime import ActorExit
from .state import Actor, StateTree, actor_code

__all__ = [
    "MINER_CODE",
    "MinerInfo",
    "MinerState",
    "PreCommitInfo",
    "PreCommitOnChain",
    "SectorOnChain",
    "deadline_closes_at",
    "deadline_index",
    "deadline_info",
    "load_miner",
    "require_controller",
    "store_miner",
    "peer_id_string",
    "period_start",
    "proving_period_offset",
]

MINER_CODE: Final = actor_code("storageminer")
_ZERO: Final = TokenAmount(0)


def peer_id_string(peer: bytes) -> str:
    """A libp2p peer ID's text form (base58btc of its multihash bytes), as Lotus's JSON shows it."""
    return multibase.encode(peer, "base58btc")[1:]


@final
@dataclass(frozen=True, slots=True)
class MinerInfo:
    """builtin-actors ``MinerInfo``: who controls the miner and how it proves."""

    owner: int
    worker: int
    peer_id: bytes
    multiaddrs: tuple[bytes, ...]
    window_post_proof: RegisteredPoStProof
    sector_size: int
    partition_sectors: int

    def to_ipld(self) -> dagcbor.IpldValue:
        return [
            self.owner,
            self.worker,
            self.peer_id,
            list(self.multiaddrs),
            int(self.window_post_proof),
            self.sector_size,
            self.partition_sectors,
        ]

    @classmethod
    def from_ipld(cls, value: Any) -> MinerInfo:
        owner, worker, peer, addrs, proof, size, partition = value
        return cls(owner, worker, peer, tuple(addrs), RegisteredPoStProof(proof), size, partition)

    def to_json(self) -> JsonObject:
        owner = str(Address.new_id(self.owner))
        return {
            "Owner": owner,
            "Worker": str(Address.new_id(self.worker)),
            "NewWorker": "<empty>",
            "ControlAddresses": [],
            "WorkerChangeEpoch": -1,
            "PeerId": peer_id_string(self.peer_id) if self.peer_id else None,
            "Multiaddrs": [base64.b64encode(a).decode() for a in self.multiaddrs],
            "WindowPoStProofType": int(self.window_post_proof),
            "SectorSize": self.sector_size,
            "WindowPoStPartitionSectors": self.partition_sectors,
            "ConsensusFaultElapsed": -1,
            "PendingOwnerAddress": None,
            "Beneficiary": owner,
            "BeneficiaryTerm": {"Quota": "0", "UsedQuota": "0", "Expiration": 0},
            "PendingBeneficiaryTerm": None,
        }


@final
@dataclass(frozen=True, slots=True)
class PreCommitInfo:
    """builtin-actors ``SectorPreCommitInfo``: what PreCommitSector declares."""

    seal_proof: RegisteredSealProof
    sector_number: int
    sealed_cid: CID
    seal_rand_epoch: int
    deal_ids: tuple[int, ...]
    expiration: int
    unsealed_cid: CID

    def to_ipld(self) -> dagcbor.IpldValue:
        return [
            int(self.seal_proof),
            self.sector_number,
            self.sealed_cid,
            self.seal_rand_epoch,
            list(self.deal_ids),
            self.expiration,
            self.unsealed_cid,
        ]

    @classmethod
    def from_ipld(cls, value: Any) -> PreCommitInfo:
        proof, number, sealed, rand_epoch, deals, expiration, unsealed = value
        return cls(RegisteredSealProof(proof), number, sealed, rand_epoch, tuple(deals), expiration, unsealed)

    def to_json(self) -> JsonObject:
        return {
            "SealProof": int(self.seal_proof),
            "SectorNumber": self.sector_number,
            "SealedCID": cid_to_json(self.sealed_cid),
            "SealRandEpoch": self.seal_rand_epoch,
            "DealIDs": list(self.deal_ids),
            "Expiration": self.expiration,
            "UnsealedCid": cid_to_json(self.unsealed_cid),
        }


@final
@dataclass(frozen=True, slots=True)
class PreCommitOnChain:
    """builtin-actors ``SectorPreCommitOnChainInfo``: a pre-commit with its deposit and epoch."""

    info: PreCommitInfo
    deposit: TokenAmount
    precommit_epoch: int

    def to_ipld(self) -> dagcbor.IpldValue:
        return [self.info.to_ipld(), self.deposit.to_bytes(), self.precommit_epoch]

    @classmethod
    def from_ipld(cls, value: Any) -> PreCommitOnChain:
        info, deposit, epoch = value
        return cls(PreCommitInfo.from_ipld(info), TokenAmount.from_bytes(deposit), epoch)

    def to_json(self) -> JsonObject:
        return {
            "Info": self.info.to_json(),
            "PreCommitDeposit": self.deposit.to_json(),
            "PreCommitEpoch": self.precommit_epoch,
        }


@final
@dataclass(frozen=True, slots=True)
class SectorOnChain:
    """builtin-actors ``SectorOnChainInfo``: an active sector (no deal weights on the devnet yet)."""

    sector_number: int
    seal_proof: RegisteredSealProof
    sealed_cid: CID
    deal_ids: tuple[int, ...]
    activation: int
    expiration: int
    initial_pledge: TokenAmount

    def to_ipld(self) -> dagcbor.IpldValue:
        return [
            self.sector_number,
            int(self.seal_proof),
            self.sealed_cid,
            list(self.deal_ids),
            self.activation,
            self.expiration,
            self.initial_pledge.to_bytes(),
        ]

    @classmethod
    def from_ipld(cls, value: Any) -> SectorOnChain:
        number, proof, sealed, deals, activation, expiration, pledge = value
        return cls(
            number,
            RegisteredSealProof(proof),
            sealed,
            tuple(deals),
            activation,
            expiration,
            TokenAmount.from_bytes(pledge),
        )

    def to_json(self) -> JsonObject:
        return {
            "SectorNumber": self.sector_number,
            "SealProof": int(self.seal_proof),
            "SealedCID": cid_to_json(self.sealed_cid),
            "DealIDs": list(self.deal_ids),
            "Activation": self.activation,
            "Expiration": self.expiration,
            "DealWeight": "0",
            "VerifiedDealWeight": "0",
            "InitialPledge": self.initial_pledge.to_json(),
            "ExpectedDayReward": "0",
            "ExpectedStoragePledge": "0",
            "PowerBaseEpoch": self.activation,
            "ReplacedDayReward": "0",
            "SectorKeyCID": None,
            "Flags": 0,
            "DailyFee": "0",
        }


@final
@dataclass(slots=True)
class MinerState:
    """A miner's whole state; loaded from and stored into its actor head (:meth:`head`)."""

    info: MinerInfo
    proving_period_offset: int
    precommits: dict[int, PreCommitOnChain] = field(default_factory=dict)
    sectors: dict[int, SectorOnChain] = field(default_factory=dict)
    allocated: set[int] = field(default_factory=set)
    deadlines: dict[int, list[list[int]]] = field(default_factory=dict)
    proven: dict[int, tuple[int, set[int]]] = field(default_factory=dict)
    faults: set[int] = field(default_factory=set)
    recoveries: set[int] = field(default_factory=set)

    def assign(self, sector_number: int, epoch: int) -> tuple[int, int]:
        """Put an activated sector in a deadline and partition (see the module docstring)."""
        current = deadline_index(self.proving_period_offset, epoch)
        immutable = {current, (current + 1) % WPOST_PERIOD_DEADLINES}
        candidates = [d for d in range(WPOST_PERIOD_DEADLINES) if d not in immutable]
        deadline = min(candidates, key=lambda d: (sum(map(len, self.deadlines.get(d, []))), d))
        partitions = self.deadlines.setdefault(deadline, [])
        if not partitions or len(partitions[-1]) >= self.info.partition_sectors:
            partitions.append([])
        partitions[-1].append(sector_number)
        return deadline, len(partitions) - 1

    def proven_partitions(self, deadline: int, start: int) -> set[int]:
        """The partitions of ``deadline`` proven in the proving period that starts at ``start``."""
        proven_start, done = self.proven.get(deadline, (start, set()))
        return set(done) if proven_start == start else set()

    def active(self) -> set[int]:
        """Sectors that count for power: live and not faulty (no terminations on the devnet yet)."""
        return set(self.sectors) - self.faults

    def partition_json(self, sectors: list[int]) -> JsonObject:
        """Lotus ``api.Partition`` for a partition holding ``sectors`` (bitfields as run lengths)."""
        members = set(sectors)
        faulty = members & self.faults
        return {
            "AllSectors": json_runs(members),
            "FaultySectors": json_runs(faulty),
            "RecoveringSectors": json_runs(members & self.recoveries),
            "LiveSectors": json_runs(members),
            "ActiveSectors": json_runs(members - faulty),
        }

    def deposits(self) -> TokenAmount:
        """Funds locked by pre-commits (Lotus ``PreCommitDeposits``)."""
        return sum((p.deposit for p in self.precommits.values()), _ZERO)

    def pledges(self) -> TokenAmount:
        """Funds locked by active sectors (Lotus ``InitialPledge``)."""
        return sum((s.initial_pledge for s in self.sectors.values()), _ZERO)

    def available(self, balance: TokenAmount) -> TokenAmount:
        """``balance`` less what is locked (Lotus ``GetAvailableBalance``; no vesting funds yet)."""
        return balance - self.deposits() - self.pledges()

    def head(self) -> CID:
        return inline_head(
            [
                self.info.to_ipld(),
                [p.to_ipld() for _, p in sorted(self.precommits.items())],
                [s.to_ipld() for _, s in sorted(self.sectors.items())],
                _ints(self.allocated),
                self.proving_period_offset,
                [[d, [_ints(p) for p in parts]] for d, parts in sorted(self.deadlines.items())],
                [[d, start, _ints(done)] for d, (start, done) in sorted(self.proven.items())],
                _ints(self.faults),
                _ints(self.recoveries),
            ]
        )

    @classmethod
    def from_head(cls, head: CID) -> MinerState:
        value: Any = decode_head(head)
        try:
            faults: list[int] = []
            recoveries: list[int] = []
            if len(value) == 9:
                *value, faults, recoveries = value
            info, precommits, sectors, allocated, offset, deadlines, proven = value
            pcs = (PreCommitOnChain.from_ipld(p) for p in precommits)
            return cls(
                MinerInfo.from_ipld(info),
                offset,
                {p.info.sector_number: p for p in pcs},
                {s.sector_number: s for s in (SectorOnChain.from_ipld(s) for s in sectors)},
                set(allocated),
                {d: [list(p) for p in parts] for d, parts in deadlines},
                {d: (start, set(done)) for d, start, done in proven},
                set(faults),
                set(recoveries),
            )
        except (TypeError, ValueError) as exc:
            raise InvalidCbor(f"miner state does not decode: {exc}") from exc


def _ints(values: set[int] | list[int]) -> list[dagcbor.IpldValue]:
    return [*sorted(values)] if isinstance(values, set) else [*values]


def load_miner(tree: StateTree, address: Address) -> tuple[int, Actor, MinerState]:
    """The ID, actor and state of miner ``address``; raises :class:`ActorNotFound` if it is no miner."""
    miner_id, actor = tree.require_actor(address)
    if actor.code != MINER_CODE:
        raise ActorNotFound(f"actor '{address}' is not a miner actor")
    return miner_id, actor, MinerState.from_head(actor.head)


def store_miner(tree: StateTree, miner_id: int, state: MinerState) -> None:
    """Write ``state`` back into the head of miner ``miner_id`` (actors' ``rt.StateTransaction``)."""
    tree.set_actor(miner_id, replace(tree.actors[miner_id], head=state.head()))


def require_controller(state: MinerState, caller: int, miner_id: int) -> None:
    """Refuse a caller that is neither the owner nor the worker of the miner with ``ErrForbidden``
    (builtin-actors ``validate_immediate_caller_is``)."""
    if caller not in (state.info.owner, state.info.worker):
        raise ActorExit(
            ExitCode.ERR_FORBIDDEN,
            f"caller 't0{caller}' is not the owner or worker of miner 't0{miner_id}'",
        )


def proving_period_offset(miner: Address, epoch: int) -> int:
    """Lotus ``assignProvingPeriodOffset``: a pseudo-random offset within the proving period.

    ``u64_be(blake2b-256(address bytes ‖ i64_be(epoch))[:8]) mod WPoStProvingPeriod``.
    """
    data = miner.to_bytes() + epoch.to_bytes(8, "big", signed=True)
    digest = hashlib.blake2b(data, digest_size=32).digest()
    return int.from_bytes(digest[:8], "big") % WPOST_PROVING_PERIOD


def period_start(offset: int, epoch: int) -> int:
    """Lotus ``currentProvingPeriodStart``: the start of the proving period ``epoch`` falls in."""
    return epoch - (epoch - offset) % WPOST_PROVING_PERIOD


def deadline_index(offset: int, epoch: int) -> int:
    """The index of the deadline open at ``epoch``."""
    return (epoch - period_start(offset, epoch)) // WPOST_CHALLENGE_WINDOW


def deadline_closes_at(offset: int, epoch: int) -> bool:
    """Whether ``epoch`` is the last epoch of a deadline (builtin-actors ``DeadlineInfo.last()``),
    the epoch whose cron handles that deadline's end."""
    return (epoch - offset + 1) % WPOST_CHALLENGE_WINDOW == 0


def deadline_info(offset: int, epoch: int) -> JsonObject:
    """Lotus ``StateMinerProvingDeadline``: the deadline open at ``epoch`` for a proving-period offset.

    The period start is ``currentProvingPeriodStart(epoch, offset)``; it may be negative near genesis,
    as Lotus's is.
    """
    start = period_start(offset, epoch)
    index = deadline_index(offset, epoch)
    open_ = start + index * WPOST_CHALLENGE_WINDOW
    return {
        "CurrentEpoch": epoch,
        "PeriodStart": start,
        "Index": index,
        "Open": open_,
        "Close": open_ + WPOST_CHALLENGE_WINDOW,
        "Challenge": open_ - WPOST_CHALLENGE_LOOKBACK,
        "FaultCutoff": open_ - FAULT_DECLARATION_CUTOFF,
        "WPoStPeriodDeadlines": WPOST_PERIOD_DEADLINES,
        "WPoStProvingPeriod": WPOST_PROVING_PERIOD,
        "WPoStChallengeWindow": WPOST_CHALLENGE_WINDOW,
        "WPoStChallengeLookback": WPOST_CHALLENGE_LOOKBACK,
        "FaultDeclarationCutoff": FAULT_DECLARATION_CUTOFF,
    }
