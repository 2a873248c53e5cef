"""The storage power actor (f04): creates miners and keeps every miner's power and the total.

Counterparts: builtin-actors ``actors/power`` (``CreateMiner``, method 2; ``State`` with
``TotalRawBytePower``, ``TotalQualityAdjPower``, ``MinerCount`` and the ``Claims`` map) and Lotus
``StateMinerPower``.  ``CreateMiner`` does what Lotus splits over power → init ``Exec`` → the miner
constructor: one call, no internal messages.

Devnet simplifications: quality-adjusted power equals raw power (no deals, no verified deals yet);
a miner has power as soon as ProveCommitSector activates a sector (builtin-actors waits for
the sector's first Window PoSt); faults take it away and proven recoveries give it back
(:mod:`pylotus.chain.miner_faults`), and the block election draws on it
(:mod:`pylotus.chain.actor_reward`).  State,
inlined in the head: ``[TotalRaw, TotalQA, [[MinerID, Raw, QA], ...]]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, final

from pylotus.abi import Address, JsonObject, RegisteredPoStProof

from . import dagcbor
from .actor_state import decode_head, inline_head, parse_address
from .bigint import TokenAmount
from .errors import ActorNotFound, InvalidCbor
from .exitcode import ExitCode
from .miner_state import MINER_CODE, MinerInfo, MinerState, proving_period_offset
from .policy import CONSENSUS_MINER_MIN_POWER
from .runtime import ActorExit, Handler, Invocation
from .state import ACCOUNT_CODE, Actor, StateTree, actor_code

__all__ = [
    "POWER_CODE",
    "POWER_ID",
    "POWER_METHODS",
    "PowerState",
    "create_miner",
    "miner_power_json",
    "new_miner",
    "power_actor",
]

POWER_ID: Final = 4  # builtin.StoragePowerActorAddr
POWER_CODE: Final = actor_code("storagepower")
_ZERO: Final = TokenAmount(0)


@final
@dataclass(slots=True)
class PowerState:
    """Total power and each miner's claim ``(raw, quality-adjusted)`` in bytes."""

    claims: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def total_raw(self) -> int:
        return sum(raw for raw, _ in self.claims.values())

    @property
    def total_qa(self) -> int:
        return sum(qa for _, qa in self.claims.values())

    @classmethod
    def load(cls, tree: StateTree) -> PowerState:
        value: Any = decode_head(tree.actors[POWER_ID].head)
        try:
            _, _, claims = value
            return cls({miner: (raw, qa) for miner, raw, qa in claims})
        except (TypeError, ValueError) as exc:
            raise InvalidCbor(f"power state does not decode: {exc}") from exc

    def store(self, tree: StateTree) -> None:
        claims: list[dagcbor.IpldValue] = [[m, raw, qa] for m, (raw, qa) in sorted(self.claims.items())]
        actor = tree.actors[POWER_ID]
        tree.set_actor(POWER_ID, replace(actor, head=inline_head([self.total_raw, self.total_qa, claims])))

    def add(self, miner_id: int, raw: int, qa: int) -> None:
        """Add (or, negative, remove) power to a miner's claim (Lotus ``UpdateClaimedPower``)."""
        old_raw, old_qa = self.claims.get(miner_id, (0, 0))
        self.claims[miner_id] = (old_raw + raw, old_qa + qa)


def power_actor() -> Actor:
    """The power actor with no miners, for genesis."""
    return Actor(POWER_CODE, inline_head([0, 0, []]), 0, _ZERO)


def new_miner(
    tree: StateTree,
    *,
    owner: int,
    worker: int,
    post_proof: RegisteredPoStProof,
    peer_id: bytes,
    multiaddrs: tuple[bytes, ...],
    epoch: int,
    miner_id: int | None = None,
    balance: TokenAmount = _ZERO,
) -> int:
    """Create a miner actor (at ``miner_id``, or the next ID) with no sectors and a zero claim."""
    if miner_id is None:
        miner_id = tree.next_id
    if miner_id in tree.actors:
        raise RuntimeError(f"actor id {miner_id} is already in use")
    info = MinerInfo(
        owner,
        worker,
        peer_id,
        multiaddrs,
        post_proof,
        int(post_proof.sector_size),
        post_proof.window_post_partition_sectors,
    )
    state = MinerState(info, proving_period_offset(Address.new_id(miner_id), epoch))
    tree.set_actor(miner_id, Actor(MINER_CODE, state.head(), 0, balance))
    power = PowerState.load(tree)
    power.claims[miner_id] = (0, 0)
    power.store(tree)
    return miner_id


def _account_id(tree: StateTree, address: Address, role: str) -> int:
    actor_id = tree.lookup_id(address)
    if actor_id is None:
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, f"{role} address '{address}' not found")
    if tree.actors[actor_id].code != ACCOUNT_CODE:
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, f"{role} address '{address}' is not an account actor")
    return actor_id


def create_miner(inv: Invocation, params: bytes) -> bytes:
    """Method 2, ``CreateMiner``: params ``[Owner, Worker, WindowPoStProofType, Peer, Multiaddrs]``,
    returns ``[IDAddress, RobustAddress]``; the value sent becomes the miner's balance."""
    value: Any = dagcbor.decode(params)
    try:
        raw_owner, raw_worker, proof, peer, multiaddrs = value
        post_proof = RegisteredPoStProof(proof)
        if not isinstance(peer, bytes) or not all(isinstance(a, bytes) for a in multiaddrs):
            raise TypeError("Peer and Multiaddrs must be bytes")
    except (TypeError, ValueError) as exc:
        raise InvalidCbor(f"CreateMiner params do not decode: {exc}") from exc
    if not post_proof.is_window:
        reason = f"proof type '{int(post_proof)}' is not a window PoSt proof"
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, reason)
    owner = _account_id(inv.tree, parse_address(raw_owner, "Owner"), "owner")
    worker = _account_id(inv.tree, parse_address(raw_worker, "Worker"), "worker")
    caller = inv.tree.actors[inv.caller]
    epoch = inv.chain.epoch if inv.chain is not None else 0
    miner_id = new_miner(
        inv.tree,
        owner=owner,
        worker=worker,
        post_proof=post_proof,
        peer_id=peer,
        multiaddrs=tuple(multiaddrs),
        epoch=epoch,
    )
    # init Exec's robust address: hash of the creating message's origin and nonce (Lotus
    # NewActorAddress); the caller's nonce was already bumped for this message.
    key = inv.tree.account_key(Address.new_id(inv.caller))
    robust = Address.new_actor(key.to_bytes() + (caller.nonce - 1).to_bytes(8, "big") + bytes(8))
    inv.tree.addresses[robust] = miner_id
    _move_value(inv, miner_id)
    return dagcbor.encode([Address.new_id(miner_id).to_bytes(), robust.to_bytes()])


def _move_value(inv: Invocation, miner_id: int) -> None:
    if not inv.value.atto:
        return
    power = inv.tree.actors[inv.receiver]
    inv.tree.update(inv.receiver, balance=power.balance - inv.value)
    miner = inv.tree.actors[miner_id]
    inv.tree.update(miner_id, balance=miner.balance + inv.value)


def miner_power_json(tree: StateTree, miner: Address) -> JsonObject:
    """Lotus ``StateMinerPower`` for ``miner``; raises :class:`ActorNotFound` if it is no miner."""
    miner_id, actor = tree.require_actor(miner)
    if actor.code != MINER_CODE:
        raise ActorNotFound(f"actor '{miner}' is not a miner actor")
    power = PowerState.load(tree)
    raw, qa = power.claims.get(miner_id, (0, 0))
    return {
        "MinerPower": {"RawBytePower": str(raw), "QualityAdjPower": str(qa)},
        "TotalPower": {"RawBytePower": str(power.total_raw), "QualityAdjPower": str(power.total_qa)},
        "HasMinPower": raw >= CONSENSUS_MINER_MIN_POWER,
    }


POWER_METHODS: Final[Mapping[int, Handler]] = {2: create_miner}
"""Power actor methods by number (builtin-actors ``power::Method``)."""
