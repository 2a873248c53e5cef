"""Chain and beacon randomness of the devnet, drawn as Lotus draws it.

Counterparts: Lotus ``chain/rand/rand.go`` (``DrawRandomnessFromBase``, ``GetChainRandomness``,
``GetBeaconRandomness``) and go-state-types ``crypto.DomainSeparationTag``.

**Draw** (Lotus's, bit for bit)::

    DrawRandomness(rbase, pers, round, entropy) =
        blake2b-256(i64_be(pers) ‖ blake2b-256(rbase) ‖ i64_be(round) ‖ entropy)

**Sources** (pylotus's, since the devnet has no VRF and no drand):

* the *ticket* of epoch ``e`` is the ``Ticket.VRFProof`` the tipset at ``e`` already shows in its
  JSON (:mod:`pylotus.chain.tipset`): ``blake2b-256(bytes(parent block CID) ‖ u64_be(e))``, with no
  parent CID at genesis.  It depends on the whole chain below ``e`` and on nothing else, so every
  node that holds the chain draws the same value, and nobody knows it before epoch ``e - 1`` exists;
* the *beacon* entry of epoch ``e`` is ``blake2b-256(b"pylotus devnet beacon" ‖ i64_be(e) ‖
  ticket(e))``: a stand-in for drand that, like drand, nobody knows before epoch ``e`` exists, so a
  miner cannot learn its interactive seal seed or its Window PoSt challenges ahead of time.

``rbase`` is the ticket (tickets) or the beacon entry (beacon) of ``round``.  A round above the head
cannot be drawn yet (Lotus: ``cannot draw randomness from the future``); a negative round is drawn
at genesis, as Lotus looks the tipset up at ``max(round, 0)``.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, final

from multiformats import CID

from .errors import RandomnessUnavailable

__all__ = [
    "BEACON_SEED",
    "ChainRandomness",
    "DomainSeparationTag",
    "beacon_entry",
    "draw_randomness",
    "ticket_vrf_proof",
]

BEACON_SEED: Final = b"pylotus devnet beacon"


class DomainSeparationTag(enum.IntEnum):
    """go-state-types ``crypto.DomainSeparationTag``: the ``pers`` of a draw."""

    TICKET_PRODUCTION = 1
    ELECTION_PROOF_PRODUCTION = 2
    WINNING_POST_CHALLENGE_SEED = 3
    WINDOWED_POST_CHALLENGE_SEED = 4
    SEAL_RANDOMNESS = 5
    INTERACTIVE_SEAL_CHALLENGE_SEED = 6
    WINDOWED_POST_DEADLINE_ASSIGNMENT = 7
    MARKET_DEAL_CRON_SEED = 8
    POST_CHAIN_COMMIT = 9


def _blake2b256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def draw_randomness(rbase: bytes, pers: int, round_: int, entropy: bytes) -> bytes:
    """Lotus ``DrawRandomnessFromBase``: 32 bytes from a base, a tag, an epoch and entropy."""
    return _blake2b256(
        pers.to_bytes(8, "big", signed=True)
        + _blake2b256(rbase)
        + round_.to_bytes(8, "big", signed=True)
        + entropy
    )


def ticket_vrf_proof(parent: CID | None, height: int) -> bytes:
    """The devnet ticket of the block at ``height`` over ``parent`` (see the module docstring)."""
    return _blake2b256((b"" if parent is None else bytes(parent)) + height.to_bytes(8, "big"))


def beacon_entry(epoch: int, ticket: bytes) -> bytes:
    """The devnet beacon entry of ``epoch`` whose ticket is ``ticket`` (see the module docstring)."""
    return _blake2b256(BEACON_SEED + epoch.to_bytes(8, "big", signed=True) + ticket)


@final
@dataclass(frozen=True, slots=True)
class ChainRandomness:
    """Randomness as seen from a chain whose head is at ``head``.

    ``ticket_at(e)`` returns the ticket of the tipset at epoch ``e`` (``0 <= e <= head``); the node
    builds it from its store, tests from a list of tickets.
    """

    head: int
    ticket_at: Callable[[int], bytes]

    def _round(self, round_: int) -> int:
        if round_ > self.head:
            raise RandomnessUnavailable(
                f"cannot draw randomness from the future: round '{round_}' is above the head '{self.head}'"
            )
        return max(round_, 0)

    def from_tickets(self, pers: int, round_: int, entropy: bytes) -> bytes:
        """Lotus ``GetChainRandomness`` (``ChainGetRandomnessFromTickets``)."""
        return draw_randomness(self.ticket_at(self._round(round_)), pers, round_, entropy)

    def from_beacon(self, pers: int, round_: int, entropy: bytes) -> bytes:
        """Lotus ``GetBeaconRandomness`` (``ChainGetRandomnessFromBeacon``)."""
        epoch = self._round(round_)
        return draw_randomness(beacon_entry(epoch, self.ticket_at(epoch)), pers, round_, entropy)
