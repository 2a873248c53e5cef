"""The FullNode API's storage market reads: StateMarketBalance, StateMarketDeals, StateMarketStorageDeal.

Counterparts: Lotus ``api/api_full.go`` (names, ``perm:read``) and ``node/impl/full/state.go``
(``StateMarketBalance``, ``StateMarketDeals``, ``StateMarketStorageDeal``); shapes from
reference/api-examples.md §3.  As the rest of :mod:`pylotus.chain.api`, a tipset key names the
state read (``null`` or ``[]``: the head's), an unknown key is refused.

Lotus's shapes and wording:

* ``StateMarketBalance(addr, tsk)`` → ``{"Escrow", "Locked"}`` as decimal strings; the address is
  resolved to its ID first (an unknown one fails with Lotus's ``resolution lookup failed``), one with
  no escrow has zeros;
* ``StateMarketDeals(tsk)`` → ``{"<deal id>": {"Proposal", "State"}}`` keyed by the decimal deal ID
  (``strconv.FormatInt``); a published deal not yet in a sector has the empty state (``-1`` epochs);
* ``StateMarketStorageDeal(dealID, tsk)`` → ``{"Proposal", "State"}``, or ``deal %d not found …``.
"""

from __future__ import annotations

from typing import Final, final

from pylotus.abi import Address, JsonValue
from pylotus.jsonrpc import MethodSpec, make_table
from pylotus.jsonrpc.codec import ADDRESS, JSON

from .api import tipset_for
from .errors import ActorNotFound, InvalidMessage
from .market_state import DealNotFound, MarketState, market_deal_json
from .node import ChainNode
from .state import StateTree

__all__ = ["MARKET_STATE_TABLE", "MarketStateApi"]

_INT: Final = JSON  # plain JSON numbers (deal IDs)

MARKET_STATE_TABLE: Final = make_table(
    MethodSpec("StateMarketBalance", "read", (ADDRESS, JSON), JSON),
    MethodSpec("StateMarketDeals", "read", (JSON,), JSON),
    MethodSpec("StateMarketStorageDeal", "read", (_INT, JSON), JSON),
)


@final
class MarketStateApi:
    """Serves :data:`MARKET_STATE_TABLE` from a :class:`~pylotus.chain.node.ChainNode`'s states."""

    def __init__(self, node: ChainNode) -> None:
        self._node = node

    def _state(self, tsk: JsonValue) -> StateTree:
        return self._node.state_at(tipset_for(self._node, tsk))

    async def state_market_balance(self, address: Address, tsk: JsonValue) -> JsonValue:
        state = self._state(tsk)
        actor_id = state.lookup_id(address)
        if actor_id is None:
            raise ActorNotFound(f"resolution lookup failed ('{address}'): actor not found")
        escrow, locked = MarketState.load(state).balance(actor_id)
        return {"Escrow": escrow.to_json(), "Locked": locked.to_json()}

    async def state_market_deals(self, tsk: JsonValue) -> JsonValue:
        market = MarketState.load(self._state(tsk))
        return {
            str(deal_id): market_deal_json(proposal, market.states.get(deal_id))
            for deal_id, proposal in sorted(market.proposals.items())
        }

    async def state_market_storage_deal(self, deal_id: JsonValue, tsk: JsonValue) -> JsonValue:
        if isinstance(deal_id, bool) or not isinstance(deal_id, int) or not 0 <= deal_id < 2**64:
            raise InvalidMessage(f"deal ID must be a non-negative integer, not {deal_id!r:.40}")
        market = MarketState.load(self._state(tsk))
        proposal = market.proposals.get(deal_id)
        if proposal is None:
            raise DealNotFound(
                f"deal {deal_id} not found - deal may not have completed sealing before deal proposal "
                "start epoch, or deal may have been slashed"
            )
        return market_deal_json(proposal, market.states.get(deal_id))
