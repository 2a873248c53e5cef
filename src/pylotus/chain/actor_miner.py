"""The storage miner actor: ChangePeerID (4), SubmitWindowedPoSt (5), PreCommitSector (6),
ProveCommitSector (7), and DeclareFaults (10) / DeclareFaultsRecovered (11) from
:mod:`pylotus.chain.miner_faults`.

Counterparts: builtin-actors ``actors/miner/src/lib.rs`` (``change_peer_id``,
``pre_commit_sector``, ``prove_commit_sector`` + power's ``confirm_sector_proofs_valid``) and
specs-actors ``builtin/miner/miner_actor.go``; the checks keep their Lotus order and wording.

Rules of the file:

* A refusal is an :class:`~pylotus.chain.runtime.ActorExit` with the builtin actors' exit code
  (``ErrIllegalArgument`` for bad params, ``ErrNotFound``, ``ErrForbidden`` for a caller that is not
  owner or worker, ``ErrInsufficientFunds``) raised *before* the state is stored,
  and the VM undoes the whole call anyway: a refused call changes nothing.
* ProveCommitSector **verifies the vanilla seal proof** with :func:`pylotus.proofs.check_seal`
  against the ticket and seed the chain gives, as the builtin actors re-derive them:

  - ticket = ``GetRandomnessFromTickets(SealRandomness=5, SealRandEpoch, cbor(miner address))``
  - seed = ``GetRandomnessFromBeacon(InteractiveSealChallengeSeed=6,
    PreCommitEpoch + PreCommitChallengeDelay, cbor(miner address))``, ``PreCommitChallengeDelay``
    being 10 epochs (Lotus 2k).

  and activates the sector at once (Lotus verifies in a batch at cron and activates then).
* SubmitWindowedPoSt **verifies the vanilla Window PoSt** with :func:`pylotus.proofs.check_window_post`
  over the provable sectors of the submitted partitions of the open deadline (faulty ones not
  declared recovering are substituted, :func:`~pylotus.chain.miner_faults.sectors_to_prove`), with
  randomness ``GetRandomnessFromBeacon(WindowedPoStChallengeSeed=4, Challenge, cbor(miner
  address))`` and the chain commit checked against ``GetRandomnessFromTickets(PoStChainCommit=9,
  ChainCommitEpoch, b"")``; it records the partitions proven for this proving period and recovers
  the recovering sectors it proved.  A deadline that closes unproven is faulted by cron
  (:func:`~pylotus.chain.miner_faults.handle_proving_deadline`).
* Deals: PreCommitSector has the market check the sector's deals
  (:func:`~pylotus.chain.actor_market.verify_deals_for_activation`: this provider's, not started,
  ending before the sector) and takes CommD from their pieces; ProveCommitSector activates them
  (:func:`~pylotus.chain.actor_market.activate_deals`).  A sector without deals is committed to
  the zero piece of its size (a CC sector).  The optional eleventh param, ``UnsealedCid`` (as
  PreCommitSectorBatch2 carries it), must then equal that CommD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from multiformats import CID

from pylotus.abi import (
    AbiError,
    Address,
    RegisteredPoStProof,
    RegisteredSealProof,
    cid_to_commd,
    cid_to_commr,
)
from pylotus.proofs import (
    InvalidProof,
    PoStProof,
    SealVerifyInfo,
    SectorInfo,
    WindowPoStVerifyInfo,
    check_seal,
    check_window_post,
    zero_piece_cid,
)

from . import dagcbor
from .actor_market import activate_deals, verify_deals_for_activation
from .actor_power import PowerState
from .errors import InvalidCbor, RandomnessUnavailable
from .exitcode import ExitCode
from .miner_faults import declare_faults, declare_faults_recovered, record_proven, sectors_to_prove
from .miner_state import (
    MinerState,
    PreCommitInfo,
    PreCommitOnChain,
    SectorOnChain,
    deadline_info,
    require_controller,
    store_miner,
)
from .policy import (
    MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK,
    MAX_PROVE_COMMIT_DURATION,
    MAX_SECTOR_EXPIRATION_EXTENSION,
    MIN_SECTOR_EXPIRATION,
    PRE_COMMIT_CHALLENGE_DELAY,
    WPOST_PERIOD_DEADLINES,
    initial_pledge,
    pre_commit_deposit,
)
from .randomness import DomainSeparationTag
from .runtime import ActorExit, ChainContext, Handler, Invocation
from .state import StateTree

__all__ = [
    "MAX_SECTOR_NUMBER",
    "MINER_METHODS",
    "activate_sector",
    "change_peer_id",
    "interactive_epoch",
    "pre_commit_sector",
    "prove_commit_sector",
    "seal_entropy",
    "submit_windowed_post",
]

MAX_SECTOR_NUMBER: Final = (1 << 63) - 1  # abi.MaxSectorNumber


def seal_entropy(miner_id: int) -> bytes:
    """The entropy of seal randomness: the miner's ID address as CBOR (``rt.Receiver().MarshalCBOR``)."""
    return dagcbor.encode(Address.new_id(miner_id).to_bytes())


def interactive_epoch(precommit_epoch: int) -> int:
    """The epoch whose beacon seeds the interactive challenges of a sector pre-committed then."""
    return precommit_epoch + PRE_COMMIT_CHALLENGE_DELAY


def _load(inv: Invocation) -> MinerState:
    return MinerState.from_head(inv.tree.actors[inv.receiver].head)


def _store(tree: StateTree, miner_id: int, state: MinerState) -> None:
    store_miner(tree, miner_id, state)


def _only_owner_or_worker(inv: Invocation, state: MinerState) -> None:
    require_controller(state, inv.caller, inv.receiver)


def _fields(params: bytes, name: str, counts: tuple[int, ...]) -> list[Any]:
    value: Any = dagcbor.decode(params)
    if not isinstance(value, list) or len(value) not in counts:
        raise InvalidCbor(f"{name} params must be a list of {' or '.join(map(str, counts))} fields")
    return value


def change_peer_id(inv: Invocation, params: bytes) -> bytes:
    """Method 4, ``ChangePeerID``: params ``[NewID]`` (peer ID bytes); owner or worker only."""
    (peer,) = _fields(params, "ChangePeerID", (1,))
    if not isinstance(peer, bytes):
        raise InvalidCbor("ChangePeerID NewID must be bytes")
    state = _load(inv)
    _only_owner_or_worker(inv, state)
    state.info = replace(state.info, peer_id=peer)
    _store(inv.tree, inv.receiver, state)
    return b""


def _precommit_info(fields: list[Any], tree: StateTree, miner_id: int, epoch: int) -> PreCommitInfo:
    try:
        proof, number, sealed, rand_epoch, deal_ids, expiration = fields[:6]
        unsealed = fields[10] if len(fields) > 10 else None
        if not isinstance(sealed, CID) or not (unsealed is None or isinstance(unsealed, CID)):
            raise TypeError("SealedCID and UnsealedCid must be CIDs")
        if not all(isinstance(d, int) for d in deal_ids) or not isinstance(number, int):
            raise TypeError("SectorNumber and DealIDs must be integers")
        if not isinstance(rand_epoch, int) or not isinstance(expiration, int):
            raise TypeError("SealRandEpoch and Expiration must be integers")
        seal_proof = RegisteredSealProof(proof)
        size = int(seal_proof.sector_size)
    except (TypeError, ValueError) as exc:
        raise InvalidCbor(f"PreCommitSector params do not decode: {exc}") from exc
    if deal_ids:
        # the market checks the deals (provider, schedule, sector expiry) and gives their CommD
        _, deals_commd = verify_deals_for_activation(tree, miner_id, tuple(deal_ids), expiration, epoch)
        if unsealed is not None and deals_commd is not None and unsealed != deals_commd:
            raise ActorExit(
                ExitCode.ERR_ILLEGAL_ARGUMENT,
                f"UnsealedCid '{unsealed}' does not match the deals' CommD '{deals_commd}'",
            )
        unsealed = unsealed or deals_commd
    elif unsealed is not None and unsealed != zero_piece_cid(size):
        raise ActorExit(
            ExitCode.ERR_ILLEGAL_ARGUMENT,
            f"UnsealedCid '{unsealed}' of a sector without deals must be the zero piece's CommD",
        )
    if unsealed is None:
        unsealed = zero_piece_cid(size)
    return PreCommitInfo(seal_proof, number, sealed, rand_epoch, tuple(deal_ids), expiration, unsealed)


def _check_precommit(info: PreCommitInfo, state: MinerState, epoch: int) -> None:
    """builtin-actors ``pre_commit_sector`` checks, in their order; raises :class:`ActorExit`."""
    bad = ExitCode.ERR_ILLEGAL_ARGUMENT
    if not info.seal_proof.is_v1_1 or int(info.seal_proof.sector_size) != state.info.sector_size:
        raise ActorExit(bad, f"unsupported seal proof type '{int(info.seal_proof)}' for this miner")
    if not 0 <= info.sector_number <= MAX_SECTOR_NUMBER:
        raise ActorExit(bad, f"sector number '{info.sector_number}' out of range 0..{MAX_SECTOR_NUMBER}")
    try:
        cid_to_commr(info.sealed_cid)
        cid_to_commd(info.unsealed_cid)
    except AbiError as exc:
        raise ActorExit(bad, f"sealed CID had wrong prefix: {exc}") from exc
    if info.seal_rand_epoch >= epoch:
        raise ActorExit(bad, f"seal challenge epoch '{info.seal_rand_epoch}' must be before now '{epoch}'")
    earliest = epoch - MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK
    if info.seal_rand_epoch < earliest:
        raise ActorExit(
            bad, f"seal challenge epoch '{info.seal_rand_epoch}' too old, must be after '{earliest}'"
        )
    activation = epoch + MAX_PROVE_COMMIT_DURATION
    if info.expiration - activation < MIN_SECTOR_EXPIRATION:
        raise ActorExit(
            bad,
            f"invalid expiration '{info.expiration}', total sector lifetime must exceed "
            f"'{MIN_SECTOR_EXPIRATION}' after activation '{activation}'",
        )
    if info.expiration > epoch + MAX_SECTOR_EXPIRATION_EXTENSION:
        raise ActorExit(
            bad,
            f"invalid expiration '{info.expiration}', cannot be more than "
            f"'{MAX_SECTOR_EXPIRATION_EXTENSION}' past current epoch '{epoch}'",
        )
    if info.sector_number in state.allocated:
        raise ActorExit(bad, f"sector number '{info.sector_number}' has already been allocated")


def pre_commit_sector(inv: Invocation, params: bytes) -> bytes:
    """Method 6, ``PreCommitSector``: params ``[SealProof, SectorNumber, SealedCID, SealRandEpoch,
    DealIDs, Expiration, ReplaceCapacity, ReplaceSectorDeadline, ReplaceSectorPartition,
    ReplaceSectorNumber(, UnsealedCid)]``; locks the pre-commit deposit."""
    chain = inv.require_chain()
    state = _load(inv)
    _only_owner_or_worker(inv, state)  # before the market sees the deals: a stranger gets ErrForbidden
    info = _precommit_info(
        _fields(params, "PreCommitSector", (6, 10, 11)), inv.tree, inv.receiver, chain.epoch
    )
    _check_precommit(info, state, chain.epoch)
    deposit = pre_commit_deposit(state.info.sector_size)
    available = state.available(inv.tree.actors[inv.receiver].balance)
    if available.atto < deposit.atto:
        raise ActorExit(
            ExitCode.ERR_INSUFFICIENT_FUNDS,
            f"insufficient funds for pre-commit deposit: '{deposit}', available '{available}'",
        )
    state.precommits[info.sector_number] = PreCommitOnChain(info, deposit, chain.epoch)
    state.allocated.add(info.sector_number)
    _store(inv.tree, inv.receiver, state)
    return b""


def _seal_randomness(chain: ChainContext, miner_id: int, pc: PreCommitOnChain) -> tuple[bytes, bytes]:
    entropy = seal_entropy(miner_id)
    try:
        ticket = chain.randomness.from_tickets(
            DomainSeparationTag.SEAL_RANDOMNESS, pc.info.seal_rand_epoch, entropy
        )
        seed_dst = DomainSeparationTag.INTERACTIVE_SEAL_CHALLENGE_SEED
        seed = chain.randomness.from_beacon(seed_dst, interactive_epoch(pc.precommit_epoch), entropy)
    except RandomnessUnavailable as exc:
        raise ActorExit(ExitCode.ERR_ILLEGAL_STATE, str(exc)) from exc
    return ticket, seed


def prove_commit_sector(inv: Invocation, params: bytes) -> bytes:
    """Method 7, ``ProveCommitSector``: params ``[SectorNumber, Proof]``; verifies the seal proof,
    activates the sector and adds its power."""
    number, proof = _fields(params, "ProveCommitSector", (2,))
    if not isinstance(number, int) or not isinstance(proof, bytes):
        raise InvalidCbor("ProveCommitSector params must be [SectorNumber, Proof bytes]")
    chain = inv.require_chain()
    state = _load(inv)
    pc = state.precommits.get(number)
    if pc is None:
        raise ActorExit(ExitCode.ERR_NOT_FOUND, f"no pre-committed sector '{number}'")
    seed_epoch = interactive_epoch(pc.precommit_epoch)
    if chain.epoch <= seed_epoch:
        raise ActorExit(
            ExitCode.ERR_FORBIDDEN, f"too early to prove sector '{number}': seed epoch '{seed_epoch}'"
        )
    due = pc.precommit_epoch + MAX_PROVE_COMMIT_DURATION
    if chain.epoch > due:
        raise ActorExit(
            ExitCode.ERR_ILLEGAL_ARGUMENT,
            f"commitment proof for sector '{number}' too late at '{chain.epoch}', due '{due}'",
        )
    ticket, seed = _seal_randomness(chain, inv.receiver, pc)
    pre = pc.info
    info = SealVerifyInfo(
        pre.seal_proof, inv.receiver, number, ticket, seed, proof, pre.sealed_cid, pre.unsealed_cid
    )
    try:
        check_seal(info)
    except InvalidProof as exc:
        reason = f"invalid seal proof for sector '{number}': {exc}"
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, reason) from exc
    del state.precommits[number]
    pledge = initial_pledge(state.info.sector_size)
    available = state.available(inv.tree.actors[inv.receiver].balance)
    if available.atto < pledge.atto:
        raise ActorExit(
            ExitCode.ERR_INSUFFICIENT_FUNDS,
            f"insufficient funds for initial pledge: '{pledge}', available '{available}'",
        )
    if pre.deal_ids:
        activate_deals(
            inv.tree, inv.receiver, number, pre.deal_ids, chain.epoch, sector_expiry=pre.expiration
        )
    sector = SectorOnChain(
        number, pre.seal_proof, pre.sealed_cid, pre.deal_ids, chain.epoch, pre.expiration, pledge
    )
    activate_sector(inv.tree, inv.receiver, state, sector)
    return b""


def activate_sector(tree: StateTree, miner_id: int, state: MinerState, sector: SectorOnChain) -> None:
    """Store ``sector`` as active in ``state`` (and the actor) and add its power to the claim.

    Used by ProveCommitSector and by genesis for pre-sealed sectors.
    """
    state.sectors[sector.sector_number] = sector
    state.allocated.add(sector.sector_number)
    state.assign(sector.sector_number, sector.activation)
    _store(tree, miner_id, state)
    power = PowerState.load(tree)
    power.add(miner_id, state.info.sector_size, state.info.sector_size)
    power.store(tree)


def _post_params(params: bytes) -> tuple[int, list[int], list[PoStProof], int, bytes]:
    fields = _fields(params, "SubmitWindowedPoSt", (5,))
    try:
        deadline, partitions, proofs, commit_epoch, commit_rand = fields
        indices = [int(index) for index, _skipped in partitions]
        posts = [PoStProof(RegisteredPoStProof(kind), data) for kind, data in proofs]
        if not isinstance(deadline, int) or not isinstance(commit_epoch, int):
            raise TypeError("Deadline and ChainCommitEpoch must be integers")
        if not isinstance(commit_rand, bytes) or not all(isinstance(p.proof_bytes, bytes) for p in posts):
            raise TypeError("ChainCommitRand and ProofBytes must be bytes")
    except (TypeError, ValueError) as exc:
        raise InvalidCbor(f"SubmitWindowedPoSt params do not decode: {exc}") from exc
    return deadline, indices, posts, commit_epoch, commit_rand


def _check_post_window(chain: ChainContext, state: MinerState, deadline: int) -> Any:
    bad = ExitCode.ERR_ILLEGAL_ARGUMENT
    if not 0 <= deadline < WPOST_PERIOD_DEADLINES:
        raise ActorExit(bad, f"invalid deadline '{deadline}' of '{WPOST_PERIOD_DEADLINES}'")
    current: Any = deadline_info(state.proving_period_offset, chain.epoch)
    if deadline != current["Index"]:
        raise ActorExit(
            bad, f"invalid deadline '{deadline}' at epoch '{chain.epoch}', expected '{current['Index']}'"
        )
    return current


def _check_chain_commit(chain: ChainContext, current: Any, epoch: int, rand: bytes) -> None:
    bad = ExitCode.ERR_ILLEGAL_ARGUMENT
    if epoch < current["Challenge"]:
        raise ActorExit(bad, f"expected chain commit epoch '{epoch}' to be after '{current['Challenge']}'")
    if epoch >= chain.epoch:
        raise ActorExit(bad, f"chain commit epoch '{epoch}' must be less than the current epoch")
    if rand != chain.randomness.from_tickets(DomainSeparationTag.POST_CHAIN_COMMIT, epoch, b""):
        raise ActorExit(bad, "post commit randomness mismatched")


def submit_windowed_post(inv: Invocation, params: bytes) -> bytes:
    """Method 5, ``SubmitWindowedPoSt``: params ``[Deadline, [[Index, Skipped]...], [[PoStProof,
    ProofBytes]], ChainCommitEpoch, ChainCommitRand]``; owner or worker only."""
    deadline, indices, proofs, commit_epoch, commit_rand = _post_params(params)
    chain = inv.require_chain()
    state = _load(inv)
    _only_owner_or_worker(inv, state)
    current = _check_post_window(chain, state, deadline)
    _check_chain_commit(chain, current, commit_epoch, commit_rand)
    bad = ExitCode.ERR_ILLEGAL_ARGUMENT
    if len(proofs) != 1 or proofs[0].post_proof != state.info.window_post_proof:
        raise ActorExit(bad, f"expected exactly one proof of type '{int(state.info.window_post_proof)}'")
    partitions = state.deadlines.get(deadline, [])
    start, done = state.proven.get(deadline, (current["PeriodStart"], set()))
    done = done if start == current["PeriodStart"] else set()
    if not indices or len(set(indices)) != len(indices):
        raise ActorExit(bad, "no partitions, or a partition twice, in the submission")
    for index in indices:
        if not 0 <= index < len(partitions):
            raise ActorExit(ExitCode.ERR_NOT_FOUND, f"no partition '{index}' in deadline '{deadline}'")
        if index in done:
            raise ActorExit(bad, f"partition '{index}' of deadline '{deadline}' already proven")
    numbers = sorted(n for index in indices for n in partitions[index])
    provable = sectors_to_prove(state, numbers)
    if provable is None:
        raise ActorExit(bad, "cannot prove partitions with no active sectors")
    challenged = tuple(SectorInfo(s.seal_proof, s.sector_number, s.sealed_cid) for s in provable)
    try:
        randomness = chain.randomness.from_beacon(
            DomainSeparationTag.WINDOWED_POST_CHALLENGE_SEED, current["Challenge"], seal_entropy(inv.receiver)
        )
        check_window_post(WindowPoStVerifyInfo(randomness, tuple(proofs), challenged, inv.receiver))
    except RandomnessUnavailable as exc:
        raise ActorExit(ExitCode.ERR_ILLEGAL_STATE, str(exc)) from exc
    except InvalidProof as exc:
        raise ActorExit(bad, f"invalid PoSt for deadline '{deadline}': {exc}") from exc
    state.proven[deadline] = (current["PeriodStart"], done | set(indices))
    record_proven(inv.tree, inv.receiver, state, numbers)
    return b""


MINER_METHODS: Final[Mapping[int, Handler]] = {
    4: change_peer_id,
    5: submit_windowed_post,
    6: pre_commit_sector,
    7: prove_commit_sector,
    10: declare_faults,
    11: declare_faults_recovered,
}
"""Miner actor methods by number (builtin-actors ``miner::Method``)."""
