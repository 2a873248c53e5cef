"""Where the power and miner actors keep their state: inline in the actor's ``Head`` CID.

Counterpart: the builtin actors' ``rt.StateReadonly``/``rt.StateTransaction``, which load the state
object at ``Head`` from the blockstore and write the new one back.

pylotus's state tree (:mod:`pylotus.chain.state`) stores each actor's ``Head`` CID but no blocks, so
an actor's state is carried *inside* its head: a CIDv1 with codec dag-cbor and an identity
multihash over the state's canonical CBOR.  The state root therefore commits to every actor's
state, the store persists it with the tree, and a failed call is undone with the tree itself.  A
devnet miner with a few thousand sectors stays well under a megabyte.
"""

from __future__ import annotations

from typing import Final

from multiformats import CID, multihash

from pylotus.abi import AbiError, Address

from . import dagcbor
from .errors import InvalidCbor

__all__ = ["decode_head", "inline_head", "parse_address"]

_IDENTITY: Final = multihash.get("identity")


def inline_head(value: dagcbor.IpldValue) -> CID:
    """The head CID that carries ``value`` (dag-cbor, identity multihash)."""
    return CID("base32", 1, "dag-cbor", _IDENTITY.wrap(dagcbor.encode(value)))


def decode_head(head: CID) -> dagcbor.IpldValue:
    """The state value inside a head made by :func:`inline_head`.

    Raises:
        InvalidCbor: ``head`` does not inline a dag-cbor value.
    """
    if head.hashfun.name != "identity" or head.codec.name != "dag-cbor":
        raise InvalidCbor(f"actor head '{head}' does not inline its state")
    return dagcbor.decode(bytes(head.raw_digest))


def parse_address(raw: object, what: str) -> Address:
    """An address from its CBOR bytes; :class:`InvalidCbor` naming ``what`` if it is not one."""
    if not isinstance(raw, bytes):
        raise InvalidCbor(f"{what} must be address bytes, not {type(raw).__name__}")
    try:
        return Address.from_bytes(raw)
    except AbiError as exc:
        raise InvalidCbor(f"{what} is not an address: {exc}") from exc
