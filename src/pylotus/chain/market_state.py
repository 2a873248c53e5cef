"""The storage market actor's state: escrow and locked funds, deal proposals and deal states; Lotus JSON.

Counterparts: builtin-actors ``actors/market/src/deal.rs`` (``DealProposal``, ``Label``,
``ClientDealProposal``, ``DealState``), ``state.rs`` (the escrow and locked ``BalanceTable``\\ s,
``Proposals``, ``States``, ``NextID``) and go-state-types ``builtin/v9/market/deal.go`` (the
``DealLabel`` union and its JSON); Lotus's JSON for ``StateMarketBalance``, ``StateMarketDeals`` and
``StateMarketStorageDeal`` (reference/api-examples.md §3).

pylotus keeps one flat value where the builtin actors keep HAMTs and AMTs::

    [NextID, [[ActorID, Escrow, Locked]...], [[DealID, DealProposal]...], [[DealID, DealState]...]]

inlined in the actor head (:mod:`pylotus.chain.actor_state`), amounts in big-integer bytes, rows
sorted by their key.  A :class:`DealProposal` and a :class:`DealState` are the builtin actors' tuples,
byte for byte, so a proposal's CBOR (what a client signs) and its CID are Lotus's.

Rules of the file:

* balances are held by actor ID; a stored proposal has ID addresses for client and provider (the
  builtin actors normalise them when publishing), the client's signature having been checked over the
  proposal as the client sent it;
* a deal without a :class:`DealState` is published but not activated; Lotus shows it with
  :data:`EMPTY_DEAL_STATE` (every epoch ``-1``, ``SectorNumber`` 0);
* a ``Label`` is the go-state-types union: a ``str`` encodes as a CBOR text string, ``bytes`` as a
  byte string; in JSON a byte label shows as ``""``, as go-state-types v9's ``MarshalJSON`` writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Final, final

from multiformats import CID

from pylotus.abi import Address, JsonObject, cid_to_json

from . import dagcbor
from .actor_state import decode_head, inline_head, parse_address
from .bigint import TokenAmount
from .errors import ChainError, InvalidAmount, InvalidCbor
from .state import Actor, StateTree, actor_code

__all__ = [
    "DEAL_MAX_LABEL_SIZE",
    "EMPTY_DEAL_STATE",
    "EPOCH_UNDEFINED",
    "MARKET_CODE",
    "MARKET_ID",
    "DealNotFound",
    "DealProposal",
    "DealState",
    "MarketState",
    "market_actor",
    "market_deal_json",
]

MARKET_ID: Final = 5  # builtin.StorageMarketActorAddr
MARKET_CODE: Final = actor_code("storagemarket")
DEAL_MAX_LABEL_SIZE: Final = 256  # builtin-actors market policy detail::DEAL_MAX_LABEL_SIZE
EPOCH_UNDEFINED: Final = -1  # builtin-actors EPOCH_UNDEFINED
_ZERO: Final = TokenAmount(0)


class DealNotFound(ChainError):
    """No deal has this ID (Lotus ``deal %d not found``)."""


def _int(value: object, what: str, low: int = -(2**63), high: int = 2**63) -> int:
    """An integer field in ``low ≤ value < high`` (int64 by default, as a ChainEpoch)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCbor(f"{what} must be an integer, not {type(value).__name__}")
    if not low <= value < high:
        raise InvalidCbor(f"{what} '{value}' is out of range")
    return value


def _amount(value: object, what: str) -> TokenAmount:
    if not isinstance(value, bytes):
        raise InvalidCbor(f"{what} must be big-integer bytes, not {type(value).__name__}")
    try:
        return TokenAmount.from_bytes(value)
    except InvalidAmount as exc:
        raise InvalidCbor(f"{what}: {exc}") from exc


@final
@dataclass(frozen=True, slots=True)
class DealProposal:
    """builtin-actors ``DealProposal``: what a client and a provider agree on, signed by the client."""

    piece_cid: CID
    piece_size: int
    verified_deal: bool
    client: Address
    provider: Address
    label: str | bytes
    start_epoch: int
    end_epoch: int
    storage_price_per_epoch: TokenAmount = _ZERO
    provider_collateral: TokenAmount = _ZERO
    client_collateral: TokenAmount = _ZERO

    @property
    def duration(self) -> int:
        return self.end_epoch - self.start_epoch

    def total_storage_fee(self) -> TokenAmount:
        """``StoragePricePerEpoch × duration``: what the client pays the provider over the deal."""
        return self.storage_price_per_epoch * self.duration

    def client_balance_requirement(self) -> TokenAmount:
        """What publishing locks of the client's escrow: collateral plus the whole storage fee."""
        return self.client_collateral + self.total_storage_fee()

    def to_ipld(self) -> dagcbor.IpldValue:
        """The builtin actors' tuple: 11 fields in declaration order."""
        return [
            self.piece_cid,
            self.piece_size,
            self.verified_deal,
            self.client.to_bytes(),
            self.provider.to_bytes(),
            self.label,
            self.start_epoch,
            self.end_epoch,
            self.storage_price_per_epoch.to_bytes(),
            self.provider_collateral.to_bytes(),
            self.client_collateral.to_bytes(),
        ]

    def to_cbor(self) -> bytes:
        """The bytes a client signs (builtin-actors ``serialize(&proposal)``)."""
        return dagcbor.encode(self.to_ipld())

    def cid(self) -> CID:
        """The proposal CID (dag-cbor, blake2b-256), as go-state-types ``DealProposal.Cid``."""
        return dagcbor.block_cid(self.to_cbor())

    @classmethod
    def from_ipld(cls, value: Any) -> DealProposal:
        """Read the tuple; raises :class:`InvalidCbor` naming the field that is wrong."""
        if not isinstance(value, list) or len(value) != 11:
            raise InvalidCbor("DealProposal must be a list of 11 fields")
        piece, size, verified, client, provider, label, start, end, price, pcoll, ccoll = value
        if not isinstance(piece, CID):
            raise InvalidCbor("DealProposal PieceCID must be a CID")
        if not isinstance(verified, bool):
            raise InvalidCbor("DealProposal VerifiedDeal must be a boolean")
        if not isinstance(label, (str, bytes)):
            raise InvalidCbor("DealProposal Label must be a text or byte string")
        return cls(
            piece,
            _int(size, "DealProposal PieceSize", 0, 2**64),
            verified,
            parse_address(client, "DealProposal Client"),
            parse_address(provider, "DealProposal Provider"),
            label,
            _int(start, "DealProposal StartEpoch"),
            _int(end, "DealProposal EndEpoch"),
            _amount(price, "DealProposal StoragePricePerEpoch"),
            _amount(pcoll, "DealProposal ProviderCollateral"),
            _amount(ccoll, "DealProposal ClientCollateral"),
        )

    def to_json(self) -> JsonObject:
        return {
            "PieceCID": cid_to_json(self.piece_cid),
            "PieceSize": self.piece_size,
            "VerifiedDeal": self.verified_deal,
            "Client": str(self.client),
            "Provider": str(self.provider),
            "Label": self.label if isinstance(self.label, str) else "",
            "StartEpoch": self.start_epoch,
            "EndEpoch": self.end_epoch,
            "StoragePricePerEpoch": self.storage_price_per_epoch.to_json(),
            "ProviderCollateral": self.provider_collateral.to_json(),
            "ClientCollateral": self.client_collateral.to_json(),
        }


@final
@dataclass(frozen=True, slots=True)
class DealState:
    """builtin-actors ``DealState`` (v13+, with ``SectorNumber``): where and since when a deal is stored."""

    sector_number: int
    sector_start_epoch: int
    last_updated_epoch: int = EPOCH_UNDEFINED
    slash_epoch: int = EPOCH_UNDEFINED

    def to_ipld(self) -> dagcbor.IpldValue:
        return [self.sector_number, self.sector_start_epoch, self.last_updated_epoch, self.slash_epoch]

    @classmethod
    def from_ipld(cls, value: Any) -> DealState:
        if not isinstance(value, list) or len(value) != 4:
            raise InvalidCbor("DealState must be a list of 4 fields")
        number, start, updated, slash = (_int(v, "DealState field") for v in value)
        return cls(number, start, updated, slash)

    def to_json(self) -> JsonObject:
        return {
            "SectorNumber": self.sector_number,
            "SectorStartEpoch": self.sector_start_epoch,
            "LastUpdatedEpoch": self.last_updated_epoch,
            "SlashEpoch": self.slash_epoch,
        }


EMPTY_DEAL_STATE: Final = DealState(0, EPOCH_UNDEFINED)
"""What Lotus shows for a published deal not yet in a sector (``market.EmptyDealState``)."""


def market_deal_json(proposal: DealProposal, state: DealState | None) -> JsonObject:
    """Lotus ``api.MarketDeal``: ``{"Proposal", "State"}``."""
    return {"Proposal": proposal.to_json(), "State": (state or EMPTY_DEAL_STATE).to_json()}


@final
@dataclass(slots=True)
class MarketState:
    """The market's whole state; loaded from and stored into its actor head (:meth:`load`, :meth:`store`)."""

    next_id: int = 0
    escrow: dict[int, TokenAmount] = field(default_factory=dict)
    locked: dict[int, TokenAmount] = field(default_factory=dict)
    proposals: dict[int, DealProposal] = field(default_factory=dict)
    states: dict[int, DealState] = field(default_factory=dict)

    # -- balances -------------------------------------------------------------------------------------

    def balance(self, actor_id: int) -> tuple[TokenAmount, TokenAmount]:
        """``(escrow, locked)`` of an actor; zeros for one that never had escrow."""
        return self.escrow.get(actor_id, _ZERO), self.locked.get(actor_id, _ZERO)

    def available(self, actor_id: int) -> TokenAmount:
        """Escrow not locked by deals: what may be withdrawn or locked by new deals."""
        escrow, locked = self.balance(actor_id)
        return escrow - locked

    def add_escrow(self, actor_id: int, amount: TokenAmount) -> None:
        self.escrow[actor_id] = self.escrow.get(actor_id, _ZERO) + amount

    def lock(self, actor_id: int, amount: TokenAmount) -> None:
        """Lock ``amount`` of the actor's escrow; the caller has checked it is available."""
        if amount.atto < 0 or self.available(actor_id).atto < amount.atto:
            raise RuntimeError(f"cannot lock '{amount}' of actor {actor_id}: not available")
        if amount:
            self.locked[actor_id] = self.locked.get(actor_id, _ZERO) + amount

    # -- deals ----------------------------------------------------------------------------------------

    def publish(self, proposal: DealProposal) -> int:
        """Store a checked proposal under the next deal ID and lock both parties' funds."""
        self.lock(proposal.client.id(), proposal.client_balance_requirement())
        self.lock(proposal.provider.id(), proposal.provider_collateral)
        deal_id = self.next_id
        self.proposals[deal_id] = proposal
        self.next_id += 1
        return deal_id

    def pending_cids(self) -> set[CID]:
        """CIDs of proposals published but not activated (builtin-actors ``PendingProposals``)."""
        return {p.cid() for deal_id, p in self.proposals.items() if deal_id not in self.states}

    # -- the head -------------------------------------------------------------------------------------

    def head(self) -> CID:
        ids = sorted(set(self.escrow) | set(self.locked))
        return inline_head(
            [
                self.next_id,
                [[i, *(amount.to_bytes() for amount in self.balance(i))] for i in ids],
                [[d, p.to_ipld()] for d, p in sorted(self.proposals.items())],
                [[d, s.to_ipld()] for d, s in sorted(self.states.items())],
            ]
        )

    @classmethod
    def from_head(cls, head: CID) -> MarketState:
        value: Any = decode_head(head)
        try:
            next_id, balances, proposals, states = value
            return cls(
                _int(next_id, "market NextID"),
                {i: _amount(escrow, "escrow") for i, escrow, _ in balances},
                {i: _amount(locked, "locked") for i, _, locked in balances if locked},
                {d: DealProposal.from_ipld(p) for d, p in proposals},
                {d: DealState.from_ipld(s) for d, s in states},
            )
        except (TypeError, ValueError) as exc:
            raise InvalidCbor(f"market state does not decode: {exc}") from exc

    @classmethod
    def load(cls, tree: StateTree) -> MarketState:
        return cls.from_head(tree.actors[MARKET_ID].head)

    def store(self, tree: StateTree) -> None:
        tree.set_actor(MARKET_ID, replace(tree.actors[MARKET_ID], head=self.head()))


def market_actor(balance: TokenAmount = _ZERO) -> Actor:
    """The market actor with no escrow and no deals, for genesis."""
    return Actor(MARKET_CODE, MarketState().head(), 0, balance)
