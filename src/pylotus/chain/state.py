"""The state tree: every actor by ID, the init actor's address map, and the state root CID.

Counterparts: Lotus ``chain/state/statetree.go`` (``GetActor``, ``SetActor``, ``LookupID``,
``RegisterNewAddress``), ``chain/types/actor.go`` (``Actor{Code, Head, Nonce, Balance}``) and the
builtin init actor (``NextID``, ``AddressMap``).

**Layout: pylotus's own, not Lotus's.**  Lotus keeps actors in a HAMT and the init actor's map in a
second HAMT; the state root is the HAMT root.  The devnet holds a few dozen actors, so pylotus
encodes the whole tree as one canonical DAG-CBOR value and takes its CID as the state root::

    ["pylotus/state/v0", NextID, [[ID, Code, Head, Nonce, Balance], ...], [[Address, ID], ...]]

actors sorted by ID, addresses by their byte form; ``Balance`` in Filecoin's big-integer bytes.  Equal
trees therefore have equal roots, but a root is never equal to a Lotus root for the same actors.

IDs follow Lotus: 0 system, 1 init, 99 burnt funds; accounts from 100 (Lotus's
``builtin.FirstNonSingletonActorId``) in genesis-template order, then by first send to a new ``t1``
address.  Genesis miners take 1000 and up (Lotus ``genesis.MinerStart``) when they are created
(not yet: the power and miner actors come later); ``NextID`` always moves past the highest ID in use.

Code CIDs are the v0-style identity CIDs of ``fil/1/<name>`` (Lotus ``builtin0``): stable, readable,
and enough to dispatch on; the v8+ bundle CIDs would need the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final, final

from multiformats import CID, multihash

from pylotus.abi import Address, AddressProtocol, JsonObject, cid_to_json

from . import dagcbor
from .bigint import TokenAmount
from .errors import ActorNotFound, InvalidCbor

__all__ = [
    "ACCOUNT_CODE",
    "BURNT_FUNDS_ID",
    "EMPTY_HEAD",
    "FIRST_ACCOUNT_ID",
    "FIRST_MINER_ID",
    "INIT_CODE",
    "INIT_ID",
    "SYSTEM_CODE",
    "SYSTEM_ID",
    "Actor",
    "StateTree",
    "actor_code",
]


def actor_code(name: str) -> CID:
    """The code CID of builtin actor ``name`` (``"account"``): identity multihash of ``fil/1/<name>``."""
    return CID("base32", 1, "raw", multihash.get("identity").wrap(f"fil/1/{name}".encode()))


SYSTEM_CODE: Final = actor_code("system")
INIT_CODE: Final = actor_code("init")
ACCOUNT_CODE: Final = actor_code("account")

SYSTEM_ID: Final = 0
INIT_ID: Final = 1
BURNT_FUNDS_ID: Final = 99  # Lotus builtin.BurntFundsActorID
FIRST_ACCOUNT_ID: Final = 100  # Lotus builtin.FirstNonSingletonActorId
FIRST_MINER_ID: Final = 1000  # Lotus genesis.MinerStart

EMPTY_HEAD: Final = dagcbor.block_cid(dagcbor.encode([]))
_LAYOUT: Final = "pylotus/state/v0"
_ZERO: Final = TokenAmount(0)


@final
@dataclass(frozen=True, slots=True)
class Actor:
    """One actor (Lotus ``types.Actor``): code, state head, nonce, balance."""

    code: CID
    head: CID
    nonce: int
    balance: TokenAmount

    def to_json(self) -> JsonObject:
        return {
            "Code": cid_to_json(self.code),
            "Head": cid_to_json(self.head),
            "Nonce": self.nonce,
            "Balance": self.balance.to_json(),
        }


def account_head(key: Address) -> CID:
    """The head of an account actor: its state ``[Address]`` (Lotus account ``State{Address}``)."""
    return dagcbor.block_cid(dagcbor.encode([key.to_bytes()]))


@final
class StateTree:
    """Actors by ID and key addresses by ID; mutable, copied per tipset (:meth:`copy`)."""

    def __init__(self, next_id: int = FIRST_ACCOUNT_ID) -> None:
        self.next_id = next_id
        self.actors: dict[int, Actor] = {}
        self.addresses: dict[Address, int] = {}

    def copy(self) -> StateTree:
        tree = StateTree(self.next_id)
        tree.actors = dict(self.actors)
        tree.addresses = dict(self.addresses)
        return tree

    # -- lookups -------------------------------------------------------------------------------------

    def lookup_id(self, address: Address) -> int | None:
        """The actor ID of ``address`` (ID or key), or ``None`` when no actor has it."""
        if address.protocol is AddressProtocol.ID:
            actor_id = address.id()
            return actor_id if actor_id in self.actors else None
        return self.addresses.get(address)

    def get_actor(self, address: Address) -> Actor | None:
        actor_id = self.lookup_id(address)
        return None if actor_id is None else self.actors[actor_id]

    def require_actor(self, address: Address) -> tuple[int, Actor]:
        """The ID and actor of ``address``; raises :class:`ActorNotFound` (Lotus ``actor not found``)."""
        actor_id = self.lookup_id(address)
        if actor_id is None:
            raise ActorNotFound(f"actor not found: '{address}'")
        return actor_id, self.actors[actor_id]

    def account_key(self, address: Address) -> Address:
        """The key address behind an account actor (Lotus ``StateAccountKey``)."""
        if address.protocol in (AddressProtocol.SECP256K1, AddressProtocol.BLS):
            return address
        actor_id, actor = self.require_actor(address)
        if actor.code != ACCOUNT_CODE:
            raise ActorNotFound(f"actor '{address}' is not an account actor")
        for key, key_id in self.addresses.items():
            if key_id == actor_id:
                return key
        raise ActorNotFound(f"account actor '{address}' has no key address")

    def balance(self, address: Address) -> TokenAmount:
        actor = self.get_actor(address)
        return TokenAmount(0) if actor is None else actor.balance

    # -- changes -------------------------------------------------------------------------------------

    def set_actor(self, actor_id: int, actor: Actor) -> None:
        self.actors[actor_id] = actor
        self.next_id = max(self.next_id, actor_id + 1) if actor_id >= FIRST_ACCOUNT_ID else self.next_id

    def create_account(self, key: Address, balance: TokenAmount = _ZERO) -> int:
        """A new account actor for key address ``key`` with the next ID (init ``Exec`` + account)."""
        if key.protocol not in (AddressProtocol.SECP256K1, AddressProtocol.BLS):
            raise ValueError(f"an account needs a key address, not '{key}'")
        if key in self.addresses:
            raise RuntimeError(f"an actor for '{key}' already exists")
        actor_id = self.next_id
        self.addresses[key] = actor_id
        self.set_actor(actor_id, Actor(ACCOUNT_CODE, account_head(key), 0, balance))
        return actor_id

    def update(self, actor_id: int, *, nonce: int | None = None, balance: TokenAmount | None = None) -> None:
        actor = self.actors[actor_id]
        self.actors[actor_id] = replace(
            actor,
            nonce=actor.nonce if nonce is None else nonce,
            balance=actor.balance if balance is None else balance,
        )

    # -- encoding ------------------------------------------------------------------------------------

    def to_cbor(self) -> bytes:
        actors: list[dagcbor.IpldValue] = [
            [i, a.code, a.head, a.nonce, a.balance.to_bytes()] for i, a in sorted(self.actors.items())
        ]
        pairs = sorted((a.to_bytes(), i) for a, i in self.addresses.items())
        addresses: list[dagcbor.IpldValue] = [[raw, i] for raw, i in pairs]
        return dagcbor.encode([_LAYOUT, self.next_id, actors, addresses])

    def root(self) -> CID:
        """The state root: the CID of :meth:`to_cbor`'s block."""
        return dagcbor.block_cid(self.to_cbor())

    @classmethod
    def from_cbor(cls, data: bytes) -> StateTree:
        value: Any = dagcbor.decode(data)  # its shape is checked by unpacking, in the try
        try:
            layout, next_id, actors, addresses = value
            if layout != _LAYOUT:
                raise InvalidCbor(f"state tree layout {layout!r} is not '{_LAYOUT}'")
            tree = cls(int(next_id))
            for actor_id, code, head, nonce, balance in actors:
                tree.actors[actor_id] = Actor(code, head, nonce, TokenAmount.from_bytes(balance))
            for raw, actor_id in addresses:
                tree.addresses[Address.from_bytes(raw)] = actor_id
        except (TypeError, ValueError) as exc:
            raise InvalidCbor(f"state tree does not decode: {exc}") from exc
        return tree
