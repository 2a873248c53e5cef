"""The storage market actor (f05): AddBalance (2), WithdrawBalance (3), PublishStorageDeals (4), and the
deal checks and activation the miner actor calls directly.

Counterparts: builtin-actors ``actors/market/src/lib.rs`` (``add_balance``, ``withdraw_balance``,
``publish_storage_deals``, ``validate_deal``, ``verify_deals_for_activation``,
``batch_activate_deals``, ``validate_deal_can_activate``, ``escrow_address``) and ``policy.rs``; the
checks keep their order, exit codes and wording.

Rules of the file:

* **Escrow** is held per actor ID (:mod:`pylotus.chain.market_state`); a miner's escrow is under the
  miner's ID whatever address names it.  AddBalance accepts any caller and value > 0 (builtin-actors
  ``validate_immediate_caller_accept_any``; specs-actors v0 restricted a miner's escrow to its owner
  and worker, the builtin actors no longer do).  WithdrawBalance is for the client itself, or a
  miner's owner or worker, and pays the client or the miner's **owner**; it withdraws at most
  escrow − locked and returns the amount withdrawn.
* **PublishStorageDeals** follows Lotus v8+ (builtin-actors): a message-level problem aborts the whole
  call (params that do not decode: ``ErrSerialization``; no deals or a first provider that is no
  miner: ``ErrIllegalArgument``/``ErrNotFound``; a caller that is not the provider's owner or worker:
  ``ErrForbidden``), while an invalid *deal* is dropped, its reason logged, and the others published;
  the return is ``[[DealIDs...], ValidDeals]``, ``ValidDeals`` the RLE+ bitfield of the indices
  published.  No valid deal at all: ``ErrIllegalArgument`` ("All deal proposals invalid").  A deal is
  valid when its client signed its CBOR (secp256k1, :func:`pylotus.chain.crypto.verify` against the
  client account's key), its label is at most 256 bytes, its piece size a power of two ≥ 128, its
  PieceCID a piece commitment, ``StartEpoch`` not passed and before ``EndEpoch``, its duration within
  builtin-actors' bounds (:data:`DEAL_MIN_DURATION` 180 days to :data:`DEAL_MAX_DURATION` 1278
  days, in 30 s epochs), price and collaterals within 0..2·10^9 FIL, its provider the first deal's,
  not a duplicate of a pending proposal, and the client's and provider's available escrow covers what
  the message's deals lock: ``price × duration + client collateral`` and ``provider collateral``.
* **Calls from the miner actor** (:func:`verify_deals_for_activation`, :func:`activate_deals`) are
  plain functions on the tree, as the power and miner actors call each other (see
  :mod:`pylotus.chain.vm`); they raise :class:`~pylotus.chain.runtime.ActorExit` and the VM undoes the
  whole message.

Devnet simplifications: no cron, so deal payments are never settled, unactivated deals never
expire and locked funds stay locked; the provider-collateral minimum (a share of circulating supply)
is 0; no verified registry, so a ``VerifiedDeal`` is dropped as builtin-actors drops one whose client
lacks datacap.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from multiformats import CID

from pylotus.abi import AbiError, Address, PaddedPieceSize, cid_to_piece_commitment
from pylotus.proofs import InvalidPieces, PieceInfo, generate_unsealed_cid

from . import dagcbor
from .actor_state import parse_address
from .bigint import TokenAmount
from .bitfield import encode_rle
from .crypto import Signature, verify
from .errors import ActorNotFound, InvalidAmount, InvalidCbor, InvalidSignature
from .exitcode import FIRST_ACTOR_SPECIFIC_EXIT_CODE, ExitCode
from .market_state import DEAL_MAX_LABEL_SIZE, DealProposal, DealState, MarketState
from .miner_state import MINER_CODE, MinerState
from .policy import EPOCHS_IN_DAY
from .runtime import ActorExit, Handler, Invocation
from .state import StateTree

__all__ = [
    "DEAL_MAX_DURATION",
    "DEAL_MIN_DURATION",
    "EX_DEAL_EXPIRED",
    "MARKET_METHODS",
    "activate_deals",
    "add_balance",
    "publish_storage_deals",
    "verify_deals_for_activation",
    "withdraw_balance",
]

log = logging.getLogger(__name__)

DEAL_MIN_DURATION: Final = 180 * EPOCHS_IN_DAY  # builtin-actors market deal_duration_bounds
DEAL_MAX_DURATION: Final = 1278 * EPOCHS_IN_DAY
TOTAL_FILECOIN: Final = TokenAmount.from_fil(2_000_000_000)  # market policy TOTAL_FILECOIN: price bounds
EX_DEAL_EXPIRED: Final = FIRST_ACTOR_SPECIFIC_EXIT_CODE  # builtin-actors market EX_DEAL_EXPIRED (32)
_ZERO: Final = TokenAmount(0)


def _expired(message: str) -> ActorExit:
    # ActorExit is typed for the shared codes; an actor-specific code is a plain int on the receipt.
    return ActorExit(EX_DEAL_EXPIRED, message)  # type: ignore[arg-type]  # actor-specific exit code


def _escrow_address(tree: StateTree, address: Address) -> tuple[int, int, tuple[int, ...]]:
    """builtin-actors ``escrow_address``: ``(nominal, recipient, approved callers)`` as actor IDs."""
    nominal = tree.lookup_id(address)
    if nominal is None:
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, f"failed to resolve address '{address}'")
    actor = tree.actors[nominal]
    if actor.code == MINER_CODE:
        info = MinerState.from_head(actor.head).info
        return nominal, info.owner, (info.owner, info.worker)
    return nominal, nominal, (nominal,)


# -- AddBalance, WithdrawBalance ----------------------------------------------------------------------


def add_balance(inv: Invocation, params: bytes) -> bytes:
    """Method 2, ``AddBalance``: params the client's or provider's address; the value sent is escrowed."""
    address = parse_address(dagcbor.decode(params), "AddBalance ProviderOrClientAddress")
    if inv.value.atto <= 0:
        raise ActorExit(
            ExitCode.ERR_ILLEGAL_ARGUMENT, f"balance to add must be greater than zero was: {inv.value.atto}"
        )
    nominal, _, _ = _escrow_address(inv.tree, address)
    state = MarketState.load(inv.tree)
    state.add_escrow(nominal, inv.value)
    state.store(inv.tree)
    return b""


def withdraw_balance(inv: Invocation, params: bytes) -> bytes:
    """Method 3, ``WithdrawBalance``: params ``[ProviderOrClientAddress, Amount]``; returns the amount
    withdrawn (big-integer bytes), at most escrow − locked, sent to the client or the miner's owner."""
    value: Any = dagcbor.decode(params)
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], bytes):
        raise InvalidCbor("WithdrawBalance params must be [ProviderOrClientAddress, Amount bytes]")
    address = parse_address(value[0], "WithdrawBalance ProviderOrClientAddress")
    try:
        amount = TokenAmount.from_bytes(value[1])
    except InvalidAmount as exc:
        raise InvalidCbor(f"WithdrawBalance Amount: {exc}") from exc
    if amount.atto < 0:
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, f"negative amount: {amount.atto}")
    nominal, recipient, approved = _escrow_address(inv.tree, address)
    if inv.caller not in approved:
        raise ActorExit(
            ExitCode.ERR_FORBIDDEN, f"caller 't0{inv.caller}' may not withdraw the escrow of '{address}'"
        )
    state = MarketState.load(inv.tree)
    extracted = TokenAmount(max(0, min(amount.atto, state.available(nominal).atto)))
    state.add_escrow(nominal, -extracted)
    if not state.escrow[nominal] and nominal not in state.locked:
        del state.escrow[nominal]
    state.store(inv.tree)
    _transfer(inv.tree, inv.receiver, recipient, extracted)
    return dagcbor.encode(extracted.to_bytes())


def _transfer(tree: StateTree, sender: int, receiver: int, amount: TokenAmount) -> None:
    if not amount:
        return
    tree.update(sender, balance=tree.actors[sender].balance - amount)
    tree.update(receiver, balance=tree.actors[receiver].balance + amount)


# -- PublishStorageDeals ------------------------------------------------------------------------------


def _publish_params(params: bytes) -> list[tuple[DealProposal, Signature]]:
    value: Any = dagcbor.decode(params)
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], list):
        raise InvalidCbor("PublishStorageDeals params must be [[ClientDealProposal...]]")
    deals = []
    for index, item in enumerate(value[0]):
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[1], bytes):
            raise InvalidCbor(f"deal {index} must be [Proposal, ClientSignature bytes]")
        try:
            signature = Signature.from_bytes(item[1])
        except InvalidSignature as exc:
            raise InvalidCbor(f"deal {index} ClientSignature: {exc}") from exc
        deals.append((DealProposal.from_ipld(item[0]), signature))
    return deals


def _signature_problem(tree: StateTree, proposal: DealProposal, signature: Signature) -> str | None:
    """builtin-actors ``deal_proposal_is_internally_valid``: the client account signed the proposal."""
    try:
        key = tree.account_key(proposal.client)
        verify(signature, proposal.to_cbor(), key)
    except (ActorNotFound, InvalidSignature) as exc:
        return f"proposal authentication failed: {exc}"
    return None


def _deal_problem(tree: StateTree, proposal: DealProposal, signature: Signature, epoch: int) -> str | None:
    """builtin-actors ``validate_deal``: why a deal is invalid on its own, or ``None``."""
    problem = _signature_problem(tree, proposal, signature)
    if problem is not None:
        return problem
    label_size = len(proposal.label.encode() if isinstance(proposal.label, str) else proposal.label)
    if label_size > DEAL_MAX_LABEL_SIZE:
        return f"deal label can be at most {DEAL_MAX_LABEL_SIZE} bytes, is {label_size}"
    try:
        PaddedPieceSize(proposal.piece_size).validate()
    except AbiError as exc:
        return f"proposal piece size is invalid: {exc}"
    try:
        cid_to_piece_commitment(proposal.piece_cid)
    except AbiError:
        return "proposal PieceCID undefined"
    if proposal.end_epoch <= proposal.start_epoch:
        return "proposal end before proposal start"
    if epoch > proposal.start_epoch:
        return "Deal start epoch has already elapsed."
    if not DEAL_MIN_DURATION <= proposal.duration <= DEAL_MAX_DURATION:
        return "Deal duration out of bounds."
    for name, amount in (
        ("Storage price", proposal.storage_price_per_epoch),
        ("Provider collateral", proposal.provider_collateral),
        ("Client collateral", proposal.client_collateral),
    ):
        if not 0 <= amount.atto <= TOTAL_FILECOIN.atto:
            return f"{name} out of bounds."
    if proposal.verified_deal:
        return "client has no datacap: pylotus has no verified registry"
    return None


def _provider(inv: Invocation, deals: Sequence[tuple[DealProposal, Signature]]) -> int:
    """The first deal's provider, a miner the caller controls (else the whole message is refused)."""
    if not deals:
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, "Empty deals parameter")
    raw = deals[0][0].provider
    provider = inv.tree.lookup_id(raw)
    if provider is None:
        raise ActorExit(ExitCode.ERR_NOT_FOUND, f"failed to resolve provider address '{raw}'")
    actor = inv.tree.actors[provider]
    if actor.code != MINER_CODE:
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, "deal provider is not a storage miner actor")
    info = MinerState.from_head(actor.head).info
    if inv.caller not in (info.owner, info.worker):
        raise ActorExit(
            ExitCode.ERR_FORBIDDEN,
            f"caller 't0{inv.caller}' is not worker or control address of provider 't0{provider}'",
        )
    return provider


class _Batch:
    """The deals of one PublishStorageDeals accepted so far, and what they lock (builtin-actors
    ``total_client_lockup``, ``total_provider_lockup``, ``proposal_cid_lookup``)."""

    def __init__(self, tree: StateTree, state: MarketState, provider: int) -> None:
        self.tree, self.state, self.provider = tree, state, provider
        self.seen = state.pending_cids()
        self.client_lockup: dict[int, TokenAmount] = {}
        self.provider_lockup = _ZERO
        self.valid: list[tuple[int, DealProposal]] = []

    def admit(self, index: int, proposal: DealProposal) -> str | None:
        """Accept a deal that passed :func:`_deal_problem`, or say why it is dropped."""
        if self.tree.lookup_id(proposal.provider) != self.provider:
            return "cannot publish deals from multiple providers in one batch"
        client = self.tree.lookup_id(proposal.client)
        if client is None:
            return f"failed to resolve proposal.client address '{proposal.client}' for deal"
        client_lockup = self.client_lockup.get(client, _ZERO) + proposal.client_balance_requirement()
        if self.state.available(client).atto < client_lockup.atto:
            return "insufficient client funds to cover proposal cost"
        provider_lockup = self.provider_lockup + proposal.provider_collateral
        if self.state.available(self.provider).atto < provider_lockup.atto:
            return "insufficient provider funds to cover proposal cost"
        normal = _normalised(proposal, client, self.provider)
        cid = normal.cid()
        if cid in self.seen:
            return "cannot publish duplicate deal proposal"
        self.client_lockup[client] = client_lockup
        self.provider_lockup = provider_lockup
        self.seen.add(cid)
        self.valid.append((index, normal))
        return None


def publish_storage_deals(inv: Invocation, params: bytes) -> bytes:
    """Method 4, ``PublishStorageDeals``: params ``[[[Proposal, ClientSignature]...]]``; returns
    ``[[DealIDs...], ValidDeals bitfield]`` (see the module docstring for what is checked)."""
    deals = _publish_params(params)
    epoch = inv.require_chain().epoch
    provider = _provider(inv, deals)
    state = MarketState.load(inv.tree)
    batch = _Batch(inv.tree, state, provider)
    reasons: list[str] = []
    for index, (proposal, signature) in enumerate(deals):
        problem = _deal_problem(inv.tree, proposal, signature, epoch)
        if problem is None:
            problem = batch.admit(index, proposal)
        if problem is not None:
            log.info("invalid deal index=%d reason=%s", index, problem)
            reasons.append(f"deal {index}: {problem}")
    if not batch.valid:
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, f"All deal proposals invalid ({'; '.join(reasons)})")
    ids: list[dagcbor.IpldValue] = [state.publish(proposal) for _, proposal in batch.valid]
    state.store(inv.tree)
    return dagcbor.encode([ids, encode_rle(index for index, _ in batch.valid)])


def _normalised(proposal: DealProposal, client: int, provider: int) -> DealProposal:
    """The proposal as stored: ID addresses for client and provider (after the signature check)."""
    return DealProposal(
        proposal.piece_cid,
        proposal.piece_size,
        proposal.verified_deal,
        Address.new_id(client),
        Address.new_id(provider),
        proposal.label,
        proposal.start_epoch,
        proposal.end_epoch,
        proposal.storage_price_per_epoch,
        proposal.provider_collateral,
        proposal.client_collateral,
    )


# -- called by the miner actor ------------------------------------------------------------------------


def _check_can_activate(
    deal_id: int, proposal: DealProposal, miner_id: int, sector_expiry: int | None, epoch: int
) -> None:
    """builtin-actors ``validate_deal_can_activate``, with its codes and wording."""
    where = f"cannot activate deal {deal_id}"
    if proposal.provider != Address.new_id(miner_id):
        reason = f"{where}: proposal has provider {proposal.provider}, must be t0{miner_id}"
        raise ActorExit(ExitCode.ERR_FORBIDDEN, reason)
    if epoch > proposal.start_epoch:
        raise _expired(f"{where}: proposal start epoch {proposal.start_epoch} has already elapsed at {epoch}")
    if sector_expiry is not None and proposal.end_epoch > sector_expiry:
        reason = (
            f"{where}: proposal expiration {proposal.end_epoch} exceeds sector expiration {sector_expiry}"
        )
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, reason)


def _activation_proposals(
    tree: StateTree, miner_id: int, deal_ids: Sequence[int], sector_expiry: int | None, epoch: int
) -> tuple[MarketState, list[DealProposal]]:
    """builtin-actors ``get_proposals`` + ``validate_deal_can_activate`` for each deal, in order."""
    if tree.actors[miner_id].code != MINER_CODE:
        raise ActorExit(ExitCode.ERR_FORBIDDEN, f"caller 't0{miner_id}' is not a storage miner actor")
    if len(set(deal_ids)) != len(deal_ids):
        raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, f"duplicate deal ID in sector: {list(deal_ids)}")
    state = MarketState.load(tree)
    proposals = []
    for deal_id in deal_ids:
        proposal = state.proposals.get(deal_id)
        if proposal is None:
            if 0 <= deal_id < state.next_id:
                raise _expired(f"deal {deal_id} expired")
            raise ActorExit(ExitCode.ERR_NOT_FOUND, f"no such deal {deal_id}")
        _check_can_activate(deal_id, proposal, miner_id, sector_expiry, epoch)
        proposals.append(proposal)
    return state, proposals


def verify_deals_for_activation(
    tree: StateTree, miner_id: int, deal_ids: Sequence[int], sector_expiry: int, epoch: int
) -> tuple[int, CID | None]:
    """Check that miner ``miner_id`` may put deals ``deal_ids`` in a sector expiring at ``sector_expiry``
    (builtin-actors ``VerifyDealsForActivation``, method 5, as a direct call).

    Returns:
        ``(deal weight, CommD)``: the weight is Σ duration × piece size (builtin-actors v8
        ``deal_weight``, verified deals included); CommD is the unsealed CID of the deals' pieces in
        this order in a sector of the miner's size, ``None`` when there are no deals (the miner then
        uses the zero piece).

    Raises:
        ActorExit: ``ErrForbidden`` (``miner_id`` is no miner, or a deal is another provider's),
            ``ErrNotFound`` (no such deal), :data:`EX_DEAL_EXPIRED` (a deal's start epoch passed),
            ``ErrIllegalArgument`` (a deal ends after the sector, a deal ID twice, or the pieces do not
            fit the sector).
    """
    _, proposals = _activation_proposals(tree, miner_id, deal_ids, sector_expiry, epoch)
    if not proposals:
        return 0, None
    sector_size = MinerState.from_head(tree.actors[miner_id].head).info.sector_size
    space = sum(p.piece_size for p in proposals)
    if space > sector_size:
        raise ActorExit(
            ExitCode.ERR_ILLEGAL_ARGUMENT, f"deals too large to fit in sector {space} > {sector_size}"
        )
    try:
        pieces = [PieceInfo(PaddedPieceSize(p.piece_size), p.piece_cid) for p in proposals]
        commd = generate_unsealed_cid(sector_size, pieces)
    except (AbiError, InvalidPieces) as exc:
        raise ActorExit(
            ExitCode.ERR_ILLEGAL_ARGUMENT, f"failed to compute unsealed sector CID: {exc}"
        ) from exc
    return sum(p.duration * p.piece_size for p in proposals), commd


def activate_deals(
    tree: StateTree,
    miner_id: int,
    sector_number: int,
    deal_ids: Sequence[int],
    epoch: int,
    *,
    sector_expiry: int | None = None,
) -> None:
    """Activate deals ``deal_ids`` in sector ``sector_number`` of miner ``miner_id`` at ``epoch``
    (builtin-actors ``BatchActivateDeals`` for one sector, all or nothing): each gets a
    :class:`~pylotus.chain.market_state.DealState` with this sector and ``SectorStartEpoch = epoch``.

    The checks are :func:`verify_deals_for_activation`'s (the expiry only when ``sector_expiry`` is
    given), plus ``ErrIllegalArgument`` for a deal already activated.

    Raises:
        ActorExit: as :func:`verify_deals_for_activation`; the tree is unchanged.
    """
    state, _ = _activation_proposals(tree, miner_id, deal_ids, sector_expiry, epoch)
    for deal_id in deal_ids:
        if deal_id in state.states:
            raise ActorExit(ExitCode.ERR_ILLEGAL_ARGUMENT, f"deal {deal_id} already activated")
    for deal_id in deal_ids:
        state.states[deal_id] = DealState(sector_number, epoch)
    if deal_ids:
        state.store(tree)


MARKET_METHODS: Final[Mapping[int, Handler]] = {
    2: add_balance,
    3: withdraw_balance,
    4: publish_storage_deals,
}
"""Market actor methods by number (builtin-actors ``market::Method``).  VerifyDealsForActivation (5)
and BatchActivateDeals (6) are only callable by miners, which call the functions above directly."""
